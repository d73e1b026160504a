// The processor interface: what the executor and the pipeline scheduler need
// from a CPU core group, an OpenCL device or the reference kernels.
//
// Data contract at range boundaries: every tensor that crosses into or out of
// a compiled range is float32, contiguous, in the graph's logical layout
// (ONNX order, NCHW for images), in host memory. A processor that prefers
// another layout (NHWC on XNNPACK, device buffers on OpenCL) converts or
// transfers inside run(); the cost of that is part of the range's time.
// A processor whose device shares host memory may instead use the caller's
// buffers in place during run() (opencl:handover=map wraps them with
// CL_MEM_USE_HOST_PTR); nothing may keep using them after run() returns.
// Buffers aligned to 4096 bytes (the pipeline's slots) allow that everywhere.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace tandem {

struct RunOptions {
  // When non-null, receives the wall time in milliseconds of each node of the
  // range (size = range length), for profiling. Boundary conversion time is
  // added to the first/last node.
  std::vector<double>* node_ms = nullptr;
};

// A node range compiled for one processor: weights packed, workspace sized.
class Executable {
 public:
  virtual ~Executable() = default;
  // Runs the range. inputs[i] holds io().inputs[i], outputs[i] receives
  // io().outputs[i] (caller-allocated, shape from the graph). No allocation,
  // no locks; safe to call repeatedly, not concurrently on one Executable.
  virtual Status run(const float* const* inputs, float* const* outputs,
                     const RunOptions& options = {}) = 0;
  // The tensors crossing the range boundary (see range_io()).
  virtual const RangeIO& io() const = 0;
  // Names of nodes that run on a fallback (reference) kernel, for info/bench.
  virtual std::vector<std::string> fallback_nodes() const { return {}; }
  // Per node of the range, which implementation runs it (e.g. "xnnpack",
  // "gemm_avx512", "winograd_f43", "fused"); empty when the processor does not say.
  virtual std::vector<std::string> kernel_kinds() const { return {}; }
};

class Processor {
 public:
  virtual ~Processor() = default;
  // Canonical spec string ("reference", "cpu:threads=2", "opencl:0").
  virtual std::string spec() const = 0;
  // One line for humans: device name, cores, threads.
  virtual std::string description() const { return spec(); }
  // True when this processor can run `n` (natively or through its fallback).
  virtual bool supports(const Graph& g, const Node& n) const = 0;
  // Compiles nodes [first, last) of `g` (which must outlive the result).
  virtual Expected<std::unique_ptr<Executable>> compile(const Graph& g, int first, int last) = 0;
  // Pins the calling thread to this processor's cores (no-op when unpinned).
  virtual Status bind_current_thread() { return Status(); }
  // CPU cores this processor's threads use; empty when not pinned.
  virtual std::vector<int> cores() const { return {}; }
  // Worker threads it uses for one run.
  virtual int threads() const { return 1; }
  // For a plain group of pinned cores (one thread per core, every other setting
  // at its default): the spec of the same kind of processor on `cores`; ""
  // otherwise. The scheduler merges such groups into one intra-op candidate
  // with it (scheduler/intra_op.h).
  virtual std::string core_group_spec(const std::vector<int>& /*cores*/) const { return ""; }
};

}  // namespace tandem
