// Shared test helpers: deterministic data, relative-error comparison, small graphs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace tandem::test {

// Deterministic pseudo-random floats in [lo, hi).
std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f);

// max |a - b| / max |b|  (b is the reference); 0 when both are all zero.
double relative_error(const std::vector<float>& a, const std::vector<float>& b);
size_t argmax(const std::vector<float>& v);

// Adds a float32 graph input of `shape`; returns its tensor id.
int add_input(Graph& g, const std::string& name, Shape shape);
// Adds a tensor with no shape (for node outputs); returns its id.
int add_value(Graph& g, const std::string& name);
// Adds a constant with random values; returns its id.
int add_random_constant(Graph& g, const std::string& name, Shape shape, uint32_t seed);
// Adds node `op` reading `inputs` and writing one fresh output; returns the output id.
int add_simple_node(Graph& g, OpType op, const std::string& name, std::vector<int> inputs,
                    NodeAttrs attrs = {});

// The path of a scratch file in the build tree's test folder.
std::string temp_path(const std::string& name);

}  // namespace tandem::test
