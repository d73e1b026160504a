// The registry of CLI subcommands. Each cmd_*.cc defines one make_*_command().
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tandem::cli {

struct Command {
  // Adds the subcommand and its options to `app`; remembers the CLI::App*.
  std::function<void(CLI::App& app)> add;
  // True when the user picked this subcommand (valid after parsing).
  std::function<bool()> selected;
  // Runs it; the process exit code (0 ok, 1 error).
  std::function<int()> run;
};

Command make_info_command();
Command make_run_command();
Command make_convert_command();
Command make_bench_command();
Command make_profile_command();
Command make_plan_command();
Command make_devices_command();
Command make_quantize_command();

std::vector<Command> all_commands();

}  // namespace tandem::cli
