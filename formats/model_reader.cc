// Reads .tdm files: mmap, FlatBuffers Verifier, then semantic checks, so that
// no malformed file reaches the engine.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "formats/model_file.h"
#include "formats/op_params.h"
#include "formats/tandem_generated.h"
#include "graph/shape_inference.h"

namespace tandem {
namespace {

constexpr uint64_t kWeightAlign = 64;
// Sanity bounds far above any real CNN; they keep hostile files from
// making the reader allocate or loop without end.
constexpr size_t kMaxNodes = 1u << 20;
constexpr size_t kMaxTensors = 1u << 22;
constexpr size_t kMaxRank = 8;
constexpr size_t kMaxNodeIO = 1u << 16;
// size prefix + root offset + file identifier
constexpr size_t kHeaderBytes = 12;

std::string tensor_label(const Graph& g, int id) {
  const std::string& name = g.tensors[static_cast<size_t>(id)].name;
  return name.empty() ? "tensor #" + std::to_string(id) : "tensor '" + name + "'";
}

std::string node_label(const std::string& name, size_t index) {
  return name.empty() ? "node #" + std::to_string(index) : "node '" + name + "'";
}

std::string printable(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    char c = static_cast<char>(p[i]);
    if (c >= 0x20 && c < 0x7f) {
      s += c;
    } else {
      static const char* hex = "0123456789abcdef";
      s += "\\x";
      s += hex[p[i] >> 4];
      s += hex[p[i] & 15];
    }
  }
  return s;
}

// A model table that passed the Verifier; the blob region is checked here.
Status check_header(const uint8_t* data, size_t size, const fb::Model** out) {
  if (size == 0) return invalid_model("file is empty");
  if (size < kHeaderBytes)
    return invalid_model("file is truncated: " + std::to_string(size) +
                         " bytes, shorter than the 12-byte header");
  if (!flatbuffers::BufferHasIdentifier(data, fb::ModelIdentifier(), /*size_prefixed=*/true))
    return invalid_model("not a Tandem model: file identifier '" + printable(data + 8, 4) +
                         "', expected '" + fb::ModelIdentifier() + "'");
  uint64_t table_size = flatbuffers::ReadScalar<uint32_t>(data) + uint64_t{4};
  if (table_size > size)
    return invalid_model("file is truncated: the model table needs " + std::to_string(table_size) +
                         " bytes, the file has " + std::to_string(size));
  flatbuffers::Verifier verifier(data, static_cast<size_t>(table_size), /*max_depth=*/64,
                                 /*max_tables=*/16 * kMaxTensors);
  if (!fb::VerifySizePrefixedModelBuffer(verifier))
    return invalid_model("the model table is corrupt (FlatBuffers verification failed)");
  const fb::Model* m = fb::GetSizePrefixedModel(data);
  if (m->schema_version() == 0 || m->min_reader_version() == 0)
    return invalid_model("the model table has no schema version");
  if (m->min_reader_version() > kTdmSchemaVersion)
    return unsupported("file was written by a newer Tandem: schema version " +
                       std::to_string(m->schema_version()) + " needs a reader of version " +
                       std::to_string(m->min_reader_version()) +
                       " or later; this Tandem reads schema version " +
                       std::to_string(kTdmSchemaVersion) + " (upgrade Tandem or re-convert)");
  // Counts first, before any per-element work.
  size_t tensors = m->tensors() ? m->tensors()->size() : 0;
  size_t nodes = m->nodes() ? m->nodes()->size() : 0;
  if (tensors > kMaxTensors)
    return invalid_model(std::to_string(tensors) + " tensors, more than the limit of " +
                         std::to_string(kMaxTensors));
  if (nodes > kMaxNodes)
    return invalid_model(std::to_string(nodes) + " nodes, more than the limit of " +
                         std::to_string(kMaxNodes));
  *out = m;
  return Status();
}

// After the tensors, so a cut-off file names the first tensor it cuts.
Status check_blob(const fb::Model& m, const uint8_t* data, size_t size) {
  uint64_t table_size = flatbuffers::ReadScalar<uint32_t>(data) + uint64_t{4};
  uint64_t woff = m.weights_offset(), wsize = m.weights_size();
  if (woff % kWeightAlign != 0 || woff < table_size || woff > size || wsize > size - woff)
    return invalid_model(
        "weights blob [" + std::to_string(woff) + ", +" + std::to_string(wsize) +
        ") is not a 64-byte aligned range after the model table inside the file (" +
        std::to_string(size) + " bytes)");
  return Status();
}

// Quantization of an int8/int32 tensor (docs/int8.md): counts match the
// axis, scales positive and finite, zero points in the dtype's range.
Status read_quantization(const fb::Quantization* q, const std::string& label, Tensor& t) {
  const bool quantized = t.dtype == DType::kInt8 || t.dtype == DType::kInt32;
  if (!q) {
    if (quantized)
      return invalid_model(label + " is " + dtype_name(t.dtype) + " without quantization");
    return Status();
  }
  if (!quantized)
    return invalid_model(label + " is " + dtype_name(t.dtype) + " but has quantization");
  const size_t count = q->scale() ? q->scale()->size() : 0;
  const size_t zps = q->zero_point() ? q->zero_point()->size() : 0;
  const int axis = q->axis();
  const int64_t rank = static_cast<int64_t>(t.shape.size());
  if (count == 0 || zps != count || axis < -1 || axis >= rank || (axis < 0 && count != 1) ||
      (axis >= 0 && int64_t(count) != t.shape[size_t(axis)]))
    return invalid_model(label + " has " + std::to_string(count) + " scales and " +
                         std::to_string(zps) + " zero points for axis " + std::to_string(axis) +
                         " of shape " + shape_to_string(t.shape));
  const int32_t lo = t.dtype == DType::kInt8 ? -128 : 0, hi = t.dtype == DType::kInt8 ? 127 : 0;
  for (size_t k = 0; k < count; ++k) {
    const float s = q->scale()->Get(flatbuffers::uoffset_t(k));
    const int32_t z = q->zero_point()->Get(flatbuffers::uoffset_t(k));
    if (!(s > 0.0f) || !std::isfinite(s) || z < lo || z > hi)
      return invalid_model(label + " has scale " + std::to_string(s) + " / zero point " +
                           std::to_string(z) +
                           " (scales must be positive and finite, zero points "
                           "in [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "])");
  }
  t.quant.scale.assign(q->scale()->begin(), q->scale()->end());
  t.quant.zero_point.assign(q->zero_point()->begin(), q->zero_point()->end());
  t.quant.axis = axis;
  return Status();
}

Status read_tensors(const fb::Model& m, const uint8_t* data, size_t size,
                    const std::shared_ptr<const void>& owner, Graph& g) {
  const auto* tensors = m.tensors();
  size_t count = tensors ? tensors->size() : 0;
  uint64_t woff = m.weights_offset(), wend = woff + m.weights_size();
  g.tensors.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const fb::Tensor* ft = tensors->Get(static_cast<flatbuffers::uoffset_t>(i));
    Tensor& t = g.tensors[i];
    if (ft->name()) t.name = ft->name()->str();
    std::string label = tensor_label(g, static_cast<int>(i));
    auto dt = static_cast<uint8_t>(ft->dtype());
    if (dt < static_cast<uint8_t>(DType::kFloat32) || dt > static_cast<uint8_t>(DType::kInt32))
      return invalid_model(label + " has unknown dtype " + std::to_string(dt) +
                           " (written by a newer Tandem?)");
    t.dtype = static_cast<DType>(dt);
    if (ft->shape()) {
      if (ft->shape()->size() > kMaxRank)
        return invalid_model(label + " has rank " + std::to_string(ft->shape()->size()) +
                             ", more than " + std::to_string(kMaxRank));
      if (!longs_aligned(ft->shape()))
        return invalid_model(label + " has a misaligned shape vector");
      t.shape.assign(ft->shape()->begin(), ft->shape()->end());
      for (int64_t d : t.shape)
        if (d < 0)
          return invalid_model(label + " has a negative dimension in shape " +
                               shape_to_string(t.shape));
    }
    TANDEM_RETURN_IF_ERROR(read_quantization(ft->quant(), label, t));
    const fb::BlobRef* ref = ft->data();
    if (!ref) continue;
    uint64_t off = ref->offset(), bytes = ref->size();
    std::string range = "[" + std::to_string(off) + ", +" + std::to_string(bytes) + ")";
    if (off > size || bytes > size - off)
      return invalid_model(label + ": weights " + range + " lie outside the file (" +
                           std::to_string(size) + " bytes)");
    if (off < woff || off + bytes > wend)
      return invalid_model(label + ": weights " + range + " lie outside the weights blob [" +
                           std::to_string(woff) + ", " + std::to_string(wend) + ")");
    if (off % kWeightAlign != 0)
      return invalid_model(label + ": weights at offset " + std::to_string(off) +
                           " are not 64-byte aligned");
    int64_t elems = shape_elements(t.shape);
    uint64_t esize = dtype_size(t.dtype);
    if (elems < 0 || static_cast<uint64_t>(elems) > UINT64_MAX / esize ||
        bytes != static_cast<uint64_t>(elems) * esize)
      return invalid_model(label + ": weights hold " + std::to_string(bytes) + " bytes but shape " +
                           shape_to_string(t.shape) + " of " + dtype_name(t.dtype) + " needs " +
                           (elems < 0 || static_cast<uint64_t>(elems) > UINT64_MAX / esize
                                ? std::string("more than 2^64")
                                : std::to_string(static_cast<uint64_t>(elems) * esize)));
    auto c = std::make_shared<ConstantData>();
    c->data = data + off;
    c->bytes = static_cast<size_t>(bytes);
    c->owner = owner;
    t.data = std::move(c);
  }
  return Status();
}

Status read_ids(const flatbuffers::Vector<int32_t>* v, const Graph& g, bool allow_absent,
                const std::string& what, std::vector<int>* out) {
  out->clear();
  if (!v) return Status();
  if (v->size() > kMaxNodeIO)
    return invalid_model(what + " lists " + std::to_string(v->size()) + " tensors, more than " +
                         std::to_string(kMaxNodeIO));
  for (int32_t id : *v) {
    if (!(allow_absent && id == -1) && !g.valid_tensor(id))
      return invalid_model(what + " refers to tensor index " + std::to_string(id) +
                           ", out of range (the model has " + std::to_string(g.tensors.size()) +
                           " tensors)");
    out->push_back(id);
  }
  return Status();
}

Status read_nodes(const fb::Model& m, Graph& g) {
  const auto* nodes = m.nodes();
  size_t count = nodes ? nodes->size() : 0;
  g.nodes.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const fb::Node* fn = nodes->Get(static_cast<flatbuffers::uoffset_t>(i));
    Node& n = g.nodes[i];
    if (fn->name()) n.name = fn->name()->str();
    std::string label = node_label(n.name, i);
    auto raw = static_cast<uint32_t>(fn->op());
    if (!op_is_known(raw))
      return invalid_model(label + " has unknown op type " + std::to_string(raw) +
                           " (written by a newer Tandem?)");
    n.op = static_cast<OpType>(raw);
    TANDEM_RETURN_IF_ERROR(read_ids(fn->inputs(), g, true, label + " input", &n.inputs));
    TANDEM_RETURN_IF_ERROR(read_ids(fn->outputs(), g, false, label + " output", &n.outputs));
    if (n.outputs.empty())
      return invalid_model(label + " (" + std::string(op_name(n.op)) + ") has no outputs");
    for (int t : n.outputs)
      if (g.tensor(t).is_constant())
        return invalid_model(label + " writes " + tensor_label(g, t) + ", which is a constant");
    Status st = read_op_params(*fn, n.op, &n.attrs);
    if (!st.ok()) return st.with_context(label);
  }
  return Status();
}

Status read_plan(const fb::Plan& p, const Graph& g, StoredPlan* plan) {
  if (p.processors())
    for (const auto* s : *p.processors()) plan->processors.push_back(s ? s->str() : "");
  if (p.stages()) {
    for (size_t i = 0; i < p.stages()->size(); ++i) {
      const fb::PlanStage* s = p.stages()->Get(static_cast<flatbuffers::uoffset_t>(i));
      StoredPlan::Stage st;
      if (s->processor()) st.processor = s->processor()->str();
      st.first_node = s->first_node();
      st.last_node = s->last_node();
      st.replicas = s->replicas();
      if (st.first_node < 0 || st.first_node >= st.last_node ||
          static_cast<size_t>(st.last_node) > g.nodes.size() || st.replicas < 1)
        return invalid_model("stored plan stage " + std::to_string(i) + " (" + st.processor +
                             ") has node range [" + std::to_string(st.first_node) + ", " +
                             std::to_string(st.last_node) + ") x" + std::to_string(st.replicas) +
                             ", invalid for " + std::to_string(g.nodes.size()) + " nodes");
      plan->stages.push_back(std::move(st));
    }
  }
  if (p.objective()) plan->objective = p.objective()->str();
  plan->predicted_fps = p.predicted_fps();
  return Status();
}

// Every input is produced before it is read; acyclicity and missing
// producers are reported by topo_sort on a copy, which names the node.
Status check_order(const Graph& g) {
  std::vector<bool> available(g.tensors.size(), false);
  for (size_t t = 0; t < g.tensors.size(); ++t) available[t] = g.tensors[t].is_constant();
  for (int t : g.inputs) available[static_cast<size_t>(t)] = true;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (int t : n.inputs) {
      if (t < 0 || available[static_cast<size_t>(t)]) continue;
      Graph copy;
      copy.tensors = g.tensors;
      copy.nodes = g.nodes;
      copy.inputs = g.inputs;
      TANDEM_RETURN_IF_ERROR(topo_sort(copy));
      return invalid_model(node_label(n.name, i) + " reads " + tensor_label(g, t) +
                           " before a later node produces it (nodes are not in topological order)");
    }
    for (int t : n.outputs) {
      if (available[static_cast<size_t>(t)])
        return invalid_model(node_label(n.name, i) + " writes " + tensor_label(g, t) +
                             ", which is a graph input or already produced");
      available[static_cast<size_t>(t)] = true;
    }
  }
  for (int t : g.outputs)
    if (!available[static_cast<size_t>(t)])
      return invalid_model("graph output " + tensor_label(g, t) + " is never produced");
  return Status();
}

Status check_memory(const Graph& g, uint64_t limit) {
  if (limit == 0) return Status();
  uint64_t total = 0;  // saturating: hostile shapes must not wrap around
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    int64_t elems = shape_elements(t.shape);
    uint64_t esize = dtype_size(t.dtype);
    uint64_t bytes = elems < 0 || static_cast<uint64_t>(elems) > UINT64_MAX / esize
                         ? UINT64_MAX
                         : static_cast<uint64_t>(elems) * esize;
    total = bytes > UINT64_MAX - total ? UINT64_MAX : total + bytes;
    if (total > limit)
      return resource_exhausted("the model needs more than " + std::to_string(limit) +
                                " bytes (ReadOptions::max_memory_bytes) for weights and "
                                "activations; " +
                                tensor_label(g, static_cast<int>(i)) + " crosses the limit");
  }
  return Status();
}

Status parse_model(const uint8_t* data, size_t size, const std::shared_ptr<const void>& owner,
                   const ReadOptions& options, ModelFile* out) {
  const fb::Model* m = nullptr;
  TANDEM_RETURN_IF_ERROR(check_header(data, size, &m));
  Graph& g = out->graph;
  out->schema_version = m->schema_version();
  TANDEM_RETURN_IF_ERROR(read_tensors(*m, data, size, owner, g));
  TANDEM_RETURN_IF_ERROR(check_blob(*m, data, size));
  TANDEM_RETURN_IF_ERROR(read_nodes(*m, g));
  TANDEM_RETURN_IF_ERROR(read_ids(m->inputs(), g, false, "graph input", &g.inputs));
  TANDEM_RETURN_IF_ERROR(read_ids(m->outputs(), g, false, "graph output", &g.outputs));
  for (int t : g.inputs)
    if (g.tensor(t).is_constant())
      return invalid_model("graph input " + tensor_label(g, t) + " is a constant");
  if (g.outputs.empty()) return invalid_model("the model has no outputs");
  if (const fb::Metadata* md = m->metadata()) {
    if (md->producer()) g.metadata.producer = md->producer()->str();
    if (md->producer_version()) g.metadata.producer_version = md->producer_version()->str();
    if (md->source_hash()) g.metadata.source_hash = md->source_hash()->str();
    if (md->input_shapes()) g.metadata.input_shapes = md->input_shapes()->str();
  }
  TANDEM_RETURN_IF_ERROR(check_order(g));
  TANDEM_RETURN_IF_ERROR(infer_shapes(g));
  TANDEM_RETURN_IF_ERROR(check_memory(g, options.max_memory_bytes));
  if (m->plan()) {
    StoredPlan plan;
    TANDEM_RETURN_IF_ERROR(read_plan(*m->plan(), g, &plan));
    out->plan = std::move(plan);
  }
  return Status();
}

}  // namespace

Expected<ModelFile> read_model_file(const std::string& path, const ReadOptions& options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = path + ": cannot open: " + std::strerror(err);
    return err == ENOENT ? not_found(msg) : io_error(msg);
  }
  struct stat sb;
  if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    ::close(fd);
    return io_error(path + ": not a regular file");
  }
  size_t size = static_cast<size_t>(sb.st_size);
  std::shared_ptr<const void> owner;
  const uint8_t* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return io_error(path + ": mmap failed: " + std::strerror(err));
    }
    owner = std::shared_ptr<const void>(
        p, [size](const void* q) { ::munmap(const_cast<void*>(q), size); });
    data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);  // the mapping stays valid without the descriptor
  ModelFile mf;
  Status st = parse_model(data, size, owner, options, &mf);
  if (!st.ok()) return st.with_context(path);
  return mf;
}

Expected<ModelFile> read_model_bytes(const uint8_t* data, size_t size, const std::string& name) {
  // One aligned copy, so constants keep the file's 64-byte alignment.
  size_t padded = (size + kWeightAlign - 1) / kWeightAlign * kWeightAlign;
  std::shared_ptr<const void> owner;
  const uint8_t* copy = nullptr;
  if (size > 0) {
    void* p = std::aligned_alloc(kWeightAlign, padded);
    if (!p)
      return resource_exhausted(name + ": cannot allocate " + std::to_string(size) + " bytes");
    std::memcpy(p, data, size);
    owner = std::shared_ptr<const void>(p, [](const void* q) { std::free(const_cast<void*>(q)); });
    copy = static_cast<const uint8_t*>(p);
  }
  ModelFile mf;
  Status st = parse_model(copy, size, owner, ReadOptions(), &mf);
  if (!st.ok()) return st.with_context(name);
  return mf;
}

}  // namespace tandem
