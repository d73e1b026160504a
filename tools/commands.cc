#include "tools/commands.h"

namespace tandem::cli {

std::vector<Command> all_commands() {
  std::vector<Command> commands = {make_info_command(), make_run_command()};
#if TANDEM_HAVE_ONNX
  commands.push_back(make_convert_command());
#endif
  return commands;
}

}  // namespace tandem::cli
