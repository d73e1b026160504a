#include "engine/executor.h"

#include <algorithm>
#include <cstring>

namespace tandem {

Expected<std::vector<const HostTensor*>> match_inputs(const Graph& g,
                                                      const std::vector<HostTensor>& inputs) {
  std::vector<const HostTensor*> ordered(g.inputs.size(), nullptr);
  if (inputs.size() != g.inputs.size())
    return invalid_argument("the model has " + std::to_string(g.inputs.size()) + " input(s), got " +
                            std::to_string(inputs.size()));
  for (const HostTensor& t : inputs) {
    size_t pos = 0;
    if (t.name.empty() && g.inputs.size() == 1) {
      pos = 0;
    } else {
      auto it = std::find_if(g.inputs.begin(), g.inputs.end(),
                             [&](int id) { return g.tensor(id).name == t.name; });
      if (it == g.inputs.end()) {
        std::string names;
        for (int id : g.inputs) names += (names.empty() ? "'" : ", '") + g.tensor(id).name + "'";
        return invalid_argument("input '" + t.name +
                                "' is not an input of the model (inputs: " + names + ")");
      }
      pos = static_cast<size_t>(it - g.inputs.begin());
    }
    const Tensor& expected = g.tensor(g.inputs[pos]);
    if (t.shape != expected.shape)
      return invalid_argument("input '" + expected.name + "' has shape " +
                              shape_to_string(t.shape) + ", the model expects " +
                              shape_to_string(expected.shape));
    if (static_cast<int64_t>(t.data.size()) != shape_elements(t.shape))
      return invalid_argument("input '" + expected.name + "' holds " +
                              std::to_string(t.data.size()) + " values, its shape " +
                              shape_to_string(t.shape) + " needs " +
                              std::to_string(shape_elements(t.shape)));
    if (ordered[pos]) return invalid_argument("input '" + expected.name + "' given twice");
    ordered[pos] = &t;
  }
  return ordered;
}

Expected<std::unique_ptr<Executor>> Executor::create(const Graph& g, Processor& processor) {
  if (g.nodes.empty()) return invalid_model("the graph has no nodes");
  TANDEM_ASSIGN_OR_RETURN(std::unique_ptr<Executable> exe,
                          processor.compile(g, 0, static_cast<int>(g.nodes.size())));
  std::unique_ptr<Executor> s(new Executor(g, std::move(exe)));
  const RangeIO& io = s->exe_->io();
  for (int t : io.inputs) {
    auto it = std::find(g.inputs.begin(), g.inputs.end(), t);
    if (it == g.inputs.end())
      return internal_error("range input '" + g.tensor(t).name + "' is not a graph input");
    s->input_pos_.push_back(static_cast<int>(it - g.inputs.begin()));
  }
  for (int t : g.outputs) {
    auto it = std::find(io.outputs.begin(), io.outputs.end(), t);
    if (it == io.outputs.end())
      return internal_error("graph output '" + g.tensor(t).name + "' is not produced by the graph");
    s->output_pos_.push_back(static_cast<int>(it - io.outputs.begin()));
  }
  s->in_ptrs_.resize(io.inputs.size());
  s->out_ptrs_.resize(io.outputs.size());
  return s;
}

Status Executor::run_raw(const float* const* inputs, float* const* outputs,
                         const RunOptions& options) {
  for (size_t k = 0; k < in_ptrs_.size(); ++k) in_ptrs_[k] = inputs[input_pos_[k]];
  for (size_t j = 0; j < output_pos_.size(); ++j)
    out_ptrs_[static_cast<size_t>(output_pos_[j])] = outputs[j];
  // Range outputs that are not graph outputs cannot exist for a whole graph.
  return exe_->run(in_ptrs_.data(), out_ptrs_.data(), options);
}

Expected<std::vector<HostTensor>> Executor::run(const std::vector<HostTensor>& inputs,
                                                const RunOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<const HostTensor*> ordered, match_inputs(g_, inputs));
  std::vector<const float*> in(ordered.size());
  for (size_t i = 0; i < ordered.size(); ++i) in[i] = ordered[i]->data.data();
  std::vector<HostTensor> outs(g_.outputs.size());
  std::vector<float*> out(outs.size());
  for (size_t j = 0; j < outs.size(); ++j) {
    const Tensor& t = g_.tensor(g_.outputs[j]);
    outs[j].name = t.name;
    outs[j].shape = t.shape;
    outs[j].data.resize(static_cast<size_t>(shape_elements(t.shape)));
    out[j] = outs[j].data.data();
  }
  TANDEM_RETURN_IF_ERROR(run_raw(in.data(), out.data(), options));
  return outs;
}

}  // namespace tandem
