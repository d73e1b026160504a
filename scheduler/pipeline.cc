#include "scheduler/pipeline.h"

#include "scheduler/pipeline_parts.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace tandem {

namespace {

// Slot buffers: page-aligned (4096-byte) tensors, so an OpenCL stage on a
// device that shares host memory can wrap them with CL_MEM_USE_HOST_PTR and
// use them in place (PoCL needs 128 bytes, Intel's driver 4096); 64 bytes of
// tail padding at the end for kernels that over-read (XNNPACK reads up to
// XNN_EXTRA_BYTES past the end).
constexpr size_t kAlignBytes = 4096;
constexpr size_t kAlignFloats = kAlignBytes / sizeof(float);

size_t round_up_floats(size_t n) {
  return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
}

}  // namespace

using namespace pipeline_detail;

namespace {

// Waits until the slot's sequence reaches `target`; false when cancelled.
bool slot_wait(Slot& s, uint64_t target, const std::atomic<bool>& cancelled,
               Pipeline::Frame** frame = nullptr) {
  std::unique_lock<std::mutex> lk(s.mu);
  s.cv.wait(lk, [&] { return s.seq == target || cancelled.load(std::memory_order_acquire); });
  if (cancelled.load(std::memory_order_acquire)) return false;
  if (frame) *frame = s.frame;
  return true;
}

void slot_set(Slot& s, uint64_t seq, Pipeline::Frame* frame) {
  {
    std::lock_guard<std::mutex> lk(s.mu);
    s.seq = seq;
    s.frame = frame;
  }
  s.cv.notify_all();
}

}  // namespace

std::vector<StageSpec> parallel_streams_plan(const Graph& g,
                                             const std::vector<Processor*>& processors) {
  return {StageSpec(processors, 0, static_cast<int>(g.nodes.size()))};
}

int64_t Pipeline::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
             .count() -
         t_origin_ns_;
}

namespace {

// Stages contiguous from node 0 to the end, each with its processors.
Status check_stages(int n_nodes, const std::vector<StageSpec>& specs) {
  for (size_t i = 0; i < specs.size(); ++i) {
    const StageSpec& s = specs[i];
    std::string name = "pipeline stage " + std::to_string(i) + " (nodes [" +
                       std::to_string(s.first_node) + "," + std::to_string(s.last_node) + "))";
    int expected_first = i == 0 ? 0 : specs[i - 1].last_node;
    if (s.first_node != expected_first)
      return invalid_argument(name + ": must start at node " + std::to_string(expected_first) +
                              " (stages are contiguous and start at 0)");
    if (s.last_node <= s.first_node || s.last_node > n_nodes)
      return invalid_argument(name + ": empty or beyond the graph's " + std::to_string(n_nodes) +
                              " nodes");
    if (s.processors.empty()) return invalid_argument(name + ": no processor");
    for (Processor* p : s.processors)
      if (!p) return invalid_argument(name + ": null processor");
  }
  if (specs.back().last_node != n_nodes)
    return invalid_argument("pipeline: the last stage ends at node " +
                            std::to_string(specs.back().last_node) + " but the graph has " +
                            std::to_string(n_nodes) + " nodes");
  return Status();
}

// A tensor a slot or the caller's vectors hold: float32 with a known shape; a
// slot between stages also carries int8 (its bytes: a quarter of float's).
Status check_carried_tensor(const Graph& g, int t, const char* what, bool int8_ok = false) {
  if (!g.valid_tensor(t))
    return invalid_model(std::string("pipeline: ") + what + " id out of range");
  const Tensor& tt = g.tensor(t);
  if (tt.dtype != DType::kFloat32 && !(int8_ok && tt.dtype == DType::kInt8))
    return unsupported(std::string("pipeline: ") + what + " '" + tt.name + "' is " +
                       dtype_name(tt.dtype) +
                       "; only float32 and int8 cross stage boundaries, "
                       "float32 in and out of the model");
  if (shape_elements(tt.shape) < 0)
    return invalid_model(std::string("pipeline: ") + what + " '" + tt.name +
                         "' has an unknown shape (run shape inference first)");
  return Status();
}

size_t carried_bytes(const Graph& g, int t) {
  return static_cast<size_t>(shape_elements(g.tensor(t).shape)) * dtype_size(g.tensor(t).dtype);
}

Status check_graph_io(const Graph& g) {
  for (int t : g.inputs) TANDEM_RETURN_IF_ERROR(check_carried_tensor(g, t, "graph input"));
  for (int t : g.outputs) {
    TANDEM_RETURN_IF_ERROR(check_carried_tensor(g, t, "graph output"));
    if (g.tensor(t).is_constant())
      return unsupported("pipeline: graph output '" + g.tensor(t).name + "' is a constant");
  }
  return Status();
}

// The boundary before stage i: the tensors crossing its cut (none for the submit
// ring, i = 0), in kSlotsPerReplica slots per replica of the wider side.
Expected<std::unique_ptr<Pipeline::Boundary>> make_boundary(const Graph& g,
                                                            const std::vector<StageSpec>& specs,
                                                            size_t i) {
  auto b = std::make_unique<Pipeline::Boundary>();
  const int replicas =
      i == 0 ? specs[0].replicas() : std::max(specs[i - 1].replicas(), specs[i].replicas());
  if (i > 0) {
    b->tensors = tensors_crossing(g, specs[i].first_node);
    for (int t : b->tensors)
      TANDEM_RETURN_IF_ERROR(check_carried_tensor(g, t, "tensor crossing a stage cut", true));
  }
  std::vector<size_t> offsets;
  size_t total = 0;
  for (int t : b->tensors) {
    offsets.push_back(total);
    total += round_up_floats((carried_bytes(g, t) + sizeof(float) - 1) / sizeof(float));
  }
  for (int k = 0; k < kSlotsPerReplica * replicas; ++k) {
    auto s = std::make_unique<Slot>();
    s->seq = 2 * static_cast<uint64_t>(k);
    if (!b->tensors.empty()) {
      s->storage.assign(total + kAlignFloats + 16, 0.0f);
      float* base = s->storage.data();
      auto addr = reinterpret_cast<uintptr_t>(base);
      base += ((kAlignBytes - addr % kAlignBytes) % kAlignBytes) / sizeof(float);
      for (size_t j = 0; j < b->tensors.size(); ++j) s->tensors.push_back(base + offsets[j]);
    }
    b->slots.push_back(std::move(s));
  }
  return b;
}

// Where stage `stage` finds tensors coming in and puts tensors going out.
struct StageRefs {
  const Graph& g;
  const std::vector<std::unique_ptr<Pipeline::Boundary>>& boundaries;
  int stage;
  bool last;

  bool in(int t, Ref* r) const {
    if (stage == 0) {
      auto it = std::find(g.inputs.begin(), g.inputs.end(), t);
      if (it == g.inputs.end()) return false;
      *r = {Where::kFrameInput, static_cast<int>(it - g.inputs.begin())};
      return true;
    }
    const auto& ts = boundaries[static_cast<size_t>(stage)]->tensors;
    auto it = std::find(ts.begin(), ts.end(), t);
    if (it == ts.end()) return false;
    *r = {Where::kInSlot, static_cast<int>(it - ts.begin())};
    return true;
  }
  // Graph outputs after the last stage, else the next boundary's tensors.
  const std::vector<int>& outgoing() const {
    return last ? g.outputs : boundaries[static_cast<size_t>(stage + 1)]->tensors;
  }
  bool out(int t, Ref* r) const {
    const auto& ts = outgoing();
    auto it = std::find(ts.begin(), ts.end(), t);
    if (it == ts.end()) return false;
    *r = {last ? Where::kFrameOutput : Where::kOutSlot, static_cast<int>(it - ts.begin())};
    return true;
  }
};

// Out-going tensors the stage does not produce are passed through, then
// duplicate graph outputs copied from their first position.
Status add_pass_through(const StageRefs& refs, const StageSpec& spec,
                        const std::vector<int>& producer, Pipeline::Stage& st) {
  const Graph& g = refs.g;
  const std::vector<int>& out_tensors = refs.outgoing();
  for (size_t j = 0; j < out_tensors.size(); ++j) {
    const int t = out_tensors[j];
    const auto before = out_tensors.begin() + static_cast<long>(j);
    if (refs.last && std::find(out_tensors.begin(), before, t) != before)
      continue;  // duplicate graph output: handled below
    const int prod = producer[static_cast<size_t>(t)];
    if (prod >= spec.first_node && prod < spec.last_node) continue;  // written by the executable
    Pipeline::Stage::PassThrough c;
    if (!refs.in(t, &c.from))
      return internal_error("pipeline " + st.label + ": tensor '" + g.tensor(t).name +
                            "' must be passed on but does not reach the stage");
    c.to = {refs.last ? Where::kFrameOutput : Where::kOutSlot, static_cast<int>(j)};
    c.bytes = carried_bytes(g, t);
    st.pass_through.push_back(c);
  }
  if (!refs.last) return Status();
  for (size_t j = 0; j < g.outputs.size(); ++j) {
    auto first = std::find(g.outputs.begin(), g.outputs.end(), g.outputs[j]);
    if (first - g.outputs.begin() == static_cast<long>(j)) continue;
    st.pass_through.push_back({{Where::kFrameOutput, static_cast<int>(first - g.outputs.begin())},
                               {Where::kFrameOutput, static_cast<int>(j)},
                               carried_bytes(g, g.outputs[j])});
  }
  return Status();
}

std::string tensor_label(const Graph& g, int t) {
  return g.valid_tensor(t) ? g.tensor(t).name : std::to_string(t);
}

// Replica r of the stage: its executable, compiled on its processor, and where
// each of the executable's inputs and outputs lives.
Expected<std::unique_ptr<Pipeline::Worker>> make_worker(const StageRefs& refs,
                                                        const StageSpec& spec,
                                                        const std::vector<int>& producer,
                                                        Pipeline::Stage* st, int r,
                                                        const PipelineOptions& options) {
  const Graph& g = refs.g;
  auto w = std::make_unique<Pipeline::Worker>();
  w->stage = st;
  w->replica = r;
  w->processor = spec.processors[size_t(r)];
  const std::string where =
      "pipeline " + st->label + " replica " + std::to_string(r) + " on " + w->processor->spec();
  auto exe = w->processor->compile(g, spec.first_node, spec.last_node);
  if (!exe.ok()) return exe.status().with_context(where);
  w->exe = std::move(exe).value();
  const RangeIO& io = w->exe->io();
  for (int t : io.inputs) {
    Ref ref{};
    if (!g.valid_tensor(t) || !refs.in(t, &ref))
      return internal_error(where + ": the executable reads tensor '" + tensor_label(g, t) +
                            "' which does not cross into the stage");
    w->in_refs.push_back(ref);
  }
  for (int t : io.outputs) {
    Ref ref{};
    if (!g.valid_tensor(t) || !refs.out(t, &ref))
      return internal_error(where + ": the executable writes tensor '" + tensor_label(g, t) +
                            "' which is not read after the stage");
    w->out_refs.push_back(ref);
  }
  for (int t : refs.outgoing()) {
    const int prod = producer[static_cast<size_t>(t)];
    if (prod < spec.first_node || prod >= spec.last_node) continue;
    if (std::find(io.outputs.begin(), io.outputs.end(), t) == io.outputs.end())
      return internal_error(where + ": the executable does not output tensor '" + g.tensor(t).name +
                            "' which later stages need");
  }
  w->in_ptrs.assign(w->in_refs.size(), nullptr);
  w->out_ptrs.assign(w->out_refs.size(), nullptr);
  w->events.resize(static_cast<size_t>(std::max(0, options.trace_events)));
  return w;
}

}  // namespace

Expected<std::unique_ptr<Pipeline>> Pipeline::create(const Graph& g, std::vector<StageSpec> specs,
                                                     PipelineOptions options) {
  const int n_nodes = static_cast<int>(g.nodes.size());
  if (n_nodes == 0) return invalid_argument("pipeline: the graph has no nodes");
  if (specs.empty()) return invalid_argument("pipeline: no stages given");
  TANDEM_RETURN_IF_ERROR(check_stages(n_nodes, specs));
  TANDEM_RETURN_IF_ERROR(check_graph_io(g));

  std::unique_ptr<Pipeline> p(new Pipeline());
  p->graph_ = &g;
  p->options_ = options;
  p->t_origin_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
  // Boundaries: [0] is the submit ring (frames only); [i] sits before stage i.
  for (size_t i = 0; i < specs.size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Boundary> b, make_boundary(g, specs, i));
    p->boundaries_.push_back(std::move(b));
  }
  TANDEM_RETURN_IF_ERROR(p->make_stages(specs));
  p->latencies_ms_.assign(static_cast<size_t>(std::max(1, options.latency_window)), 0.0);
  TANDEM_RETURN_IF_ERROR(p->start_workers());
  return p;
}

Status Pipeline::make_stages(const std::vector<StageSpec>& specs) {
  const Graph& g = *graph_;
  const std::vector<int> producer = tensor_producers(g);
  const int n_stages = static_cast<int>(specs.size());
  int capacity = 0;
  for (int i = 0; i < n_stages; ++i) {
    const StageSpec& spec = specs[static_cast<size_t>(i)];
    auto st = std::make_unique<Stage>();
    st->index = i;
    st->spec = spec;
    st->replicas = spec.replicas();
    st->label = "stage " + std::to_string(i) + " (" +
                node_range_text(g, spec.first_node, spec.last_node) + " on " +
                spec.processors[0]->spec() + ")";
    const StageRefs refs{g, boundaries_, i, i == n_stages - 1};
    TANDEM_RETURN_IF_ERROR(add_pass_through(refs, spec, producer, *st));
    for (int r = 0; r < spec.replicas(); ++r) {
      TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Worker> w,
                              make_worker(refs, spec, producer, st.get(), r, options_));
      workers_.push_back(std::move(w));
    }
    capacity += spec.replicas() + static_cast<int>(boundaries_[static_cast<size_t>(i)]->size());
    stages_.push_back(std::move(st));
  }
  max_in_flight_ = options_.max_in_flight > 0 ? options_.max_in_flight : capacity;
  return Status();
}

// Starts the workers; each pins itself first, and a failed pin is the error.
Status Pipeline::start_workers() {
  for (auto& w : workers_) {
    Worker* wp = w.get();
    w->thread = std::thread([this, wp] { worker_main(*wp); });
  }
  {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return workers_started_ == static_cast<int>(workers_.size()); });
  }
  for (auto& w : workers_)
    if (!w->bind_status.ok())
      return w->bind_status.with_context("pipeline " + w->stage->label + " replica " +
                                         std::to_string(w->replica) +
                                         ": pinning the worker thread");
  return Status();
}

Pipeline::~Pipeline() {
  shutdown();
}

void Pipeline::worker_main(Worker& w) {
  Status st = options_.pin_threads ? w.processor->bind_current_thread() : Status();
  {
    std::lock_guard<std::mutex> lk(mu_);
    w.bind_status = st;
    ++workers_started_;
  }
  cv_.notify_all();
  if (st.ok()) worker_loop(w);
}

void Pipeline::worker_loop(Worker& w) {
  Stage& st = *w.stage;
  Boundary& in = *boundaries_[static_cast<size_t>(st.index)];
  const bool last = st.index == num_stages() - 1;
  Boundary* out = last ? nullptr : boundaries_[static_cast<size_t>(st.index + 1)].get();
  for (uint64_t f = static_cast<uint64_t>(w.replica);; f += static_cast<uint64_t>(st.replicas)) {
    int64_t t_start = now_ns();
    Slot& is = in.slot(f);
    Frame* frame = nullptr;
    if (!slot_wait(is, 2 * f + 1, cancelled_, &frame)) return;
    // Time before the frame was submitted is the caller's idleness, not the pipeline's.
    t_start = std::max(t_start, frame->t_submit_ns);
    // The ring slot carries only the frame pointer: free it for the next submit at once.
    if (st.index == 0) slot_set(is, 2 * (f + in.size()), nullptr);
    const int64_t t_input = now_ns();
    Slot* os = out ? &out->slot(f) : nullptr;
    if (os && !slot_wait(*os, 2 * f, cancelled_)) return;
    const int64_t t_output = now_ns();
    int64_t t_compute = t_output;
    if (frame->status.ok()) {
      auto resolve = [&](const Ref& r) -> float* {
        switch (r.where) {
          case Where::kFrameInput:
            return frame->inputs[static_cast<size_t>(r.index)].data();
          case Where::kFrameOutput:
            return frame->outputs[static_cast<size_t>(r.index)].data();
          case Where::kInSlot:
            return is.tensors[static_cast<size_t>(r.index)];
          case Where::kOutSlot:
            return os->tensors[static_cast<size_t>(r.index)];
        }
        return nullptr;
      };
      for (size_t k = 0; k < w.in_refs.size(); ++k) w.in_ptrs[k] = resolve(w.in_refs[k]);
      for (size_t k = 0; k < w.out_refs.size(); ++k) w.out_ptrs[k] = resolve(w.out_refs[k]);
      Status s = w.exe->run(w.in_ptrs.data(), w.out_ptrs.data());
      t_compute = now_ns();
      if (!s.ok()) {
        frame->status = Status(s.code(), "frame " + std::to_string(frame->ticket) + ": " +
                                             st.label + " failed: " + s.message());
      } else {
        for (const Stage::PassThrough& c : st.pass_through)
          std::memcpy(resolve(c.to), resolve(c.from), c.bytes);
      }
    }
    const int64_t t_end = now_ns();
    st.frames.fetch_add(1, std::memory_order_relaxed);
    st.wait_in_ns.fetch_add(t_input - t_start, std::memory_order_relaxed);
    st.wait_out_ns.fetch_add(t_output - t_input, std::memory_order_relaxed);
    st.compute_ns.fetch_add(t_compute - t_output, std::memory_order_relaxed);
    st.transfer_ns.fetch_add(t_end - t_compute, std::memory_order_relaxed);
    if (!w.events.empty()) {
      uint64_t n = w.event_count.load(std::memory_order_relaxed);
      w.events[n % w.events.size()] = {f, t_start, t_input, t_output, t_compute, t_end};
      w.event_count.store(n + 1, std::memory_order_release);
    }
    if (st.index > 0) slot_set(is, 2 * (f + in.size()), nullptr);
    if (os)
      slot_set(*os, 2 * f + 1, frame);
    else
      complete(frame, t_end);
  }
}

void Pipeline::complete(Frame* frame, int64_t t_done_ns) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    frame->done = true;
    --in_flight_;
    ++completed_;
    if (!frame->status.ok()) ++failed_;
    if (window_first_done_ns_ < 0) window_first_done_ns_ = t_done_ns;
    window_last_done_ns_ = t_done_ns;
    ++window_count_;
    latencies_ms_[static_cast<size_t>(latency_count_) % latencies_ms_.size()] =
        static_cast<double>(t_done_ns - frame->t_submit_ns) * 1e-6;
    ++latency_count_;
  }
  cv_.notify_all();
}

Expected<Pipeline::Ticket> Pipeline::submit(Tensors inputs) {
  return enqueue(inputs, true);
}
Expected<Pipeline::Ticket> Pipeline::try_submit(Tensors&& inputs) {
  return enqueue(inputs, false);
}

Expected<Pipeline::Ticket> Pipeline::enqueue(Tensors& inputs, bool blocking) {
  const Graph& g = *graph_;
  if (inputs.size() != g.inputs.size())
    return invalid_argument("pipeline: got " + std::to_string(inputs.size()) +
                            " inputs, the graph has " + std::to_string(g.inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = g.tensor(g.inputs[i]);
    auto n = static_cast<size_t>(shape_elements(t.shape));
    if (inputs[i].size() != n)
      return invalid_argument("pipeline: input '" + t.name + "' (#" + std::to_string(i) +
                              ", shape " + shape_to_string(t.shape) + ") needs " +
                              std::to_string(n) + " floats, got " +
                              std::to_string(inputs[i].size()));
  }
  auto frame = std::make_unique<Frame>();
  frame->outputs.resize(g.outputs.size());
  for (size_t j = 0; j < g.outputs.size(); ++j)
    frame->outputs[j].assign(static_cast<size_t>(shape_elements(g.tensor(g.outputs[j]).shape)),
                             0.0f);

  std::unique_lock<std::mutex> submit_lock(submit_mu_, std::defer_lock);
  if (blocking) {
    submit_lock.lock();
  } else if (!submit_lock.try_lock()) {
    return resource_exhausted("pipeline: another submit is in progress, try again later");
  }
  const Ticket ticket = next_ticket_;
  Slot& ring_slot = boundaries_[0]->slot(ticket);
  Frame* fp = frame.get();
  {
    std::unique_lock<std::mutex> lk(mu_);
    if (shut_down_)
      return Status(StatusCode::kCancelled, "pipeline: shut down, frame not accepted");
    if (blocking) {
      cv_.wait(lk, [&] { return shut_down_ || in_flight_ < max_in_flight_; });
      if (shut_down_)
        return Status(StatusCode::kCancelled, "pipeline: shut down, frame not accepted");
    } else {
      bool ring_free;
      {
        std::lock_guard<std::mutex> sl(ring_slot.mu);
        ring_free = ring_slot.seq == 2 * ticket;
      }
      // Only this submitter fills the ring, so both stay true until we do.
      if (in_flight_ >= max_in_flight_ || !ring_free)
        return resource_exhausted("pipeline: full (" + std::to_string(in_flight_) +
                                  " frames in flight), try again later");
    }
    frame->inputs = std::move(inputs);  // only now: a refused try_submit leaves them to the caller
    frame->ticket = ticket;
    frame->t_submit_ns = now_ns();
    frames_.emplace(ticket, std::move(frame));
    ++in_flight_;
    ++next_ticket_;
  }
  // A cancelled wait leaves the frame to shutdown(), which marks it kCancelled.
  if (slot_wait(ring_slot, 2 * ticket, cancelled_)) slot_set(ring_slot, 2 * ticket + 1, fp);
  return ticket;
}

Expected<Pipeline::Tensors> Pipeline::wait(Ticket ticket) {
  std::unique_lock<std::mutex> lk(mu_);
  auto it = frames_.find(ticket);
  if (it == frames_.end())
    return not_found("pipeline: ticket " + std::to_string(ticket) +
                     " is unknown or already collected");
  cv_.wait(lk, [&] {
    it = frames_.find(ticket);
    return it == frames_.end() || it->second->done;
  });
  if (it == frames_.end())
    return not_found("pipeline: ticket " + std::to_string(ticket) +
                     " was collected by another wait");
  std::unique_ptr<Frame> frame = std::move(it->second);
  frames_.erase(it);
  lk.unlock();
  if (!frame->status.ok()) return frame->status;
  return std::move(frame->outputs);
}

Expected<bool> Pipeline::poll(Ticket ticket) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = frames_.find(ticket);
  if (it == frames_.end())
    return not_found("pipeline: ticket " + std::to_string(ticket) +
                     " is unknown or already collected");
  return it->second->done;
}

Expected<Pipeline::Tensors> Pipeline::run(Tensors inputs) {
  TANDEM_ASSIGN_OR_RETURN(Ticket t, submit(std::move(inputs)));
  return wait(t);
}

void Pipeline::drain() {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [&] { return in_flight_ == 0; });
}

void Pipeline::shutdown() {
  std::lock_guard<std::mutex> guard(shutdown_mu_);
  if (joined_) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    shut_down_ = true;
  }
  cv_.notify_all();
  cancelled_.store(true, std::memory_order_release);
  // Taking each slot's lock before notifying means no waiter misses the flag.
  for (auto& b : boundaries_)
    for (auto& s : b->slots) {
      { std::lock_guard<std::mutex> sl(s->mu); }
      s->cv.notify_all();
    }
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& [ticket, frame] : frames_) {
      if (frame->done) continue;
      frame->done = true;
      frame->status = Status(StatusCode::kCancelled, "pipeline: frame " + std::to_string(ticket) +
                                                         " cancelled by shutdown while in flight");
      --in_flight_;
    }
  }
  cv_.notify_all();
  joined_ = true;
}

int Pipeline::in_flight() const {
  std::lock_guard<std::mutex> lk(mu_);
  return in_flight_;
}

const std::vector<int>& Pipeline::boundary_tensors(int b) const {
  static const std::vector<int> kNone;
  if (b < 0 || b + 1 >= static_cast<int>(boundaries_.size())) return kNone;
  return boundaries_[static_cast<size_t>(b + 1)]->tensors;
}

}  // namespace tandem
