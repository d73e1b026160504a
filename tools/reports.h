// What `tandem plan`, `bench` and `profile` compute, as functions that return
// their --json object and their human-readable text instead of printing them:
// the CLI prints both, the Python module (python/) returns the object.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "graph/status.h"

namespace tandem::cli {

struct Report {
  nlohmann::json json;  // what --json prints
  std::string text;     // what the command prints for humans
};

struct PlanArgs {
  std::string model, processors, profile, objective = "throughput";
  double max_latency_ms = 0, min_gain = 0.02;
  bool save = false, refresh = false, no_replicas = false, no_intra_op = false;
  std::string svg;       // also write the picture of the plan here
  bool progress = true;  // profiling progress on stderr
};
Expected<Report> plan_report(const PlanArgs& args);

struct BenchArgs {
  std::string model;
  std::string processor = "cpu";
  int runs = 10;
  int warmup = 2;
  bool per_op = false;  // every node's median time and kernel ("nodes")
};
Expected<Report> bench_report(const BenchArgs& args);

struct ProfileArgs {
  std::string model, processors, profile, output;
  bool refresh = false, validate = false;
  int max_runs = 40;
  bool progress = true;
};
Expected<Report> profile_report(const ProfileArgs& args);

#if TANDEM_HAVE_ONNX
struct ConvertArgs {
  std::string input;                      // .onnx
  std::string output;                     // .tdm (default: the input's name)
  std::vector<std::string> input_shapes;  // "NAME=1x3x224x224"
  bool no_passes = false;
};
// Converts and writes the model; returns the summary `tandem convert` prints.
Expected<std::string> convert_model(const ConvertArgs& args);
#endif

}  // namespace tandem::cli
