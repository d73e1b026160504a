// Helpers shared by `tandem profile` and `tandem plan`: processor lists,
// progress display, getting a cost table (measured, cached or from a file).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/processor.h"
#include "scheduler/cost_model.h"
#include "scheduler/pipeline_setup.h"
#include "scheduler/profiler.h"

namespace tandem::cli {

// Progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise.
ProfileOptions::ProgressFn progress_printer();
void print_warning(const std::string& message);

// Loads `path` and checks it against the model and (when given) processors;
// a profile from another machine is allowed with a warning.
Expected<CostTable> load_profile_for(const std::string& path, const Graph& g,
                                     const std::vector<std::string>* processor_specs);

}  // namespace tandem::cli
