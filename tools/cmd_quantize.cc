// tandem quantize: post-training static quantization of an fp32 .tdm
// (docs/int8.md, "tandem quantize"). Calibrates activation ranges (min/max) on
// the reference kernels, rewrites Convs to QDQ form (graph/quant_rewrite.h),
// runs pass_fuse_qdq as the ONNX converter does, reports the int8 model's error
// against fp32 per layer output and model output, and writes the .tdm.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include "formats/model_file.h"
#include "graph/passes.h"
#include "graph/quant_rewrite.h"
#include "graph/shape_inference.h"
#include "kernels/reference/reference_kernels.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/support/npy.h"

namespace tandem::cli {
namespace {

struct Options {
  std::string model, out, calibration, keep, calibrator = "minmax";
  int random = 0;
  double percentile = 99.99;
};

using Buffers = std::vector<std::vector<char>>;

// Standard normal inputs (seed 0), or every *.npy in the directory (sorted).
Expected<std::vector<std::vector<float>>> calibration_inputs(const Options& o, const Shape& shape) {
  std::vector<std::vector<float>> r;
  if (o.calibration.empty()) {
    std::mt19937 rng(0);
    std::normal_distribution<float> nd;
    for (int k = 0; k < o.random; ++k) {
      r.emplace_back(size_t(shape_elements(shape)));
      for (float& f : r.back()) f = nd(rng);
    }
    return r;
  }
  namespace fs = std::filesystem;
  if (!fs::is_directory(o.calibration))
    return invalid_argument("--calibration " + o.calibration + ": not a directory");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(o.calibration))
    if (e.path().extension() == ".npy") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) return invalid_argument("--calibration " + o.calibration + ": no .npy files");
  for (const std::string& f : files) {
    TANDEM_ASSIGN_OR_RETURN(NpyArray a, read_npy(f));
    if (a.shape != shape)
      return invalid_argument(f + ": shape " + shape_to_string(a.shape) + ", the model input is " +
                              shape_to_string(shape));
    r.push_back(std::move(a.data));
  }
  return r;
}

bool calibrated_tensor(const Tensor& t) {
  return !t.is_constant() && t.dtype == DType::kFloat32;
}

// Min/max of every float activation over the inputs; with the percentile
// calibrator a second pass histograms each over that range and the range
// keeping `percentile` % of the values replaces it.
Expected<std::vector<quant::MinMax>> calibrate(const Graph& g, const Options& o,
                                               const std::vector<std::vector<float>>& inputs) {
  std::vector<quant::MinMax> r(g.tensors.size());
  for (const auto& x : inputs) {
    TANDEM_ASSIGN_OR_RETURN(Buffers buf, run_reference_graph(g, x));
    for (size_t t = 0; t < g.tensors.size(); ++t)
      if (calibrated_tensor(g.tensors[t]))
        r[t].observe(reinterpret_cast<const float*>(buf[t].data()), buf[t].size() / 4);
  }
  if (o.calibrator == "minmax") return r;
  std::vector<quant::Histogram> h(g.tensors.size());
  for (size_t t = 0; t < g.tensors.size(); ++t) h[t] = quant::Histogram(r[t], 2048);
  for (const auto& x : inputs) {
    TANDEM_ASSIGN_OR_RETURN(Buffers buf, run_reference_graph(g, x));
    for (size_t t = 0; t < g.tensors.size(); ++t)
      if (calibrated_tensor(g.tensors[t]) && r[t].seen)
        h[t].observe(reinterpret_cast<const float*>(buf[t].data()), buf[t].size() / 4);
  }
  for (size_t t = 0; t < g.tensors.size(); ++t)
    if (r[t].seen) r[t] = h[t].percentile_range(o.percentile);
  return r;
}

Expected<std::set<std::string>> keep_names(const Graph& g, const std::string& list) {
  std::set<std::string> r;
  std::stringstream ss(list);
  for (std::string name; std::getline(ss, name, ',');) {
    bool found = false;
    for (const Node& n : g.nodes) found |= n.name == name;
    if (!found) return invalid_argument("--keep-fp32: no node named '" + name + "'");
    r.insert(name);
  }
  return r;
}

void report_row(const std::string& name, const float* a, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0, diff = 0, ref = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
    diff = std::max(diff, double(std::fabs(a[i] - b[i])));
    ref = std::max(ref, double(std::fabs(a[i])));
  }
  const double cosine = aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : (aa == bb ? 1.0 : 0.0);
  std::cout << "  " << std::left << std::setw(32) << name << std::right << std::fixed
            << std::setprecision(6) << std::setw(10) << cosine << std::setw(12)
            << (ref > 0 ? diff / ref : diff) << "\n";
}

// Tensor `name` of the int8 graph as floats: the float tensor itself, or the int8
// tensor `name`_q the rewrite made of it, dequantized (per-tensor quantization).
// Empty when the int8 graph has neither.
std::vector<float> int8_graph_values(const Graph& q, const Buffers& bq, const std::string& name) {
  const int tf = q.find_tensor(name);
  if (tf >= 0 && q.tensor(tf).dtype == DType::kFloat32) {
    const auto* v = reinterpret_cast<const float*>(bq[size_t(tf)].data());
    return std::vector<float>(v, v + bq[size_t(tf)].size() / 4);
  }
  const int ti = q.find_tensor(name + "_q");
  if (ti < 0 || q.tensor(ti).dtype != DType::kInt8 || !q.tensor(ti).quant.per_tensor()) return {};
  const Quantization& qt = q.tensor(ti).quant;
  const auto* c = reinterpret_cast<const int8_t*>(bq[size_t(ti)].data());
  std::vector<float> r(bq[size_t(ti)].size());
  for (size_t i = 0; i < r.size(); ++i)
    r[i] = float(int32_t(c[i]) - qt.zero_point[0]) * qt.scale[0];
  return r;
}

// Every fp32 node output the int8 graph still has (as float, or as its int8
// tensor dequantized): fp32 vs int8 on one input.
Status report(const Graph& f, const Graph& q, const std::vector<float>& x) {
  TANDEM_ASSIGN_OR_RETURN(Buffers bf, run_reference_graph(f, x));
  TANDEM_ASSIGN_OR_RETURN(Buffers bq, run_reference_graph(q, x));
  std::cout << "error vs fp32 on the first calibration input:\n  " << std::left << std::setw(32)
            << "tensor" << std::right << std::setw(10) << "cosine" << std::setw(12) << "maxdiff/max"
            << "\n";
  for (const Node& n : f.nodes) {
    const int tf = n.outputs[0];
    const std::vector<float> vq = int8_graph_values(q, bq, f.tensor(tf).name);
    if (vq.empty() || vq.size() * 4 != bf[size_t(tf)].size()) continue;
    report_row(f.tensor(tf).name, reinterpret_cast<const float*>(bf[size_t(tf)].data()), vq.data(),
               vq.size());
  }
  return Status::ok_status();
}

Status quantize(const Options& o) {
  TANDEM_ASSIGN_OR_RETURN(ModelFile m, read_model_file(o.model));
  const Graph& f = m.graph;
  if (f.inputs.size() != 1) return unsupported(o.model + ": quantize takes models with one input");
  TANDEM_ASSIGN_OR_RETURN(auto inputs, calibration_inputs(o, f.tensor(f.inputs[0]).shape));
  if (inputs.empty()) return invalid_argument("give --calibration DIR or --random N (N >= 1)");
  TANDEM_ASSIGN_OR_RETURN(std::set<std::string> keep, keep_names(f, o.keep));
  TANDEM_ASSIGN_OR_RETURN(std::vector<quant::MinMax> ranges, calibrate(f, o, inputs));
  Graph q = f;
  TANDEM_ASSIGN_OR_RETURN(int rewrites, quant::rewrite_to_qdq(q, ranges, keep));
  if (rewrites == 0)
    return unsupported(o.model +
                       ": no quantizable node (Conv, Gemm, Add, Concat, pooling) to quantize");
  TANDEM_RETURN_IF_ERROR(infer_shapes(q));
  TANDEM_ASSIGN_OR_RETURN(int fused, pass_fuse_qdq(q, keep));
  quant::fold_dequant_quant(q);
  TANDEM_RETURN_IF_ERROR(pass_eliminate_dead(q).status());
  std::cout << o.model << ": " << rewrites << " nodes quantized, " << fused
            << " int8 ops after pass_fuse_qdq, " << inputs.size() << " calibration inputs ("
            << o.calibrator << ")\n";
  TANDEM_RETURN_IF_ERROR(report(f, q, inputs[0]));
  TANDEM_RETURN_IF_ERROR(write_model_file(o.out, q));
  std::cout << "wrote " << o.out << "\n";
  return Status::ok_status();
}

}  // namespace

Command make_quantize_command() {
  struct State {
    CLI::App* app = nullptr;
    Options o;
  };
  auto s = std::make_shared<State>();
  Command c;
  c.add = [s](CLI::App& app) {
    s->app = app.add_subcommand("quantize", "Post-training static int8 quantization of a .tdm");
    s->app->add_option("model", s->o.model, "fp32 .tdm")->required();
    s->app->add_option("-o,--output", s->o.out, "int8 .tdm to write")->required();
    auto* cal = s->app->add_option("--calibration", s->o.calibration, "directory of input .npy");
    s->app->add_option("--random", s->o.random, "N standard-normal calibration inputs")
        ->excludes(cal);
    s->app->add_option("--keep-fp32", s->o.keep, "node names to keep float, comma-separated");
    s->app
        ->add_option("--calibrator", s->o.calibrator,
                     "activation ranges: minmax (default) or percentile")
        ->check(CLI::IsMember({"minmax", "percentile"}));
    s->app
        ->add_option("--percentile", s->o.percentile,
                     "percentile calibrator: % of the values the range keeps (default 99.99)")
        ->check(CLI::Range(50.0, 100.0));
  };
  c.selected = [s] { return s->app && s->app->parsed(); };
  c.run = [s]() -> int {
    const Status st = quantize(s->o);
    return st.ok() ? 0 : fail(st);
  };
  return c;
}

}  // namespace tandem::cli
