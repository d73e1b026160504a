// tandem: the command-line tool. Each subcommand lives in its own cmd_*.cc.
#include <CLI/CLI.hpp>

#include <iostream>

#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Tandem: one network across several processors"};
  app.require_subcommand(1);
  app.set_version_flag("--version", TANDEM_VERSION);
  std::vector<tandem::cli::Command> commands = tandem::cli::all_commands();
  for (auto& c : commands) c.add(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& c : commands)
    if (c.selected()) return c.run();
  return 2;
}
