// Hand-over A/B: opencl:handover=copy vs handover=map on one range of a model.
//
//   build/bench/bench_opencl_handover MODEL.tdm CUT [ROUNDS] [SPEC]
//
// Compiles nodes [CUT, end) on SPEC (default "opencl:0,cores=1") once per
// mode and runs them interleaved (copy, map, map, copy, ...) on page-aligned
// buffers like the pipeline's slots. Before each run the calling thread,
// pinned to core 0 (where a cpu:cores=0 stage would be), rewrites the inputs
// as a producer stage does, so neither mode finds them in the device's cache. Per mode it prints
// medians and ranges of the hand-over alone (OpenCLRangeStats::handover_ms, wall and process CPU)
// and of the whole range unprofiled, and whether outputs agree bit for bit.
#include <sched.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "api/default_registry.h"
#include "formats/model_file.h"
#include "kernels/opencl/opencl_processor.h"

using namespace tandem;

namespace {

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return 1e3 * double(ts.tv_sec) + 1e-6 * double(ts.tv_nsec);
}

struct Buffers {
  std::vector<std::vector<float>> store;
  std::vector<float*> ptr;
  void add(size_t n) {
    store.emplace_back(n + 1024, 0.0f);
    auto addr = reinterpret_cast<uintptr_t>(store.back().data());
    ptr.push_back(store.back().data() + ((4096 - addr % 4096) % 4096) / sizeof(float));
  }
};

struct Mode {
  std::string name;
  std::unique_ptr<Processor> proc;
  std::unique_ptr<Executable> exe;
  Buffers out;
  std::vector<double> hand_ms, hand_cpu, run_ms, run_cpu;
};

std::string stat(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  char b[96];
  std::snprintf(b, sizeof b, "%.3f (%.3f-%.3f)", v[v.size() / 2], v.front(), v.back());
  return b;
}

int fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.to_string().c_str());
  return 1;
}

// The producer's write of the boundary tensors.
void produce(const std::vector<float*>& in, const std::vector<size_t>& counts, int frame) {
  for (size_t t = 0; t < in.size(); ++t)
    for (size_t i = 0; i < counts[t]; ++i)
      in[t][i] = float(int((i + size_t(frame)) * 7919 % 255) - 127) / 64.0f;
}

// One round of `m`: a profiled run (hand-over alone) and a plain one, each
// after the producer rewrote the inputs.
Status round(Mode& m, Buffers& in, const std::vector<size_t>& counts, int frame) {
  std::vector<const float*> ins(in.ptr.begin(), in.ptr.end());
  produce(in.ptr, counts, frame);
  const OpenCLRangeStats before = *opencl_range_stats(*m.exe);
  std::vector<double> node_ms;
  RunOptions opts;
  opts.node_ms = &node_ms;
  TANDEM_RETURN_IF_ERROR(m.exe->run(ins.data(), m.out.ptr.data(), opts));
  const OpenCLRangeStats& after = *opencl_range_stats(*m.exe);
  m.hand_ms.push_back(after.handover_ms - before.handover_ms);
  m.hand_cpu.push_back(after.handover_cpu_ms - before.handover_cpu_ms);
  produce(in.ptr, counts, frame + 1);
  const double c0 = cpu_ms();
  const auto t0 = std::chrono::steady_clock::now();
  TANDEM_RETURN_IF_ERROR(m.exe->run(ins.data(), m.out.ptr.data()));
  m.run_ms.push_back(
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  m.run_cpu.push_back(cpu_ms() - c0);
  return Status();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.tdm CUT [ROUNDS] [SPEC]\n", argv[0]);
    return 2;
  }
  const int cut = std::atoi(argv[2]);
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 15;
  const std::string spec = argc > 4 ? argv[4] : "opencl:0,cores=1";
  auto file = read_model_file(argv[1]);
  if (!file.ok()) return fail(file.status());
  const Graph& g = file->graph;
  const int n = static_cast<int>(g.nodes.size());
  Mode modes[2];
  modes[0].name = "copy";
  modes[1].name = "map";
  for (Mode& m : modes) {
    auto p = create_processor(spec + ",handover=" + m.name);
    if (!p.ok()) return fail(p.status());
    m.proc = std::move(p).value();
    auto e = m.proc->compile(g, cut, n);
    if (!e.ok()) return fail(e.status());
    m.exe = std::move(e).value();
    for (int t : m.exe->io().outputs) m.out.add(size_t(shape_elements(g.tensor(t).shape)));
  }
  cpu_set_t core0;
  CPU_ZERO(&core0);
  CPU_SET(0, &core0);
  sched_setaffinity(0, sizeof core0, &core0);  // best effort: the producer's core
  Buffers in;
  std::vector<size_t> counts;
  size_t in_bytes = 0, out_bytes = 0;
  for (int t : modes[0].exe->io().inputs) {
    counts.push_back(size_t(shape_elements(g.tensor(t).shape)));
    in.add(counts.back());
    in_bytes += counts.back() * 4;
  }
  for (int t : modes[0].exe->io().outputs)
    out_bytes += size_t(shape_elements(g.tensor(t).shape)) * 4;
  for (int r = -2; r < rounds; ++r)
    for (int k = 0; k < 2; ++k) {
      Mode& m = modes[(r + k) % 2 == 0 ? 0 : 1];  // alternate which mode goes first
      Status st = round(m, in, counts, r + 2);
      if (!st.ok()) return fail(st);
      if (r < 0) m.hand_ms.clear(), m.hand_cpu.clear(), m.run_ms.clear(), m.run_cpu.clear();
    }
  bool same = true;
  for (size_t i = 0; i < modes[0].out.ptr.size(); ++i) {
    const size_t c = size_t(shape_elements(g.tensor(modes[0].exe->io().outputs[i]).shape));
    same = same && std::memcmp(modes[0].out.ptr[i], modes[1].out.ptr[i], c * 4) == 0;
  }
  std::printf("%s nodes [%d,%d) on %s: in %zu B (%zu tensors), out %zu B; %d rounds\n", argv[1],
              cut, n, spec.c_str(), in_bytes, in.ptr.size(), out_bytes, rounds);
  for (Mode& m : modes) {
    const OpenCLRangeStats& s = *opencl_range_stats(*m.exe);
    std::printf(
        "  %-4s hand-over wall %s ms, cpu %s ms | range wall %s ms, cpu %s ms | mapped %llu/%llu, "
        "copies %llu/%llu\n",
        m.name.c_str(), stat(m.hand_ms).c_str(), stat(m.hand_cpu).c_str(), stat(m.run_ms).c_str(),
        stat(m.run_cpu).c_str(), (unsigned long long)s.mapped_inputs,
        (unsigned long long)s.mapped_outputs, (unsigned long long)s.uploads,
        (unsigned long long)s.downloads);
  }
  std::printf("  outputs bit-identical: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
