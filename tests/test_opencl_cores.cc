// opencl:cores=: a PoCL CPU device confined to given cores. Checks the
// mechanism (the PoCL worker threads that do the work are pinned to exactly
// those cores, process CPU time over wall stays at one core's worth), that
// outputs still match the reference, and the errors.
#include <doctest/doctest.h>
#include <time.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "api/default_registry.h"
#include "graph/shape_inference.h"
#include "kernels/opencl/device.h"
#include "kernels/opencl/pocl_cores.h"
#include "tests/helpers.h"
#include "tests/skip.h"

using namespace tandem;
using namespace tandem::test;

namespace {

// The PoCL CPU device, or nullopt-like empty info when there is none.
bool find_pocl(ocl::DeviceInfo* out) {
  auto devices = ocl::list_opencl_devices();
  if (!devices.ok()) return false;
  for (const ocl::DeviceInfo& d : *devices)
    if (d.type == "CPU" && d.platform_name.find("Portable Computing Language") == 0) {
      *out = d;
      return true;
    }
  return false;
}

// "Cpus_allowed_list" of thread `tid` of this process ("1", "0-1").
std::string allowed_list(int tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("Cpus_allowed_list:", 0) == 0) {
      std::string v = line.substr(line.find(':') + 1);
      return v.substr(v.find_first_not_of(" \t"));
    }
  return "";
}

// A graph heavy enough (~0.5 GFLOP) to keep every PoCL worker busy a while.
Graph conv_chain() {
  Graph g;
  int x = add_input(g, "x", {1, 32, 56, 56});
  NodeAttrs a;
  a.kernel_shape = {3, 3};
  a.strides = {1, 1};
  a.pads = {1, 1, 1, 1};
  a.dilations = {1, 1};
  for (int i = 0; i < 2; ++i)
    x = add_simple_node(g, OpType::kConv, "conv" + std::to_string(i),
                        {x, add_random_constant(g, "w" + std::to_string(i), {32, 32, 3, 3}, 3 + i)},
                        a);
  g.outputs = {x};
  REQUIRE(infer_shapes(g).ok());
  return g;
}

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Timed {
  std::vector<float> out;
  double cpu_over_wall = 0;
};

Timed run_timed(Processor& p, const Graph& g, int runs) {
  auto exe = p.compile(g, 0, static_cast<int>(g.nodes.size()));
  REQUIRE_MESSAGE(exe.ok(), exe.status().to_string());
  std::vector<float> in = random_floats(32 * 56 * 56, 11);
  Timed t;
  t.out.resize(32 * 56 * 56);
  const float* ins[] = {in.data()};
  float* outs[] = {t.out.data()};
  REQUIRE((*exe)->run(ins, outs).ok());  // warm-up: PoCL specialises kernels
  const double c0 = process_cpu_s();
  auto w0 = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) REQUIRE((*exe)->run(ins, outs).ok());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  t.cpu_over_wall = (process_cpu_s() - c0) / wall;
  return t;
}

}  // namespace

TEST_CASE("opencl:cores= pins PoCL's workers and keeps the device on those cores") {
  setenv("TANDEM_CACHE_DIR", temp_path("opencl_cache").c_str(), 1);
  ocl::DeviceInfo pocl;
  if (!skip_unless(find_pocl(&pocl), "no PoCL CPU device")) return;
  const std::vector<int> avail = ocl::available_cores();
  const int core = avail.back();
  const int k = static_cast<int>(avail.size()) - 1;  // worker k <-> k-th available core
  if (!skip_unless(static_cast<uint32_t>(k) < pocl.compute_units, "fewer PoCL workers than cores"))
    return;
  auto confined =
      create_processor("opencl:" + std::to_string(pocl.index) + ",cores=" + std::to_string(core));
  REQUIRE_MESSAGE(confined.ok(), confined.status().to_string());
  CHECK((*confined)->cores() == std::vector<int>{core});
  CHECK((*confined)->spec().find("cores=" + std::to_string(core)) != std::string::npos);
  auto tid = ocl::pocl_worker_tid(pocl, k);
  REQUIRE_MESSAGE(tid.ok(), tid.status().to_string());
  CHECK(allowed_list(*tid) == std::to_string(core));

  const Graph g = conv_chain();
  Timed got = run_timed(**confined, g, 3);
  INFO("process CPU time / wall on opencl:cores=" << core << ": " << got.cpu_over_wall);
  CHECK(got.cpu_over_wall < 1.35);  // one worker (plus a waiting host thread)
  auto ref = create_processor("reference");
  REQUIRE(ref.ok());
  Timed want = run_timed(**ref, g, 1);
  CHECK(relative_error(got.out, want.out) <= 1e-4);
}

TEST_CASE("opencl:cores= on two cores gives two processors on two workers") {
  ocl::DeviceInfo pocl;
  if (!skip_unless(find_pocl(&pocl), "no PoCL CPU device")) return;
  const std::vector<int> avail = ocl::available_cores();
  if (!skip_unless(avail.size() >= 2 && pocl.compute_units >= 2, "fewer than two cores")) return;
  for (int k = 0; k < 2; ++k) {
    auto p = create_processor("opencl:" + std::to_string(pocl.index) +
                              ",cores=" + std::to_string(avail[size_t(k)]));
    REQUIRE_MESSAGE(p.ok(), p.status().to_string());
  }
  auto t0 = ocl::pocl_worker_tid(pocl, 0), t1 = ocl::pocl_worker_tid(pocl, 1);
  REQUIRE(t0.ok());
  REQUIRE(t1.ok());
  CHECK(*t0 != *t1);
  CHECK(allowed_list(*t0) == std::to_string(avail[0]));
  CHECK(allowed_list(*t1) == std::to_string(avail[1]));
  auto both = create_processor("opencl:" + std::to_string(pocl.index) + ",cores=" +
                               std::to_string(avail[0]) + "-" + std::to_string(avail[1]));
  REQUIRE_MESSAGE(both.ok(), both.status().to_string());
  CHECK((*both)->cores().size() == 2);
}

TEST_CASE("opencl:cores= errors") {
  ocl::DeviceInfo pocl;
  if (!skip_unless(find_pocl(&pocl), "no PoCL CPU device")) return;
  const std::string dev = "opencl:" + std::to_string(pocl.index);
  for (const char* bad : {"cores=999", "cores=x", "cores=1-0", "cores=0+0"}) {
    auto p = create_processor(dev + "," + bad);
    INFO(bad);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().code() == StatusCode::kInvalidArgument);
    CHECK(p.status().message().find("cores") != std::string::npos);
  }
  ocl::DeviceInfo gpu = pocl;
  gpu.type = "GPU";
  gpu.platform_name = "NVIDIA CUDA";
  auto r = ocl::confine_to_cores(gpu, {ocl::available_cores().front()});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kUnsupported);
  CHECK(r.status().message().find("cannot be confined") != std::string::npos);
  ocl::DeviceInfo few = pocl;
  few.compute_units = 0;
  r = ocl::confine_to_cores(few, {ocl::available_cores().front()});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("POCL_MAX_PTHREAD_COUNT") != std::string::npos);
}
