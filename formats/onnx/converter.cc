// convert_onnx: load -> list unsupported ops -> check -> fix input shapes ->
// ONNX shape inference -> fold shape math and map nodes -> passes -> summary.
#include "formats/onnx/converter.h"

#include <onnx/shape_inference/implementation.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "formats/onnx/input_shapes.h"
#include "formats/onnx/onnx_loader.h"
#include "formats/onnx/op_mappers.h"
#include "formats/onnx/precheck.h"
#include "formats/onnx/qoperator.h"
#include "graph/hash.h"
#include "graph/shape_inference.h"

namespace tandem {
namespace {

using onnx_import::ImportContext;

// FNV-1a 64, the metadata's source hash.
std::string bytes_hash(const void* data, size_t size) {
  return hex64(fnv1a64_bytes(data, size));
}

std::string file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t h = kFnv1aOffsetBasis;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0)
    h = fnv1a64_bytes(buf, static_cast<size_t>(in.gcount()), h);
  return hex64(h);
}

Expected<ConvertResult> convert_model(const std::string& onnx_path, onnx::ModelProto& model,
                                      const std::string& source_hash,
                                      const ConvertOptions& options);

bool is_default_domain(const std::string& d) {
  return d.empty() || d == "ai.onnx";
}

// One error listing every op type Tandem cannot map, with the names of its nodes.
Status check_supported_ops(const std::string& path, const onnx::GraphProto& g) {
  std::map<std::string, std::vector<std::string>> missing;
  for (const auto& n : g.node()) {
    bool known = is_default_domain(n.domain()) && (onnx_import::op_mappers().find(n.op_type()) ||
                                                   onnx_import::is_fold_only_op(n.op_type()));
    if (!known) {
      std::string type =
          is_default_domain(n.domain()) ? n.op_type() : n.domain() + "::" + n.op_type();
      missing[type].push_back(n.name().empty() ? "<unnamed>" : n.name());
    }
  }
  if (missing.empty()) return Status();
  std::string msg = path + ": " + std::to_string(missing.size()) + " unsupported op type" +
                    (missing.size() > 1 ? "s" : "") + ":";
  for (const auto& [type, names] : missing) {
    msg += "\n  " + type + " (" + std::to_string(names.size()) + " node" +
           (names.size() > 1 ? "s" : "") + ": ";
    for (size_t k = 0; k < names.size() && k < 8; ++k) msg += (k ? ", '" : "'") + names[k] + "'";
    if (names.size() > 8) msg += ", and " + std::to_string(names.size() - 8) + " more";
    msg += ")";
  }
  return unsupported(msg);
}

void record_value_info(ImportContext& ctx, const onnx::ValueInfoProto& v) {
  if (!v.type().has_tensor_type()) return;
  const auto& tt = v.type().tensor_type();
  if (tt.elem_type() != 0) ctx.elem_types[v.name()] = tt.elem_type();
  if (!tt.has_shape()) return;
  Shape s;
  for (const auto& d : tt.shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0) return;  // partly dynamic: leave unknown
    s.push_back(d.dim_value());
  }
  ctx.shapes[v.name()] = s;
}

Status run_onnx_shape_inference(const std::string& path, onnx::ModelProto* model, bool fresh) {
  onnx::GraphProto* g = model->mutable_graph();
  if (fresh) {  // shapes the exporter recorded for other input shapes would clash
    g->clear_value_info();
    for (auto& out : *g->mutable_output())
      if (out.type().has_tensor_type()) out.mutable_type()->mutable_tensor_type()->clear_shape();
  }
  try {
    onnx::ShapeInferenceOptions opts(/*check_type=*/false, /*error_mode=*/0, /*data_prop=*/true);
    onnx::shape_inference::InferShapes(*model, onnx::OpSchemaRegistry::Instance(), opts);
  } catch (const std::exception& e) {
    return invalid_model(path + ": ONNX shape inference failed: " + e.what());
  }
  return Status();
}

void record_shapes(ImportContext& ctx, const onnx::GraphProto& g) {
  for (const auto& v : g.input()) record_value_info(ctx, v);
  for (const auto& v : g.value_info()) record_value_info(ctx, v);
  for (const auto& v : g.output()) record_value_info(ctx, v);
  for (const auto& [name, c] : ctx.constants) ctx.shapes[name] = c.shape;
}

Status load_initializers(const std::string& path, const onnx::GraphProto& g, ImportContext& ctx) {
  for (const auto& t : g.initializer()) {
    auto c = onnx_import::decode_tensor(t, t.name());
    if (!c.ok()) return c.status().with_context(path);
    ctx.constants[t.name()] = std::move(c).value();
  }
  return Status();
}

onnx::TensorProto to_tensor_proto(const std::string& name, const onnx_import::ConstValue& c) {
  onnx::TensorProto t;
  t.set_name(name);
  for (int64_t d : c.shape) t.add_dims(d);
  t.set_data_type(c.is_float ? onnx::TensorProto::FLOAT : onnx::TensorProto::INT64);
  if (c.is_float)
    *t.mutable_float_data() = {c.f.begin(), c.f.end()};
  else
    *t.mutable_int64_data() = {c.i.begin(), c.i.end()};
  return t;
}

// Folds shape computations, writes their results back as initializers and
// re-runs ONNX shape inference, until nothing more folds: ONNX's own data
// propagation stops at ops like Div, which torchvision's channel split uses.
Status fold_to_fixpoint(const std::string& path, onnx::ModelProto* model, ImportContext& ctx) {
  for (int round = 0; round < 16; ++round) {
    onnx::GraphProto* g = model->mutable_graph();
    std::vector<int> keep;
    std::vector<std::string> new_consts;
    for (int k = 0; k < g->node_size(); ++k) {
      auto folded = onnx_import::try_fold(ctx, g->node(k));
      if (folded.ok() && *folded) {
        for (const auto& out : g->node(k).output()) new_consts.push_back(out);
      } else {
        keep.push_back(k);  // errors are reported by the mapping pass, with every shape known
      }
    }
    if (new_consts.empty()) return Status();
    onnx::GraphProto kept;
    for (int k : keep) *kept.add_node() = g->node(k);
    g->mutable_node()->Swap(kept.mutable_node());
    for (const std::string& name : new_consts)
      if (const auto* c = ctx.constant(name)) *g->add_initializer() = to_tensor_proto(name, *c);
    TANDEM_RETURN_IF_ERROR(run_onnx_shape_inference(path, model, /*fresh=*/true));
    record_shapes(ctx, model->graph());
  }
  return Status();
}

Status map_graph(const std::string& path, const onnx::GraphProto& g, ImportContext& ctx) {
  std::set<std::string> initializers;
  for (const auto& t : g.initializer()) initializers.insert(t.name());
  for (const auto& v : g.input()) {
    if (initializers.count(v.name())) continue;
    Tensor t;
    t.name = v.name();
    t.shape = ctx.shapes[v.name()];
    int id = ctx.graph.add_tensor(std::move(t));
    ctx.tensor_ids[v.name()] = id;
    ctx.graph.inputs.push_back(id);
  }
  for (const auto& n : g.node())
    for (const auto& in : n.input()) ctx.readers[in]++;
  for (const auto& out : g.output()) ctx.readers[out.name()]++;

  for (const auto& n : g.node()) {
    auto folded = onnx_import::try_fold(ctx, n);
    if (!folded.ok()) return folded.status().with_context(path);
    if (*folded) continue;
    onnx_import::OpMapper fn = onnx_import::op_mappers().find(n.op_type());
    if (!fn) return internal_error(path + ": " + ImportContext::describe(n) + " has no mapper");
    // Ops on constants only that the folder does not know (e.g. Transpose of a weight) become graph
    // nodes on constant tensors; pass_fold_constants evaluates them.
    Status st = fn(ctx, n);
    if (!st.ok()) return st.with_context(path);
  }
  for (const auto& out : g.output()) {
    auto it = ctx.tensor_ids.find(out.name());
    if (it == ctx.tensor_ids.end()) {
      if (ctx.constant(out.name()))
        return unsupported(path + ": graph output '" + out.name() +
                           "' is a constant; nothing to run");
      return invalid_model(path + ": graph output '" + out.name() +
                           "' is not produced by any node");
    }
    ctx.graph.outputs.push_back(it->second);
  }
  if (ctx.graph.inputs.empty()) return unsupported(path + ": the graph has no run-time input");
  return Status();
}

std::string producer_of(const onnx::ModelProto& m) {
  std::string p = m.producer_name();
  if (!m.producer_version().empty()) p += (p.empty() ? "" : " ") + m.producer_version();
  return p.empty() ? "unknown" : p;
}

}  // namespace

Expected<ConvertResult> convert_onnx(const std::string& onnx_path, const ConvertOptions& options) {
  onnx::ModelProto model;
  TANDEM_RETURN_IF_ERROR(onnx_import::load_onnx_model(onnx_path, &model));
  return convert_model(onnx_path, model, file_hash(onnx_path), options);
}

Expected<ConvertResult> convert_onnx_bytes(const void* data, size_t size, const std::string& name,
                                           const ConvertOptions& options) {
  onnx::ModelProto model;
  TANDEM_RETURN_IF_ERROR(onnx_import::parse_onnx_model(data, size, name, &model));
  return convert_model(name, model, bytes_hash(data, size), options);
}

namespace {

Expected<ConvertResult> convert_model(const std::string& onnx_path, onnx::ModelProto& model,
                                      const std::string& source_hash,
                                      const ConvertOptions& options) {
  int64_t opset = onnx_import::default_opset(model);
  if (opset < onnx_import::kMinOpset || opset > onnx_import::kMaxOpset)
    return unsupported(onnx_path + ": opset " + std::to_string(opset) +
                       "; Tandem converts opsets " + std::to_string(onnx_import::kMinOpset) +
                       " to " + std::to_string(onnx_import::kMaxOpset) +
                       " (re-export with torch.onnx.export(..., opset_version=13))");
  const int onnx_nodes = model.graph().node_size();  // as in the file
  int qoperator_nodes = 0;  // QLinearConv & co. become their QDQ form first
  TANDEM_RETURN_IF_ERROR(
      onnx_import::expand_qoperator(onnx_path, model.mutable_graph(), &qoperator_nodes));
  TANDEM_RETURN_IF_ERROR(check_supported_ops(onnx_path, model.graph()));
  TANDEM_RETURN_IF_ERROR(onnx_import::check_onnx_model(onnx_path, &model));
  TANDEM_RETURN_IF_ERROR(onnx_import::precheck_graph(onnx_path, model.graph()));
  const std::string specialised =
      onnx_import::input_shape_note(model.graph(), options.input_shapes);
  TANDEM_RETURN_IF_ERROR(
      onnx_import::fix_input_shapes(onnx_path, model.mutable_graph(), options.input_shapes));
  TANDEM_RETURN_IF_ERROR(
      run_onnx_shape_inference(onnx_path, &model, !options.input_shapes.empty()));

  ImportContext ctx;
  ctx.opset = opset;
  TANDEM_RETURN_IF_ERROR(load_initializers(onnx_path, model.graph(), ctx));
  record_shapes(ctx, model.graph());
  TANDEM_RETURN_IF_ERROR(fold_to_fixpoint(onnx_path, &model, ctx));
  TANDEM_RETURN_IF_ERROR(map_graph(onnx_path, model.graph(), ctx));

  ConvertResult r;
  r.graph = std::move(ctx.graph);
  Graph& g = r.graph;
  g.metadata.producer = "tandem-convert " TANDEM_VERSION;
  g.metadata.producer_version = producer_of(model);
  g.metadata.source_hash = source_hash;
  g.metadata.input_shapes = specialised;
  TANDEM_RETURN_IF_ERROR(topo_sort(g));
  TANDEM_RETURN_IF_ERROR(infer_shapes(g));

  ConvertSummary& s = r.summary;
  s.source_path = onnx_path;
  s.opset = opset;
  s.producer = g.metadata.producer_version;
  s.onnx_nodes = onnx_nodes;
  s.qoperator_nodes = qoperator_nodes;
  s.folded_by_op = ctx.folded_by_op;
  for (const auto& kv : ctx.folded_by_op) s.folded_nodes += kv.second;
  s.nodes_before_passes = static_cast<int>(g.nodes.size());
  if (options.run_passes) {
    auto reports = run_default_passes(g, options.evaluate_constants);
    if (!reports.ok()) return reports.status().with_context(onnx_path);
    s.passes = std::move(reports).value();
  }
  s.nodes_after_passes = static_cast<int>(g.nodes.size());
  s.parameters = graph_parameters(g);
  s.macs = graph_macs(g);
  for (const Node& n : g.nodes) s.op_counts[std::string(op_name(n.op))]++;
  return r;
}

}  // namespace

std::string format_convert_summary(const ConvertSummary& s) {
  std::ostringstream o;
  o << "source:      " << s.source_path << " (opset " << s.opset << ", " << s.producer << ")\n";
  o << "nodes:       " << s.onnx_nodes << " ONNX -> " << s.nodes_before_passes << " mapped -> "
    << s.nodes_after_passes << " after passes\n";
  if (s.qoperator_nodes)
    o << "qoperator:   " << s.qoperator_nodes << " QOperator nodes rewritten into QDQ form\n";
  o << "folded:      " << s.folded_nodes << " ONNX nodes evaluated at conversion";
  if (!s.folded_by_op.empty()) {
    o << " (";
    bool first = true;
    for (const auto& [op, count] : s.folded_by_op) {
      o << (first ? "" : ", ") << op << " " << count;
      first = false;
    }
    o << ")";
  }
  o << "\n";
  for (const PassReport& p : s.passes)
    o << "pass:        " << p.pass << ": " << p.rewrites << " rewrites\n";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f M", static_cast<double>(s.parameters) / 1e6);
  o << "parameters:  " << s.parameters << " (" << buf << ")\n";
  std::snprintf(buf, sizeof buf, "%.3f G", static_cast<double>(s.macs) / 1e9);
  o << "MACs:        " << s.macs << " (" << buf << ")\n";
  o << "ops:        ";
  for (const auto& [op, count] : s.op_counts) o << " " << op << " " << count;
  o << "\n";
  return o.str();
}

}  // namespace tandem
