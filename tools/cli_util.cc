#include "tools/cli_util.h"

#include <cstdarg>
#include <cstdio>
#include <iostream>
#include <random>

#include "tools/support/npy.h"

namespace tandem::cli {

void appendf(std::string& out, const char* fmt, ...) {
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  char buf[512];
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n >= int(sizeof buf)) {
    const size_t at = out.size();
    out.resize(at + size_t(n) + 1);
    std::vsnprintf(&out[at], size_t(n) + 1, fmt, again);
    out.resize(at + size_t(n));
  } else if (n > 0) {
    out.append(buf, size_t(n));
  }
  va_end(again);
}

int fail(const Status& st) {
  std::cerr << "tandem: error: " << st.to_string() << "\n";
  return 1;
}

Expected<std::vector<HostTensor>> read_inputs(const std::vector<std::string>& args) {
  std::vector<HostTensor> inputs;
  for (const std::string& a : args) {
    HostTensor t;
    std::string path = a;
    size_t eq = a.find('=');
    if (eq != std::string::npos) {
      t.name = a.substr(0, eq);
      path = a.substr(eq + 1);
    }
    TANDEM_ASSIGN_OR_RETURN(NpyArray arr, read_npy(path));
    t.shape = std::move(arr.shape);
    t.data = std::move(arr.data);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

Status write_outputs(const std::vector<std::string>& args, const std::vector<HostTensor>& outputs) {
  if (args.size() == 1 && args[0].find('=') == std::string::npos) {
    if (outputs.size() != 1)
      return invalid_argument("the model has " + std::to_string(outputs.size()) +
                              " outputs; name them: --output NAME=PATH");
    return write_npy(args[0], NpyArray{outputs[0].shape, outputs[0].data});
  }
  for (const std::string& a : args) {
    size_t eq = a.find('=');
    if (eq == std::string::npos) return invalid_argument("--output '" + a + "' must be NAME=PATH");
    std::string name = a.substr(0, eq);
    bool found = false;
    for (const HostTensor& t : outputs)
      if (t.name == name) {
        TANDEM_RETURN_IF_ERROR(write_npy(a.substr(eq + 1), NpyArray{t.shape, t.data}));
        found = true;
      }
    if (!found) return invalid_argument("'" + name + "' is not an output of the model");
  }
  return Status();
}

std::vector<HostTensor> synthetic_inputs(const Graph& g, uint32_t seed) {
  std::vector<HostTensor> inputs;
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int id : g.inputs) {
    HostTensor t;
    t.name = g.tensor(id).name;
    t.shape = g.tensor(id).shape;
    t.data.resize(static_cast<size_t>(shape_elements(t.shape)));
    for (float& x : t.data) x = dist(rng);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

std::string human_count(double v) {
  const char* units[] = {"", " k", " M", " G", " T"};
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.2f%s" : "%.0f%s", v, units[u]);
  return buf;
}

}  // namespace tandem::cli
