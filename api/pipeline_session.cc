// PipelineSession (include/tandem/tandem.hpp) over scheduler/pipeline_setup.
#include <cstdio>

#include "api/default_registry.h"
#include "engine/executor.h"
#include "formats/model_file.h"
#include "scheduler/pipeline_setup.h"
#include "tandem/tandem.hpp"

namespace tandem {

struct PipelineSession::Impl {
  std::shared_ptr<const ModelFile> file;
  PipelineSetup setup;
};

Expected<PipelineSession> PipelineSession::create(const Model& model, const std::string& processors,
                                                  const PipelineConfig& config) {
  auto impl = std::make_shared<Impl>();
  impl->file = model.shared_file();
  PipelineSetupOptions o;
  o.plan = config.plan;
  o.profile_path = config.profile;
  o.profile.cache_dir = default_cache_dir();
  o.pipeline.max_in_flight = config.max_in_flight;
  TANDEM_ASSIGN_OR_RETURN(impl->setup,
                          setup_pipeline(*impl->file, default_processor_registry(), processors, o));
  PipelineSession s;
  s.impl_ = std::move(impl);
  return s;
}

Expected<PipelineSession::Ticket> PipelineSession::submit(const std::vector<HostTensor>& inputs) {
  if (!impl_) return invalid_argument("PipelineSession: empty session");
  TANDEM_ASSIGN_OR_RETURN(Pipeline::Tensors in, pipeline_inputs(impl_->file->graph, inputs));
  return impl_->setup.pipeline->submit(std::move(in));
}

Expected<std::vector<HostTensor>> PipelineSession::wait(Ticket ticket) {
  if (!impl_) return invalid_argument("PipelineSession: empty session");
  TANDEM_ASSIGN_OR_RETURN(Pipeline::Tensors out, impl_->setup.pipeline->wait(ticket));
  return pipeline_outputs(impl_->file->graph, std::move(out));
}

Expected<bool> PipelineSession::poll(Ticket ticket) const {
  if (!impl_) return invalid_argument("PipelineSession: empty session");
  return impl_->setup.pipeline->poll(ticket);
}

Expected<std::vector<HostTensor>> PipelineSession::run(const std::vector<HostTensor>& inputs) {
  TANDEM_ASSIGN_OR_RETURN(Ticket t, submit(inputs));
  return wait(t);
}

std::string PipelineSession::plan_summary() const {
  if (!impl_) return "";
  return impl_->setup.source + "\n" + plan_to_text(impl_->setup.table, impl_->setup.plan);
}

double PipelineSession::predicted_fps() const {
  return impl_ ? impl_->setup.plan.predicted_fps : 0;
}

}  // namespace tandem
