#include "tools/scheduler_cli.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "engine/processor_registry.h"

namespace tandem::cli {

Expected<std::vector<std::unique_ptr<Processor>>> create_processor_list(const std::string& list) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<std::string> specs,
                          split_processor_list(list, default_processor_registry().kinds()));
  std::vector<std::unique_ptr<Processor>> procs;
  for (const auto& spec : specs) {
    auto p = create_processor(spec);
    if (!p.ok()) return p.status().with_context("--processors");
    procs.push_back(std::move(p).value());
  }
  return procs;
}

std::vector<Processor*> raw_pointers(const std::vector<std::unique_ptr<Processor>>& procs) {
  std::vector<Processor*> out;
  for (const auto& p : procs) out.push_back(p.get());
  return out;
}

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

std::string default_profile_path(const CostTable& t) {
  std::string specs;
  for (const auto& p : t.processors) specs += p.spec + ";";
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : specs) h = (h ^ c) * 1099511628211ull;
  char name[64];
  std::snprintf(name, sizeof name, "%016llx-%08llx.json",
                static_cast<unsigned long long>(t.model_hash),
                static_cast<unsigned long long>(h & 0xffffffffull));
  return (std::filesystem::path(default_cache_dir()) / "models" / name).string();
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
