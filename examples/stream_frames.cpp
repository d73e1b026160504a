// Load a model, plan it across processors, and stream frames through the
// pipeline; outputs come back in submission order.
//   stream_frames MODEL.tdm [PROCESSORS] [FRAMES]
#include <tandem/tandem.hpp>

#include <cstdio>
#include <deque>
#include <random>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.tdm [PROCESSORS] [FRAMES]\n", argv[0]);
    return 2;
  }
  const std::string processors = argc > 2 ? argv[2] : "cpu:cores=0,cpu:cores=1";
  const int frames = argc > 3 ? std::atoi(argv[3]) : 16;

  auto model = tandem::Model::load(argv[1]);
  if (!model.ok()) {
    std::fprintf(stderr, "error: %s\n", model.status().to_string().c_str());
    return 1;
  }
  auto session = tandem::PipelineSession::create(*model, processors);
  if (!session.ok()) {
    std::fprintf(stderr, "error: %s\n", session.status().to_string().c_str());
    return 1;
  }
  std::printf("Tandem %s, plan:\n%s", tandem::version(), session->plan_summary().c_str());

  // Frame f is filled with a value derived from f, so outputs can be matched.
  std::mt19937 rng(1);
  std::deque<tandem::PipelineSession::Ticket> pending;
  int done = 0;
  for (int f = 0; f < frames; ++f) {
    std::vector<tandem::HostTensor> inputs;
    for (const auto& spec : model->inputs()) {
      tandem::HostTensor t{spec.name, spec.shape, {}};
      size_t n = 1;
      for (int64_t d : spec.shape) n *= static_cast<size_t>(d);
      std::normal_distribution<float> dist(0.0f, 1.0f);
      t.data.resize(n);
      for (float& x : t.data) x = dist(rng);
      inputs.push_back(std::move(t));
    }
    auto ticket = session->submit(inputs);  // blocks while the pipeline is full
    if (!ticket.ok()) {
      std::fprintf(stderr, "error: %s\n", ticket.status().to_string().c_str());
      return 1;
    }
    pending.push_back(*ticket);
    while (pending.size() > 4 || (f == frames - 1 && !pending.empty())) {
      auto out = session->wait(pending.front());
      if (!out.ok()) {
        std::fprintf(stderr, "frame %d failed: %s\n", done, out.status().to_string().c_str());
        return 1;
      }
      const auto& o = (*out)[0];
      size_t best = 0;
      for (size_t i = 1; i < o.data.size(); ++i)
        if (o.data[i] > o.data[best]) best = i;
      std::printf("frame %d: %s argmax %zu\n", done++, o.name.c_str(), best);
      pending.pop_front();
    }
  }
  return done == frames ? 0 : 1;
}
