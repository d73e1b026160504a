// The reference processor: runs every op with the portable reference kernels.
// Slow but exact; the oracle the other processors are tested against.
#include "kernels/reference/reference_processor.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "engine/range_arena.h"
#include "kernels/reference/reference_kernels.h"

namespace tandem {
namespace {

class ReferenceExecutable final : public Executable {
 public:
  ReferenceExecutable(const Graph& g, int first, int last, RangeArena arena)
      : g_(g), first_(first), last_(last), io_(range_io(g, first, last)), arena_(std::move(arena)) {
    // Resolve every node's input/output pointers once: run() only follows them.
    std::vector<int> input_slot(g.tensors.size(), -1);
    for (size_t k = 0; k < io_.inputs.size(); ++k)
      input_slot[static_cast<size_t>(io_.inputs[k])] = static_cast<int>(k);
    for (int i = first; i < last; ++i) {
      const Node& n = g.nodes[static_cast<size_t>(i)];
      Bound b;
      for (int t : n.inputs) {
        if (t < 0) {
          b.inputs.push_back({nullptr, -1});
        } else if (g.tensor(t).is_constant()) {
          b.inputs.push_back({g.tensor(t).data->f32(), -1});
        } else if (arena_.data(t)) {
          b.inputs.push_back({arena_.data(t), -1});
        } else {
          b.inputs.push_back({nullptr, input_slot[static_cast<size_t>(t)]});
        }
      }
      for (int t : n.outputs) b.outputs.push_back(arena_.data(t));
      bound_.push_back(std::move(b));
    }
    size_t max_inputs = 0;
    for (const Bound& b : bound_) max_inputs = std::max(max_inputs, b.inputs.size());
    in_ptrs_.resize(max_inputs);
  }

  Status run(const float* const* inputs, float* const* outputs,
             const RunOptions& options) override {
    if (options.node_ms) options.node_ms->assign(static_cast<size_t>(last_ - first_), 0.0);
    for (int i = first_; i < last_; ++i) {
      const Node& n = g_.nodes[static_cast<size_t>(i)];
      Bound& b = bound_[static_cast<size_t>(i - first_)];
      for (size_t k = 0; k < b.inputs.size(); ++k)
        in_ptrs_[k] = b.inputs[k].slot >= 0 ? inputs[b.inputs[k].slot] : b.inputs[k].ptr;
      auto t0 = std::chrono::steady_clock::now();
      Status st = run_reference_node(g_, n, in_ptrs_.data(), b.outputs.data());
      if (!st.ok()) return st.with_context("node '" + n.name + "'");
      if (options.node_ms)
        (*options.node_ms)[static_cast<size_t>(i - first_)] =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
    }
    for (size_t k = 0; k < io_.outputs.size(); ++k) {
      int t = io_.outputs[k];
      std::memcpy(
          outputs[k], arena_.data(t),
          static_cast<size_t>(shape_elements(g_.tensor(t).shape)) * dtype_size(g_.tensor(t).dtype));
    }
    return Status();
  }

  const RangeIO& io() const override { return io_; }

 private:
  struct InputRef {
    const float* ptr;
    int slot;  // >= 0: index into run()'s inputs
  };
  struct Bound {
    std::vector<InputRef> inputs;
    std::vector<float*> outputs;
  };
  const Graph& g_;
  int first_, last_;
  RangeIO io_;
  RangeArena arena_;
  std::vector<Bound> bound_;
  std::vector<const float*> in_ptrs_;
};

class ReferenceProcessor final : public Processor {
 public:
  std::string spec() const override { return "reference"; }
  std::string description() const override { return "reference: portable kernels, calling thread"; }
  bool supports(const Graph&, const Node& n) const override {
    return reference_kernel(n.op) != nullptr;
  }
  Expected<std::unique_ptr<Executable>> compile(const Graph& g, int first, int last) override {
    if (first < 0 || last > static_cast<int>(g.nodes.size()) || first >= last)
      return invalid_argument("node range [" + std::to_string(first) + ", " + std::to_string(last) +
                              ") is empty or outside the graph");
    for (int i = first; i < last; ++i)
      if (!supports(g, g.nodes[static_cast<size_t>(i)]))
        return unsupported("reference: no kernel for node '" +
                           g.nodes[static_cast<size_t>(i)].name + "'");
    TANDEM_ASSIGN_OR_RETURN(RangeArena arena, RangeArena::create(g, first, last));
    return std::unique_ptr<Executable>(new ReferenceExecutable(g, first, last, std::move(arena)));
  }
};

}  // namespace

void register_reference_processor(ProcessorRegistry& r) {
  r.add("reference", [](const ProcessorSpec& spec) -> Expected<std::unique_ptr<Processor>> {
    if (!spec.options.empty())
      return invalid_argument("processor 'reference' takes no options (got '" + spec.text + "')");
    return std::unique_ptr<Processor>(new ReferenceProcessor());
  });
}

}  // namespace tandem
