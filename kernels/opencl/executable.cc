#include "kernels/opencl/executable.h"

#include <cstring>
#include <ctime>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>

#include "kernels/opencl/buffer_plan.h"
#include "kernels/opencl/half.h"
#include "kernels/opencl/op.h"
#include "kernels/reference/reference_kernels.h"

namespace tandem::ocl {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return 1e3 * double(ts.tv_sec) + 1e-6 * double(ts.tv_nsec);
}

// A node without an OpenCL kernel: inputs downloaded, reference kernel on the
// host, outputs uploaded. Host staging is sized at compile time.
struct FallbackStep {
  std::vector<std::vector<float>> inputs;   // per node input; empty for constants/absent
  std::vector<std::vector<float>> outputs;  // per node output
};

struct Step {
  int node = 0;
  std::unique_ptr<Op> op;                  // native
  std::unique_ptr<FallbackStep> fallback;  // else reference
};

class OpenCLExecutable final : public Executable, private OpContext {
 public:
  OpenCLExecutable(std::shared_ptr<DeviceContext> device, std::shared_ptr<ProgramCache> programs,
                   CompileOptions options, const Graph& g, int first, int last)
      : device_(std::move(device)),
        programs_(std::move(programs)),
        options_(std::move(options)),
        g_(g),
        first_(first),
        last_(last),
        io_(range_io(g, first, last)),
        es_(device_->fp16 ? 2 : 4) {}

  Status compile();
  Status run(const float* const* inputs, float* const* outputs, const RunOptions& options) override;
  const RangeIO& io() const override { return io_; }
  std::vector<std::string> fallback_nodes() const override { return fallback_names_; }
  const OpenCLRangeStats& stats() const { return stats_; }

 private:
  // OpContext
  const Graph& graph() const override { return g_; }
  const DeviceContext& device() const override { return *device_; }
  Expected<KernelHandle> kernel(const std::string& program, const std::string& name) override;
  Expected<DeviceTensor> tensor(int id) override;
  Expected<DeviceTensor> upload(const std::string& name, const std::vector<float>& values) override;
  Expected<DeviceTensor> upload_ints(const std::string& name,
                                     const std::vector<int32_t>& values) override;
  const std::string& gemm_backend() const override { return options_.gemm_backend; }

  // `raw`: copy the bytes of `init` as they are (no fp16 conversion).
  Expected<MemHandle> create_buffer(const std::string& what, size_t bytes, const float* init,
                                    bool raw = false);
  Status write(int tensor, const float* src, std::vector<uint16_t>* staging, bool blocking);
  Status read(int tensor, float* dst, std::vector<uint16_t>* staging, bool blocking);
  Status run_fallback(const Step& s);
  Status create_ops();
  Status choose_mapped();
  cl_mem resolve(cl_mem m) const;
  Status bind_output(size_t i, float* dst, bool* wrapped);
  Status hand_in(size_t i, const float* src);
  Status hand_out(size_t i, float* dst, bool wrapped);

  std::shared_ptr<DeviceContext> device_;
  std::shared_ptr<ProgramCache> programs_;
  CompileOptions options_;
  const Graph& g_;
  int first_, last_;
  RangeIO io_;
  size_t es_;
  BufferPlan plan_;
  MemHandle arena_;
  std::map<int, MemHandle> constants_;
  std::vector<MemHandle> derived_;
  std::vector<Step> steps_;
  std::vector<std::string> fallback_names_;
  std::vector<std::vector<uint16_t>> in_half_, out_half_;  // fp16 boundary staging
  std::vector<uint16_t> scratch_half_;                     // fp16 fallback staging
  OpenCLRangeStats stats_;
  // Boundary tensors handed over by map (handover=map); per io_ input/output
  // the index into mapped_, or -1 for a copy.
  std::vector<MappedBoundary> mapped_;
  std::vector<int> mapped_in_, mapped_out_;
  std::unique_ptr<HostBufferCache> host_buffers_;
  std::vector<char> out_wrapped_;  // per output, this run
};

// True when every use of boundary tensor `t` in the range is a kernel argument
// set once at compile time, so the buffer can be swapped per run: not an
// alias (Reshape/Flatten/Identity), not a Concat/Split slice, not in and out.
bool mappable_boundary(const Graph& g, int first, int last, const RangeIO& io, int t) {
  const bool in = std::find(io.inputs.begin(), io.inputs.end(), t) != io.inputs.end();
  const bool out = std::find(io.outputs.begin(), io.outputs.end(), t) != io.outputs.end();
  if (in && out) return false;
  for (int i = first; i < last; ++i) {
    const Node& n = g.nodes[size_t(i)];
    const bool touches = std::find(n.inputs.begin(), n.inputs.end(), t) != n.inputs.end() ||
                         std::find(n.outputs.begin(), n.outputs.end(), t) != n.outputs.end();
    if (touches && (is_alias_node(g, n) || n.op == OpType::kConcat || n.op == OpType::kSplit))
      return false;
  }
  return true;
}

Expected<KernelHandle> OpenCLExecutable::kernel(const std::string& program,
                                                const std::string& name) {
  TANDEM_ASSIGN_OR_RETURN(cl_program p, programs_->get(program));
  cl_int err = CL_SUCCESS;
  KernelHandle k(clCreateKernel(p, name.c_str(), &err));
  if (err != CL_SUCCESS) return cl_status(err, "clCreateKernel " + program + ".cl:" + name);
  return k;
}

Expected<MemHandle> OpenCLExecutable::create_buffer(const std::string& what, size_t bytes,
                                                    const float* init, bool raw) {
  if (bytes > device_->info.max_alloc_bytes && device_->info.max_alloc_bytes > 0)
    return resource_exhausted(what + " needs " + std::to_string(bytes) +
                              " bytes, more than device '" + device_->info.name +
                              "' allows in one buffer (" +
                              std::to_string(device_->info.max_alloc_bytes) + ")");
  std::vector<uint16_t> halves;
  const void* host = init;
  if (init && device_->fp16 && !raw) {
    halves.resize(bytes / 2);
    floats_to_halves(init, halves.data(), halves.size());
    host = halves.data();
  }
  // Buffers are at least 64 bytes; COPY_HOST_PTR then reads that much, so pad small inits.
  const size_t alloc = std::max<size_t>(bytes, 64);
  std::vector<unsigned char> padded;
  if (host && bytes < alloc) {
    padded.assign(alloc, 0);
    std::memcpy(padded.data(), host, bytes);
    host = padded.data();
  }
  cl_int err = CL_SUCCESS;
  cl_mem_flags flags = init ? (CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR) : CL_MEM_READ_WRITE;
  MemHandle m(clCreateBuffer(device_->context.get(), flags, alloc,
                             init ? const_cast<void*>(host) : nullptr, &err));
  if (err != CL_SUCCESS)
    return cl_status(err, "allocating " + what + " (" + std::to_string(bytes) + " bytes)");
  return m;
}

Expected<DeviceTensor> OpenCLExecutable::tensor(int id) {
  if (!g_.valid_tensor(id))
    return internal_error("tensor id " + std::to_string(id) + " out of range");
  const Tensor& t = g_.tensor(id);
  if (t.is_constant()) {
    auto it = constants_.find(id);
    if (it == constants_.end()) {
      if (t.dtype != DType::kFloat32)
        return unsupported("constant '" + t.name + "' is not float32");
      const size_t n = t.data->bytes / sizeof(float);
      TANDEM_ASSIGN_OR_RETURN(MemHandle m,
                              create_buffer("weights '" + t.name + "'", n * es_, t.data->f32()));
      stats_.weight_bytes += n * es_;
      it = constants_.emplace(id, std::move(m)).first;
    }
    return DeviceTensor{it->second.get(), 0};
  }
  for (const MappedBoundary& b : mapped_)
    if (b.tensor == id) return DeviceTensor{b.proxy.get(), 0};
  const TensorPlace& p = plan_.place[size_t(id)];
  if (p.group < 0)
    return internal_error("tensor '" + t.name + "' has no place in the OpenCL range's buffer plan");
  return DeviceTensor{arena_.get(),
                      static_cast<int>(plan_.group_offset_bytes[size_t(p.group)] / es_ + p.offset)};
}

Expected<DeviceTensor> OpenCLExecutable::upload(const std::string& name,
                                                const std::vector<float>& values) {
  TANDEM_ASSIGN_OR_RETURN(
      MemHandle m, create_buffer("weights '" + name + "'", values.size() * es_, values.data()));
  stats_.weight_bytes += values.size() * es_;
  derived_.push_back(std::move(m));
  return DeviceTensor{derived_.back().get(), 0};
}

Expected<DeviceTensor> OpenCLExecutable::upload_ints(const std::string& name,
                                                     const std::vector<int32_t>& values) {
  const size_t bytes = values.size() * sizeof(int32_t);
  TANDEM_ASSIGN_OR_RETURN(MemHandle m,
                          create_buffer("table '" + name + "'", bytes,
                                        reinterpret_cast<const float*>(values.data()), true));
  stats_.weight_bytes += bytes;
  derived_.push_back(std::move(m));
  return DeviceTensor{derived_.back().get(), 0};
}

Status OpenCLExecutable::compile() {
  auto t0 = Clock::now();
  const ProgramCacheStats before = programs_->stats();
  for (int t : io_.inputs)
    if (g_.tensor(t).dtype != DType::kFloat32)
      return unsupported("opencl: range input '" + g_.tensor(t).name + "' is not float32");
  plan_ = plan_device_buffers(g_, first_, last_, io_, es_);
  stats_.in_place_concat_inputs = plan_.in_place_concat_inputs;
  stats_.arena_bytes = plan_.arena_bytes;
  TANDEM_ASSIGN_OR_RETURN(arena_,
                          create_buffer("the activation buffer", plan_.arena_bytes, nullptr));
  TANDEM_RETURN_IF_ERROR(choose_mapped());
  {
    std::vector<cl_mem> proxies;
    for (const MappedBoundary& b : mapped_) proxies.push_back(b.proxy.get());
    ArgRecorder recorder(std::move(proxies));
    TANDEM_RETURN_IF_ERROR(create_ops());
    std::vector<std::vector<ArgRecorder::Use>> uses = recorder.take_uses();
    for (size_t p = 0; p < mapped_.size(); ++p) {
      mapped_[p].uses = std::move(uses[p]);
      mapped_[p].bound = mapped_[p].proxy.get();
    }
  }
  // A proxy no kernel argument names (only fallback nodes use it) keeps the
  // copy: it stays the tensor's storage, written and read like the arena.
  for (int& p : mapped_in_)
    if (p >= 0 && mapped_[size_t(p)].uses.empty()) p = -1;
  for (int& p : mapped_out_)
    if (p >= 0 && mapped_[size_t(p)].uses.empty()) p = -1;
  if (device_->fp16) {
    for (int t : io_.inputs) in_half_.emplace_back(size_t(shape_elements(g_.tensor(t).shape)));
    for (int t : io_.outputs) out_half_.emplace_back(size_t(shape_elements(g_.tensor(t).shape)));
  }
  const ProgramCacheStats after = programs_->stats();
  stats_.programs_built = after.built_from_source - before.built_from_source;
  stats_.programs_from_disk = after.loaded_from_disk - before.loaded_from_disk;
  stats_.compile_ms = ms_since(t0);
  return Status();
}

Status OpenCLExecutable::create_ops() {
  for (int i = first_; i < last_; ++i) {
    const Node& n = g_.nodes[size_t(i)];
    Step s;
    s.node = i;
    if (is_alias_node(g_, n)) {
      ++stats_.alias_nodes;
      steps_.push_back(std::move(s));
      continue;
    }
    if (OpFactory f = op_factory(n.op)) {
      auto op = f(*this, n);
      if (!op.ok()) return op.status().with_context("opencl: node '" + n.name + "'");
      s.op = std::move(op).value();
    }
    if (s.op) {
      ++stats_.native_nodes;
    } else {
      if (!reference_kernel(n.op))
        return unsupported("opencl: node '" + n.name + "' (" + std::string(op_name(n.op)) +
                           ") has neither an OpenCL nor a reference kernel");
      s.fallback = std::make_unique<FallbackStep>();
      for (int t : n.inputs) {
        const bool on_device = t >= 0 && !g_.tensor(t).is_constant();
        s.fallback->inputs.emplace_back(on_device ? size_t(shape_elements(g_.tensor(t).shape)) : 0);
      }
      for (int t : n.outputs)
        s.fallback->outputs.emplace_back(
            size_t(std::max<int64_t>(shape_elements(g_.tensor(t).shape), 1)));
      fallback_names_.push_back(n.name);
      ++stats_.fallback_nodes;
    }
    steps_.push_back(std::move(s));
  }
  return Status();
}

// Under handover=map (fp32, own GEMM kernels), each mappable boundary tensor gets its own
// proxy buffer; the ops created next name it, and run() swaps in the wrapper
// of the caller's memory.
Status OpenCLExecutable::choose_mapped() {
  mapped_in_.assign(io_.inputs.size(), -1);
  mapped_out_.assign(io_.outputs.size(), -1);
  out_wrapped_.assign(io_.outputs.size(), 0);
  // CLBlast takes buffers per call, not as arguments set once: it keeps copies.
  if (options_.handover != Handover::kMap || device_->fp16 || options_.gemm_backend == "clblast")
    return Status();
  const size_t align = std::max<size_t>(device_->info.mem_base_addr_align_bits / 8, 64);
  host_buffers_ = std::make_unique<HostBufferCache>(device_->context.get(), align,
                                                    4 * (io_.inputs.size() + io_.outputs.size()));
  auto add = [&](int t, int& slot) -> Status {
    if (!mappable_boundary(g_, first_, last_, io_, t)) return Status();
    const size_t n = size_t(shape_elements(g_.tensor(t).shape));
    MappedBoundary b;
    b.tensor = t;
    TANDEM_ASSIGN_OR_RETURN(
        b.proxy, create_buffer("boundary '" + g_.tensor(t).name + "'", n * es_, nullptr));
    slot = static_cast<int>(mapped_.size());
    mapped_.push_back(std::move(b));
    return Status();
  };
  for (size_t i = 0; i < io_.inputs.size(); ++i)
    TANDEM_RETURN_IF_ERROR(add(io_.inputs[i], mapped_in_[i]));
  for (size_t i = 0; i < io_.outputs.size(); ++i)
    TANDEM_RETURN_IF_ERROR(add(io_.outputs[i], mapped_out_[i]));
  stats_.mapped_boundaries = static_cast<int>(mapped_.size());
  return Status();
}

cl_mem OpenCLExecutable::resolve(cl_mem m) const {
  for (const MappedBoundary& b : mapped_)
    if (b.proxy.get() == m) return b.bound;
  return m;
}

// Points output i's kernel arguments at the caller's memory when it can be
// used in place, else at its proxy (read back by a copy in hand_out).
Status OpenCLExecutable::bind_output(size_t i, float* dst, bool* wrapped) {
  *wrapped = false;
  const int p = mapped_out_[i];
  if (p < 0) return Status();
  MappedBoundary& b = mapped_[size_t(p)];
  const size_t bytes = size_t(shape_elements(g_.tensor(b.tensor).shape)) * es_;
  cl_mem evicted = nullptr;
  TANDEM_ASSIGN_OR_RETURN(cl_mem m, host_buffers_->wrap(dst, bytes, false, &evicted));
  for (MappedBoundary& o : mapped_)
    if (evicted && o.bound == evicted) o.bound = nullptr;
  *wrapped = m != nullptr;
  return bind_boundary(b, m ? m : b.proxy.get(), g_.tensor(b.tensor).name);
}

Status OpenCLExecutable::hand_in(size_t i, const float* src) {
  const int p = mapped_in_[i];
  if (p < 0) return write(io_.inputs[i], src, device_->fp16 ? &in_half_[i] : nullptr, false);
  MappedBoundary& b = mapped_[size_t(p)];
  const std::string& name = g_.tensor(b.tensor).name;
  const size_t bytes = size_t(shape_elements(g_.tensor(b.tensor).shape)) * es_;
  cl_mem evicted = nullptr;
  TANDEM_ASSIGN_OR_RETURN(cl_mem m,
                          host_buffers_->wrap(const_cast<float*>(src), bytes, true, &evicted));
  for (MappedBoundary& o : mapped_)
    if (evicted && o.bound == evicted) o.bound = nullptr;
  TANDEM_RETURN_IF_ERROR(bind_boundary(b, m ? m : b.proxy.get(), name));
  if (!m) return write(b.tensor, src, nullptr, false);
  ++stats_.mapped_inputs;
  return sync_mapped(device_->queue.get(), m, bytes, true, name);
}

Status OpenCLExecutable::hand_out(size_t i, float* dst, bool wrapped) {
  if (!wrapped) return read(io_.outputs[i], dst, device_->fp16 ? &out_half_[i] : nullptr, false);
  MappedBoundary& b = mapped_[size_t(mapped_out_[i])];
  const size_t bytes = size_t(shape_elements(g_.tensor(b.tensor).shape)) * es_;
  ++stats_.mapped_outputs;
  return sync_mapped(device_->queue.get(), b.bound, bytes, false, g_.tensor(b.tensor).name);
}

Status OpenCLExecutable::write(int t, const float* src, std::vector<uint16_t>* staging,
                               bool blocking) {
  TANDEM_ASSIGN_OR_RETURN(DeviceTensor d, tensor(t));
  d.mem = resolve(d.mem);
  const size_t n = size_t(shape_elements(g_.tensor(t).shape));
  const void* host = src;
  if (device_->fp16) {
    staging->resize(n);
    floats_to_halves(src, staging->data(), n);
    host = staging->data();
  }
  cl_int err = clEnqueueWriteBuffer(device_->queue.get(), d.mem, blocking ? CL_TRUE : CL_FALSE,
                                    size_t(d.offset) * es_, n * es_, host, 0, nullptr, nullptr);
  if (err != CL_SUCCESS) return cl_status(err, "opencl: uploading '" + g_.tensor(t).name + "'");
  stats_.upload_bytes += n * es_;
  ++stats_.uploads;
  return Status();
}

Status OpenCLExecutable::read(int t, float* dst, std::vector<uint16_t>* staging, bool blocking) {
  TANDEM_ASSIGN_OR_RETURN(DeviceTensor d, tensor(t));
  d.mem = resolve(d.mem);
  const size_t n = size_t(shape_elements(g_.tensor(t).shape));
  void* host = dst;
  if (device_->fp16) {
    staging->resize(n);
    host = staging->data();
  }
  cl_int err = clEnqueueReadBuffer(device_->queue.get(), d.mem, blocking ? CL_TRUE : CL_FALSE,
                                   size_t(d.offset) * es_, n * es_, host, 0, nullptr, nullptr);
  if (err != CL_SUCCESS) return cl_status(err, "opencl: downloading '" + g_.tensor(t).name + "'");
  // Half results are converted by the caller once the read completed.
  if (device_->fp16 && blocking) halves_to_floats(staging->data(), dst, n);
  stats_.download_bytes += n * es_;
  ++stats_.downloads;
  return Status();
}

Status OpenCLExecutable::run_fallback(const Step& s) {
  const Node& n = g_.nodes[size_t(s.node)];
  FallbackStep& f = *s.fallback;
  std::vector<const float*> in(n.inputs.size(), nullptr);
  std::vector<float*> out(n.outputs.size(), nullptr);
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const int t = n.inputs[i];
    if (t < 0) continue;
    if (g_.tensor(t).is_constant()) {
      in[i] = g_.tensor(t).data->f32();
    } else {
      TANDEM_RETURN_IF_ERROR(read(t, f.inputs[i].data(), &scratch_half_, true));
      in[i] = f.inputs[i].data();
    }
  }
  for (size_t i = 0; i < n.outputs.size(); ++i) out[i] = f.outputs[i].data();
  TANDEM_RETURN_IF_ERROR(run_reference_node(g_, n, in.data(), out.data()));
  // Blocking: the staging is reused by the next fallback node.
  for (size_t i = 0; i < n.outputs.size(); ++i)
    if (plan_.place[size_t(n.outputs[i])].group >= 0)
      TANDEM_RETURN_IF_ERROR(write(n.outputs[i], out[i], &scratch_half_, true));
  return Status();
}

Status OpenCLExecutable::run(const float* const* inputs, float* const* outputs,
                             const RunOptions& options) {
  cl_command_queue q = device_->queue.get();
  const bool profile = options.node_ms != nullptr;
  if (profile) options.node_ms->assign(steps_.size(), 0.0);
  auto t0 = Clock::now();
  double cpu0 = profile ? process_cpu_ms() : 0;
  if (host_buffers_) host_buffers_->begin_run();
  for (size_t i = 0; i < io_.outputs.size(); ++i) {
    bool wrapped = false;
    TANDEM_RETURN_IF_ERROR(bind_output(i, outputs[i], &wrapped));
    out_wrapped_[i] = wrapped;
  }
  // Non-blocking: fp32 reads the caller's buffer, fp16 its own staging; both
  // stay valid until the clFinish below.
  for (size_t i = 0; i < io_.inputs.size(); ++i) TANDEM_RETURN_IF_ERROR(hand_in(i, inputs[i]));
  if (profile) {  // the hand-in alone, for OpenCLRangeStats::handover_ms
    TANDEM_CL_RETURN_IF_ERROR(clFinish(q), "opencl: clFinish after the range inputs");
    stats_.handover_ms += ms_since(t0);
    stats_.handover_cpu_ms += process_cpu_ms() - cpu0;
  }
  for (size_t s = 0; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    if (step.op) {
      TANDEM_RETURN_IF_ERROR(step.op->enqueue(q).with_context("opencl"));
    } else if (step.fallback) {
      TANDEM_RETURN_IF_ERROR(run_fallback(step).with_context(
          "opencl fallback node '" + g_.nodes[size_t(step.node)].name + "'"));
    }
    if (profile) {
      TANDEM_CL_RETURN_IF_ERROR(clFinish(q), "opencl: clFinish");
      (*options.node_ms)[s] = ms_since(t0);
      t0 = Clock::now();
    }
  }
  const auto t_out = Clock::now();
  if (profile) cpu0 = process_cpu_ms();
  for (size_t i = 0; i < io_.outputs.size(); ++i)
    TANDEM_RETURN_IF_ERROR(hand_out(i, outputs[i], out_wrapped_[i] != 0));
  TANDEM_CL_RETURN_IF_ERROR(clFinish(q), "opencl: clFinish after the range");
  if (device_->fp16)
    for (size_t i = 0; i < io_.outputs.size(); ++i)
      halves_to_floats(out_half_[i].data(), outputs[i], out_half_[i].size());
  if (profile) {
    stats_.handover_ms += ms_since(t_out);
    stats_.handover_cpu_ms += process_cpu_ms() - cpu0;
    ++stats_.profiled_runs;
  }
  if (profile && !steps_.empty()) options.node_ms->back() += ms_since(t0);
  ++stats_.runs;
  return Status();
}

}  // namespace

Expected<std::unique_ptr<Executable>> compile_opencl_range(std::shared_ptr<DeviceContext> device,
                                                           std::shared_ptr<ProgramCache> programs,
                                                           const CompileOptions& options,
                                                           const Graph& g, int first, int last) {
  if (first < 0 || last > static_cast<int>(g.nodes.size()) || first >= last)
    return invalid_argument("opencl: bad node range [" + std::to_string(first) + ", " +
                            std::to_string(last) + ") of a graph with " +
                            std::to_string(g.nodes.size()) + " nodes");
  auto exe = std::make_unique<OpenCLExecutable>(std::move(device), std::move(programs), options, g,
                                                first, last);
  TANDEM_RETURN_IF_ERROR(exe->compile());
  return std::unique_ptr<Executable>(std::move(exe));
}

const OpenCLRangeStats* range_stats_of(const Executable& e) {
  auto* o = dynamic_cast<const OpenCLExecutable*>(&e);
  return o ? &o->stats() : nullptr;
}

}  // namespace tandem::ocl

namespace tandem {
const OpenCLRangeStats* opencl_range_stats(const Executable& e) {
  return ocl::range_stats_of(e);
}
}  // namespace tandem
