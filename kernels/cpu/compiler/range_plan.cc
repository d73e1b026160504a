// The first phases of compiling a cpu range (range_plan.h): what runs natively,
// who produces and reads each tensor, which layout it has and where it lives.
#include "kernels/cpu/compiler/range_plan.h"

#include <algorithm>

#include "kernels/cpu/compiler/image_layout.h"
#include "kernels/reference/reference_kernels.h"

namespace tandem::cpu {

bool RangePlan::is_nhwc(int t) const {
  const Tensor& x = g.tensor(t);
  return local[size_t(t)] && x.shape.size() == 4 &&
         (x.dtype == DType::kFloat32 || x.dtype == DType::kInt8) && !x.is_constant() &&
         !keep_nchw[size_t(t)] && image[size_t(t)];
}

FusionGroup& RangePlan::group_at(int node) {
  int& k = group_of[size_t(node - first)];
  if (k < 0) {
    k = int(groups.size());
    groups.emplace_back();
    groups.back().kernel_node = node;
  }
  return groups[size_t(k)];
}

FusedActivation RangePlan::activation_of(int node) const {
  const FusionGroup* grp = group(node);
  return grp && grp->kernel_node == node ? grp->activation : FusedActivation{};
}

int RangePlan::absorbed_by(int node) const {
  const FusionGroup* grp = group(node);
  if (!grp || grp->kernel_node == node || grp->epilogue == node || grp->gate == node) return -1;
  return grp->kernel_node;
}

int RangePlan::epilogue_of(int node) const {
  const FusionGroup* grp = group(node);
  return grp && (grp->epilogue == node || grp->gate == node) ? grp->kernel_node : -1;
}

namespace {

// Range inputs read only by kernels that take NCHW (stems) stay in the caller's
// layout: the entry is a plain copy instead of a transpose.
void choose_entry_layouts(RangePlan& p) {
  for (int t : p.io.inputs) {
    bool all = !p.readers[size_t(t)].empty() && !p.is_output[size_t(t)];
    for (int r : p.readers[size_t(t)]) {
      const Node& rn = p.g.nodes[size_t(r)];
      all &= p.sup(r).factory && p.sup(r).reads_nchw && rn.inputs[0] == t &&
             std::count(rn.inputs.begin(), rn.inputs.end(), t) == 1;
    }
    p.keep_nchw[size_t(t)] = all;
  }
}

}  // namespace

Status analyse_range(RangePlan& p) {
  const Graph& g = p.g;
  const size_t nt = g.tensors.size();
  p.io = range_io(g, p.first, p.last);
  // Shapes checked once (kernels trust them), then native support or fallback per node.
  for (int i = p.first; i < p.last; ++i) {
    TANDEM_RETURN_IF_ERROR(check_reference_node(g, g.nodes[size_t(i)]).with_context("cpu"));
    p.support.push_back(cpu_op_support(g, g.nodes[size_t(i)], p.options));
  }
  p.group_of.assign(size_t(p.last - p.first), -1);
  // Producers and readers inside the range; the boundary conversions handle strides.
  p.producer.assign(nt, -2);
  p.readers.assign(nt, {});
  p.is_output.assign(nt, false);
  p.local.assign(nt, false);
  p.keep_nchw.assign(nt, false);
  p.image = image_layout_tensors(g);
  for (int t : p.io.inputs) p.producer[size_t(t)] = -1, p.local[size_t(t)] = true;
  for (int t : p.io.outputs) p.is_output[size_t(t)] = true;
  for (int i = p.first; i < p.last; ++i) {
    const Node& n = g.nodes[size_t(i)];
    for (int t : n.inputs)
      if (t >= 0 && !g.tensor(t).is_constant()) p.readers[size_t(t)].push_back(i);
    for (int t : n.outputs) p.producer[size_t(t)] = i, p.local[size_t(t)] = true;
  }
  for (size_t t = 0; t < nt; ++t)
    if (p.local[t] && shape_elements(g.tensors[t].shape) < 0)
      return invalid_model("cpu: tensor '" + g.tensors[t].name +
                           "' has no shape (run shape inference)");
  choose_entry_layouts(p);
  return Status();
}

namespace {

bool readers_take_strides(const RangePlan& p, int t) {
  for (int r : p.readers[size_t(t)])
    if (!p.sup(r).strided_inputs && p.sup(r).factory) return false;
  return true;  // fallback kernels and the exit conversion handle strides
}

bool producer_takes_stride(const RangePlan& p, int t) {
  const int prod = p.producer[size_t(t)];
  return prod == -1 || !p.sup(prod).factory || p.sup(prod).strided_output;
}

// The concat's output: a view of a later concat when its inputs already sit side
// by side there (then they are placed already: returns false), else its own buffer.
bool place_concat_output(RangePlan& p, const Node& n) {
  const Graph& g = p.g;
  const int o = n.outputs[0];
  Placement& po = p.place[size_t(o)];
  if (po.root >= 0) return true;
  bool chain = true;
  const Placement& p0 = p.place[size_t(n.inputs[0])];
  int64_t expect = p0.offset;
  for (int t : n.inputs) {
    const Placement& pt = p.place[size_t(t)];
    chain &= pt.root >= 0 && pt.root == p0.root && pt.stride == p0.stride && pt.offset == expect;
    expect += g.tensor(t).shape[1];
  }
  if (chain && (p0.stride == g.tensor(o).shape[1] || readers_take_strides(p, o))) {
    po = {p0.root, p0.offset, p0.stride};
    return false;
  }
  po = {o, 0, g.tensor(o).shape[1]};
  return true;
}

// Each input the concat's buffer can hold is written in place, at its channel offset.
void place_concat_inputs(RangePlan& p, const Node& n) {
  const Graph& g = p.g;
  const int o = n.outputs[0];
  const Placement po = p.place[size_t(o)];
  int64_t offset = po.offset;
  for (int t : n.inputs) {
    const bool twice = std::count(n.inputs.begin(), n.inputs.end(), t) > 1;
    const int64_t c = g.tensor(t).shape[1];
    const Shape& ts = g.tensor(t).shape;
    const Shape& os = g.tensor(o).shape;
    if (p.place[size_t(t)].root < 0 && !twice && p.producer[size_t(t)] >= -1 &&
        producer_takes_stride(p, t) && (po.stride == c || readers_take_strides(p, t)) &&
        ts[0] == os[0] && ts[2] == os[2] && ts[3] == os[3])
      p.place[size_t(t)] = {po.root, offset, po.stride};
    offset += c;
  }
}

// A channel split whose outputs sit side by side in one buffer (YOLOv8's C2f:
// both halves are inputs of one concat) gets its input placed there too: the
// input's producer writes straight into the concat and the split copies nothing.
void place_split_input(RangePlan& p, const Node& n) {
  const Graph& g = p.g;
  const int t = n.inputs[0];
  if (p.place[size_t(t)].root >= 0 || p.producer[size_t(t)] < -1 || !p.is_nhwc(t) ||
      !producer_takes_stride(p, t))
    return;
  const Placement p0 = p.place[size_t(n.outputs[0])];
  int64_t expect = p0.offset;
  for (int o : n.outputs) {
    const Placement& po = p.place[size_t(o)];
    if (po.root < 0 || po.root != p0.root || po.stride != p0.stride || po.offset != expect) return;
    expect += g.tensor(o).shape[1];
  }
  if (p0.stride == g.tensor(t).shape[1] || readers_take_strides(p, t)) p.place[size_t(t)] = p0;
}

}  // namespace

void place_tensors(RangePlan& p) {
  const Graph& g = p.g;
  const size_t nt = g.tensors.size();
  p.place.assign(nt, Placement{});
  // Concat placement, last concat first, so an earlier concat whose inputs
  // already sit side by side becomes a view of the later one (DenseNet), and a
  // split feeding a later concat reads from it.
  for (int i = p.last - 1; i >= p.first; --i) {
    const Node& n = g.nodes[size_t(i)];
    if (!p.sup(i).factory) continue;
    if (n.op == OpType::kSplit) place_split_input(p, n);
    // Channel offsets in one buffer: NHWC images only (a logical tensor's concat copies).
    if (n.op != OpType::kConcat || !p.is_nhwc(n.outputs[0])) continue;
    if (place_concat_output(p, n)) place_concat_inputs(p, n);
  }
  // Everything else is its own root.
  for (size_t t = 0; t < nt; ++t)
    if (p.local[t] && p.place[t].root < 0)
      p.place[t] = {int(t), 0, p.is_nhwc(int(t)) ? g.tensors[t].shape[1] : 0};
}

}  // namespace tandem::cpu
