// Pipeline observation: per-stage statistics and the Chrome trace of recent frames.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "scheduler/pipeline.h"
#include "scheduler/pipeline_parts.h"

namespace tandem {
using namespace pipeline_detail;

namespace {

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

PipelineStats Pipeline::stats() const {
  PipelineStats s;
  for (const auto& st : stages_) {
    StageStats ss;
    ss.stage = st->index;
    ss.processor = st->spec.processors[0]->spec();
    ss.first_node = st->spec.first_node;
    ss.last_node = st->spec.last_node;
    ss.replicas = st->replicas;
    ss.frames = st->frames.load(std::memory_order_relaxed);
    if (ss.frames > 0) {
      const double k = 1e-6 / static_cast<double>(ss.frames);
      ss.compute_ms = static_cast<double>(st->compute_ns.load(std::memory_order_relaxed)) * k;
      ss.wait_input_ms = static_cast<double>(st->wait_in_ns.load(std::memory_order_relaxed)) * k;
      ss.wait_output_ms = static_cast<double>(st->wait_out_ns.load(std::memory_order_relaxed)) * k;
      ss.transfer_ms = static_cast<double>(st->transfer_ns.load(std::memory_order_relaxed)) * k;
    }
    s.stages.push_back(ss);
  }
  std::vector<double> lat;
  {
    std::lock_guard<std::mutex> lk(mu_);
    s.frames_completed = completed_;
    s.frames_failed = failed_;
    if (window_count_ >= 2 && window_last_done_ns_ > window_first_done_ns_)
      s.fps = static_cast<double>(window_count_ - 1) * 1e9 /
              static_cast<double>(window_last_done_ns_ - window_first_done_ns_);
    size_t n = static_cast<size_t>(
        std::min<int64_t>(latency_count_, static_cast<int64_t>(latencies_ms_.size())));
    lat.assign(latencies_ms_.begin(), latencies_ms_.begin() + static_cast<long>(n));
  }
  if (!lat.empty()) {
    double sum = 0;
    for (double v : lat) sum += v;
    s.latency_ms_mean = sum / static_cast<double>(lat.size());
    std::nth_element(lat.begin(), lat.begin() + static_cast<long>(lat.size() / 2), lat.end());
    s.latency_ms_median = lat[lat.size() / 2];
  }
  return s;
}

void Pipeline::reset_stats() {
  for (auto& st : stages_) {
    st->frames.store(0, std::memory_order_relaxed);
    st->compute_ns.store(0, std::memory_order_relaxed);
    st->wait_in_ns.store(0, std::memory_order_relaxed);
    st->wait_out_ns.store(0, std::memory_order_relaxed);
    st->transfer_ns.store(0, std::memory_order_relaxed);
  }
  for (auto& w : workers_) w->event_count.store(0, std::memory_order_release);
  std::lock_guard<std::mutex> lk(mu_);
  window_first_done_ns_ = window_last_done_ns_ = -1;
  window_count_ = 0;
  latency_count_ = 0;
}

Status Pipeline::write_trace(const std::string& path) const {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return io_error("pipeline trace: cannot open '" + path + "' for writing");
  std::fprintf(f, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
  bool first = true;
  auto sep = [&] {
    if (!first) std::fprintf(f, ",\n");
    first = false;
  };
  std::fprintf(
      f,
      "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"args\":{\"name\":\"tandem pipeline\"}}");
  first = false;
  for (size_t k = 0; k < workers_.size(); ++k) {
    const Worker& w = *workers_[k];
    const int tid = static_cast<int>(k) + 1;
    const StageSpec& sp = w.stage->spec;
    std::string name = "stage " + std::to_string(w.stage->index) + "." + std::to_string(w.replica) +
                       ": " + node_range_text(*graph_, sp.first_node, sp.last_node) + " on " +
                       w.processor->spec();
    sep();
    std::fprintf(
        f,
        "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"%s\"}}",
        tid, json_escape(name).c_str());
    sep();
    std::fprintf(f,
                 "{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{"
                 "\"sort_index\":%d}}",
                 tid, tid);
    const uint64_t count = w.event_count.load(std::memory_order_acquire);
    const uint64_t cap = w.events.size();
    const uint64_t begin = count > cap ? count - cap : 0;
    for (uint64_t i = begin; i < count; ++i) {
      const Event& e = w.events[i % cap];
      const int64_t bounds[5] = {e.t_start, e.t_input, e.t_output, e.t_compute, e.t_end};
      static const char* const kNames[4] = {"wait input", "wait output slot", "compute",
                                            "transfer"};
      for (int ph = 0; ph < 4; ++ph) {
        if (bounds[ph + 1] <= bounds[ph]) continue;
        sep();
        std::fprintf(
            f,
            "{\"name\":\"%s\",\"cat\":\"stage\",\"ph\":\"X\",\"pid\":1,\"tid\":%d,\"ts\":%.3f,"
            "\"dur\":%.3f,\"args\":{\"frame\":%llu}}",
            kNames[ph], tid, static_cast<double>(bounds[ph]) * 1e-3,
            static_cast<double>(bounds[ph + 1] - bounds[ph]) * 1e-3,
            static_cast<unsigned long long>(e.frame));
      }
    }
  }
  std::fprintf(f, "\n]}\n");
  if (std::fclose(f) != 0) return io_error("pipeline trace: writing '" + path + "' failed");
  return Status();
}

}  // namespace tandem
