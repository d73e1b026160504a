// The plan picture (tools/plan_svg.h): cuts, steps, legend and escaping on a
// hand-made picture, and the adapter from a planned CostTable.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "scheduler/partitioner.h"
#include "tools/plan_svg.h"

using namespace tandem;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

PlanPicture three_steps() {
  PlanPicture pic;
  pic.title = "net<&>.tdm";
  pic.nodes = {"conv", "relu", "pool", "fc", "softmax", "out"};
  pic.processors = {"cpu:cores=0", "cpu:cores=1", "opencl"};
  pic.node_ms = {{1, 2, 3, 4, 5, 6}, {2, 2, 2, 2, 2, 2}, {0.5, NAN, 0.5, 0.5, NAN, 0.5}};
  pic.steps = {{0, 2, {0}, 3.0}, {2, 4, {2}, 1.0}, {4, 6, {0, 1}, 4.0}};
  pic.kind = "mixed";
  pic.predicted_fps = 250;
  pic.period_ms = 4;
  return pic;
}

}  // namespace

TEST_CASE("plan_svg draws one cut per step boundary, every step and every processor") {
  const std::string svg = plan_svg(three_steps());
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(count(svg, "class=\"cut\"") == 2);
  CHECK(count(svg, "class=\"step\"") == 3);
  for (const char* p : {"cpu:cores=0", "cpu:cores=1", "opencl"})
    CHECK(svg.find(std::string(">") + p + "</text>") != std::string::npos);
  CHECK(svg.find("cpu:cores=0 + cpu:cores=1") != std::string::npos);  // the replicated step
  CHECK(svg.find("250.00 FPS") != std::string::npos);
  // The title is escaped; no raw '&' or '<' from names reaches the text.
  CHECK(svg.find("net&lt;&amp;&gt;.tdm") != std::string::npos);
  CHECK(svg.find("net<&") == std::string::npos);
  // Unsupported nodes break the opencl line (nodes 0 | 2-3 | 5): three pieces, no NaN.
  CHECK(svg.find("nan") == std::string::npos);
  size_t at = 0;
  for (int k = 0; k < 3; ++k) at = svg.find("<path class=\"series\" d=\"", at + 1);
  REQUIRE(at != std::string::npos);
  const std::string d = svg.substr(at, svg.find("\"", at + 26) - at);
  CHECK(count(d, "M") == 3);
  CHECK(count(d, "L") == 1);
}

TEST_CASE("plan_picture draws a plan's steps, a replicated one with its processors") {
  CostTable t;
  for (int i = 0; i < 4; ++i) {
    NodeSignature s;
    s.name = "n" + std::to_string(i);
    t.nodes.push_back(s);
  }
  for (const char* spec : {"a", "b", "c"}) {
    ProcessorCosts pc;
    pc.spec = spec;
    pc.node_ms = {1, 1, 1, 1};
    t.processors.push_back(pc);
  }
  Plan plan;
  plan.steps = {plan_step(0, 2, {0}), plan_step(2, 4, {1, 2})};
  plan.steps[1].processors[0].compute_ms = plan.steps[1].processors[1].compute_ms = 4;
  plan.predicted_fps = 500;
  const PlanPicture pic = plan_picture(t, plan, "m.tdm");
  REQUIRE(pic.steps.size() == 2);
  CHECK(pic.steps[1].processors == std::vector<int>{1, 2});
  CHECK(pic.steps[1].ms == doctest::Approx(2.0));  // 4 ms per frame on each of 2 replicas
  CHECK(pic.nodes == std::vector<std::string>{"n0", "n1", "n2", "n3"});
  CHECK(count(plan_svg(pic), "class=\"cut\"") == 1);
}
