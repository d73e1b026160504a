// The pipeline's internal parts (boundary slots, frames, stages, workers), shared by
// pipeline.cc (the runtime) and pipeline_stats.cc (statistics and trace). Not public.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "scheduler/pipeline.h"

namespace tandem {

namespace pipeline_detail {

// Where a stage finds or puts one tensor.
enum class Where : uint8_t { kFrameInput, kFrameOutput, kInSlot, kOutSlot };
struct Ref {
  Where where;
  int index;
};

// One buffer set of a boundary; hand-off state guarded by mu.
struct Slot {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t seq = 0;  // 2f: writable for frame f; 2f+1: holds frame f
  Pipeline::Frame* frame = nullptr;
  std::vector<float> storage;
  std::vector<float*> tensors;  // one per boundary tensor, into storage
};

}  // namespace pipeline_detail

struct Pipeline::Boundary {
  std::vector<int> tensors;  // tensor ids crossing this cut (empty for the input ring)
  std::vector<std::unique_ptr<pipeline_detail::Slot>> slots;
  pipeline_detail::Slot& slot(uint64_t frame) { return *slots[frame % slots.size()]; }
  uint64_t size() const { return slots.size(); }
};

struct Pipeline::Frame {
  Ticket ticket = 0;
  Tensors inputs;
  Tensors outputs;
  Status status;
  bool done = false;  // guarded by Pipeline::mu_
  int64_t t_submit_ns = 0;
};

struct Pipeline::Stage {
  int index = 0;
  StageSpec spec;
  int replicas = 1;
  std::string label;  // "stage 1 (nodes [3,7) 'a'..'b' on reference)"
  // A tensor the stage does not produce but hands on: from its input slot (or the
  // frame's inputs) to its output slot, or a duplicate graph output.
  struct PassThrough {
    pipeline_detail::Ref from, to;
    size_t bytes;  // elements x dtype size
  };
  std::vector<PassThrough> pass_through;  // pass-through tensors, then duplicate graph outputs
  std::atomic<int64_t> frames{0}, compute_ns{0}, wait_in_ns{0}, wait_out_ns{0}, transfer_ns{0};
};

namespace pipeline_detail {
struct Event {
  uint64_t frame;
  int64_t t_start, t_input, t_output, t_compute, t_end;  // ns since create()
};
}  // namespace pipeline_detail

struct Pipeline::Worker {
  Stage* stage = nullptr;
  int replica = 0;
  Processor* processor = nullptr;
  std::unique_ptr<Executable> exe;
  std::vector<pipeline_detail::Ref> in_refs, out_refs;  // per exe->io() input / output
  std::vector<const float*> in_ptrs;
  std::vector<float*> out_ptrs;
  std::vector<pipeline_detail::Event> events;
  std::atomic<uint64_t> event_count{0};
  Status bind_status;
  std::thread thread;
};

}  // namespace tandem
