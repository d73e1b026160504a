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
                 std::vector<int64_t>* out) {
  out->clear();
  if (!v) return Status();
  if (v->size() > kMaxParamListSize)
    return invalid_model(std::string("parameter '") + field + "' has " + std::to_string(v->size()) +
                         " entries (at most " + std::to_string(kMaxParamListSize) + ")");
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

}  // namespace

flatbuffers::Offset<void> build_op_params(flatbuffers::FlatBufferBuilder& fbb, const Node& n,
                                          fb::OpParams* type) {
  const NodeAttrs& a = n.attrs;
  *type = fb::OpParams::NONE;
  switch (n.op) {
    case OpType::kConv: {
      auto ks = longs(fbb, a.kernel_shape), st = longs(fbb, a.strides),
           dl = longs(fbb, a.dilations), pd = longs(fbb, a.pads);
      auto act = activation(fbb, a.activation);
      *type = fb::OpParams::ConvParams;
      return fb::CreateConvParams(fbb, ks, st, dl, pd, a.group, act).Union();
    }
    case OpType::kBatchNormalization:
      *type = fb::OpParams::BatchNormalizationParams;
      return fb::CreateBatchNormalizationParams(fbb, a.epsilon).Union();
    case OpType::kClip:
      *type = fb::OpParams::ClipParams;
      return fb::CreateClipParams(fbb, a.clip_min, a.clip_max).Union();
    case OpType::kHardSigmoid:
      *type = fb::OpParams::HardSigmoidParams;
      return fb::CreateHardSigmoidParams(fbb, a.alpha, a.beta).Union();
    case OpType::kLeakyRelu:
      *type = fb::OpParams::LeakyReluParams;
      return fb::CreateLeakyReluParams(fbb, a.alpha).Union();
    case OpType::kAdd: {
      auto act = activation(fbb, a.activation);
      *type = fb::OpParams::AddParams;
      return fb::CreateAddParams(fbb, act).Union();
    }
    case OpType::kMaxPool: {
      auto ks = longs(fbb, a.kernel_shape), st = longs(fbb, a.strides),
           dl = longs(fbb, a.dilations), pd = longs(fbb, a.pads);
      *type = fb::OpParams::MaxPoolParams;
      return fb::CreateMaxPoolParams(fbb, ks, st, dl, pd, a.ceil_mode).Union();
    }
    case OpType::kAveragePool: {
      auto ks = longs(fbb, a.kernel_shape), st = longs(fbb, a.strides), pd = longs(fbb, a.pads);
      *type = fb::OpParams::AveragePoolParams;
      return fb::CreateAveragePoolParams(fbb, ks, st, pd, a.ceil_mode, a.count_include_pad).Union();
    }
    case OpType::kReduceMean: {
      auto ax = longs(fbb, a.axes);
      *type = fb::OpParams::ReduceMeanParams;
      return fb::CreateReduceMeanParams(fbb, ax, a.keepdims).Union();
    }
    case OpType::kConcat:
      *type = fb::OpParams::ConcatParams;
      return fb::CreateConcatParams(fbb, a.axis).Union();
    case OpType::kSplit: {
      auto sp = longs(fbb, a.split);
      *type = fb::OpParams::SplitParams;
      return fb::CreateSplitParams(fbb, a.axis, sp).Union();
    }
    case OpType::kSlice: {
      auto s = longs(fbb, a.starts), e = longs(fbb, a.ends), ax = longs(fbb, a.axes),
           st = longs(fbb, a.steps);
      *type = fb::OpParams::SliceParams;
      return fb::CreateSliceParams(fbb, s, e, ax, st).Union();
    }
    case OpType::kTranspose: {
      auto p = longs(fbb, a.perm);
      *type = fb::OpParams::TransposeParams;
      return fb::CreateTransposeParams(fbb, p).Union();
    }
    case OpType::kReshape: {
      auto s = longs(fbb, a.shape);
      *type = fb::OpParams::ReshapeParams;
      return fb::CreateReshapeParams(fbb, s).Union();
    }
    case OpType::kFlatten:
      *type = fb::OpParams::FlattenParams;
      return fb::CreateFlattenParams(fbb, a.axis).Union();
    case OpType::kGemm: {
      auto act = activation(fbb, a.activation);
      *type = fb::OpParams::GemmParams;
      return fb::CreateGemmParams(fbb, a.alpha, a.beta, a.trans_a, a.trans_b, act).Union();
    }
    case OpType::kMatMul: {
      auto act = activation(fbb, a.activation);
      *type = fb::OpParams::MatMulParams;
      return fb::CreateMatMulParams(fbb, act).Union();
    }
    case OpType::kSoftmax:
      *type = fb::OpParams::SoftmaxParams;
      return fb::CreateSoftmaxParams(fbb, a.axis).Union();
    case OpType::kPad: {
      auto pd = longs(fbb, a.pads);
      *type = fb::OpParams::PadParams;
      return fb::CreatePadParams(fbb, pd, static_cast<fb::PadMode>(a.pad_mode), a.pad_value)
          .Union();
    }
    default:
      return 0;  // no parameters
  }
}

// Which parameter table each op carries (NONE: the op has no parameters).
static fb::OpParams params_type_of(OpType op) {
  switch (op) {
    case OpType::kConv:
      return fb::OpParams::ConvParams;
    case OpType::kBatchNormalization:
      return fb::OpParams::BatchNormalizationParams;
    case OpType::kClip:
      return fb::OpParams::ClipParams;
    case OpType::kHardSigmoid:
      return fb::OpParams::HardSigmoidParams;
    case OpType::kLeakyRelu:
      return fb::OpParams::LeakyReluParams;
    case OpType::kAdd:
      return fb::OpParams::AddParams;
    case OpType::kMaxPool:
      return fb::OpParams::MaxPoolParams;
    case OpType::kAveragePool:
      return fb::OpParams::AveragePoolParams;
    case OpType::kReduceMean:
      return fb::OpParams::ReduceMeanParams;
    case OpType::kConcat:
      return fb::OpParams::ConcatParams;
    case OpType::kSplit:
      return fb::OpParams::SplitParams;
    case OpType::kSlice:
      return fb::OpParams::SliceParams;
    case OpType::kTranspose:
      return fb::OpParams::TransposeParams;
    case OpType::kReshape:
      return fb::OpParams::ReshapeParams;
    case OpType::kFlatten:
      return fb::OpParams::FlattenParams;
    case OpType::kGemm:
      return fb::OpParams::GemmParams;
    case OpType::kMatMul:
      return fb::OpParams::MatMulParams;
    case OpType::kSoftmax:
      return fb::OpParams::SoftmaxParams;
    case OpType::kPad:
      return fb::OpParams::PadParams;
    default:
      return fb::OpParams::NONE;
  }
}

Status read_op_params(const fb::Node& node, OpType op, NodeAttrs* attrs) {
  *attrs = NodeAttrs();
  fb::OpParams type = node.params_type();
  if (type == fb::OpParams::NONE || !node.params()) return Status();
  if (type != params_type_of(op)) {
    const char* tname = fb::EnumNameOpParams(type);
    return invalid_model(
        std::string("parameters of type ") +
        (tname && *tname ? tname : std::to_string(static_cast<int>(type)).c_str()) +
        " do not belong to op " + std::string(op_name(op)));
  }
  NodeAttrs& a = *attrs;
  switch (op) {
    case OpType::kConv: {
      const auto* p = node.params_as_ConvParams();
      TANDEM_RETURN_IF_ERROR(list_into(p->kernel_shape(), "kernel_shape", &a.kernel_shape));
      TANDEM_RETURN_IF_ERROR(list_into(p->strides(), "strides", &a.strides));
      TANDEM_RETURN_IF_ERROR(list_into(p->dilations(), "dilations", &a.dilations));
      TANDEM_RETURN_IF_ERROR(list_into(p->pads(), "pads", &a.pads));
      a.group = p->group();
      activation_into(p->activation(), &a.activation);
      break;
    }
    case OpType::kBatchNormalization:
      a.epsilon = node.params_as_BatchNormalizationParams()->epsilon();
      break;
    case OpType::kClip: {
      const auto* p = node.params_as_ClipParams();
      a.clip_min = p->min();
      a.clip_max = p->max();
      break;
    }
    case OpType::kHardSigmoid: {
      const auto* p = node.params_as_HardSigmoidParams();
      a.alpha = p->alpha();
      a.beta = p->beta();
      break;
    }
    case OpType::kLeakyRelu:
      a.alpha = node.params_as_LeakyReluParams()->alpha();
      break;
    case OpType::kAdd:
      activation_into(node.params_as_AddParams()->activation(), &a.activation);
      break;
    case OpType::kMaxPool: {
      const auto* p = node.params_as_MaxPoolParams();
      TANDEM_RETURN_IF_ERROR(list_into(p->kernel_shape(), "kernel_shape", &a.kernel_shape));
      TANDEM_RETURN_IF_ERROR(list_into(p->strides(), "strides", &a.strides));
      TANDEM_RETURN_IF_ERROR(list_into(p->dilations(), "dilations", &a.dilations));
      TANDEM_RETURN_IF_ERROR(list_into(p->pads(), "pads", &a.pads));
      a.ceil_mode = p->ceil_mode();
      break;
    }
    case OpType::kAveragePool: {
      const auto* p = node.params_as_AveragePoolParams();
      TANDEM_RETURN_IF_ERROR(list_into(p->kernel_shape(), "kernel_shape", &a.kernel_shape));
      TANDEM_RETURN_IF_ERROR(list_into(p->strides(), "strides", &a.strides));
      TANDEM_RETURN_IF_ERROR(list_into(p->pads(), "pads", &a.pads));
      a.ceil_mode = p->ceil_mode();
      a.count_include_pad = p->count_include_pad();
      break;
    }
    case OpType::kReduceMean: {
      const auto* p = node.params_as_ReduceMeanParams();
      TANDEM_RETURN_IF_ERROR(list_into(p->axes(), "axes", &a.axes));
      a.keepdims = p->keepdims();
      break;
    }
    case OpType::kConcat:
      a.axis = node.params_as_ConcatParams()->axis();
      break;
    case OpType::kSplit: {
      const auto* p = node.params_as_SplitParams();
      a.axis = p->axis();
      TANDEM_RETURN_IF_ERROR(list_into(p->split(), "split", &a.split));
      break;
    }
    case OpType::kSlice: {
      const auto* p = node.params_as_SliceParams();
      TANDEM_RETURN_IF_ERROR(list_into(p->starts(), "starts", &a.starts));
      TANDEM_RETURN_IF_ERROR(list_into(p->ends(), "ends", &a.ends));
      TANDEM_RETURN_IF_ERROR(list_into(p->axes(), "axes", &a.axes));
      TANDEM_RETURN_IF_ERROR(list_into(p->steps(), "steps", &a.steps));
      break;
    }
    case OpType::kTranspose:
      TANDEM_RETURN_IF_ERROR(list_into(node.params_as_TransposeParams()->perm(), "perm", &a.perm));
      break;
    case OpType::kReshape:
      TANDEM_RETURN_IF_ERROR(list_into(node.params_as_ReshapeParams()->shape(), "shape", &a.shape));
      break;
    case OpType::kFlatten:
      a.axis = node.params_as_FlattenParams()->axis();
      break;
    case OpType::kGemm: {
      const auto* p = node.params_as_GemmParams();
      a.alpha = p->alpha();
      a.beta = p->beta();
      a.trans_a = p->trans_a();
      a.trans_b = p->trans_b();
      activation_into(p->activation(), &a.activation);
      break;
    }
    case OpType::kMatMul:
      activation_into(node.params_as_MatMulParams()->activation(), &a.activation);
      break;
    case OpType::kSoftmax:
      a.axis = node.params_as_SoftmaxParams()->axis();
      break;
    case OpType::kPad: {
      const auto* p = node.params_as_PadParams();
      TANDEM_RETURN_IF_ERROR(list_into(p->pads(), "pads", &a.pads));
      auto mode = static_cast<uint8_t>(p->mode());
      if (mode > static_cast<uint8_t>(PadMode::kEdge))
        return invalid_model("unknown pad mode " + std::to_string(mode));
      a.pad_mode = static_cast<PadMode>(mode);
      a.pad_value = p->value();
      break;
    }
    default:
      break;
  }
  return Status();
}

}  // namespace tandem
