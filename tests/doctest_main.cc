// doctest's main, plus the list of run-time skips (tests/skip.h) after its
// summary, so that a run which could not test something says what.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "tests/skip.h"

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int rc = context.run();
  const auto& skips = tandem::test::runtime_skips();
  if (!skips.empty()) {
    std::printf("[doctest] skipped at run time: %zu (not tested on this machine)\n", skips.size());
    for (const auto& s : skips)
      std::printf("[doctest]   %s: %s\n", s.where.c_str(), s.reason.c_str());
  }
  return rc;
}
