#include "scheduler/profile_cache.h"

#include <unistd.h>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "graph/hash.h"

namespace tandem {

namespace {

using nlohmann::json;
constexpr const char* kCacheFormat = "tandem-profile-cache";
// Times measured by another build of the kernels are stale: bump the suffix
// when a kernel change moves timings (k2: own AVX-512 GEMM, fused residuals;
// k3: B prefetch in the GEMM, fused inverted residual blocks; k4: Winograd chosen
// by thread count, 5x5 depthwise, half-width GEMM tiles; k5: SiLU in conv epilogues;
// k6: dilated convs on the blocked im2col GEMM, own softmax rows).
constexpr const char* kKernelsId = TANDEM_VERSION "+k6";

// The last `digits` hex digits of v.
std::string hex(uint64_t v, int digits) {
  return hex64(v).substr(static_cast<size_t>(16 - digits));
}

}  // namespace

std::string processor_cache_path(const std::string& dir, const MachineFingerprint& machine,
                                 const std::string& spec) {
  std::string safe;
  for (char c : spec)
    safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  // The hash keeps specs that sanitise alike ("a:b", "a_b") apart; the schema
  // version (from 2) lets builds of different versions share a cache folder
  // without measuring over each other's files.
  const int v = ProcessorCache::kSchemaVersion;
  return (std::filesystem::path(dir) / "profiles" / hex64(fnv1a64(machine.to_string())) /
          (safe + "-" + hex(fnv1a64(spec), 8) + (v > 1 ? ".v" + std::to_string(v) : "") + ".json"))
      .string();
}

Expected<ProcessorCache> load_processor_cache(const std::string& path,
                                              const MachineFingerprint& machine,
                                              const std::string& spec) {
  ProcessorCache c;
  c.machine = machine;
  c.spec = spec;
  std::ifstream in(path, std::ios::binary);
  if (!in) return c;  // nothing cached yet
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  auto bad = [&](const std::string& m) { return invalid_argument(path + ": " + m); };
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kCacheFormat)
    return bad("not a tandem profile cache (corrupt?)");
  try {
    if (j.at("schema_version").get<int>() != ProcessorCache::kSchemaVersion)
      return bad("cache schema version " + std::to_string(j.at("schema_version").get<int>()) +
                 ", expected " + std::to_string(ProcessorCache::kSchemaVersion));
    MachineFingerprint m{j.at("machine").at("cpu_model").get<std::string>(),
                         j.at("machine").at("cores").get<int>()};
    if (m != machine) return bad("cache made on " + m.to_string());
    if (j.at("spec").get<std::string>() != spec)
      return bad("cache is for processor '" + j.at("spec").get<std::string>() + "'");
    if (j.value("kernels", "") != kKernelsId) return c;  // other kernels: measure again
    c.gflops = j.value("gflops", 0.0);
    c.gbps = j.value("gbps", 0.0);
    for (const auto& [k, v] : j.at("nodes").items()) {
      double ms = v.get<double>();
      if (!(ms >= 0) || !std::isfinite(ms))
        return bad("node '" + k + "' has time " + std::to_string(ms));
      c.node_ms[k] = ms;
    }
    for (const auto& [k, v] : j.at("corun").items()) {
      double f = v.get<double>();
      if (!(f >= 1) || !std::isfinite(f)) return bad("co-run factor " + std::to_string(f));
      c.corun[k] = f;
    }
    for (const auto& [k, v] : j.at("transfer_to").items()) {
      TransferModel t{v.at("latency_ms").get<double>(), v.at("ms_per_byte").get<double>()};
      if (!(t.latency_ms >= 0) || !(t.ms_per_byte >= 0)) return bad("negative transfer model");
      c.transfer_to[k] = t;
    }
  } catch (const json::exception& e) {
    return bad(std::string("malformed cache: ") + e.what());
  }
  return c;
}

Status save_processor_cache(const std::string& path, const ProcessorCache& c) {
  json j;
  j["format"] = kCacheFormat;
  j["schema_version"] = ProcessorCache::kSchemaVersion;
  j["machine"] = {{"cpu_model", c.machine.cpu_model}, {"cores", c.machine.cores}};
  j["spec"] = c.spec;
  j["kernels"] = kKernelsId;
  j["gflops"] = c.gflops;
  j["gbps"] = c.gbps;
  j["nodes"] = json::object();
  for (const auto& [k, v] : c.node_ms) j["nodes"][k] = v;
  j["corun"] = json::object();
  for (const auto& [k, v] : c.corun) j["corun"][k] = v;
  j["transfer_to"] = json::object();
  for (const auto& [k, v] : c.transfer_to)
    j["transfer_to"][k] = {{"latency_ms", v.latency_ms}, {"ms_per_byte", v.ms_per_byte}};
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return io_error(path + ": cannot create cache folder: " + ec.message());
  // Unique temporary name: two profilers may write the same cache at once.
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return io_error(tmp + ": cannot write cache");
    out << j.dump(1) << '\n';
    if (!out) return io_error(tmp + ": write failed");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return io_error(path + ": " + ec.message());
  return Status();
}

}  // namespace tandem
