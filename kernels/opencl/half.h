// IEEE half <-> float on the host, for opencl:fp16 uploads and downloads.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem::ocl {

uint16_t float_to_half(float f);  // round to nearest even; overflow to inf
float half_to_float(uint16_t h);
void floats_to_halves(const float* src, uint16_t* dst, size_t n);
void halves_to_floats(const uint16_t* src, float* dst, size_t n);

}  // namespace tandem::ocl
