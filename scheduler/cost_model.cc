#include "scheduler/cost_model.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "graph/hash.h"

namespace tandem {

TransferModel fit_transfer_model(const std::vector<double>& bytes, const std::vector<double>& ms) {
  TransferModel m;
  const size_t n = std::min(bytes.size(), ms.size());
  if (n == 0) return m;
  double sx = 0, sy = 0;
  for (size_t i = 0; i < n; ++i) sx += bytes[i], sy += ms[i];
  const double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += (bytes[i] - mx) * (bytes[i] - mx);
    sxy += (bytes[i] - mx) * (ms[i] - my);
  }
  m.ms_per_byte = sxx > 0 ? std::max(0.0, sxy / sxx) : 0.0;
  m.latency_ms = std::max(0.0, my - m.ms_per_byte * mx);
  return m;
}

std::string MachineFingerprint::to_string() const {
  return cpu_model + " (" + std::to_string(cores) + " cores)";
}

MachineFingerprint current_machine_fingerprint() {
  MachineFingerprint f;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    if (key == "processor") ++f.cores;
    // x86 says "model name"; some ARM kernels say "Hardware" or "CPU part" only.
    if ((key == "model name" || key == "Hardware") && f.cpu_model.empty()) f.cpu_model = value;
  }
  if (f.cpu_model.empty()) f.cpu_model = "unknown";
  return f;
}

namespace {

template <typename T>
uint64_t hash_vec(uint64_t h, const std::vector<T>& v) {
  uint64_t n = v.size();
  h = fnv1a64_bytes(&n, sizeof n, h);
  return v.empty() ? h : fnv1a64_bytes(v.data(), v.size() * sizeof(T), h);
}
template <typename T>
uint64_t hash_pod(uint64_t h, const T& v) {
  return fnv1a64_bytes(&v, sizeof v, h);
}

uint64_t hash_attrs(const NodeAttrs& a) {
  uint64_t h = kFnv1aOffsetBasis;
  h = hash_vec(h, a.kernel_shape);
  h = hash_vec(h, a.strides);
  h = hash_vec(h, a.dilations);
  h = hash_vec(h, a.pads);
  h = hash_pod(h, a.group);
  h = hash_pod(h, a.ceil_mode);
  h = hash_pod(h, a.count_include_pad);
  h = hash_pod(h, a.alpha);
  h = hash_pod(h, a.beta);
  h = hash_pod(h, a.trans_a);
  h = hash_pod(h, a.trans_b);
  h = hash_pod(h, a.clip_min);
  h = hash_pod(h, a.clip_max);
  h = hash_pod(h, a.epsilon);
  h = hash_pod(h, a.axis);
  h = hash_vec(h, a.perm);
  h = hash_vec(h, a.axes);
  h = hash_pod(h, a.keepdims);
  h = hash_vec(h, a.starts);
  h = hash_vec(h, a.ends);
  h = hash_vec(h, a.steps);
  h = hash_vec(h, a.split);
  h = hash_vec(h, a.shape);
  h = hash_pod(h, a.pad_mode);
  h = hash_pod(h, a.pad_value);
  h = hash_pod(h, a.resize_mode);
  h = hash_pod(h, a.resize_coordinate);
  h = hash_pod(h, a.resize_nearest);
  h = hash_vec(h, a.scales);
  h = hash_vec(h, a.sizes);
  // Only when set, so the keys of every other node (cached cost tables) stay as they were.
  if (a.gelu_approximate != GeluApproximate::kErf) h = hash_pod(h, a.gelu_approximate);
  h = hash_pod(h, a.resize_from_sizes);
  h = hash_pod(h, a.activation.min);
  h = hash_pod(h, a.activation.max);
  return h;
}

int64_t tensor_bytes(const Graph& g, int t) {
  if (!g.valid_tensor(t)) return 0;
  int64_t e = shape_elements(g.tensor(t).shape);
  return e < 0 ? 0 : e * static_cast<int64_t>(dtype_size(g.tensor(t).dtype));
}

std::string shapes_text(const std::vector<Shape>& shapes) {
  std::string s;
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i) s += ',';
    s += shapes[i].empty() ? "-" : shape_to_string(shapes[i]);
  }
  return s;
}

}  // namespace

std::string NodeSignature::key() const {
  return op + "|" + shapes_text(inputs) + "|" + shapes_text(outputs) + "|" + hex64(params_hash);
}

std::vector<NodeSignature> node_signatures(const Graph& g) {
  std::vector<NodeSignature> out;
  out.reserve(g.nodes.size());
  for (const Node& n : g.nodes) {
    NodeSignature s;
    s.name = n.name;
    s.op = std::string(op_name(n.op));
    for (int t : n.inputs) {
      s.inputs.push_back(g.valid_tensor(t) ? g.tensor(t).shape : Shape{});
      if (g.valid_tensor(t) && !g.tensor(t).is_constant()) s.bytes += tensor_bytes(g, t);
    }
    for (int t : n.outputs) {
      s.outputs.push_back(g.valid_tensor(t) ? g.tensor(t).shape : Shape{});
      s.bytes += tensor_bytes(g, t);
    }
    s.params_hash = hash_attrs(n.attrs);
    s.macs = node_macs(g, n);
    out.push_back(std::move(s));
  }
  return out;
}

uint64_t signatures_hash(const std::vector<NodeSignature>& nodes) {
  uint64_t h = kFnv1aOffsetBasis;
  for (const auto& s : nodes) {
    h = fnv1a64(s.key(), h);
    h = fnv1a64("\n", h);
  }
  return h;
}

std::vector<TensorFlow> tensor_flows(const Graph& g) {
  const std::vector<TensorLife> lives = tensor_lives(g);
  std::vector<TensorFlow> out;
  for (size_t t = 0; t < g.tensors.size(); ++t) {
    const TensorLife& life = lives[t];
    if (g.tensors[t].is_constant() || life.last_use < 0) continue;  // weights, or never read
    out.push_back({life.producer, life.last_use, tensor_bytes(g, static_cast<int>(t))});
  }
  return out;
}

Status CostTable::validate() const {
  const size_t n = nodes.size(), p = processors.size();
  for (const auto& pc : processors) {
    if (pc.node_ms.size() != n || pc.estimated.size() != n)
      return invalid_argument("profile: processor '" + pc.spec + "' has " +
                              std::to_string(pc.node_ms.size()) + " node times for " +
                              std::to_string(n) + " nodes");
    if (!(pc.corun_factor >= 1.0) || !std::isfinite(pc.corun_factor))
      return invalid_argument("profile: processor '" + pc.spec + "' has co-run factor " +
                              std::to_string(pc.corun_factor) + " (must be >= 1)");
    for (size_t i = 0; i < n; ++i)
      if (pc.node_ms[i] < 0 || std::isinf(pc.node_ms[i]))
        return invalid_argument("profile: processor '" + pc.spec + "' node " + std::to_string(i) +
                                " ('" + nodes[i].name + "') has time " +
                                std::to_string(pc.node_ms[i]));
  }
  if (transfer.size() != p)
    return invalid_argument("profile: transfer matrix has " + std::to_string(transfer.size()) +
                            " rows for " + std::to_string(p) + " processors");
  for (const auto& row : transfer) {
    if (row.size() != p) return invalid_argument("profile: transfer matrix is not square");
    for (const auto& m : row)
      if (!(m.latency_ms >= 0) || !(m.ms_per_byte >= 0) || !std::isfinite(m.latency_ms) ||
          !std::isfinite(m.ms_per_byte))
        return invalid_argument("profile: transfer model with a negative or non-finite term");
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    if (t.producer < -1 || t.producer >= static_cast<int>(n) || t.last_use < t.producer ||
        t.last_use > static_cast<int>(n) || t.bytes < 0)
      return invalid_argument("profile: tensor " + std::to_string(i) + " has producer " +
                              std::to_string(t.producer) + ", last use " +
                              std::to_string(t.last_use) + ", bytes " + std::to_string(t.bytes) +
                              " (out of range for " + std::to_string(n) + " nodes)");
  }
  return Status();
}

CostTable make_cost_table(const Graph& g, const std::vector<std::string>& processor_specs) {
  CostTable t;
  t.machine = current_machine_fingerprint();
  t.nodes = node_signatures(g);
  t.model_hash = signatures_hash(t.nodes);
  t.tensors = tensor_flows(g);
  for (const auto& spec : processor_specs) {
    ProcessorCosts pc;
    pc.spec = spec;
    pc.description = spec;
    pc.node_ms.assign(t.nodes.size(), NAN);
    pc.estimated.assign(t.nodes.size(), 0);
    t.processors.push_back(std::move(pc));
  }
  t.transfer.assign(processor_specs.size(),
                    std::vector<TransferModel>(processor_specs.size(), TransferModel{}));
  return t;
}

void fit_roofline(CostTable& table, int p) {
  auto& pc = table.processors[static_cast<size_t>(p)];
  double flops = 0, flop_ms = 0, bytes = 0, byte_ms = 0;
  for (size_t i = 0; i < table.nodes.size(); ++i) {
    double ms = pc.node_ms[i];
    if (std::isnan(ms) || pc.estimated[i] || ms <= 0) continue;
    if (table.nodes[i].macs > 0) {
      flops += 2.0 * table.nodes[i].macs;
      flop_ms += ms;
    } else if (table.nodes[i].bytes > 0) {
      bytes += table.nodes[i].bytes;
      byte_ms += ms;
    }
  }
  if (flop_ms > 0) pc.gflops = flops / (flop_ms * 1e6);
  if (byte_ms > 0) pc.gbps = bytes / (byte_ms * 1e6);
}

int apply_roofline_estimates(CostTable& table, const std::vector<std::vector<bool>>& supported) {
  int count = 0;
  for (size_t p = 0; p < table.processors.size(); ++p) {
    auto& pc = table.processors[p];
    for (size_t i = 0; i < table.nodes.size(); ++i) {
      if (!std::isnan(pc.node_ms[i])) continue;
      if (p >= supported.size() || i >= supported[p].size() || !supported[p][i]) continue;
      const auto& s = table.nodes[i];
      double compute = pc.gflops > 0 ? 2.0 * s.macs / (pc.gflops * 1e6) : 0;
      double memory = pc.gbps > 0 ? s.bytes / (pc.gbps * 1e6) : 0;
      if ((s.macs > 0 && pc.gflops <= 0) || (s.bytes > 0 && pc.gbps <= 0 && compute == 0))
        continue;  // no rate to estimate from: stays unsupported
      pc.node_ms[i] = std::max(compute, memory);
      pc.estimated[i] = 1;
      ++count;
    }
  }
  return count;
}

}  // namespace tandem
