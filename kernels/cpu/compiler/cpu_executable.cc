// Compiling a node range for the cpu processor:
//  1. layout: 4-D float activations are NHWC inside, everything else logical;
//  2. concat placement: producers write straight into their channel slice of
//     a concatenated buffer (pixel stride = its channel count);
//  3. one arena for all activations, planned by arena_plan over lifetimes;
//  4. kernels created with packed weights and pointers bound once, so run()
//     only converts the boundary tensors and runs the kernels.
#include "kernels/cpu/compiler/cpu_executable.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "engine/memory_planner.h"
#include "kernels/cpu/compiler/cpu_kernel.h"
#include "kernels/cpu/compiler/later_fusion.h"
#include "kernels/cpu/compiler/layout.h"
#include "kernels/reference/reference_kernels.h"

namespace tandem::cpu {
namespace {

// Where a tensor lives: `root` tensor's buffer, `offset` floats into each pixel.
struct Placement {
  int root = -1;
  int64_t offset = 0;
  int64_t stride = 0;  // pixel stride (NHWC) in floats
};

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

  void release_packed(const Graph& g, const CpuKernel& k, const std::vector<bool>& read_at_run,
                      const std::vector<FileMapping>& mappings);
  Status make_kernel(const Graph& g, int i, KernelFactory factory, const KernelArgs& args,
                     const std::vector<bool>& read_at_run, const std::vector<FileMapping>& mappings,
                     KernelPtr& k, bool& is_native);
};

Status CpuExecutable::build(const Graph& g, int first, int last, pthreadpool_t pool,
                            const CpuKernelOptions& requested) {
  CpuKernelOptions options = requested;
  const int threads = pool ? int(pthreadpool_get_threads_count(pool)) : 1;
  options.threads = threads;
  g_ = &g;
  first_ = first;
  pool_ = pool;
  io_ = range_io(g, first, last);
  const size_t nt = g.tensors.size();
  const int exit_step = last - first + 1;
  auto step_of = [&](int node) { return node - first + 1; };

  // Shapes checked once (kernels trust them), then native support or fallback per node.
  std::vector<CpuOpSupport> support;
  for (int i = first; i < last; ++i) {
    TANDEM_RETURN_IF_ERROR(check_reference_node(g, g.nodes[size_t(i)]).with_context("cpu"));
    support.push_back(cpu_op_support(g, g.nodes[size_t(i)], options));
  }
  auto sup = [&](int node) -> CpuOpSupport& { return support[size_t(node - first)]; };

  // Producers and readers inside the range; the boundary conversions handle strides.
  std::vector<int> producer(nt, -2);  // -2: not in range, -1: range input
  std::vector<std::vector<int>> readers(nt);
  std::vector<bool> is_output(nt, false), local(nt, false);
  for (int t : io_.inputs) producer[size_t(t)] = -1, local[size_t(t)] = true;
  for (int t : io_.outputs) is_output[size_t(t)] = true;
  for (int i = first; i < last; ++i) {
    const Node& n = g.nodes[size_t(i)];
    for (int t : n.inputs)
      if (t >= 0 && !g.tensor(t).is_constant()) readers[size_t(t)].push_back(i);
    for (int t : n.outputs) producer[size_t(t)] = i, local[size_t(t)] = true;
  }
  for (size_t t = 0; t < nt; ++t) {
    if (!local[t]) continue;
    const Tensor& tensor = g.tensors[t];
    if (shape_elements(tensor.shape) < 0)
      return invalid_model("cpu: tensor '" + tensor.name + "' has no shape (run shape inference)");
  }
  // Range inputs read only by kernels that take NCHW (stems) stay in the caller's
  // layout: the entry is a plain copy instead of a transpose.
  std::vector<bool> keep_nchw(nt, false);
  for (int t : io_.inputs) {
    bool all = !readers[size_t(t)].empty() && !is_output[size_t(t)];
    for (int r : readers[size_t(t)]) {
      const Node& rn = g.nodes[size_t(r)];
      all &= sup(r).factory && sup(r).reads_nchw && rn.inputs[0] == t &&
             std::count(rn.inputs.begin(), rn.inputs.end(), t) == 1;
    }
    keep_nchw[size_t(t)] = all;
  }
  auto is_nhwc = [&](int t) {
    const Tensor& x = g.tensor(t);
    return x.shape.size() == 4 && x.dtype == DType::kFloat32 && !x.is_constant() &&
           !keep_nchw[size_t(t)];
  };
  auto readers_take_strides = [&](int t) {
    for (int r : readers[size_t(t)])
      if (!sup(r).strided_inputs && sup(r).factory) return false;
    return true;  // fallback kernels and the exit conversion handle strides
  };
  auto producer_takes_stride = [&](int t) {
    int p = producer[size_t(t)];
    return p == -1 || !sup(p).factory || sup(p).strided_output;
  };

  // Concat placement, last concat first, so an earlier concat whose inputs
  // already sit side by side becomes a view of the later one (DenseNet).
  std::vector<Placement> place(nt);
  for (int i = last - 1; i >= first; --i) {
    const Node& n = g.nodes[size_t(i)];
    if (n.op != OpType::kConcat || !sup(i).factory) continue;
    int o = n.outputs[0];
    Placement& po = place[size_t(o)];
    if (po.root < 0) {
      bool chain = true;
      const Placement& p0 = place[size_t(n.inputs[0])];
      int64_t expect = p0.offset;
      for (int t : n.inputs) {
        const Placement& p = place[size_t(t)];
        chain &= p.root >= 0 && p.root == p0.root && p.stride == p0.stride && p.offset == expect;
        expect += g.tensor(t).shape[1];
      }
      if (chain && (p0.stride == g.tensor(o).shape[1] || readers_take_strides(o))) {
        po = {p0.root, p0.offset, p0.stride};
        continue;
      }
      po = {o, 0, g.tensor(o).shape[1]};
    }
    int64_t offset = po.offset;
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      int t = n.inputs[j];
      bool twice = std::count(n.inputs.begin(), n.inputs.end(), t) > 1;
      const int64_t c = g.tensor(t).shape[1];
      if (place[size_t(t)].root < 0 && !twice && producer[size_t(t)] >= -1 &&
          producer_takes_stride(t) && (po.stride == c || readers_take_strides(t)) &&
          g.tensor(t).shape[0] == g.tensor(o).shape[0] &&
          g.tensor(t).shape[2] == g.tensor(o).shape[2] &&
          g.tensor(t).shape[3] == g.tensor(o).shape[3])
        place[size_t(t)] = {po.root, offset, po.stride};
      offset += c;
    }
  }
  // Everything else is its own root.
  for (size_t t = 0; t < nt; ++t)
    if (local[t] && place[t].root < 0)
      place[t] = {int(t), 0, is_nhwc(int(t)) ? g.tensors[t].shape[1] : 0};

  // BatchNormalization -> Relu/Clip (DenseNet's pre-activation, which no pass
  // folds): the norm applies the clamp and writes the activation's output.
  std::vector<FusedActivation> fused_act(size_t(last - first));
  std::vector<int> fused_into(size_t(last - first), -1);
  for (int j = first; j < last; ++j) {
    const Node& n = g.nodes[size_t(j)];
    if ((n.op != OpType::kRelu && n.op != OpType::kClip) || !sup(j).factory) continue;
    int t = n.inputs[0];
    int p = producer[size_t(t)];
    if (p < first || g.nodes[size_t(p)].op != OpType::kBatchNormalization || !sup(p).factory)
      continue;
    if (readers[size_t(t)].size() != 1 || is_output[size_t(t)] || place[size_t(t)].root != t)
      continue;
    place[size_t(t)] = place[size_t(n.outputs[0])];
    fused_into[size_t(j - first)] = p;
    fused_act[size_t(p - first)] =
        n.op == OpType::kRelu ? FusedActivation{0.0f, std::numeric_limits<float>::infinity()}
                              : FusedActivation{n.attrs.clip_min, n.attrs.clip_max};
  }

  // Conv -> Add (ResNet's residual): when the later of the Add's two producers
  // has a kernel that adds a residual (CpuOpSupport::adds_residual: the GEMM
  // conv) and no activation of its own, it adds the other operand in its epilogue,
  // applies the Add's activation and writes the Add's output; the Add does nothing.
  std::vector<int> residual_of(size_t(last - first), -1);
  for (int j = first; j < last; ++j) {
    const Node& n = g.nodes[size_t(j)];
    if (!options.fuse_residual || n.op != OpType::kAdd || n.inputs.size() != 2 || !sup(j).factory)
      continue;
    const int out = n.outputs[0];
    int t = n.inputs[0], other = n.inputs[1];
    if (producer[size_t(other)] > producer[size_t(t)]) std::swap(t, other);
    const int p = producer[size_t(t)];
    if (p < first || t == other || !sup(p).adds_residual) continue;
    if (g.nodes[size_t(p)].attrs.activation.active() || fused_act[size_t(p - first)].active())
      continue;
    if (!is_nhwc(other) || !is_nhwc(out) || g.tensor(other).shape != g.tensor(out).shape ||
        g.tensor(t).shape != g.tensor(out).shape)
      continue;
    if (readers[size_t(t)].size() != 1 || is_output[size_t(t)] || place[size_t(t)].root != t ||
        place[size_t(other)].root == place[size_t(out)].root)
      continue;
    place[size_t(t)] = place[size_t(out)];
    fused_into[size_t(j - first)] = p;
    fused_act[size_t(p - first)] = n.attrs.activation;
    residual_of[size_t(p - first)] = other;
  }

  // Fusions into a *later* node (later_fusion.h).
  RangeFacts facts{g,       first,     last,      options, support, producer,
                   readers, is_output, fused_act, {},      {}};
  facts.is_nhwc.resize(nt);
  facts.own_root.resize(nt);
  for (size_t t = 0; t < nt; ++t) {
    facts.is_nhwc[t] = local[t] && is_nhwc(int(t));
    facts.own_root[t] = place[t].root == int(t);
  }
  const LaterFusions later = plan_later_fusions(facts);
  const std::vector<int>& absorbed_by = later.absorbed_by;
  const auto& parts = later.parts;
  const auto& unfused = later.unfused;
  auto runs_at = [&](int node) {
    return absorbed_by[size_t(node - first)] >= 0 ? absorbed_by[size_t(node - first)] : node;
  };

  // Lifetimes per root buffer (union over the tensors placed in it).
  std::vector<int> root_index(nt, -1);
  std::vector<BufferLifetime> lifetimes;
  std::vector<int> roots;
  for (size_t t = 0; t < nt; ++t) {
    if (!local[t]) continue;
    int p = producer[t];
    int begin = p < 0 ? 0 : step_of(p);
    int end = begin;
    for (int r : readers[t]) end = std::max(end, step_of(runs_at(r)));
    if (is_output[t]) end = exit_step;
    int root = place[t].root;
    if (root_index[size_t(root)] < 0) {
      root_index[size_t(root)] = int(lifetimes.size());
      const Tensor& rt = g.tensor(root);
      size_t bytes = size_t(shape_elements(rt.shape)) * dtype_size(rt.dtype);
      lifetimes.push_back({bytes, begin, end});
      roots.push_back(root);
    } else {
      BufferLifetime& l = lifetimes[size_t(root_index[size_t(root)])];
      l.first_use = std::min(l.first_use, begin);
      l.last_use = std::max(l.last_use, end);
    }
  }
  ArenaPlan plan = arena_plan(lifetimes);
  arena_bytes_ = std::max<size_t>(plan.total_bytes, kArenaAlignment);
  size_t alloc = (arena_bytes_ + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  arena_.reset(static_cast<float*>(std::aligned_alloc(kArenaAlignment, alloc)));
  if (!arena_)
    return resource_exhausted("cpu: cannot allocate a " + std::to_string(alloc) + " byte arena");
  std::memset(arena_.get(), 0, alloc);  // pages resident now, not during the first run

  auto view = [&](int t) -> CpuTensor {
    CpuTensor v;
    if (t < 0) return v;
    const Tensor& x = g.tensor(t);
    v.shape = x.shape;
    if (x.is_constant()) {
      v.data = const_cast<float*>(x.data->f32());
      v.constant = true;
      return v;
    }
    const Placement& p = place[size_t(t)];
    char* base =
        reinterpret_cast<char*>(arena_.get()) + plan.offsets[size_t(root_index[size_t(p.root)])];
    v.data = reinterpret_cast<float*>(base) + p.offset;
    v.nhwc = is_nhwc(t);
    v.pixel_stride = v.nhwc ? p.stride : 0;
    return v;
  };
  // One scratch buffer for all kernels: they run one after the other.
  size_t workspace = 0;
  for (const CpuOpSupport& s : support) workspace = std::max(workspace, s.workspace_floats);
  if (workspace) {
    size_t bytes =
        (workspace * sizeof(float) + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
    workspace_.reset(static_cast<float*>(std::aligned_alloc(kArenaAlignment, bytes)));
    if (!workspace_)
      return resource_exhausted("cpu: cannot allocate a " + std::to_string(bytes) +
                                " byte workspace");
  }
  for (int t : io_.inputs) boundary_in_.push_back(view(t));
  for (int t : io_.outputs) boundary_out_.push_back(view(t));

  // Kernels; a native kernel that XNNPACK refuses falls back to the reference.
  // Weights a fallback node reads at run time keep their pages; the others are
  // released right after packing, so the peak never holds all weights twice.
  std::vector<bool> read_at_run(nt, false);
  for (int i = first; i < last; ++i)
    if (!sup(i).factory)
      for (int t : g.nodes[size_t(i)].inputs)
        if (t >= 0 && g.tensor(t).is_constant()) read_at_run[size_t(t)] = true;
  const std::vector<FileMapping> mappings = read_only_file_mappings();
  std::vector<bool> native(size_t(last - first), false);
  for (int i = first; i < last; ++i) {
    const Node& n = g.nodes[size_t(i)];
    KernelArgs args;
    args.g = &g;
    args.node = &n;
    args.pool = pool;
    args.activation = fused_act[size_t(i - first)];
    args.residual = view(residual_of[size_t(i - first)]);
    args.workspace = workspace_.get();
    args.options = options;
    for (int t : n.inputs) args.inputs.push_back(view(t));
    for (int t : n.outputs) args.outputs.push_back(view(t));
    int fused = fused_into[size_t(i - first)];
    if (fused >= 0 && native[size_t(fused - first)]) {
      kernels_.push_back(KernelPtr(new NopKernel()));  // done by its producer
      native[size_t(i - first)] = true;
      if (residual_of[size_t(fused - first)] >= 0) ++fused_residual_adds_;
      continue;
    }
    if (absorbed_by[size_t(i - first)] >= 0) {         // done by a later node's kernel
      kernels_.push_back(KernelPtr(new NopKernel()));  // (a placeholder until then)
      continue;
    }
    KernelPtr k;
    bool is_native = false;
    if (const auto [p0, p1] = parts[size_t(i - first)]; p0 >= 0) {
      KernelArgs fused_args = args;
      for (int part : {p0, p1}) {
        if (part < 0) continue;
        KernelArgs::Absorbed a{&g.nodes[size_t(part)], {}};
        for (int t : a.node->inputs) a.inputs.push_back(view(t));
        fused_args.absorbed.push_back(std::move(a));
      }
      auto made = sup(i).factory(fused_args);
      if (made.ok()) {
        k = std::move(made).value();
        release_packed(g, *k, read_at_run, mappings);
        native[size_t(p0 - first)] = is_native = true;
        if (p1 >= 0) native[size_t(p1 - first)] = true;
        if (sup(i).factory == make_inverted_residual) ++fused_blocks_;
        std::vector<std::pair<int, double>> shares;
        double total = 0;
        for (int part : {p0, p1, i}) {
          if (part < 0) continue;
          // Convs by their MACs; data movement (a shuffle) at a nominal one.
          const double w = std::max<double>(1.0, double(node_macs(g, g.nodes[size_t(part)])));
          shares.emplace_back(part - first, w);
          total += w;
        }
        for (auto& sh : shares) sh.second /= total;
        shares_.resize(size_t(i - first + 1));
        shares_[size_t(i - first)] = std::move(shares);
      } else {  // the nodes on their own kernels after all
        for (int part : {p0, p1}) {
          if (part < 0) continue;
          const Node& pn = g.nodes[size_t(part)];
          KernelArgs pargs = args;
          pargs.node = &pn;
          pargs.activation = fused_act[size_t(part - first)];
          pargs.residual = CpuTensor();
          pargs.inputs.clear();
          for (int t : pn.inputs) pargs.inputs.push_back(view(t));
          pargs.outputs.clear();
          for (int t : pn.outputs) pargs.outputs.push_back(view(t));
          bool part_native = false;
          TANDEM_RETURN_IF_ERROR(make_kernel(g, part, sup(part).factory, pargs, read_at_run,
                                             mappings, kernels_[size_t(part - first)],
                                             part_native));
          native[size_t(part - first)] = part_native;
        }
        sup(i).factory = unfused[size_t(i - first)];
      }
    }
    if (!k)
      TANDEM_RETURN_IF_ERROR(
          make_kernel(g, i, sup(i).factory, args, read_at_run, mappings, k, is_native));
    native[size_t(i - first)] = is_native;
    kernels_.push_back(std::move(k));
  }
  shares_.resize(kernels_.size());
  return Status();
}

void CpuExecutable::release_packed(const Graph& g, const CpuKernel& k,
                                   const std::vector<bool>& read_at_run,
                                   const std::vector<FileMapping>& mappings) {
  std::vector<const ConstantData*> packed;
  for (int t : k.consumed_constants)
    if (!read_at_run[size_t(t)]) packed.push_back(g.tensor(t).data.get());
  release_constant_pages(packed, mappings);
}

// Node `i` on `factory` (nullptr: no native kernel), or on the reference fallback
// when there is none or it refuses the node (then is_native is false).
Status CpuExecutable::make_kernel(const Graph& g, int i, KernelFactory factory,
                                  const KernelArgs& args, const std::vector<bool>& read_at_run,
                                  const std::vector<FileMapping>& mappings, KernelPtr& k,
                                  bool& is_native) {
  k.reset();
  is_native = false;
  if (factory) {
    auto made = factory(args);
    if (made.ok()) k = std::move(made).value();
  }
  if (!k) {
    TANDEM_ASSIGN_OR_RETURN(k, make_fallback_kernel(args));
    fallback_names_.push_back(g.nodes[size_t(i)].name);
    return Status();
  }
  release_packed(g, *k, read_at_run, mappings);
  is_native = true;
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
