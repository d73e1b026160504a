// Helpers shared by the CLI subcommands.
#pragma once

#include <string>
#include <vector>

#include "engine/executor.h"
#include "formats/model_file.h"

namespace tandem::cli {

// Prints "tandem: error: <message>" to stderr and returns exit code 1.
int fail(const Status& st);

// Reads --input arguments: "in.npy" (single-input models) or "name=in.npy".
Expected<std::vector<HostTensor>> read_inputs(const std::vector<std::string>& args);
// Writes outputs: one path for a single output, or "name=path" per output.
Status write_outputs(const std::vector<std::string>& args, const std::vector<HostTensor>& outputs);

// Deterministic inputs of the model's input shapes (for bench/profile).
std::vector<HostTensor> synthetic_inputs(const Graph& g, uint32_t seed = 1);

// Appends printf-formatted text (any length) to `out`.
void appendf(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// "12.3 M", "4.09 G".
std::string human_count(double v);

}  // namespace tandem::cli
