// Creating processors from spec strings ("kind[:key=value,...]").
// Backends register explicitly (no static initialisers): each backend's header
// declares its register_*_processor(ProcessorRegistry&), and the registry with
// every processor of the build is composed above the backends, in
// api/default_registry.h.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/processor.h"

namespace tandem {

// "cpu:cores=0-1,threads=2" -> kind "cpu", options {{"cores","0-1"},{"threads","2"}}.
// A bare option without '=' ("opencl:0", "opencl:fp16") gets key "" or itself
// with value "" -- the kind's factory decides; see parse_processor_spec.
struct ProcessorSpec {
  std::string kind;
  std::vector<std::pair<std::string, std::string>> options;  // in order
  std::string text;                                          // as given
};
Expected<ProcessorSpec> parse_processor_spec(const std::string& text);
// Splits "cpu:cores=0,cpu:cores=1" into specs. Commas separate options inside
// a spec too, so a new spec starts where an item is a known kind name.
Expected<std::vector<std::string>> split_processor_list(const std::string& text,
                                                        const std::vector<std::string>& kinds);

using ProcessorFactory = std::function<Expected<std::unique_ptr<Processor>>(const ProcessorSpec&)>;

class ProcessorRegistry {
 public:
  void add(const std::string& kind, ProcessorFactory factory);
  Expected<std::unique_ptr<Processor>> create(const std::string& spec) const;
  std::vector<std::string> kinds() const;

 private:
  std::map<std::string, ProcessorFactory> factories_;
};

}  // namespace tandem
