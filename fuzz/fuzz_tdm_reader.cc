// libFuzzer target: the .tdm reader must reject any byte string cleanly.
#include <cstddef>
#include <cstdint>

#include "formats/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = tandem::read_model_bytes(data, size, "fuzz.tdm");
  (void)model;
  return 0;
}
