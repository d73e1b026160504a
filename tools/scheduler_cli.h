// Helpers shared by `tandem profile` and `tandem plan`: processor lists,
// progress display, getting a cost table (measured, cached or from a file).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/processor.h"
#include "scheduler/cost_model.h"
#include "scheduler/profiler.h"

namespace tandem::cli {

// "cpu:cores=0,cpu:cores=1" -> created processors, in order.
Expected<std::vector<std::unique_ptr<Processor>>> create_processor_list(const std::string& list);
std::vector<Processor*> raw_pointers(const std::vector<std::unique_ptr<Processor>>& procs);

// Progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise.
ProfileOptions::ProgressFn progress_printer();
void print_warning(const std::string& message);

// Where `tandem profile` saves the whole table for this model and processor list.
std::string default_profile_path(const CostTable& table);

// Loads `path` and checks it against the model and (when given) processors;
// a profile from another machine is allowed with a warning.
Expected<CostTable> load_profile_for(const std::string& path, const Graph& g,
                                     const std::vector<std::string>* processor_specs);

}  // namespace tandem::cli
