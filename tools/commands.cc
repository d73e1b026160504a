#include "tools/commands.h"

namespace tandem::cli {

std::vector<Command> all_commands() {
  return {make_info_command(), make_run_command(), make_profile_command(), make_plan_command()};
}

}  // namespace tandem::cli
