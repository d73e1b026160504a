// `tandem bench --processors A,B --plan auto|FILE`: the pipelined benchmark,
// optionally against the best single-processor configuration (--compare).
#pragma once

#include <string>

#include "tools/reports.h"

namespace tandem::cli {

struct PipelineBenchArgs {
  std::string model;
  std::string processors;        // "cpu:cores=0,cpu:cores=1"
  std::string plan = "auto";     // auto | new | FILE
  std::string profile;           // cost table file instead of measuring
  std::string baseline = "cpu";  // --compare's single-processor configuration
  int frames = 100;
  int rounds = 3;  // --compare: interleaved baseline/plan rounds
  bool compare = false;
  std::string trace;
  bool progress = true;  // profiling progress on stderr
};

Expected<Report> pipeline_bench_report(const PipelineBenchArgs& args);

}  // namespace tandem::cli
