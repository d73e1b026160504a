// FNV-1a 64 (the standard offset basis and prime) and its 16-digit hex form:
// the one hash behind model signatures, cache keys and source hashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem {

constexpr uint64_t kFnv1aOffsetBasis = 14695981039346656037ull;
constexpr uint64_t kFnv1aPrime = 1099511628211ull;

// Continues hash `h` over `size` bytes at `data` (start with kFnv1aOffsetBasis).
uint64_t fnv1a64_bytes(const void* data, size_t size, uint64_t h = kFnv1aOffsetBasis);
// The same over the characters of `s` (a different name, so that a string
// literal and a hash never pick the bytes form).
uint64_t fnv1a64(std::string_view s, uint64_t h = kFnv1aOffsetBasis);

// 16 lowercase hex digits, zero-padded.
std::string hex64(uint64_t v);

}  // namespace tandem
