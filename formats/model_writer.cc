// Writes .tdm files: [size-prefixed FlatBuffer][pad to 64][weights blob].
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "formats/model_file.h"
#include "formats/op_params.h"
#include "formats/tandem_generated.h"

namespace tandem {
namespace {

constexpr uint64_t kWeightAlign = 64;

uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) / a * a;
}

// Checks what the writer relies on so that a bad graph gives an error, not a bad file.
Status check_writable(const Graph& g) {
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    if (!t.is_constant()) continue;
    int64_t elems = shape_elements(t.shape);
    uint64_t esize = dtype_size(t.dtype);
    if (esize == 0)
      return invalid_argument("constant tensor '" + t.name + "' has an unknown dtype");
    if (elems < 0 || static_cast<uint64_t>(elems) > UINT64_MAX / esize ||
        t.data->bytes != static_cast<uint64_t>(elems) * esize)
      return invalid_argument("constant tensor '" + t.name + "' holds " +
                              std::to_string(t.data->bytes) +
                              " bytes, which does not match its shape " + shape_to_string(t.shape) +
                              " of " + dtype_name(t.dtype));
    if (t.data->bytes > 0 && !t.data->data)
      return invalid_argument("constant tensor '" + t.name + "' has no data");
  }
  for (const Node& n : g.nodes) {
    for (int id : n.inputs)
      if (id != -1 && !g.valid_tensor(id))
        return invalid_argument("node '" + n.name + "' reads tensor id " + std::to_string(id) +
                                " which does not exist");
    for (int id : n.outputs)
      if (!g.valid_tensor(id))
        return invalid_argument("node '" + n.name + "' writes tensor id " + std::to_string(id) +
                                " which does not exist");
  }
  for (int id : g.inputs)
    if (!g.valid_tensor(id))
      return invalid_argument("graph input id " + std::to_string(id) + " out of range");
  for (int id : g.outputs)
    if (!g.valid_tensor(id))
      return invalid_argument("graph output id " + std::to_string(id) + " out of range");
  // Readers require topological order (stored plans index nodes), so refuse anything else.
  std::vector<bool> available(g.tensors.size(), false);
  for (size_t t = 0; t < g.tensors.size(); ++t) available[t] = g.tensors[t].is_constant();
  for (int id : g.inputs) available[static_cast<size_t>(id)] = true;
  for (const Node& n : g.nodes) {
    for (int id : n.inputs)
      if (id >= 0 && !available[static_cast<size_t>(id)])
        return invalid_argument("node '" + n.name + "' reads tensor '" + g.tensor(id).name +
                                "' before it is produced (run topo_sort first)");
    for (int id : n.outputs) available[static_cast<size_t>(id)] = true;
  }
  return Status();
}

// Builds the FlatBuffer with constants placed from `weights_base` on;
// `offsets` receives each constant's absolute file offset (0 for others).
void build_model(flatbuffers::FlatBufferBuilder& fbb, const Graph& g, const StoredPlan* plan,
                 uint64_t weights_base, std::vector<uint64_t>* offsets, uint64_t* weights_size) {
  offsets->assign(g.tensors.size(), 0);
  uint64_t cursor = 0;
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  tensors.reserve(g.tensors.size());
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    auto name = fbb.CreateString(t.name);
    auto shape = fbb.CreateVector(t.shape);
    fb::BlobRef ref;
    if (t.is_constant()) {
      (*offsets)[i] = weights_base + cursor;
      ref = fb::BlobRef(weights_base + cursor, t.data->bytes);
      cursor = align_up(cursor + t.data->bytes, kWeightAlign);
    }
    flatbuffers::Offset<fb::Quantization> quant;
    if (!t.quant.empty())
      quant = fb::CreateQuantization(fbb, fbb.CreateVector(t.quant.scale),
                                     fbb.CreateVector(t.quant.zero_point), t.quant.axis);
    tensors.push_back(fb::CreateTensor(fbb, name, static_cast<fb::DType>(t.dtype), shape,
                                       t.is_constant() ? &ref : nullptr, quant));
  }
  *weights_size = cursor;

  std::vector<flatbuffers::Offset<fb::Node>> nodes;
  nodes.reserve(g.nodes.size());
  for (const Node& n : g.nodes) {
    auto name = fbb.CreateString(n.name);
    auto ins = fbb.CreateVector(n.inputs);
    auto outs = fbb.CreateVector(n.outputs);
    fb::OpParams ptype;
    auto params = build_op_params(fbb, n, &ptype);
    nodes.push_back(
        fb::CreateNode(fbb, name, static_cast<fb::OpType>(n.op), ins, outs, ptype, params));
  }

  auto meta = fb::CreateMetadataDirect(
      fbb, g.metadata.producer.c_str(), g.metadata.producer_version.c_str(),
      g.metadata.source_hash.c_str(),
      g.metadata.input_shapes.empty() ? nullptr : g.metadata.input_shapes.c_str());
  flatbuffers::Offset<fb::Plan> fplan = 0;
  if (plan) {
    std::vector<flatbuffers::Offset<flatbuffers::String>> procs;
    for (const std::string& p : plan->processors) procs.push_back(fbb.CreateString(p));
    std::vector<flatbuffers::Offset<fb::PlanStage>> stages;
    for (const StoredPlan::Stage& s : plan->stages)
      stages.push_back(fb::CreatePlanStageDirect(fbb, s.processor.c_str(), s.first_node,
                                                 s.last_node, s.replicas));
    fplan =
        fb::CreatePlanDirect(fbb, &procs, &stages, plan->objective.c_str(), plan->predicted_fps);
  }
  auto fts = fbb.CreateVector(tensors);
  auto fns = fbb.CreateVector(nodes);
  auto fin = fbb.CreateVector(g.inputs);
  auto fout = fbb.CreateVector(g.outputs);
  auto model = fb::CreateModel(fbb, kTdmSchemaVersion, kTdmMinReaderVersion, fts, fns, fin, fout,
                               meta, fplan, weights_base, cursor);
  fb::FinishSizePrefixedModelBuffer(fbb, model);
}

Status write_all(std::FILE* f, const void* data, size_t n, const std::string& path) {
  if (n && std::fwrite(data, 1, n, f) != n)
    return io_error(path + ": write failed: " + std::strerror(errno));
  return Status();
}

Status write_padding(std::FILE* f, uint64_t n, const std::string& path) {
  static const uint8_t zeros[kWeightAlign] = {};
  return write_all(f, zeros, static_cast<size_t>(n), path);
}

Status write_contents(std::FILE* f, const std::string& path, const Graph& g,
                      const flatbuffers::FlatBufferBuilder& fbb,
                      const std::vector<uint64_t>& offsets) {
  uint64_t pos = fbb.GetSize();
  TANDEM_RETURN_IF_ERROR(write_all(f, fbb.GetBufferPointer(), fbb.GetSize(), path));
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    if (!t.is_constant()) continue;
    TANDEM_RETURN_IF_ERROR(write_padding(f, offsets[i] - pos, path));
    TANDEM_RETURN_IF_ERROR(write_all(f, t.data->data, t.data->bytes, path));
    pos = offsets[i] + t.data->bytes;
  }
  // Tail padding so the blob ends on the alignment too (SIMD over-reads stay inside).
  TANDEM_RETURN_IF_ERROR(write_padding(f, align_up(pos, kWeightAlign) - pos, path));
  if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0)
    return io_error(path + ": flush failed: " + std::strerror(errno));
  return Status();
}

}  // namespace

Status write_model_file(const std::string& path, const Graph& g, const StoredPlan* plan) {
  Status st = check_writable(g);
  if (!st.ok()) return st.with_context(path);

  // Two passes: the first learns the FlatBuffer's size, which places the blob.
  // Offsets live in fixed-size structs, so the second pass has the same size.
  std::vector<uint64_t> offsets;
  uint64_t weights_size = 0;
  flatbuffers::FlatBufferBuilder probe(1 << 16);
  build_model(probe, g, plan, kWeightAlign, &offsets,
              &weights_size);  // non-zero: same fields present
  uint64_t base = align_up(probe.GetSize(), kWeightAlign);
  flatbuffers::FlatBufferBuilder fbb(probe.GetSize() + 64);
  build_model(fbb, g, plan, base, &offsets, &weights_size);
  if (fbb.GetSize() != probe.GetSize())
    return internal_error(path + ": model table size changed between passes");

  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return io_error(path + ": cannot create " + tmp + ": " + std::strerror(errno));
  st = write_contents(f, path, g, fbb, offsets);
  if (std::fclose(f) != 0 && st.ok())
    st = io_error(path + ": close failed: " + std::strerror(errno));
  if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0)
    st = io_error(path + ": rename from " + tmp + " failed: " + std::strerror(errno));
  if (!st.ok()) std::remove(tmp.c_str());
  return st;
}

}  // namespace tandem
