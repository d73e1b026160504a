// libFuzzer target: the ONNX converter must reject any byte string cleanly.
#include <cstddef>
#include <cstdint>

#include "formats/onnx/converter.h"
#include "kernels/reference/reference_kernels.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tandem::ConvertOptions options;
  options.run_passes = size % 2 == 0;  // exercise the passes on half the inputs
  options.evaluate_constants = tandem::run_reference_node;
  auto result = tandem::convert_onnx_bytes(data, size, "fuzz/model.onnx", options);
  (void)result;
  return 0;
}
