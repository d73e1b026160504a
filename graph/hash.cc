#include "graph/hash.h"

#include <cstdio>

namespace tandem {

uint64_t fnv1a64_bytes(const void* data, size_t size, uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= kFnv1aPrime;
  }
  return h;
}

uint64_t fnv1a64(std::string_view s, uint64_t h) {
  return fnv1a64_bytes(s.data(), s.size(), h);
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace tandem
