// The OpenCL C sources of kernels/opencl/cl/*.cl, embedded at build time by
// embed_cl.cmake: file stem ("conv2d") -> source text.
#pragma once

#include <map>
#include <string>

namespace tandem {
const std::map<std::string, std::string>& opencl_sources();
}  // namespace tandem
