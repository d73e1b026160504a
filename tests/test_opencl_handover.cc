// opencl:handover=copy|map|auto: the zero-copy hand-over of range boundary
// tensors (kernels/opencl/handover.h) gives bit-identical results to explicit
// copies, alone and inside a pipeline, and falls back to a copy for memory
// the driver cannot use in place.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "api/default_registry.h"
#include "graph/shape_inference.h"
#include "kernels/opencl/device.h"
#include "kernels/opencl/opencl_processor.h"
#include "scheduler/pipeline.h"
#include "tests/helpers.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::test;

namespace {

bool find_shared_device(ocl::DeviceInfo* out) {
  auto devices = ocl::list_opencl_devices();
  if (!devices.ok()) return false;
  for (const ocl::DeviceInfo& d : *devices)
    if (ocl::shares_host_memory(d)) {
      *out = d;
      return true;
    }
  return false;
}

constexpr int kC = 16, kH = 20, kW = 20;
constexpr size_t kCount = size_t(kC) * kH * kW;

// conv -> relu -> conv -> add(., relu) -> relu: a skip connection, so a cut
// after the first relu carries a tensor read twice.
Graph residual_block() {
  Graph g;
  const int x = add_input(g, "x", {1, kC, kH, kW});
  NodeAttrs a;
  a.kernel_shape = {3, 3};
  a.strides = {1, 1};
  a.pads = {1, 1, 1, 1};
  a.dilations = {1, 1};
  int c0 = add_simple_node(g, OpType::kConv, "conv0",
                           {x, add_random_constant(g, "w0", {kC, kC, 3, 3}, 5)}, a);
  int r0 = add_simple_node(g, OpType::kRelu, "relu0", {c0});
  int c1 = add_simple_node(g, OpType::kConv, "conv1",
                           {r0, add_random_constant(g, "w1", {kC, kC, 3, 3}, 6)}, a);
  int s = add_simple_node(g, OpType::kAdd, "add", {c1, r0});
  g.outputs = {add_simple_node(g, OpType::kRelu, "relu1", {s})};
  REQUIRE(infer_shapes(g).ok());
  return g;
}

// Page-aligned float storage (as the pipeline's slots), `shift` floats in.
struct Aligned {
  explicit Aligned(size_t n, size_t shift = 0) : raw(n + 1024 + shift) {
    auto addr = reinterpret_cast<uintptr_t>(raw.data());
    p = raw.data() + ((4096 - addr % 4096) % 4096) / sizeof(float) + shift;
  }
  std::vector<float> raw;
  float* p = nullptr;
};

struct RangeRun {
  std::vector<std::vector<float>> outs;
  OpenCLRangeStats stats;
};

// Runs the whole graph on `spec` for several inputs, `shift` floats off a page.
RangeRun run_range(const std::string& spec, const Graph& g, size_t shift) {
  auto p = create_processor(spec);
  REQUIRE_MESSAGE(p.ok(), p.status().to_string());
  auto exe = (*p)->compile(g, 0, static_cast<int>(g.nodes.size()));
  REQUIRE_MESSAGE(exe.ok(), exe.status().to_string());
  Aligned in(kCount, shift), out(kCount, shift);
  RangeRun r;
  for (uint32_t f = 0; f < 3; ++f) {
    std::vector<float> x = random_floats(kCount, 20 + f);
    std::memcpy(in.p, x.data(), kCount * sizeof(float));
    const float* ins[] = {in.p};
    float* outs[] = {out.p};
    Status st = (*exe)->run(ins, outs);
    REQUIRE_MESSAGE(st.ok(), st.to_string());
    r.outs.emplace_back(out.p, out.p + kCount);
  }
  r.stats = *opencl_range_stats(**exe);
  return r;
}

void require_same_bits(const std::vector<std::vector<float>>& a,
                       const std::vector<std::vector<float>>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t f = 0; f < a.size(); ++f) {
    REQUIRE(a[f].size() == b[f].size());
    CHECK_MESSAGE(std::memcmp(a[f].data(), b[f].data(), a[f].size() * sizeof(float)) == 0,
                  "frame " << f << " differs between copy and map");
  }
}

// Forwards to an opencl processor and remembers what it compiled, so a test
// can read the counters of the executables a pipeline owns.
class Spy final : public Processor {
 public:
  explicit Spy(Processor* inner) : inner_(inner) {}
  std::string spec() const override { return inner_->spec(); }
  bool supports(const Graph& g, const Node& n) const override { return inner_->supports(g, n); }
  Expected<std::unique_ptr<Executable>> compile(const Graph& g, int first, int last) override {
    auto e = inner_->compile(g, first, last);
    if (e.ok()) made.push_back(e->get());
    return e;
  }
  Status bind_current_thread() override { return inner_->bind_current_thread(); }
  std::vector<const Executable*> made;

 private:
  Processor* inner_;
};

}  // namespace

TEST_CASE("handover=map runs a range on the caller's memory, bit-identical to copies") {
  ocl::DeviceInfo dev;
  if (!skip_unless(find_shared_device(&dev), "no OpenCL device that shares host memory")) return;
  const Graph g = residual_block();
  const std::string base = "opencl:" + std::to_string(dev.index);
  RangeRun copy = run_range(base + ",handover=copy", g, 0);
  RangeRun map = run_range(base + ",handover=map", g, 0);
  require_same_bits(copy.outs, map.outs);
  CHECK(copy.stats.mapped_boundaries == 0);
  CHECK(copy.stats.uploads == 3);
  CHECK(copy.stats.downloads == 3);
  CHECK(map.stats.mapped_boundaries == 2);
  CHECK(map.stats.mapped_inputs == 3);
  CHECK(map.stats.mapped_outputs == 3);
  CHECK(map.stats.uploads == 0);
  CHECK(map.stats.downloads == 0);
  // A pointer off the driver's alignment falls back to a copy, same bits.
  RangeRun off = run_range(base + ",handover=map", g, 1);
  require_same_bits(copy.outs, off.outs);
  CHECK(off.stats.mapped_inputs == 0);
  CHECK(off.stats.uploads == 3);
  CHECK(off.stats.downloads == 3);
  // Against the reference kernels.
  auto ref = create_processor("reference");
  REQUIRE(ref.ok());
  RangeRun expect;
  auto rexe = (*ref)->compile(g, 0, static_cast<int>(g.nodes.size()));
  REQUIRE(rexe.ok());
  std::vector<float> x = random_floats(kCount, 20), y(kCount);
  const float* ins[] = {x.data()};
  float* outs[] = {y.data()};
  REQUIRE((*rexe)->run(ins, outs).ok());
  CHECK(relative_error(map.outs[0], y) < 1e-4);
  // auto resolves to map on such a device; the spec names forced modes only.
  auto a = create_processor(base);
  REQUIRE(a.ok());
  CHECK((*a)->description().find("hand-over by map") != std::string::npos);
  auto c = create_processor(base + ",handover=copy");
  REQUIRE(c.ok());
  CHECK((*c)->spec() == base + ",handover=copy");
  CHECK((*c)->description().find("hand-over by copy") != std::string::npos);
}

TEST_CASE("handover=map in a pipeline: opencl between two stages and first, frames bit-identical") {
  ocl::DeviceInfo dev;
  if (!skip_unless(find_shared_device(&dev), "no OpenCL device that shares host memory")) return;
  const Graph g = residual_block();
  auto ref = create_processor("reference");
  REQUIRE(ref.ok());
  std::vector<Pipeline::Tensors> inputs;
  for (uint32_t f = 0; f < 12; ++f) inputs.push_back({random_floats(kCount, 40 + f)});
  // opencl_first: opencl [0,3) -> reference [3,5): the opencl stage reads the
  // caller's (fresh, rarely aligned) input vectors and writes two slots.
  auto run_mode = [&](const std::string& mode, bool opencl_first) {
    auto inner = create_processor("opencl:" + std::to_string(dev.index) + ",handover=" + mode);
    REQUIRE_MESSAGE(inner.ok(), inner.status().to_string());
    auto cl = std::make_unique<Spy>(inner->get());
    // reference [0,1) -> opencl [1,3) -> reference [3,5): the opencl stage
    // reads a slot and writes two (relu0 crosses both cuts).
    std::vector<StageSpec> stages = {StageSpec(ref->get(), 0, 1), StageSpec(cl.get(), 1, 3),
                                     StageSpec(ref->get(), 3, 5)};
    if (opencl_first) stages = {StageSpec(cl.get(), 0, 3), StageSpec(ref->get(), 3, 5)};
    auto p = Pipeline::create(g, stages);
    REQUIRE_MESSAGE(p.ok(), p.status().to_string());
    std::vector<Pipeline::Ticket> tickets;
    for (const auto& in : inputs) {
      auto t = (*p)->submit(in);
      REQUIRE(t.ok());
      tickets.push_back(*t);
    }
    std::vector<std::vector<float>> outs;
    for (auto t : tickets) {
      auto r = (*p)->wait(t);
      REQUIRE_MESSAGE(r.ok(), r.status().to_string());
      outs.push_back((*r)[0]);
    }
    // The slots are page-aligned, so under map every hand-over of the opencl
    // stage (one tensor in, two out per frame) used the slot in place.
    REQUIRE(cl->made.size() == 1);
    const OpenCLRangeStats& s = *opencl_range_stats(*cl->made[0]);
    const uint64_t frames = inputs.size();
    if (mode == "map") {
      CHECK(s.mapped_inputs + s.uploads == frames);
      if (!opencl_first) CHECK(s.mapped_inputs == frames);
      CHECK(s.mapped_outputs == 2 * frames);
      CHECK(s.downloads == 0);
    } else {
      CHECK(s.mapped_inputs + s.mapped_outputs == 0);
      CHECK(s.uploads == frames);
      CHECK(s.downloads == 2 * frames);
    }
    return outs;
  };
  for (bool first : {false, true}) {
    INFO("opencl stage first: " << first);
    const auto copy = run_mode("copy", first);
    const auto map = run_mode("map", first);
    require_same_bits(copy, map);
    // Each frame is its own: consecutive frames differ (no stale slot read).
    for (size_t f = 1; f < map.size(); ++f) CHECK(map[f] != map[f - 1]);
  }
}
