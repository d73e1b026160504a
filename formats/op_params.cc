#include "formats/op_params.h"

#include <string>

namespace tandem {
namespace {

using LongVec = flatbuffers::Offset<flatbuffers::Vector<int64_t>>;

// Empty lists are left out, so they read back as empty.
LongVec longs(flatbuffers::FlatBufferBuilder& fbb, const std::vector<int64_t>& v) {
  return v.empty() ? LongVec() : fbb.CreateVector(v);
}

flatbuffers::Offset<fb::FusedActivation> activation(flatbuffers::FlatBufferBuilder& fbb,
                                                    const FusedActivation& a) {
  if (!a.active()) return 0;
  return fb::CreateFusedActivation(fbb, a.min, a.max);
}

Status list_into(const flatbuffers::Vector<int64_t>* v, const char* field,
                 std::vector<int64_t>* out, size_t max_size = kMaxParamListSize) {
  out->clear();
  if (!v) return Status();
  if (v->size() > max_size)
    return invalid_model(std::string("parameter '") + field + "' has " + std::to_string(v->size()) +
                         " entries (at most " + std::to_string(max_size) + ")");
  if (!longs_aligned(v))
    return invalid_model(std::string("parameter '") + field + "' is misaligned in the file");
  out->assign(v->begin(), v->end());
  return Status();
}

void activation_into(const fb::FusedActivation* a, FusedActivation* out) {
  *out = FusedActivation();
  if (a) {
    out->min = a->min();
    out->max = a->max();
  }
}

using Builder = flatbuffers::FlatBufferBuilder;
using Params = flatbuffers::Offset<void>;

// Conv
Params write_conv(Builder& fbb, const NodeAttrs& a) {
  auto ks = longs(fbb, a.kernel_shape), st = longs(fbb, a.strides), dl = longs(fbb, a.dilations),
       pd = longs(fbb, a.pads);
  auto act = activation(fbb, a.activation);
  return fb::CreateConvParams(fbb, ks, st, dl, pd, a.group, act).Union();
}
Status read_conv(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_ConvParams();
  TANDEM_RETURN_IF_ERROR(list_into(p->kernel_shape(), "kernel_shape", &a->kernel_shape));
  TANDEM_RETURN_IF_ERROR(list_into(p->strides(), "strides", &a->strides));
  TANDEM_RETURN_IF_ERROR(list_into(p->dilations(), "dilations", &a->dilations));
  TANDEM_RETURN_IF_ERROR(list_into(p->pads(), "pads", &a->pads));
  a->group = p->group();
  activation_into(p->activation(), &a->activation);
  return Status();
}

// BatchNormalization
Params write_batch_norm(Builder& fbb, const NodeAttrs& a) {
  return fb::CreateBatchNormalizationParams(fbb, a.epsilon).Union();
}
Status read_batch_norm(const fb::Node& node, NodeAttrs* a) {
  a->epsilon = node.params_as_BatchNormalizationParams()->epsilon();
  return Status();
}

// Clip
Params write_clip(Builder& fbb, const NodeAttrs& a) {
  return fb::CreateClipParams(fbb, a.clip_min, a.clip_max).Union();
}
Status read_clip(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_ClipParams();
  a->clip_min = p->min();
  a->clip_max = p->max();
  return Status();
}

// HardSigmoid
Params write_hard_sigmoid(Builder& fbb, const NodeAttrs& a) {
  return fb::CreateHardSigmoidParams(fbb, a.alpha, a.beta).Union();
}
Status read_hard_sigmoid(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_HardSigmoidParams();
  a->alpha = p->alpha();
  a->beta = p->beta();
  return Status();
}

// LeakyRelu
Params write_leaky_relu(Builder& fbb, const NodeAttrs& a) {
  return fb::CreateLeakyReluParams(fbb, a.alpha).Union();
}
Status read_leaky_relu(const fb::Node& node, NodeAttrs* a) {
  a->alpha = node.params_as_LeakyReluParams()->alpha();
  return Status();
}

// Add
Params write_add(Builder& fbb, const NodeAttrs& a) {
  auto act = activation(fbb, a.activation);
  return fb::CreateAddParams(fbb, act).Union();
}
Status read_add(const fb::Node& node, NodeAttrs* a) {
  activation_into(node.params_as_AddParams()->activation(), &a->activation);
  return Status();
}

// MaxPool
Params write_max_pool(Builder& fbb, const NodeAttrs& a) {
  auto ks = longs(fbb, a.kernel_shape), st = longs(fbb, a.strides), dl = longs(fbb, a.dilations),
       pd = longs(fbb, a.pads);
  return fb::CreateMaxPoolParams(fbb, ks, st, dl, pd, a.ceil_mode).Union();
}
Status read_max_pool(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_MaxPoolParams();
  TANDEM_RETURN_IF_ERROR(list_into(p->kernel_shape(), "kernel_shape", &a->kernel_shape));
  TANDEM_RETURN_IF_ERROR(list_into(p->strides(), "strides", &a->strides));
  TANDEM_RETURN_IF_ERROR(list_into(p->dilations(), "dilations", &a->dilations));
  TANDEM_RETURN_IF_ERROR(list_into(p->pads(), "pads", &a->pads));
  a->ceil_mode = p->ceil_mode();
  return Status();
}

// AveragePool
Params write_average_pool(Builder& fbb, const NodeAttrs& a) {
  auto ks = longs(fbb, a.kernel_shape), st = longs(fbb, a.strides), pd = longs(fbb, a.pads);
  return fb::CreateAveragePoolParams(fbb, ks, st, pd, a.ceil_mode, a.count_include_pad).Union();
}
Status read_average_pool(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_AveragePoolParams();
  TANDEM_RETURN_IF_ERROR(list_into(p->kernel_shape(), "kernel_shape", &a->kernel_shape));
  TANDEM_RETURN_IF_ERROR(list_into(p->strides(), "strides", &a->strides));
  TANDEM_RETURN_IF_ERROR(list_into(p->pads(), "pads", &a->pads));
  a->ceil_mode = p->ceil_mode();
  a->count_include_pad = p->count_include_pad();
  return Status();
}

// ReduceMean
Params write_reduce_mean(Builder& fbb, const NodeAttrs& a) {
  auto ax = longs(fbb, a.axes);
  return fb::CreateReduceMeanParams(fbb, ax, a.keepdims).Union();
}
Status read_reduce_mean(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_ReduceMeanParams();
  TANDEM_RETURN_IF_ERROR(list_into(p->axes(), "axes", &a->axes));
  a->keepdims = p->keepdims();
  return Status();
}

// Concat
Params write_concat(Builder& fbb, const NodeAttrs& a) {
  return fb::CreateConcatParams(fbb, a.axis).Union();
}
Status read_concat(const fb::Node& node, NodeAttrs* a) {
  a->axis = node.params_as_ConcatParams()->axis();
  return Status();
}

// Split
Params write_split(Builder& fbb, const NodeAttrs& a) {
  auto sp = longs(fbb, a.split);
  return fb::CreateSplitParams(fbb, a.axis, sp).Union();
}
Status read_split(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_SplitParams();
  a->axis = p->axis();
  return list_into(p->split(), "split", &a->split);
}

// Slice
Params write_slice(Builder& fbb, const NodeAttrs& a) {
  auto s = longs(fbb, a.starts), e = longs(fbb, a.ends), ax = longs(fbb, a.axes),
       st = longs(fbb, a.steps);
  return fb::CreateSliceParams(fbb, s, e, ax, st).Union();
}
Status read_slice(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_SliceParams();
  TANDEM_RETURN_IF_ERROR(list_into(p->starts(), "starts", &a->starts));
  TANDEM_RETURN_IF_ERROR(list_into(p->ends(), "ends", &a->ends));
  TANDEM_RETURN_IF_ERROR(list_into(p->axes(), "axes", &a->axes));
  return list_into(p->steps(), "steps", &a->steps);
}

// Transpose
Params write_transpose(Builder& fbb, const NodeAttrs& a) {
  auto p = longs(fbb, a.perm);
  return fb::CreateTransposeParams(fbb, p).Union();
}
Status read_transpose(const fb::Node& node, NodeAttrs* a) {
  return list_into(node.params_as_TransposeParams()->perm(), "perm", &a->perm);
}

// Reshape
Params write_reshape(Builder& fbb, const NodeAttrs& a) {
  auto s = longs(fbb, a.shape);
  return fb::CreateReshapeParams(fbb, s).Union();
}
Status read_reshape(const fb::Node& node, NodeAttrs* a) {
  return list_into(node.params_as_ReshapeParams()->shape(), "shape", &a->shape);
}

// Flatten
Params write_flatten(Builder& fbb, const NodeAttrs& a) {
  return fb::CreateFlattenParams(fbb, a.axis).Union();
}
Status read_flatten(const fb::Node& node, NodeAttrs* a) {
  a->axis = node.params_as_FlattenParams()->axis();
  return Status();
}

// Gemm
Params write_gemm(Builder& fbb, const NodeAttrs& a) {
  auto act = activation(fbb, a.activation);
  return fb::CreateGemmParams(fbb, a.alpha, a.beta, a.trans_a, a.trans_b, act).Union();
}
Status read_gemm(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_GemmParams();
  a->alpha = p->alpha();
  a->beta = p->beta();
  a->trans_a = p->trans_a();
  a->trans_b = p->trans_b();
  activation_into(p->activation(), &a->activation);
  return Status();
}

// MatMul
Params write_matmul(Builder& fbb, const NodeAttrs& a) {
  auto act = activation(fbb, a.activation);
  return fb::CreateMatMulParams(fbb, act).Union();
}
Status read_matmul(const fb::Node& node, NodeAttrs* a) {
  activation_into(node.params_as_MatMulParams()->activation(), &a->activation);
  return Status();
}

// Softmax
Params write_softmax(Builder& fbb, const NodeAttrs& a) {
  return fb::CreateSoftmaxParams(fbb, a.axis).Union();
}
Status read_softmax(const fb::Node& node, NodeAttrs* a) {
  a->axis = node.params_as_SoftmaxParams()->axis();
  return Status();
}

// Pad
Params write_pad(Builder& fbb, const NodeAttrs& a) {
  auto pd = longs(fbb, a.pads);
  return fb::CreatePadParams(fbb, pd, static_cast<fb::PadMode>(a.pad_mode), a.pad_value).Union();
}
Status read_pad(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_PadParams();
  TANDEM_RETURN_IF_ERROR(list_into(p->pads(), "pads", &a->pads));
  auto mode = static_cast<uint8_t>(p->mode());
  if (mode > static_cast<uint8_t>(PadMode::kEdge))
    return invalid_model("unknown pad mode " + std::to_string(mode));
  a->pad_mode = static_cast<PadMode>(mode);
  a->pad_value = p->value();
  return Status();
}

// Resize
Params write_resize(Builder& fbb, const NodeAttrs& a) {
  auto sc = a.scales.empty() ? flatbuffers::Offset<flatbuffers::Vector<float>>()
                             : fbb.CreateVector(a.scales);
  auto sz = longs(fbb, a.sizes);
  return fb::CreateResizeParams(fbb, static_cast<fb::ResizeMode>(a.resize_mode),
                                static_cast<fb::ResizeCoordinate>(a.resize_coordinate),
                                static_cast<fb::ResizeNearest>(a.resize_nearest), sc, sz,
                                a.resize_from_sizes)
      .Union();
}
Status read_resize(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_ResizeParams();
  const auto mode = static_cast<uint8_t>(p->mode()), coord = static_cast<uint8_t>(p->coordinate()),
             nearest = static_cast<uint8_t>(p->nearest());
  if (mode > static_cast<uint8_t>(ResizeMode::kLinear))
    return invalid_model("unknown resize mode " + std::to_string(mode));
  if (coord > static_cast<uint8_t>(ResizeCoordinate::kHalfPixelSymmetric))
    return invalid_model("unknown resize coordinate transformation " + std::to_string(coord));
  if (nearest > static_cast<uint8_t>(ResizeNearest::kCeil))
    return invalid_model("unknown resize nearest mode " + std::to_string(nearest));
  a->resize_mode = static_cast<ResizeMode>(mode);
  a->resize_coordinate = static_cast<ResizeCoordinate>(coord);
  a->resize_nearest = static_cast<ResizeNearest>(nearest);
  a->resize_from_sizes = p->from_sizes();
  a->scales.clear();
  if (const auto* sc = p->scales()) {
    if (sc->size() > kMaxParamListSize)
      return invalid_model("parameter 'scales' has " + std::to_string(sc->size()) + " entries");
    a->scales.assign(sc->begin(), sc->end());
  }
  return list_into(p->sizes(), "sizes", &a->sizes);
}

// LayerNormalization
Params write_layer_norm(Builder& fbb, const NodeAttrs& a) {
  auto ax = longs(fbb, a.axes);
  return fb::CreateLayerNormalizationParams(fbb, ax, a.epsilon).Union();
}
Status read_layer_norm(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_LayerNormalizationParams();
  TANDEM_RETURN_IF_ERROR(list_into(p->axes(), "axes", &a->axes));
  a->epsilon = p->epsilon();
  return Status();
}

// Gelu
Params write_gelu(Builder& fbb, const NodeAttrs& a) {
  return fb::CreateGeluParams(fbb, static_cast<fb::GeluApproximate>(a.gelu_approximate)).Union();
}
Status read_gelu(const fb::Node& node, NodeAttrs* a) {
  const auto v = static_cast<uint8_t>(node.params_as_GeluParams()->approximate());
  if (v > static_cast<uint8_t>(GeluApproximate::kTanh))
    return invalid_model("unknown gelu approximation " + std::to_string(v));
  a->gelu_approximate = static_cast<GeluApproximate>(v);
  return Status();
}

// ReduceSum
Params write_reduce_sum(Builder& fbb, const NodeAttrs& a) {
  auto ax = longs(fbb, a.axes);
  return fb::CreateReduceSumParams(fbb, ax, a.keepdims).Union();
}
Status read_reduce_sum(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_ReduceSumParams();
  TANDEM_RETURN_IF_ERROR(list_into(p->axes(), "axes", &a->axes));
  a->keepdims = p->keepdims();
  return Status();
}

// Gather
Params write_gather(Builder& fbb, const NodeAttrs& a) {
  auto idx = longs(fbb, a.indices), shp = longs(fbb, a.indices_shape);
  return fb::CreateGatherParams(fbb, a.axis, idx, shp).Union();
}
Status read_gather(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_GatherParams();
  a->axis = p->axis();
  TANDEM_RETURN_IF_ERROR(list_into(p->indices(), "indices", &a->indices, kMaxGatherIndices));
  return list_into(p->indices_shape(), "indices_shape", &a->indices_shape);
}

// One row per op with parameters: its table in the OpParams union of
// tandem.fbs and how its NodeAttrs are written and read. An op without a row
// has no parameters (type NONE).
struct ParamCodec {
  OpType op;
  fb::OpParams type;
  Params (*write)(Builder& fbb, const NodeAttrs& a);
  Status (*read)(const fb::Node& node, NodeAttrs* a);
};

// QConv
Params write_qconv(Builder& fbb, const NodeAttrs& a) {
  auto ks = longs(fbb, a.kernel_shape), st = longs(fbb, a.strides), dl = longs(fbb, a.dilations),
       pd = longs(fbb, a.pads);
  return fb::CreateQConvParams(fbb, ks, st, dl, pd, a.group, a.qmin, a.qmax).Union();
}
Status read_qconv(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_QConvParams();
  TANDEM_RETURN_IF_ERROR(list_into(p->kernel_shape(), "kernel_shape", &a->kernel_shape));
  TANDEM_RETURN_IF_ERROR(list_into(p->strides(), "strides", &a->strides));
  TANDEM_RETURN_IF_ERROR(list_into(p->dilations(), "dilations", &a->dilations));
  TANDEM_RETURN_IF_ERROR(list_into(p->pads(), "pads", &a->pads));
  a->group = p->group();
  a->qmin = p->act_min();
  a->qmax = p->act_max();
  return Status();
}

// QGemm
Params write_qgemm(Builder& fbb, const NodeAttrs& a) {
  return fb::CreateQGemmParams(fbb, a.qmin, a.qmax).Union();
}
Status read_qgemm(const fb::Node& node, NodeAttrs* a) {
  a->qmin = node.params_as_QGemmParams()->act_min();
  a->qmax = node.params_as_QGemmParams()->act_max();
  return Status();
}

// QConcat
Params write_qconcat(Builder& fbb, const NodeAttrs& a) {
  return fb::CreateQConcatParams(fbb, a.axis).Union();
}
Status read_qconcat(const fb::Node& node, NodeAttrs* a) {
  a->axis = node.params_as_QConcatParams()->axis();
  return Status();
}

// QMaxPool
Params write_qmax_pool(Builder& fbb, const NodeAttrs& a) {
  auto ks = longs(fbb, a.kernel_shape), st = longs(fbb, a.strides), dl = longs(fbb, a.dilations),
       pd = longs(fbb, a.pads);
  return fb::CreateQMaxPoolParams(fbb, ks, st, dl, pd, a.ceil_mode).Union();
}
Status read_qmax_pool(const fb::Node& node, NodeAttrs* a) {
  const auto* p = node.params_as_QMaxPoolParams();
  TANDEM_RETURN_IF_ERROR(list_into(p->kernel_shape(), "kernel_shape", &a->kernel_shape));
  TANDEM_RETURN_IF_ERROR(list_into(p->strides(), "strides", &a->strides));
  TANDEM_RETURN_IF_ERROR(list_into(p->dilations(), "dilations", &a->dilations));
  TANDEM_RETURN_IF_ERROR(list_into(p->pads(), "pads", &a->pads));
  a->ceil_mode = p->ceil_mode();
  return Status();
}

const ParamCodec kParamCodecs[] = {
    {OpType::kConv, fb::OpParams::ConvParams, write_conv, read_conv},
    {OpType::kBatchNormalization, fb::OpParams::BatchNormalizationParams, write_batch_norm,
     read_batch_norm},
    {OpType::kClip, fb::OpParams::ClipParams, write_clip, read_clip},
    {OpType::kHardSigmoid, fb::OpParams::HardSigmoidParams, write_hard_sigmoid, read_hard_sigmoid},
    {OpType::kLeakyRelu, fb::OpParams::LeakyReluParams, write_leaky_relu, read_leaky_relu},
    {OpType::kAdd, fb::OpParams::AddParams, write_add, read_add},
    {OpType::kMaxPool, fb::OpParams::MaxPoolParams, write_max_pool, read_max_pool},
    {OpType::kAveragePool, fb::OpParams::AveragePoolParams, write_average_pool, read_average_pool},
    {OpType::kReduceMean, fb::OpParams::ReduceMeanParams, write_reduce_mean, read_reduce_mean},
    {OpType::kConcat, fb::OpParams::ConcatParams, write_concat, read_concat},
    {OpType::kSplit, fb::OpParams::SplitParams, write_split, read_split},
    {OpType::kSlice, fb::OpParams::SliceParams, write_slice, read_slice},
    {OpType::kTranspose, fb::OpParams::TransposeParams, write_transpose, read_transpose},
    {OpType::kReshape, fb::OpParams::ReshapeParams, write_reshape, read_reshape},
    {OpType::kFlatten, fb::OpParams::FlattenParams, write_flatten, read_flatten},
    {OpType::kGemm, fb::OpParams::GemmParams, write_gemm, read_gemm},
    {OpType::kMatMul, fb::OpParams::MatMulParams, write_matmul, read_matmul},
    {OpType::kSoftmax, fb::OpParams::SoftmaxParams, write_softmax, read_softmax},
    {OpType::kPad, fb::OpParams::PadParams, write_pad, read_pad},
    {OpType::kResize, fb::OpParams::ResizeParams, write_resize, read_resize},
    {OpType::kLayerNormalization, fb::OpParams::LayerNormalizationParams, write_layer_norm,
     read_layer_norm},
    {OpType::kGelu, fb::OpParams::GeluParams, write_gelu, read_gelu},
    {OpType::kQConv, fb::OpParams::QConvParams, write_qconv, read_qconv},
    {OpType::kQGemm, fb::OpParams::QGemmParams, write_qgemm, read_qgemm},
    {OpType::kQConcat, fb::OpParams::QConcatParams, write_qconcat, read_qconcat},
    {OpType::kQMaxPool, fb::OpParams::QMaxPoolParams, write_qmax_pool, read_qmax_pool},
    {OpType::kGather, fb::OpParams::GatherParams, write_gather, read_gather},
    {OpType::kReduceSum, fb::OpParams::ReduceSumParams, write_reduce_sum, read_reduce_sum},
};

const ParamCodec* find_codec(OpType op) {
  for (const ParamCodec& c : kParamCodecs)
    if (c.op == op) return &c;
  return nullptr;
}

}  // namespace

flatbuffers::Offset<void> build_op_params(flatbuffers::FlatBufferBuilder& fbb, const Node& n,
                                          fb::OpParams* type) {
  const ParamCodec* codec = find_codec(n.op);
  *type = codec ? codec->type : fb::OpParams::NONE;
  return codec ? codec->write(fbb, n.attrs) : 0;
}

fb::OpParams op_params_type(OpType op) {
  const ParamCodec* codec = find_codec(op);
  return codec ? codec->type : fb::OpParams::NONE;
}

Status read_op_params(const fb::Node& node, OpType op, NodeAttrs* attrs) {
  *attrs = NodeAttrs();
  fb::OpParams type = node.params_type();
  if (type == fb::OpParams::NONE || !node.params()) return Status();
  const ParamCodec* codec = find_codec(op);
  if (!codec || type != codec->type) {
    const char* tname = fb::EnumNameOpParams(type);
    return invalid_model(
        std::string("parameters of type ") +
        (tname && *tname ? tname : std::to_string(static_cast<int>(type)).c_str()) +
        " do not belong to op " + std::string(op_name(op)));
  }
  return codec->read(node, attrs);
}

}  // namespace tandem
