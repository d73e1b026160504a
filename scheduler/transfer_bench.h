// Micro-benchmarks behind the transfer model: the hand-over of a buffer from
// a worker thread on one processor to one on another, and the boundary
// (layout conversion) cost a processor adds to each tensor entering and
// leaving a compiled range.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/processor.h"

namespace tandem {

// Sizes in bytes the transfer model is fitted on (64 KiB .. 4 MiB: the
// activations of the zoo models at their cuts).
const std::vector<int64_t>& transfer_bench_sizes();

// Per size: median ms from the producer (bound to `from`) publishing a freshly
// written buffer under a mutex/condition variable until the consumer (bound
// to `to`) has read all of it.
Expected<std::vector<double>> measure_handoff_ms(Processor* from, Processor* to,
                                                 const std::vector<int64_t>& sizes);

// Per size: median ms of a one-node Relu range on `p` (boundary conversion in
// and out plus the Relu) minus the same Relu as a plain host loop, clamped at
// 0. 0 for every size when `p` does not support Relu. Its buffers are
// page-aligned like the pipeline's slots, so a processor that hands them over
// without copies where it can (opencl:handover=map) is charged for that.
Expected<std::vector<double>> measure_boundary_ms(Processor* p, const std::vector<int64_t>& sizes);

}  // namespace tandem
