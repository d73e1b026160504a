// Compiling a node range for the cpu processor, in phases over a RangePlan
// (range_plan.h):
//  1. analyse: native support per node, producers and readers; 4-D images
//     are NHWC inside, everything else (transformer 4-D tensors too:
//     image_layout.h) logical;
//  2. place: producers write straight into their channel slice of a
//     concatenated buffer (pixel stride = its channel count);
//  3. fuse: the fusion groups (fusion.cc);
//  4. one arena for all activations, planned by arena_plan over lifetimes;
//  5. kernels created with packed weights and pointers bound once, so run()
//     only converts the boundary tensors and runs the kernels.
#include "kernels/cpu/compiler/cpu_executable.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "engine/memory_planner.h"
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/compiler/layout.h"
#include "kernels/cpu/compiler/range_plan.h"

namespace tandem::cpu {
namespace {

// A node whose work its producer did (fused activation).
class NopKernel : public CpuKernel {
 public:
  Status run(pthreadpool_t) override { return Status(); }
  const char* kind() const override { return "fused"; }
};

struct Freer {
  void operator()(float* p) const { std::free(p); }
};

class CpuExecutable : public Executable {
 public:
  const RangeIO& io() const override { return io_; }
  std::vector<std::string> fallback_nodes() const override { return fallback_names_; }

  Status run(const float* const* inputs, float* const* outputs,
             const RunOptions& options) override {
    using Clock = std::chrono::steady_clock;
    std::vector<double>* ms = options.node_ms;
    if (ms) ms->assign(kernels_.size(), 0.0);
    auto t0 = Clock::now();
    for (size_t i = 0; i < boundary_in_.size(); ++i)
      store_logical(inputs[i], boundary_in_[i], pool_);
    auto prev = Clock::now();
    double entry_ms = std::chrono::duration<double, std::milli>(prev - t0).count();
    for (size_t k = 0; k < kernels_.size(); ++k) {
      Status st = kernels_[k]->run(pool_);
      if (!st.ok()) return st.with_context("node '" + g_->nodes[size_t(first_) + k].name + "'");
      if (ms) {
        auto now = Clock::now();
        const double t = std::chrono::duration<double, std::milli>(now - prev).count();
        (*ms)[k] = t;
        // A kernel that does earlier nodes' work too shares its time with them by
        // their MACs, so that per-node costs (the planner's) stay near where a
        // cut between them would put the work.
        for (const auto& [node, share] : shares_[k]) (*ms)[size_t(node)] = t * share;
        prev = now;
      }
    }
    for (size_t i = 0; i < boundary_out_.size(); ++i)
      load_logical(boundary_out_[i], outputs[i], pool_);
    if (ms && !ms->empty()) {
      ms->front() += entry_ms;
      ms->back() += std::chrono::duration<double, std::milli>(Clock::now() - prev).count();
    }
    return Status();
  }

  Status build(const Graph& g, int first, int last, pthreadpool_t pool,
               const CpuKernelOptions& options);
  int64_t concat_copies() const {
    int64_t n = 0;
    for (const KernelPtr& k : kernels_) n += static_cast<int64_t>(k->copied_inputs());
    return n;
  }

  int64_t fused_residual_adds() const { return fused_residual_adds_; }
  int64_t fused_blocks() const { return fused_blocks_; }
  std::vector<std::string> kernel_kinds() const override {
    std::vector<std::string> kinds;
    for (const KernelPtr& k : kernels_) kinds.push_back(k->kind());
    return kinds;
  }

  std::shared_ptr<void> keep_alive_;

 private:
  const Graph* g_ = nullptr;
  int first_ = 0;
  pthreadpool_t pool_ = nullptr;
  RangeIO io_;
  std::unique_ptr<float, Freer> arena_;
  std::unique_ptr<float, Freer> workspace_;
  size_t arena_bytes_ = 0;
  std::vector<CpuTensor> boundary_in_, boundary_out_;
  std::vector<KernelPtr> kernels_;
  std::vector<std::string> fallback_names_;
  int64_t fused_residual_adds_ = 0;
  int64_t fused_blocks_ = 0;
  // Per kernel: (kernel index, share of its time) for the nodes it runs, itself
  // included; empty for kernels that run their own node only.
  std::vector<std::vector<std::pair<int, double>>> shares_;

  // Per placement root tensor: its buffer's byte offset in the arena.
  std::vector<size_t> root_offset_;
  // The nodes the kernel made so far runs natively (not on the fallback).
  std::vector<bool> native_;

  Status allocate_arena(const RangePlan& plan);
  Status allocate_workspace(const RangePlan& plan);
  CpuTensor view(const RangePlan& plan, int t) const;
  KernelArgs node_args(const RangePlan& plan, int node) const;
  Status make_kernels(const RangePlan& plan);
  Status make_group_kernel(const RangePlan& plan, const FusionGroup& grp, KernelPtr& k);
  void record_shares(const RangePlan& plan, const FusionGroup& grp);
  void release_packed(const Graph& g, const CpuKernel& k);
  Status make_kernel(int node, KernelFactory factory, const KernelArgs& args, KernelPtr& k);

  std::vector<bool> read_at_run_;      // per tensor: a constant a fallback reads at run time
  std::vector<FileMapping> mappings_;  // read-only file mappings, for release_packed
};

Status CpuExecutable::build(const Graph& g, int first, int last, pthreadpool_t pool,
                            const CpuKernelOptions& requested) {
  CpuKernelOptions options = requested;
  options.threads = pool ? int(pthreadpool_get_threads_count(pool)) : 1;
  g_ = &g;
  first_ = first;
  pool_ = pool;
  RangePlan plan(g, first, last, options);
  TANDEM_RETURN_IF_ERROR(analyse_range(plan));
  place_tensors(plan);
  plan_fusions(plan);
  io_ = plan.io;
  TANDEM_RETURN_IF_ERROR(allocate_arena(plan));
  TANDEM_RETURN_IF_ERROR(allocate_workspace(plan));
  for (int t : io_.inputs) boundary_in_.push_back(view(plan, t));
  for (int t : io_.outputs) boundary_out_.push_back(view(plan, t));
  return make_kernels(plan);
}

// One arena for all activations: a buffer per placement root, live from its
// producer's step to its last reader's (the step a fused node runs at).
Status CpuExecutable::allocate_arena(const RangePlan& p) {
  const Graph& g = p.g;
  const size_t nt = g.tensors.size();
  const int exit_step = p.last - p.first + 1;
  auto step_of = [&](int node) { return node - p.first + 1; };
  std::vector<int> root_index(nt, -1);
  std::vector<BufferLifetime> lifetimes;
  for (size_t t = 0; t < nt; ++t) {
    if (!p.local[t]) continue;
    const int prod = p.producer[t];
    const int begin = prod < 0 ? 0 : step_of(prod);
    int end = begin;
    for (int r : p.readers[t]) end = std::max(end, step_of(p.runs_at(r)));
    if (p.is_output[t]) end = exit_step;
    const int root = p.place[t].root;
    if (root_index[size_t(root)] < 0) {
      root_index[size_t(root)] = int(lifetimes.size());
      const Tensor& rt = g.tensor(root);
      const size_t bytes = size_t(shape_elements(rt.shape)) * dtype_size(rt.dtype);
      lifetimes.push_back({bytes, begin, end});
    } else {
      BufferLifetime& l = lifetimes[size_t(root_index[size_t(root)])];
      l.first_use = std::min(l.first_use, begin);
      l.last_use = std::max(l.last_use, end);
    }
  }
  const ArenaPlan arena = arena_plan(lifetimes);
  root_offset_.assign(nt, 0);
  for (size_t t = 0; t < nt; ++t)
    if (root_index[t] >= 0) root_offset_[t] = arena.offsets[size_t(root_index[t])];
  arena_bytes_ = std::max<size_t>(arena.total_bytes, kArenaAlignment);
  size_t alloc = (arena_bytes_ + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  arena_.reset(static_cast<float*>(std::aligned_alloc(kArenaAlignment, alloc)));
  if (!arena_)
    return resource_exhausted("cpu: cannot allocate a " + std::to_string(alloc) + " byte arena");
  std::memset(arena_.get(), 0, alloc);  // pages resident now, not during the first run
  return Status();
}

// One scratch buffer for all kernels: they run one after the other.
Status CpuExecutable::allocate_workspace(const RangePlan& p) {
  size_t workspace = 0;
  for (const CpuOpSupport& s : p.support) workspace = std::max(workspace, s.workspace_floats);
  for (const FusionGroup& grp : p.groups)
    workspace = std::max(workspace, grp.fused_workspace_floats);
  if (!workspace) return Status();
  size_t bytes =
      (workspace * sizeof(float) + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  workspace_.reset(static_cast<float*>(std::aligned_alloc(kArenaAlignment, bytes)));
  if (!workspace_)
    return resource_exhausted("cpu: cannot allocate a " + std::to_string(bytes) +
                              " byte workspace");
  return Status();
}

CpuTensor CpuExecutable::view(const RangePlan& p, int t) const {
  CpuTensor v;
  if (t < 0) return v;
  const Tensor& x = p.g.tensor(t);
  v.shape = x.shape;
  v.dtype = x.dtype;
  if (x.is_constant()) {
    v.data = const_cast<float*>(x.data->f32());
    v.constant = true;
    return v;
  }
  const Placement& place = p.place[size_t(t)];
  char* base = reinterpret_cast<char*>(arena_.get()) + root_offset_[size_t(place.root)];
  v.data = reinterpret_cast<float*>(base) + place.offset;
  v.nhwc = p.is_nhwc(t);
  v.pixel_stride = v.nhwc ? place.stride : 0;
  return v;
}

// The node's own arguments: its tensors, and the epilogue of its group.
KernelArgs CpuExecutable::node_args(const RangePlan& p, int node) const {
  const Node& n = p.g.nodes[size_t(node)];
  KernelArgs args;
  args.g = &p.g;
  args.node = &n;
  args.pool = pool_;
  args.activation = p.activation_of(node);
  const FusionGroup* grp = p.group(node);
  args.residual = view(p, grp && grp->kernel_node == node ? grp->residual : -1);
  args.silu = grp && grp->kernel_node == node && grp->gate >= 0;
  args.bias = view(p, grp && grp->kernel_node == node ? grp->bias : -1);
  if (grp && grp->kernel_node == node && grp->epilogue >= 0 &&
      p.g.nodes[size_t(grp->epilogue)].op == OpType::kGelu)
    args.gelu = &p.g.nodes[size_t(grp->epilogue)];
  args.workspace = workspace_.get();
  args.options = p.options;
  for (int t : n.inputs) args.inputs.push_back(view(p, t));
  for (int t : n.outputs) args.outputs.push_back(view(p, t));
  return args;
}

// Kernels in node order; a native kernel that refuses its node falls back to
// the reference. Weights a fallback node reads at run time keep their pages; the
// others are released right after packing, so the peak never holds all weights
// twice.
Status CpuExecutable::make_kernels(const RangePlan& p) {
  const Graph& g = p.g;
  read_at_run_.assign(g.tensors.size(), false);
  for (int i = p.first; i < p.last; ++i)
    if (!p.sup(i).factory)
      for (int t : g.nodes[size_t(i)].inputs)
        if (t >= 0 && g.tensor(t).is_constant()) read_at_run_[size_t(t)] = true;
  mappings_ = read_only_file_mappings();
  native_.assign(size_t(p.last - p.first), false);
  auto native = [&](int node) { return native_[size_t(node - p.first)]; };
  for (int i = p.first; i < p.last; ++i) {
    const int producer = p.epilogue_of(i);
    if (producer >= 0 && native(producer)) {
      kernels_.push_back(KernelPtr(new NopKernel()));  // done by its producer
      native_[size_t(i - p.first)] = true;
      if (p.group(i)->residual >= 0) ++fused_residual_adds_;
      continue;
    }
    if (p.absorbed_by(i) >= 0) {                       // done by a later node's kernel
      kernels_.push_back(KernelPtr(new NopKernel()));  // (a placeholder until then)
      continue;
    }
    KernelPtr k;
    const FusionGroup* grp = p.group(i);
    if (grp && grp->kernel_node == i && !grp->absorbed.empty())
      TANDEM_RETURN_IF_ERROR(make_group_kernel(p, *grp, k));
    if (!k) TANDEM_RETURN_IF_ERROR(make_kernel(i, p.sup(i).factory, node_args(p, i), k));
    kernels_.push_back(std::move(k));
  }
  shares_.resize(kernels_.size());
  return Status();
}

// The group's fused kernel; when it refuses, the absorbed nodes get their own
// kernels instead of their placeholders and `k` stays empty.
Status CpuExecutable::make_group_kernel(const RangePlan& p, const FusionGroup& grp, KernelPtr& k) {
  const Graph& g = p.g;
  KernelArgs args = node_args(p, grp.kernel_node);
  for (int part : grp.absorbed) {
    KernelArgs::Absorbed a{&g.nodes[size_t(part)], {}};
    for (int t : a.node->inputs) a.inputs.push_back(view(p, t));
    args.absorbed.push_back(std::move(a));
  }
  auto made = grp.fused_factory(args);
  if (made.ok()) {
    k = std::move(made).value();
    release_packed(g, *k);
    for (int part : grp.absorbed) native_[size_t(part - p.first)] = true;
    native_[size_t(grp.kernel_node - p.first)] = true;
    if (grp.is_block) ++fused_blocks_;
    record_shares(p, grp);
    return Status();
  }
  for (int part : grp.absorbed)  // the nodes on their own kernels after all
    TANDEM_RETURN_IF_ERROR(make_kernel(part, p.sup(part).factory, node_args(p, part),
                                       kernels_[size_t(part - p.first)]));
  return Status();
}

// A fused kernel's time goes to its nodes by their MACs; data movement (a
// shuffle) at a nominal one.
void CpuExecutable::record_shares(const RangePlan& p, const FusionGroup& grp) {
  std::vector<std::pair<int, double>> shares;
  double total = 0;
  std::vector<int> nodes = grp.absorbed;
  nodes.push_back(grp.kernel_node);
  for (int part : nodes) {
    const double w = std::max<double>(1.0, double(node_macs(p.g, p.g.nodes[size_t(part)])));
    shares.emplace_back(part - p.first, w);
    total += w;
  }
  for (auto& sh : shares) sh.second /= total;
  shares_.resize(size_t(grp.kernel_node - p.first + 1));
  shares_[size_t(grp.kernel_node - p.first)] = std::move(shares);
}

void CpuExecutable::release_packed(const Graph& g, const CpuKernel& k) {
  std::vector<const ConstantData*> packed;
  for (int t : k.consumed_constants)
    if (!read_at_run_[size_t(t)]) packed.push_back(g.tensor(t).data.get());
  release_constant_pages(packed, mappings_);
}

// Node `node` on `factory` (nullptr: no native kernel), or on the reference
// fallback when there is none or it refuses the node (then it is not native).
Status CpuExecutable::make_kernel(int node, KernelFactory factory, const KernelArgs& args,
                                  KernelPtr& k) {
  k.reset();
  native_[size_t(node - first_)] = false;
  if (factory) {
    auto made = factory(args);
    if (made.ok()) k = std::move(made).value();
  }
  if (!k) {
    TANDEM_ASSIGN_OR_RETURN(k, make_fallback_kernel(args));
    fallback_names_.push_back(g_->nodes[size_t(node)].name);
    return Status();
  }
  release_packed(*g_, *k);
  native_[size_t(node - first_)] = true;
  return Status();
}

}  // namespace

int64_t cpu_concat_copies(const Executable& exe) {
  const auto* e = dynamic_cast<const CpuExecutable*>(&exe);
  return e ? e->concat_copies() : -1;
}

Expected<std::unique_ptr<Executable>> compile_cpu_range(const Graph& g, int first, int last,
                                                        pthreadpool_t pool,
                                                        std::shared_ptr<void> keep_alive,
                                                        const CpuKernelOptions& options) {
  auto exe = std::make_unique<CpuExecutable>();
  exe->keep_alive_ = std::move(keep_alive);
  TANDEM_RETURN_IF_ERROR(exe->build(g, first, last, pool, options));
  return std::unique_ptr<Executable>(std::move(exe));
}

}  // namespace tandem::cpu
