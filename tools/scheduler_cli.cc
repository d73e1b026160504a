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
  TANDEM_ASSIGN_OR_RETURN(CostTable t, load_cost_table(path));
  std::vector<std::string> specs;
  if (processor_specs) {
    specs = *processor_specs;
  } else {
    for (const auto& p : t.processors) specs.push_back(p.spec);
  }
  Status st = check_cost_table_matches(t, g, specs, nullptr);
  if (!st.ok()) return Status(st.code(), path + ": " + st.message());
  const MachineFingerprint here = current_machine_fingerprint();
  if (t.machine != here)
    print_warning(path + " was measured on " + t.machine.to_string() + ", not on this machine (" +
                  here.to_string() + "): predictions are for that machine");
  return t;
}

}  // namespace tandem::cli
