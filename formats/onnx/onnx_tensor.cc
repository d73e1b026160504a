#include "formats/onnx/onnx_tensor.h"

#include <cstring>

namespace tandem::onnx_import {

std::string elem_type_name(int32_t elem_type) {
  if (onnx::TensorProto_DataType_IsValid(elem_type))
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(elem_type));
  return "type " + std::to_string(elem_type);
}

namespace {

template <typename T, typename Out>
Status decode_raw(const std::string& raw, size_t count, const std::string& what,
                  std::vector<Out>* out) {
  if (raw.size() != count * sizeof(T))
    return invalid_model("tensor '" + what + "' has " + std::to_string(raw.size()) +
                         " bytes of data, expected " + std::to_string(count * sizeof(T)));
  out->resize(count);
  for (size_t k = 0; k < count; ++k) {
    T v;
    std::memcpy(&v, raw.data() + k * sizeof(T), sizeof(T));  // unaligned-safe, little-endian hosts
    (*out)[k] = static_cast<Out>(v);
  }
  return Status();
}

template <typename Field, typename Out>
Status decode_field(const Field& field, size_t count, const std::string& what,
                    std::vector<Out>* out) {
  if (static_cast<size_t>(field.size()) != count)
    return invalid_model("tensor '" + what + "' has " + std::to_string(field.size()) +
                         " values, its shape needs " + std::to_string(count));
  out->assign(field.begin(), field.end());
  return Status();
}

}  // namespace

Expected<ConstValue> decode_tensor(const onnx::TensorProto& t, const std::string& what) {
  ConstValue v;
  for (int64_t d : t.dims()) {
    if (d < 0) return invalid_model("tensor '" + what + "' has a negative dimension");
    v.shape.push_back(d);
  }
  int64_t n = shape_elements(v.shape);
  if (n < 0) return invalid_model("tensor '" + what + "' has too many elements");
  size_t count = static_cast<size_t>(n);
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return internal_error("tensor '" + what + "' still points at external data");
  const bool raw = t.has_raw_data();
  v.elem_type = t.data_type();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      v.is_float = true;
      TANDEM_RETURN_IF_ERROR(raw ? decode_raw<float>(t.raw_data(), count, what, &v.f)
                                 : decode_field(t.float_data(), count, what, &v.f));
      return v;
    case onnx::TensorProto::INT64:
      v.is_float = false;
      TANDEM_RETURN_IF_ERROR(raw ? decode_raw<int64_t>(t.raw_data(), count, what, &v.i)
                                 : decode_field(t.int64_data(), count, what, &v.i));
      return v;
    case onnx::TensorProto::INT32:
      v.is_float = false;
      TANDEM_RETURN_IF_ERROR(raw ? decode_raw<int32_t>(t.raw_data(), count, what, &v.i)
                                 : decode_field(t.int32_data(), count, what, &v.i));
      return v;
    case onnx::TensorProto::BOOL:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::INT8:
      v.is_float = false;
      if (raw) {
        if (t.data_type() == onnx::TensorProto::INT8)
          TANDEM_RETURN_IF_ERROR(decode_raw<int8_t>(t.raw_data(), count, what, &v.i));
        else
          TANDEM_RETURN_IF_ERROR(decode_raw<uint8_t>(t.raw_data(), count, what, &v.i));
      } else {
        TANDEM_RETURN_IF_ERROR(decode_field(t.int32_data(), count, what, &v.i));
      }
      return v;
    default:
      return unsupported("tensor '" + what + "' is " + elem_type_name(t.data_type()) +
                         "; Tandem converts float32 graphs only (integer shape data is fine)");
  }
}

}  // namespace tandem::onnx_import
