#include "engine/processor_registry.h"

#include <algorithm>

namespace tandem {

Expected<ProcessorSpec> parse_processor_spec(const std::string& text) {
  ProcessorSpec spec;
  spec.text = text;
  size_t colon = text.find(':');
  spec.kind = text.substr(0, colon);
  if (spec.kind.empty()) return invalid_argument("empty processor spec in '" + text + "'");
  if (colon == std::string::npos) return spec;
  std::string rest = text.substr(colon + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t comma = rest.find(',', pos);
    std::string item =
        rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.empty()) return invalid_argument("processor spec '" + text + "' has an empty option");
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      spec.options.emplace_back(item, "");
    } else {
      if (eq == 0)
        return invalid_argument("processor spec '" + text + "': option '" + item + "' has no key");
      spec.options.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return spec;
}

Expected<std::vector<std::string>> split_processor_list(const std::string& text,
                                                        const std::vector<std::string>& kinds) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    std::string kind = item.substr(0, item.find(':'));
    bool starts_spec = std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
    if (starts_spec || out.empty()) {
      if (item.empty()) return invalid_argument("empty processor in list '" + text + "'");
      out.push_back(item);
    } else {
      out.back() += "," + item;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (out.empty()) return invalid_argument("no processors given");
  return out;
}

void ProcessorRegistry::add(const std::string& kind, ProcessorFactory factory) {
  factories_[kind] = std::move(factory);
}

Expected<std::unique_ptr<Processor>> ProcessorRegistry::create(const std::string& text) const {
  TANDEM_ASSIGN_OR_RETURN(ProcessorSpec spec, parse_processor_spec(text));
  auto it = factories_.find(spec.kind);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& k : kinds()) known += (known.empty() ? "" : ", ") + k;
    return invalid_argument("unknown processor '" + spec.kind + "' in spec '" + text +
                            "' (this build has: " + known + ")");
  }
  return it->second(spec);
}

std::vector<std::string> ProcessorRegistry::kinds() const {
  std::vector<std::string> k;
  for (const auto& [name, f] : factories_) k.push_back(name);
  return k;
}

}  // namespace tandem
