// CostTable <-> JSON (schema: docs/profile_schema.md).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "graph/hash.h"
#include "scheduler/cost_model.h"

namespace tandem {

namespace {

using nlohmann::json;

constexpr const char* kFormatName = "tandem-profile";

Expected<uint64_t> parse_hex64(const json& j, const std::string& what) {
  if (!j.is_string()) return invalid_argument(what + " is not a hex string");
  const std::string s = j.get<std::string>();
  if (s.empty() || s.size() > 16 ||
      s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return invalid_argument(what + " '" + s + "' is not a 64-bit hex value");
  return static_cast<uint64_t>(std::stoull(s, nullptr, 16));
}

json shapes_json(const std::vector<Shape>& shapes) {
  json a = json::array();
  for (const auto& s : shapes) a.push_back(s);
  return a;
}

// NaN (unsupported) is written as null: JSON has no NaN.
json ms_json(double v) {
  return std::isnan(v) ? json(nullptr) : json(v);
}

}  // namespace

std::string cost_table_to_json(const CostTable& t) {
  json j;
  j["format"] = kFormatName;
  j["schema_version"] = CostTable::kSchemaVersion;
  j["tandem_version"] = TANDEM_VERSION;
  j["machine"] = {{"cpu_model", t.machine.cpu_model}, {"cores", t.machine.cores}};
  j["model"] = {{"hash", hex64(t.model_hash)}, {"nodes", t.nodes.size()}};
  json nodes = json::array();
  for (const auto& s : t.nodes)
    nodes.push_back({{"name", s.name},
                     {"op", s.op},
                     {"inputs", shapes_json(s.inputs)},
                     {"outputs", shapes_json(s.outputs)},
                     {"params_hash", hex64(s.params_hash)},
                     {"macs", s.macs},
                     {"bytes", s.bytes}});
  j["nodes"] = std::move(nodes);
  json tensors = json::array();
  for (const auto& f : t.tensors) tensors.push_back({f.producer, f.last_use, f.bytes});
  j["tensors"] = std::move(tensors);
  json procs = json::array();
  for (const auto& pc : t.processors) {
    json ms = json::array(), est = json::array();
    for (size_t i = 0; i < pc.node_ms.size(); ++i) {
      ms.push_back(ms_json(pc.node_ms[i]));
      est.push_back(i < pc.estimated.size() ? int(pc.estimated[i]) : 0);
    }
    procs.push_back({{"spec", pc.spec},
                     {"description", pc.description},
                     {"corun_factor", pc.corun_factor},
                     {"gflops", pc.gflops},
                     {"gbps", pc.gbps},
                     {"measured_total_ms", ms_json(pc.measured_total_ms)},
                     {"node_ms", std::move(ms)},
                     {"estimated", std::move(est)}});
  }
  j["processors"] = std::move(procs);
  json transfers = json::array();
  for (size_t a = 0; a < t.transfer.size(); ++a)
    for (size_t b = 0; b < t.transfer[a].size(); ++b)
      if (a != b)
        transfers.push_back({{"from", a},
                             {"to", b},
                             {"latency_ms", t.transfer[a][b].latency_ms},
                             {"ms_per_byte", t.transfer[a][b].ms_per_byte}});
  j["transfers"] = std::move(transfers);
  return j.dump(1);
}

Expected<CostTable> cost_table_from_json(const std::string& text, const std::string& origin) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument(origin + ": not valid JSON");
  auto bad = [&](const std::string& m) { return invalid_argument(origin + ": " + m); };
  if (!j.is_object() || j.value("format", "") != kFormatName)
    return bad("not a tandem profile (\"format\" is not \"" + std::string(kFormatName) + "\")");
  if (!j.contains("schema_version") || !j["schema_version"].is_number_integer())
    return bad("no schema_version");
  const int version = j["schema_version"].get<int>();
  if (version != CostTable::kSchemaVersion)
    return Status(StatusCode::kUnsupported,
                  origin + ": profile schema version " + std::to_string(version) +
                      ", this tandem reads version " + std::to_string(CostTable::kSchemaVersion) +
                      " (run `tandem profile --refresh` to measure again)");
  // nlohmann throws on type mismatches in get<>(); keep that inside this function.
  try {
    CostTable t;
    const json& m = j.at("machine");
    t.machine.cpu_model = m.at("cpu_model").get<std::string>();
    t.machine.cores = m.at("cores").get<int>();
    TANDEM_ASSIGN_OR_RETURN(t.model_hash,
                            parse_hex64(j.at("model").at("hash"), origin + ": model.hash"));
    for (const json& n : j.at("nodes")) {
      NodeSignature s;
      s.name = n.at("name").get<std::string>();
      s.op = n.at("op").get<std::string>();
      for (const json& sh : n.at("inputs")) s.inputs.push_back(sh.get<Shape>());
      for (const json& sh : n.at("outputs")) s.outputs.push_back(sh.get<Shape>());
      TANDEM_ASSIGN_OR_RETURN(s.params_hash,
                              parse_hex64(n.at("params_hash"), origin + ": node '" + s.name + "'"));
      s.macs = n.value("macs", int64_t{0});
      s.bytes = n.value("bytes", int64_t{0});
      t.nodes.push_back(std::move(s));
    }
    if (j.at("model").value("nodes", size_t{0}) != t.nodes.size())
      return bad("model.nodes says " + std::to_string(j.at("model").value("nodes", size_t{0})) +
                 " nodes, the list has " + std::to_string(t.nodes.size()));
    if (signatures_hash(t.nodes) != t.model_hash)
      return bad("model.hash does not match the node list (file edited or corrupt)");
    for (const json& f : j.at("tensors")) {
      if (!f.is_array() || f.size() != 3)
        return bad("tensors entries must be [producer, last_use, bytes]");
      t.tensors.push_back({f[0].get<int>(), f[1].get<int>(), f[2].get<int64_t>()});
    }
    for (const json& p : j.at("processors")) {
      ProcessorCosts pc;
      pc.spec = p.at("spec").get<std::string>();
      pc.description = p.value("description", pc.spec);
      pc.corun_factor = p.value("corun_factor", 1.0);
      pc.gflops = p.value("gflops", 0.0);
      pc.gbps = p.value("gbps", 0.0);
      pc.measured_total_ms = p.contains("measured_total_ms") && p["measured_total_ms"].is_number()
                                 ? p["measured_total_ms"].get<double>()
                                 : NAN;
      for (const json& v : p.at("node_ms"))
        pc.node_ms.push_back(v.is_null() ? NAN : v.get<double>());
      for (const json& v : p.at("estimated")) pc.estimated.push_back(v.get<int>() ? 1 : 0);
      t.processors.push_back(std::move(pc));
    }
    const size_t np = t.processors.size();
    t.transfer.assign(np, std::vector<TransferModel>(np));
    for (const json& x : j.at("transfers")) {
      size_t a = x.at("from").get<size_t>(), b = x.at("to").get<size_t>();
      if (a >= np || b >= np)
        return bad("transfer between processors " + std::to_string(a) + " and " +
                   std::to_string(b) + " of " + std::to_string(np));
      t.transfer[a][b] = {x.at("latency_ms").get<double>(), x.at("ms_per_byte").get<double>()};
    }
    Status st = t.validate();
    if (!st.ok()) return Status(st.code(), origin + ": " + st.message());
    return t;
  } catch (const json::exception& e) {
    return bad(std::string("malformed profile: ") + e.what());
  }
}

Status save_cost_table(const std::string& path, const CostTable& table) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  // Temporary file then rename, so readers never see half a profile.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return io_error(path + ": cannot write profile");
    out << cost_table_to_json(table) << '\n';
    if (!out) return io_error(path + ": write failed");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return io_error(path + ": " + ec.message());
  return Status();
}

Expected<CostTable> load_cost_table(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path + ": cannot open profile");
  std::stringstream ss;
  ss << in.rdbuf();
  return cost_table_from_json(ss.str(), path);
}

Status check_cost_table_matches(const CostTable& table, const Graph& g,
                                const std::vector<std::string>& processor_specs,
                                const MachineFingerprint* machine) {
  std::vector<NodeSignature> sigs = node_signatures(g);
  if (sigs.size() != table.nodes.size())
    return invalid_argument("profile is for a model with " + std::to_string(table.nodes.size()) +
                            " nodes, this model has " + std::to_string(sigs.size()));
  for (size_t i = 0; i < sigs.size(); ++i)
    if (sigs[i].key() != table.nodes[i].key())
      return invalid_argument("profile does not match the model at node " + std::to_string(i) +
                              " ('" + sigs[i].name + "'): model has " + sigs[i].key() +
                              ", profile has " + table.nodes[i].key());
  if (processor_specs.size() != table.processors.size())
    return invalid_argument("profile has " + std::to_string(table.processors.size()) +
                            " processors, " + std::to_string(processor_specs.size()) +
                            " asked for");
  for (size_t p = 0; p < processor_specs.size(); ++p)
    if (processor_specs[p] != table.processors[p].spec)
      return invalid_argument("profile processor " + std::to_string(p) + " is '" +
                              table.processors[p].spec + "', asked for '" + processor_specs[p] +
                              "'");
  if (machine && *machine != table.machine)
    return invalid_argument("profile was measured on " + table.machine.to_string() +
                            ", this machine is " + machine->to_string());
  return Status();
}

}  // namespace tandem
