// Shared parts of the Python module (tandem_py.cc: models and sessions over
// include/tandem/tandem.hpp; tandem_py_tools.cc: convert, plan, bench, profile
// over the CLI's reports).
#pragma once

#include <pybind11/pybind11.h>

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <utility>

#include "graph/status.h"

namespace tandem::python {

namespace py = pybind11;

// Raised as tandem.Error (a RuntimeError subclass) with the engine's message.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void raise(const Status& st) {
  throw Error(st.to_string());
}
inline void check(const Status& st) {
  if (!st.ok()) raise(st);
}
template <class T>
T unwrap(Expected<T> e) {
  if (!e.ok()) raise(e.status());
  return std::move(e).value();
}

// The path of a model argument: a tandem.Model (the file it was loaded from),
// a str or an os.PathLike.
std::string model_path(const py::handle& model);

// A JSON value as Python objects (dict, list, float, ...).
py::object to_python(const nlohmann::json& j);

// tandem.convert, plan, bench, profile.
void bind_tools(py::module_& m);

}  // namespace tandem::python
