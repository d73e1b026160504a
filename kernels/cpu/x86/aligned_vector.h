// std::vector whose storage starts on a 64-byte boundary (a cache line, a zmm
// vector, an AMX tile row): malloc aligns large blocks to 16 bytes only, which
// splits every 64-byte load of packed weights across two cache lines.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace tandem::cpu {

template <class T, size_t Align = 64>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U, Align>&) {}  // NOLINT: rebinding converts
  template <class U>
  struct rebind {
    using other = AlignedAllocator<U, Align>;
  };
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(Align)));
  }
  void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t(Align)); }
  friend bool operator==(const AlignedAllocator&, const AlignedAllocator&) { return true; }
  friend bool operator!=(const AlignedAllocator&, const AlignedAllocator&) { return false; }
};

template <class T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace tandem::cpu
