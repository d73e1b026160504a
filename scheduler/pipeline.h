// The pipelined runtime: a network cut into contiguous node ranges (stages),
// each compiled on its own processor and run by its own worker thread, with
// frames streaming through the stages like an assembly line.
//
// Data flow. Between stage i and stage i+1 sits a boundary holding every
// tensor produced before the cut and read after it (graph inputs included),
// so a skip connection that jumps over several stages is carried through each
// intermediate boundary (the stage in the middle copies it on). Each boundary
// has kSlotsPerReplica activation slots per replica (double buffering, the idea of
// ggml_backend_sched's n_copies/cur_copy): stage i fills slot f % n for frame
// f while stage i+1 reads the slot of frame f-1. Stage outputs are written by
// the Executable straight into the outgoing slot; only pass-through tensors
// are copied ("transfer" time). Stage 0 reads the caller's input vectors and
// the last stage writes the caller's output vectors directly.
//
// Slot hand-off is a mutex + condition variable per slot with a sequence
// number (slot k is writable for frame f when seq == 2f, readable when
// seq == 2f+1). A lock-free SPSC ring would still need a futex or spinning to
// block: stages run for milliseconds, a hand-off costs microseconds, and
// spinning would steal the very cores the stages compute on. Apart from that
// hand-off (and the completion hand-off to the caller), a worker's loop does
// not allocate or lock: pointer tables, slots and trace buffers are sized at
// create().
//
// Typical use:
//   std::vector<StageSpec> plan = {{cpu0, 0, 40}, {cpu1, 40, n}};
//   auto p = Pipeline::create(graph, plan);            // Expected<unique_ptr>
//   auto out = (*p)->run(inputs);                      // synchronous
//   auto t = (*p)->submit(inputs); ... (*p)->wait(*t); // streaming
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/processor.h"
#include "graph/graph.h"

namespace tandem {

// Activation slots per boundary per replica (double buffering).
constexpr int kSlotsPerReplica = 2;

// One stage of the pipeline (a step of the partitioner's Plan): nodes
// [first_node, last_node) of the graph's topological order, run by
// `processors` side by side. Each entry is one replica (a whole-stage copy),
// compiled for and pinned to that processor; frames go to the replicas
// round-robin and leave in submission order. An entry may repeat (several
// replicas on one processor). A single whole-graph stage on {cpu0, cpu1} is
// "parallel streams" (one whole-model copy per processor); see
// parallel_streams_plan().
struct StageSpec {
  StageSpec() = default;
  // {processor, first, last}: brace-initialisable without -Wextra's missing-initializer warning.
  StageSpec(Processor* p, int first, int last, int replicas = 1)
      : first_node(first),
        last_node(last),
        processors(static_cast<size_t>(replicas > 0 ? replicas : 0), p) {}
  StageSpec(std::vector<Processor*> ps, int first, int last)
      : first_node(first), last_node(last), processors(std::move(ps)) {}

  int first_node = 0;
  int last_node = 0;                   // exclusive
  std::vector<Processor*> processors;  // one per replica

  int replicas() const { return static_cast<int>(processors.size()); }
};

// A single stage covering the whole graph with one replica per processor.
std::vector<StageSpec> parallel_streams_plan(const Graph& g,
                                             const std::vector<Processor*>& processors);

struct PipelineOptions {
  // Most frames submitted and not yet completed; submit() blocks and
  // try_submit() answers kResourceExhausted beyond it. 0: the pipeline's own
  // capacity (every slot and every worker busy), see Pipeline::max_in_flight().
  int max_in_flight = 0;
  // Trace events kept per stage replica (the most recent ones); 0 disables.
  int trace_events = 4096;
  // Frame latencies kept for stats() (the most recent ones).
  int latency_window = 4096;
  // Call Processor::bind_current_thread() in each worker.
  bool pin_threads = true;
};

// Measured times of one stage, means over the frames it ran (all replicas),
// since create() or the last reset_stats().
struct StageStats {
  int stage = 0;
  std::string processor;  // spec of the (first) replica's processor
  int first_node = 0, last_node = 0, replicas = 1;
  int64_t frames = 0;
  double compute_ms = 0;      // Executable::run
  double wait_input_ms = 0;   // waiting for the previous stage, counted from the frame's submit
  double wait_output_ms = 0;  // waiting for a free slot in the next boundary
  double transfer_ms = 0;     // copying pass-through tensors into the next slot
};

struct PipelineStats {
  int64_t frames_completed = 0;  // including failed ones
  int64_t frames_failed = 0;
  // Completed frames per second between the first and last completion of the
  // window (0 with fewer than two completions).
  double fps = 0;
  double latency_ms_median = 0;  // submit to completion
  double latency_ms_mean = 0;
  std::vector<StageStats> stages;
};

class Pipeline {
 public:
  using Ticket = uint64_t;
  using Tensors = std::vector<std::vector<float>>;

  // Compiles every stage (and replica) on its processor and starts one worker
  // per replica. `g` must have shapes (shape inference done) and must outlive
  // the pipeline; the processors too. Stages must cover [0, nodes) in order
  // with non-empty contiguous ranges, each on at least one processor.
  // Errors name the stage and its range.
  static Expected<std::unique_ptr<Pipeline>> create(const Graph& g, std::vector<StageSpec> stages,
                                                    PipelineOptions options = {});
  // shutdown(): frames still in flight end with kCancelled.
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Queues one frame: `inputs` holds the graph inputs in g.inputs order, each
  // with exactly the tensor's element count (error names the tensor). Blocks
  // while max_in_flight() frames are in flight. Tickets increase by one per
  // accepted frame. kCancelled after shutdown().
  Expected<Ticket> submit(Tensors inputs);
  // As submit(), but answers kResourceExhausted instead of blocking when full
  // (or while another thread is submitting); `inputs` are taken only when the
  // frame is accepted, so the caller can retry with them.
  Expected<Ticket> try_submit(Tensors&& inputs);
  // Blocks until the frame is done and returns its outputs (g.outputs order)
  // or its error: a stage failure names the stage, its processor and node
  // range, and carries the processor's message (which names the node);
  // kCancelled when shut down first. Each ticket can be waited once.
  Expected<Tensors> wait(Ticket ticket);
  // True when wait(ticket) would not block; error for an unknown ticket.
  Expected<bool> poll(Ticket ticket) const;
  // submit + wait.
  Expected<Tensors> run(Tensors inputs);

  // Blocks until every submitted frame has completed (results stay waitable).
  void drain();
  // Stops the workers; frames in flight complete or end with kCancelled
  // (still waitable); later submits answer kCancelled. Idempotent.
  void shutdown();

  int num_stages() const { return static_cast<int>(stages_.size()); }
  int max_in_flight() const { return max_in_flight_; }
  // Frames submitted and not yet completed.
  int in_flight() const;
  // The tensors carried across boundary b (between stage b and b+1); empty
  // when b is not in [0, num_stages() - 1).
  const std::vector<int>& boundary_tensors(int b) const;

  PipelineStats stats() const;
  // Clears stage times, latencies and the FPS window (e.g. after warm-up);
  // call while no frame is in flight.
  void reset_stats();
  // Writes a Chrome / Perfetto trace (chrome://tracing, ui.perfetto.dev): one
  // track per stage replica, per frame: wait input, wait output, compute,
  // transfer. Call while no frame is in flight (after drain()).
  Status write_trace(const std::string& path) const;

  struct Stage;  // implementation details, in pipeline.cc
  struct Boundary;
  struct Frame;
  struct Worker;

 private:
  Pipeline() = default;
  Expected<Ticket> enqueue(Tensors& inputs, bool blocking);
  Status make_stages(const std::vector<StageSpec>& specs);
  Status start_workers();
  void worker_main(Worker& w);
  void worker_loop(Worker& w);
  void complete(Frame* frame, int64_t t_done_ns);
  int64_t now_ns() const;

  const Graph* graph_ = nullptr;
  PipelineOptions options_;
  std::vector<std::unique_ptr<Stage>> stages_;
  // boundaries_[0] feeds stage 0 (frames only), boundaries_[i] sits before stage i.
  std::vector<std::unique_ptr<Boundary>> boundaries_;
  std::vector<std::unique_ptr<Worker>> workers_;
  int max_in_flight_ = 0;
  std::atomic<bool> cancelled_{false};
  int64_t t_origin_ns_ = 0;

  std::mutex shutdown_mu_;  // makes shutdown() idempotent across threads
  bool joined_ = false;
  std::mutex submit_mu_;  // serialises submitters so tickets enter the ring in order
  uint64_t next_ticket_ = 0;

  mutable std::mutex mu_;  // frames_, in_flight_, completion, latency window
  std::condition_variable cv_;
  std::unordered_map<Ticket, std::unique_ptr<Frame>> frames_;
  int in_flight_ = 0;
  bool shut_down_ = false;
  int64_t completed_ = 0, failed_ = 0;
  int64_t window_first_done_ns_ = -1, window_last_done_ns_ = -1, window_count_ = 0;
  std::vector<double> latencies_ms_;
  int64_t latency_count_ = 0;
  int workers_started_ = 0;  // workers that finished binding (create() waits for all)
};

}  // namespace tandem
