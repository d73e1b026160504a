// tandem.convert, plan, bench and profile: the CLI's reports (tools/reports.h),
// returned as dicts (what `--json` prints, plus "text": what the CLI prints).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#if defined(__linux__)
#include <sched.h>
#endif

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "python/tandem_py.h"
#include "tools/bench_pipeline_cli.h"
#include "tools/reports.h"

namespace tandem::python {
namespace {

py::object report_dict(Expected<cli::Report> r) {
  cli::Report report = unwrap(std::move(r));
  py::object d = to_python(report.json);
  d["text"] = report.text;
  return d;
}

// Benchmarks and profiles pin the calling thread to a processor's cores (as a
// pipeline stage thread would). In a CLI process that ends with the command;
// here the thread is the interpreter's, so its affinity is put back after.
class KeepThreadAffinity {
 public:
#if defined(__linux__)
  KeepThreadAffinity() {
    saved_ = sched_getaffinity(0, sizeof set_, &set_) == 0;
  }
  ~KeepThreadAffinity() {
    if (saved_) sched_setaffinity(0, sizeof set_, &set_);
  }

 private:
  cpu_set_t set_{};
  bool saved_ = false;
#endif
};

template <class Args, class Fn>
py::object run_report(const Args& args, Fn fn) {
  Expected<cli::Report> r = invalid_argument("not run");
  {
    py::gil_scoped_release unlocked;
    KeepThreadAffinity keep;
    r = fn(args);
  }
  return report_dict(std::move(r));
}

py::object plan(const py::object& model, const std::string& processors, const std::string& profile,
                const std::string& objective, double max_latency_ms, double min_gain, bool replicas,
                bool intra_op, bool refresh, bool save, const py::object& svg, bool progress) {
  cli::PlanArgs a;
  a.model = model_path(model);
  a.processors = processors;
  a.profile = profile;
  if (objective != "throughput" && objective != "latency")
    throw Error("objective must be 'throughput' or 'latency', not '" + objective + "'");
  a.objective = objective;
  a.max_latency_ms = max_latency_ms;
  a.min_gain = min_gain;
  a.no_replicas = !replicas;
  a.no_intra_op = !intra_op;
  a.refresh = refresh;
  a.save = save;
  if (!svg.is_none()) a.svg = model_path(svg);
  a.progress = progress;
  return run_report(a, cli::plan_report);
}

py::object bench(const py::object& model, const std::string& processor, int runs, int warmup,
                 bool per_op, const std::string& processors, const std::string& plan_source,
                 const std::string& profile, int frames, bool compare, const std::string& baseline,
                 int rounds, const std::string& trace, bool progress) {
  if (runs < 1 || frames < 1 || rounds < 1 || warmup < 0)
    throw Error("bench: runs, frames and rounds must be at least 1, warmup at least 0");
  if (processors.empty()) {
    cli::BenchArgs a;
    a.model = model_path(model);
    a.processor = processor;
    a.runs = runs;
    a.warmup = warmup;
    a.per_op = per_op;
    return run_report(a, cli::bench_report);
  }
  cli::PipelineBenchArgs a;
  a.model = model_path(model);
  a.processors = processors;
  a.plan = plan_source;
  a.profile = profile;
  a.frames = frames;
  a.compare = compare;
  a.baseline = baseline;
  a.rounds = rounds;
  a.trace = trace;
  a.progress = progress;
  return run_report(a, cli::pipeline_bench_report);
}

// The summary of `tandem profile --json` and, under "table", the cost table itself.
py::object profile(const py::object& model, const std::string& processors,
                   const std::string& profile_path, const std::string& output, bool refresh,
                   bool validate, int max_runs, bool progress) {
  cli::ProfileArgs a;
  a.model = model_path(model);
  a.processors = processors;
  a.profile = profile_path;
  a.output = output;
  a.refresh = refresh;
  a.validate = validate;
  a.max_runs = max_runs;
  a.progress = progress;
  py::object d = run_report(a, cli::profile_report);
  const std::string table_path = py::str(d["profile"]);
  std::ifstream f(table_path);
  nlohmann::json table = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (table.is_discarded()) throw Error(table_path + ": cannot read the profile back");
  d["table"] = to_python(table);
  return d;
}

#if TANDEM_HAVE_ONNX
std::string convert(const py::object& onnx, const py::object& out,
                    const std::map<std::string, std::vector<int64_t>>& input_shapes, bool passes) {
  cli::ConvertArgs a;
  a.input = model_path(onnx);
  if (!out.is_none()) a.output = model_path(out);
  for (const auto& [name, shape] : input_shapes) {
    std::string spec = name.empty() ? "" : name + "=";
    for (size_t i = 0; i < shape.size(); ++i) spec += (i ? "x" : "") + std::to_string(shape[i]);
    a.input_shapes.push_back(spec);
  }
  a.no_passes = !passes;
  py::gil_scoped_release unlocked;
  return unwrap(cli::convert_model(a));
}
#endif

}  // namespace

void bind_tools(py::module_& m) {
  using namespace pybind11::literals;
  m.def("plan", &plan, "model"_a, "processors"_a = "", "profile"_a = "",
        "objective"_a = "throughput", "max_latency_ms"_a = 0.0, "min_gain"_a = 0.02,
        "replicas"_a = true, "intra_op"_a = true, "refresh"_a = false, "save"_a = false,
        "svg"_a = py::none(), "progress"_a = false,
        "Plan the model across processors (as `tandem plan --json`); svg= also draws it");
  m.def("bench", &bench, "model"_a, "processor"_a = "cpu", "runs"_a = 10, "warmup"_a = 2,
        "per_op"_a = false, "processors"_a = "", "plan"_a = "auto", "profile"_a = "",
        "frames"_a = 100, "compare"_a = false, "baseline"_a = "cpu", "rounds"_a = 3, "trace"_a = "",
        "progress"_a = false,
        "Benchmark on one processor, or pipelined with processors= (as `tandem bench --json`)");
  m.def("profile", &profile, "model"_a, "processors"_a = "", "profile"_a = "", "output"_a = "",
        "refresh"_a = false, "validate"_a = false, "max_runs"_a = 40, "progress"_a = false,
        "Measure each node on each processor (as `tandem profile --json`, plus the table)");
#if TANDEM_HAVE_ONNX
  m.def("convert", &convert, "onnx_path"_a, "out_path"_a = py::none(),
        "input_shapes"_a = std::map<std::string, std::vector<int64_t>>(), "passes"_a = true,
        "Convert an ONNX model to .tdm; returns the converter's summary");
  m.attr("has_converter") = true;
#else
  m.attr("has_converter") = false;
#endif
}

}  // namespace tandem::python
