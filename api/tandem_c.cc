// The C API (include/tandem/tandem.h) over the C++ API.
#include "tandem/tandem.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/default_registry.h"
#include "engine/executor.h"
#include "formats/model_file.h"
#include "tandem/tandem.hpp"

struct tandem_model {
  tandem::Model model;
};

struct tandem_session {
  std::shared_ptr<const tandem::ModelFile> file;
  // One processor: an executor; several: a pipeline.
  std::unique_ptr<tandem::Processor> processor;
  std::unique_ptr<tandem::Executor> executor;
  std::optional<tandem::PipelineSession> pipeline;
};

namespace {

thread_local std::string last_error;

tandem_status report(const tandem::Status& st) {
  last_error = st.ok() ? "" : st.message();
  return static_cast<tandem_status>(st.code());
}

tandem_status tensor_info(const tandem::Graph& g, const std::vector<int>& ids, size_t index,
                          const char** name, int64_t* dims, size_t max_rank, size_t* rank) {
  if (index >= ids.size())
    return report(tandem::invalid_argument("index " + std::to_string(index) + " out of range"));
  const tandem::Tensor& t = g.tensor(ids[index]);
  if (name) *name = t.name.c_str();
  if (rank) *rank = t.shape.size();
  if (dims)
    for (size_t i = 0; i < t.shape.size() && i < max_rank; ++i) dims[i] = t.shape[i];
  return report(tandem::Status());
}

}  // namespace

extern "C" {

const char* tandem_version(void) {
  return tandem::version();
}
uint32_t tandem_schema_version(void) {
  return tandem::schema_version();
}
uint32_t tandem_min_readable_schema_version(void) {
  return tandem::min_readable_schema_version();
}
const char* tandem_last_error(void) {
  return last_error.c_str();
}

tandem_status tandem_model_load(const char* path, tandem_model** out) {
  if (!path || !out) return report(tandem::invalid_argument("tandem_model_load: null argument"));
  *out = nullptr;
  auto m = tandem::Model::load(path);
  if (!m.ok()) return report(m.status());
  *out = new tandem_model{std::move(m).value()};
  return report(tandem::Status());
}

void tandem_model_free(tandem_model* model) {
  delete model;
}

size_t tandem_model_input_count(const tandem_model* m) {
  return m ? m->model.graph().inputs.size() : 0;
}
size_t tandem_model_output_count(const tandem_model* m) {
  return m ? m->model.graph().outputs.size() : 0;
}

tandem_status tandem_model_input(const tandem_model* m, size_t index, const char** name,
                                 int64_t* dims, size_t max_rank, size_t* rank) {
  if (!m) return report(tandem::invalid_argument("tandem_model_input: null model"));
  return tensor_info(m->model.graph(), m->model.graph().inputs, index, name, dims, max_rank, rank);
}

tandem_status tandem_model_output(const tandem_model* m, size_t index, const char** name,
                                  int64_t* dims, size_t max_rank, size_t* rank) {
  if (!m) return report(tandem::invalid_argument("tandem_model_output: null model"));
  return tensor_info(m->model.graph(), m->model.graph().outputs, index, name, dims, max_rank, rank);
}

tandem_status tandem_session_create(const tandem_model* m, const char* processors,
                                    tandem_session** out) {
  if (!m || !processors || !out)
    return report(tandem::invalid_argument("tandem_session_create: null argument"));
  *out = nullptr;
  auto s = std::make_unique<tandem_session>();
  s->file = m->model.shared_file();
  auto specs =
      tandem::split_processor_list(processors, tandem::default_processor_registry().kinds());
  if (!specs.ok()) return report(specs.status());
  if (specs->size() > 1) {
    auto pipe = tandem::PipelineSession::create(m->model, processors);
    if (!pipe.ok()) return report(pipe.status());
    s->pipeline = std::move(pipe).value();
    *out = s.release();
    return report(tandem::Status());
  }
  auto p = tandem::create_processor(processors);
  if (!p.ok()) return report(p.status());
  s->processor = std::move(p).value();
  auto e = tandem::Executor::create(s->file->graph, *s->processor);
  if (!e.ok()) return report(e.status());
  s->executor = std::move(e).value();
  *out = s.release();
  return report(tandem::Status());
}

void tandem_session_free(tandem_session* session) {
  delete session;
}

tandem_status tandem_session_run(tandem_session* s, const float* const* inputs,
                                 const size_t* input_sizes, float* const* outputs,
                                 const size_t* output_sizes) {
  if (!s || !inputs || !input_sizes || !outputs || !output_sizes)
    return report(tandem::invalid_argument("tandem_session_run: null argument"));
  const tandem::Graph& g = s->file->graph;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const tandem::Tensor& t = g.tensor(g.inputs[i]);
    if (static_cast<int64_t>(input_sizes[i]) != tandem::shape_elements(t.shape))
      return report(tandem::invalid_argument(
          "input '" + t.name + "' has " + std::to_string(input_sizes[i]) +
          " elements, the model expects " + std::to_string(tandem::shape_elements(t.shape)) + " (" +
          tandem::shape_to_string(t.shape) + ")"));
  }
  for (size_t j = 0; j < g.outputs.size(); ++j) {
    const tandem::Tensor& t = g.tensor(g.outputs[j]);
    if (static_cast<int64_t>(output_sizes[j]) != tandem::shape_elements(t.shape))
      return report(tandem::invalid_argument("output buffer for '" + t.name + "' has " +
                                             std::to_string(output_sizes[j]) + " elements, needs " +
                                             std::to_string(tandem::shape_elements(t.shape))));
  }
  if (s->executor) return report(s->executor->run_raw(inputs, outputs));
  std::vector<tandem::HostTensor> in;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const tandem::Tensor& t = g.tensor(g.inputs[i]);
    in.push_back({t.name, t.shape, std::vector<float>(inputs[i], inputs[i] + input_sizes[i])});
  }
  auto result = s->pipeline->run(in);
  if (!result.ok()) return report(result.status());
  for (size_t j = 0; j < result->size(); ++j)
    std::copy((*result)[j].data.begin(), (*result)[j].data.end(), outputs[j]);
  return report(tandem::Status());
}

}  // extern "C"
