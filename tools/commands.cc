#include "tools/commands.h"

namespace tandem::cli {

std::vector<Command> all_commands() {
  return {};
}

}  // namespace tandem::cli
