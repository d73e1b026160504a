#include "formats/onnx/op_mappers.h"

namespace tandem::onnx_import {

const MapperTable& op_mappers() {
  static const MapperTable table = [] {
    MapperTable t;
    add_conv_pool_mappers(t);
    add_elementwise_mappers(t);
    add_tensor_mappers(t);
    add_linear_mappers(t);
    add_resize_mappers(t);
    add_quant_mappers(t);
    return t;
  }();
  return table;
}

}  // namespace tandem::onnx_import
