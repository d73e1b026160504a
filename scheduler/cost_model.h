// The cost model the partitioner plans with: per node per processor compute
// time, per processor-pair transfer model, co-run slowdown, and the tensors
// that cross each cut. Plain data, saved as JSON (docs/profile_schema.md).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/status.h"

namespace tandem {

// Time to hand a set of tensors of `bytes` from one stage's worker to the
// next: thread hand-off, copy and layout conversion where layouts differ.
struct TransferModel {
  double latency_ms = 0;
  double ms_per_byte = 0;
  double ms(double bytes) const { return latency_ms + ms_per_byte * std::max(0.0, bytes); }
};

// Least-squares fit of latency + ms_per_byte * bytes to measured points; a
// negative intercept or slope is clamped to 0 (measurements are noisy).
TransferModel fit_transfer_model(const std::vector<double>& bytes, const std::vector<double>& ms);

// Which machine a profile was measured on.
struct MachineFingerprint {
  std::string cpu_model;  // "model name" of /proc/cpuinfo
  int cores = 0;          // logical processors in /proc/cpuinfo
  bool operator==(const MachineFingerprint& o) const {
    return cpu_model == o.cpu_model && cores == o.cores;
  }
  bool operator!=(const MachineFingerprint& o) const { return !(*this == o); }
  std::string to_string() const;
};
MachineFingerprint current_machine_fingerprint();

// What makes two nodes cost the same: op, shapes and parameters (not the name).
struct NodeSignature {
  std::string name;  // informational only, not part of key()
  std::string op;
  std::vector<Shape> inputs;  // -1 entries for absent inputs are empty shapes
  std::vector<Shape> outputs;
  uint64_t params_hash = 0;  // attributes (and constant input shapes)
  int64_t macs = 0;
  int64_t bytes = 0;        // activation bytes read + written
  std::string key() const;  // "Conv|1x64x56x56,64x64x3x3|1x64x56x56|<hash>"
};
std::vector<NodeSignature> node_signatures(const Graph& g);
// FNV-1a 64 over the signature keys in order: identifies the model's structure.
uint64_t signatures_hash(const std::vector<NodeSignature>& nodes);

// A non-constant tensor as the partitioner sees it: its TensorLife (graph.h)
// and size. Graph inputs have producer -1; graph outputs have last_use =
// number of nodes.
struct TensorFlow {
  int producer = -1;
  int last_use = -1;
  int64_t bytes = 0;
  bool crosses(int cut) const { return TensorLife{producer, last_use}.crosses(cut); }
};
std::vector<TensorFlow> tensor_flows(const Graph& g);

// One processor's column of the table.
struct ProcessorCosts {
  std::string spec;
  std::string description;
  std::vector<double> node_ms;     // per node; NaN = unsupported there
  std::vector<uint8_t> estimated;  // per node; 1 = roofline estimate, not measured
  double corun_factor = 1.0;       // slowdown while the other processors are busy (>= 1)
  double gflops = 0;               // roofline: measured compute rate
  double gbps = 0;                 // roofline: measured memory rate (GB/s)
  double measured_total_ms = NAN;  // end-to-end whole-model run, when validated
};

struct CostTable {
  static constexpr int kSchemaVersion = 1;
  MachineFingerprint machine;
  uint64_t model_hash = 0;  // signatures_hash(nodes)
  std::vector<NodeSignature> nodes;
  std::vector<TensorFlow> tensors;
  std::vector<ProcessorCosts> processors;
  std::vector<std::vector<TransferModel>> transfer;  // [from][to]

  int num_nodes() const { return static_cast<int>(nodes.size()); }
  int num_processors() const { return static_cast<int>(processors.size()); }
  bool supported(int p, int n) const {
    return !std::isnan(processors[static_cast<size_t>(p)].node_ms[static_cast<size_t>(n)]);
  }
  // Checks sizes agree (node_ms and estimated per node, transfer P x P,
  // tensors' producer/last_use in range); errors say what is wrong.
  Status validate() const;
};

// An empty table for `g` and the processor specs: signatures, flows, NaN costs.
CostTable make_cost_table(const Graph& g, const std::vector<std::string>& processor_specs);

// Fills NaN entries of supported nodes from the processor's roofline
// (max(2*macs/gflops, bytes/gbps)) and marks them estimated. `supported[p][n]`
// says which nodes processor p can run at all. Returns how many were estimated.
int apply_roofline_estimates(CostTable& table, const std::vector<std::vector<bool>>& supported);
// Fits gflops/gbps of processor p from its measured (non-estimated) nodes.
void fit_roofline(CostTable& table, int p);

// JSON (docs/profile_schema.md).
std::string cost_table_to_json(const CostTable& table);
Expected<CostTable> cost_table_from_json(const std::string& text, const std::string& origin);
Status save_cost_table(const std::string& path, const CostTable& table);
Expected<CostTable> load_cost_table(const std::string& path);

// Checks a loaded table fits `g` and the processors (same node signatures in
// order, processors in the same order); with `machine` non-null also the
// machine. Errors name what differs.
Status check_cost_table_matches(const CostTable& table, const Graph& g,
                                const std::vector<std::string>& processor_specs,
                                const MachineFingerprint* machine);

}  // namespace tandem
