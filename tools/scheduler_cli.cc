#include "tools/scheduler_cli.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "engine/processor_registry.h"

namespace tandem::cli {

ProfileOptions::ProgressFn progress_printer() {
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  auto last = std::make_shared<std::string>();
  return [tty, last](const std::string& what, double fraction) {
    if (tty) {
      const int width = 30, filled = int(fraction * width + 0.5);
      std::string bar(size_t(filled), '#');
      bar.resize(size_t(width), '.');
      std::fprintf(stderr, "\r[%s] %3d%% %-50.50s", bar.c_str(), int(fraction * 100 + 0.5),
                   what.c_str());
      if (fraction >= 1.0) std::fprintf(stderr, "\n");
      std::fflush(stderr);
      return;
    }
    // Plain lines: one per phase, not one per timed run.
    if (what.find(" run ") != std::string::npos || what == *last) return;
    *last = what;
    std::fprintf(stderr, "profile: %3d%% %s\n", int(fraction * 100 + 0.5), what.c_str());
  };
}

void print_warning(const std::string& message) {
  if (::isatty(STDERR_FILENO) == 1) std::fprintf(stderr, "\r%80s\r", "");
  std::fprintf(stderr, "tandem: warning: %s\n", message.c_str());
}

Expected<CostTable> load_profile_for(const std::string& path, const Graph& g,
                                     const std::vector<std::string>* processor_specs) {
  return load_cost_table_for(
      path, g, processor_specs ? *processor_specs : std::vector<std::string>{}, print_warning);
}

}  // namespace tandem::cli
