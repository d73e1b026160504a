#include "scheduler/transfer_bench.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace tandem {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kHandoffReps = 15;
constexpr int kBoundaryReps = 9;

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// A page-aligned view of `count` floats in `v`, as the pipeline's boundary
// slots are: a processor that uses such memory in place (opencl:handover=map)
// is measured doing so.
float* page_aligned(std::vector<float>& v, size_t count) {
  constexpr size_t kPage = 4096;
  v.assign(count + kPage / sizeof(float), 0.0f);
  const auto addr = reinterpret_cast<uintptr_t>(v.data());
  return v.data() + ((kPage - addr % kPage) % kPage) / sizeof(float);
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// One hand-over size: producer writes, publishes, waits for the ack. A thread
// that cannot bind still takes part (no hang); its error is returned after.
Expected<double> handoff_once(Processor* from, Processor* to, size_t floats) {
  std::vector<float> buf(floats, 0.0f);
  std::mutex mu;
  std::condition_variable cv;
  int sent = -1, acked = -1;
  Clock::time_point t_sent;
  std::vector<double> samples;
  Status consumer_status, producer_status;
  std::thread consumer([&] {
    consumer_status = to->bind_current_thread();
    for (int r = 0; r < kHandoffReps; ++r) {
      Clock::time_point t0;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return sent >= r; });
        t0 = t_sent;
      }
      float sum = 0;
      for (float v : buf) sum += v;
      volatile float sink = sum;
      (void)sink;
      const double ms = ms_between(t0, Clock::now());
      {
        std::lock_guard<std::mutex> lock(mu);
        samples.push_back(ms);
        acked = r;
      }
      cv.notify_all();
    }
  });
  std::thread producer([&] {
    producer_status = from->bind_current_thread();
    for (int r = 0; r < kHandoffReps; ++r) {
      std::fill(buf.begin(), buf.end(), float(r));
      {
        std::lock_guard<std::mutex> lock(mu);
        t_sent = Clock::now();
        sent = r;
      }
      cv.notify_all();
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return acked >= r; });
    }
  });
  producer.join();
  consumer.join();
  if (!producer_status.ok()) return producer_status;
  if (!consumer_status.ok()) return consumer_status;
  // The first rounds warm caches and wake sleeping cores.
  samples.erase(samples.begin(), samples.begin() + 3);
  return median(samples);
}

}  // namespace

const std::vector<int64_t>& transfer_bench_sizes() {
  static const std::vector<int64_t> sizes = {64 << 10, 256 << 10, 1 << 20, 4 << 20};
  return sizes;
}

Expected<std::vector<double>> measure_handoff_ms(Processor* from, Processor* to,
                                                 const std::vector<int64_t>& sizes) {
  std::vector<double> out;
  for (int64_t bytes : sizes) {
    TANDEM_ASSIGN_OR_RETURN(double ms, handoff_once(from, to, size_t(bytes) / sizeof(float)));
    out.push_back(ms);
  }
  return out;
}

Expected<std::vector<double>> measure_boundary_ms(Processor* p, const std::vector<int64_t>& sizes) {
  std::vector<double> out;
  for (int64_t bytes : sizes) {
    // [1, 64, h, w] with h * w * 256 = bytes.
    const int64_t hw = std::max<int64_t>(1, bytes / (64 * 4));
    int64_t h = 1;
    while (h * h < hw) ++h;
    const int64_t w = std::max<int64_t>(1, hw / h);
    Graph g;
    Tensor x;
    x.name = "x";
    x.shape = {1, 64, h, w};
    const int xi = g.add_tensor(x);
    Tensor y = x;
    y.name = "y";
    const int yi = g.add_tensor(y);
    g.inputs = {xi};
    g.outputs = {yi};
    Node n;
    n.name = "relu";
    n.op = OpType::kRelu;
    n.inputs = {xi};
    n.outputs = {yi};
    g.add_node(n);
    if (!p->supports(g, g.nodes[0])) {
      out.push_back(0);
      continue;
    }
    Status st;
    double result = 0;
    std::thread th([&] {
      st = p->bind_current_thread();
      if (!st.ok()) return;
      auto exe = p->compile(g, 0, 1);
      if (!exe.ok()) {
        st = exe.status();
        return;
      }
      const size_t count = size_t(64 * h * w);
      std::vector<float> in_store, out_store;
      float* in = page_aligned(in_store, count);
      float* outv = page_aligned(out_store, count);
      for (size_t i = 0; i < count; ++i) in[i] = float(int(i % 7) - 3);
      const float* ins[] = {in};
      float* outs[] = {outv};
      std::vector<double> dev, host;
      for (int r = 0; r < kBoundaryReps + 2; ++r) {
        const auto t0 = Clock::now();
        st = (*exe)->run(ins, outs);
        if (!st.ok()) return;
        const auto t1 = Clock::now();
        for (size_t i = 0; i < count; ++i) outv[i] = std::max(in[i], 0.0f);
        const auto t2 = Clock::now();
        if (r >= 2) dev.push_back(ms_between(t0, t1)), host.push_back(ms_between(t1, t2));
      }
      result = std::max(0.0, median(dev) - median(host));
    });
    th.join();
    if (!st.ok()) return st;
    out.push_back(result);
  }
  return out;
}

}  // namespace tandem
