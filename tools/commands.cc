#include "tools/commands.h"

namespace tandem::cli {

std::vector<Command> all_commands() {
  std::vector<Command> commands;
  commands.push_back(make_info_command());
#if TANDEM_HAVE_ONNX
  commands.push_back(make_convert_command());
#endif
  commands.push_back(make_run_command());
  commands.push_back(make_bench_command());
  commands.push_back(make_profile_command());
  commands.push_back(make_plan_command());
  commands.push_back(make_quantize_command());
#if TANDEM_HAVE_OPENCL
  commands.push_back(make_devices_command());
#endif
  return commands;
}

}  // namespace tandem::cli
