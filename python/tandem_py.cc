// The Python module `tandem`: models and sessions over the public C++ API
// (include/tandem/tandem.hpp), NumPy float32 arrays in and out. The GIL is
// released while the engine compiles, runs or waits.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "python/tandem_py.h"
#include "tandem/tandem.hpp"

namespace tandem::python {
namespace {

// A loaded model and the file it came from (plan, bench and profile take files).
struct PyModel {
  Model model;
  std::string path;
};

// A Session runs one frame at a time (its executor's buffers are reused): calls
// from several Python threads, which run without the GIL, take turns.
struct PySession {
  Session session;
  std::shared_ptr<std::mutex> busy = std::make_shared<std::mutex>();
};

py::tuple shape_tuple(const std::vector<int64_t>& shape) {
  py::tuple t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) t[i] = shape[i];
  return t;
}

py::list specs_list(const std::vector<TensorSpec>& specs) {
  py::list out;
  for (const TensorSpec& s : specs) {
    py::dict d;
    d["name"] = s.name;
    d["shape"] = shape_tuple(s.shape);
    d["dtype"] = "float32";
    out.append(d);
  }
  return out;
}

HostTensor host_tensor(const std::string& name, const py::handle& value) {
  py::array a = py::array::ensure(value);
  if (!a) throw Error("input '" + name + "' is not an array");
  if (a.dtype().kind() != 'f' || a.dtype().itemsize() != 4)
    throw Error("input '" + name + "' has dtype " + std::string(py::str(a.dtype())) +
                "; Tandem takes float32 (use .astype(numpy.float32))");
  auto c = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
  HostTensor t;
  t.name = name;
  for (py::ssize_t d = 0; d < c.ndim(); ++d) t.shape.push_back(int64_t(c.shape(d)));
  t.data.assign(c.data(), c.data() + c.size());
  return t;
}

// {name: array} (or one array for a single-input model) -> HostTensors; the
// engine checks names and shapes and names the tensor when they are wrong.
std::vector<HostTensor> host_inputs(const py::handle& inputs) {
  std::vector<HostTensor> out;
  if (py::isinstance<py::dict>(inputs)) {
    for (auto item : py::reinterpret_borrow<py::dict>(inputs))
      out.push_back(host_tensor(py::str(item.first), item.second));
  } else {
    out.push_back(host_tensor("", inputs));  // the model's only input
  }
  return out;
}

// Outputs become arrays that own the engine's buffers (no copy).
py::dict py_outputs(std::vector<HostTensor> outputs) {
  py::dict d;
  for (HostTensor& t : outputs) {
    auto* data = new std::vector<float>(std::move(t.data));
    py::capsule owner(data, [](void* p) { delete static_cast<std::vector<float>*>(p); });
    std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
    d[py::str(t.name)] = py::array_t<float>(shape, data->data(), owner);
  }
  return d;
}

void bind_model(py::module_& m) {
  py::class_<PyModel>(m, "Model", "A loaded .tdm model (immutable, cheap to share)")
      .def_static(
          "load",
          [](const py::object& path, uint64_t max_memory_bytes) {
            PyModel pm;
            pm.path = model_path(path);
            LoadOptions o;
            o.max_memory_bytes = max_memory_bytes;
            py::gil_scoped_release unlocked;
            pm.model = unwrap(Model::load(pm.path, o));
            return pm;
          },
          py::arg("path"), py::arg("max_memory_bytes") = 0)
      .def_property_readonly("path", [](const PyModel& pm) { return pm.path; })
      .def_property_readonly(
          "inputs", [](const PyModel& pm) { return specs_list(pm.model.inputs()); },
          "[{name, shape, dtype}] of the graph inputs")
      .def_property_readonly("outputs",
                             [](const PyModel& pm) { return specs_list(pm.model.outputs()); })
      .def("__repr__", [](const PyModel& pm) { return "<tandem.Model '" + pm.path + "'>"; });
}

void bind_sessions(py::module_& m) {
  py::class_<PySession>(m, "Session", "A model compiled on one processor")
      .def(py::init([](const PyModel& pm, const std::string& processor) {
             py::gil_scoped_release unlocked;
             return PySession{unwrap(Session::create(pm.model, processor))};
           }),
           py::arg("model"), py::arg("processor") = "cpu")
      .def(
          "run",
          [](PySession& s, const py::object& inputs) {
            std::vector<HostTensor> in = host_inputs(inputs);
            std::vector<HostTensor> out;
            {
              py::gil_scoped_release unlocked;
              std::lock_guard<std::mutex> turn(*s.busy);
              out = unwrap(s.session.run(in));
            }
            return py_outputs(std::move(out));
          },
          py::arg("inputs"), "{name: float32 array} -> {name: float32 array}");

  py::class_<PipelineSession>(m, "PipelineSession", "A model pipelined across processors")
      .def(py::init([](const PyModel& pm, const std::string& processors, const std::string& plan,
                       const std::string& profile, int max_in_flight) {
             PipelineConfig c;
             c.plan = plan;
             c.profile = profile;
             c.max_in_flight = max_in_flight;
             py::gil_scoped_release unlocked;
             return unwrap(PipelineSession::create(pm.model, processors, c));
           }),
           py::arg("model"), py::arg("processors"), py::arg("plan") = "auto",
           py::arg("profile") = "", py::arg("max_in_flight") = 0)
      .def("run",
           [](PipelineSession& s, const py::object& inputs) {
             std::vector<HostTensor> in = host_inputs(inputs);
             std::vector<HostTensor> out;
             {
               py::gil_scoped_release unlocked;
               out = unwrap(s.run(in));
             }
             return py_outputs(std::move(out));
           })
      .def(
          "submit",
          [](PipelineSession& s, const py::object& inputs) {
            std::vector<HostTensor> in = host_inputs(inputs);
            py::gil_scoped_release unlocked;  // blocks while the pipeline is full
            return unwrap(s.submit(in));
          },
          "queue a frame; returns its ticket")
      .def("wait",
           [](PipelineSession& s, PipelineSession::Ticket ticket) {
             std::vector<HostTensor> out;
             {
               py::gil_scoped_release unlocked;
               out = unwrap(s.wait(ticket));
             }
             return py_outputs(std::move(out));
           })
      .def("poll", [](const PipelineSession& s,
                      PipelineSession::Ticket ticket) { return unwrap(s.poll(ticket)); })
      .def_property_readonly("plan_summary", &PipelineSession::plan_summary)
      .def_property_readonly("predicted_fps", &PipelineSession::predicted_fps);
}

}  // namespace

std::string model_path(const py::handle& model) {
  if (py::isinstance<PyModel>(model)) return model.cast<const PyModel&>().path;
  return py::str(py::module_::import("os").attr("fspath")(model));
}

py::object to_python(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

}  // namespace tandem::python

PYBIND11_MODULE(tandem, m) {
  namespace tp = tandem::python;
  m.doc() = "Tandem: one network across several processors";
  pybind11::register_exception<tp::Error>(m, "Error", PyExc_RuntimeError);
  m.attr("__version__") = tandem::version();
  tp::bind_model(m);
  tp::bind_sessions(m);
  tp::bind_tools(m);
}
