// Run-time skips that say so: a test whose subject this machine lacks (an ISA,
// two cores, a device feature) reports it instead of passing silently.
//
//   if (!skip_unless(cpu::cpu_isa_detected() >= cpu::CpuIsa::kAvx512, "no AVX-512F")) return;
//
// The reason appears as a doctest MESSAGE at the caller's line, and
// doctest_main.cc lists every run-time skip after doctest's summary. Where a
// whole case depends on something known at registration, the
// `* doctest::skip(cond)` decorator is the static form (doctest counts it).
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace tandem::test {

struct RuntimeSkip {
  std::string where;  // file:line of the skip_unless call
  std::string reason;
};

// The run-time skips of this process, in order.
inline std::vector<RuntimeSkip>& runtime_skips() {
  static std::vector<RuntimeSkip> skips;
  return skips;
}

// Returns `condition`; when it is false, reports "skipped: <reason>" and
// records the skip for the end-of-run list.
inline bool skip_unless(bool condition, const std::string& reason,
                        const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  if (condition) return true;
  ADD_MESSAGE_AT(file, line, "skipped: " << reason);
  runtime_skips().push_back({std::string(file) + ":" + std::to_string(line), reason});
  return false;
}

}  // namespace tandem::test
