// A picture of a plan as SVG text: each node's cost on each processor along
// the network, the cuts between steps, and each step's processors and time.
// Drawn from PlanPicture, a plain description independent of the planner's
// types; plan_picture() (plan_svg_adapter.cc) fills it from a Plan.
#pragma once

#include <string>
#include <vector>

namespace tandem {

struct CostTable;
struct Plan;

struct PlanPicture {
  struct Step {
    int first_node = 0;  // node range [first_node, last_node)
    int last_node = 0;
    std::vector<int> processors;  // indices into PlanPicture::processors
    double ms = 0;                // predicted time per frame of the step
  };
  std::string title;                         // e.g. the model file
  std::vector<std::string> nodes;            // node names, in order
  std::vector<std::string> processors;       // processor specs
  std::vector<std::vector<double>> node_ms;  // [processor][node]; NaN: unsupported
  std::vector<Step> steps;                   // in pipeline order
  std::string kind;                          // "pipeline", "single", ...
  double predicted_fps = 0;
  double period_ms = 0;
};

// The picture of `plan` over `table`'s nodes and processors.
PlanPicture plan_picture(const CostTable& table, const Plan& plan, const std::string& title);

// Standalone SVG 1.1 text. Every cut is a <line class="cut">, every step a
// <rect class="step">; each processor's name appears in the legend.
std::string plan_svg(const PlanPicture& picture);

}  // namespace tandem
