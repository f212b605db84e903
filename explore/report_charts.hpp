// Vega-Lite chart specifications (as JSON, for explore/html_report.hpp) of one run report (the
// JSON of platform/report.hpp, as `savp run --report` writes it and a sweep stores per row),
// and of a sweep's Pareto scatter.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace savp::explore {

struct Chart {
  std::string title;
  nlohmann::json spec;  // a Vega-Lite specification
};

// Per-layer latency (compute / stall / other cycles, stacked), each layer's share of the
// latency and of the energy (stacked), per-layer energy, per-engine utilization (busy / stall
// / idle, stacked), DRAM bandwidth against the peak, and row-buffer hits / misses / conflicts
// per bank. `origin` names the report in errors: a report without one of the fields these
// charts need is a savp::Error naming the field.
std::vector<Chart> run_charts(const nlohmann::json& report, const std::string& origin);

// One sweep row for the Pareto scatter.
struct ScatterRow {
  uint32_t point = 0;
  std::string network;
  double latency_ms = 0, energy_uj = 0, area_mm2 = 0;
  nlohmann::json color;  // the --color parameter's value (number or string)
  std::string params;    // the point's parameters as JSON text (the hover shows them)
  bool front = false;    // on its network's latency/energy Pareto front
};

// Latency vs energy, one panel per network (networks are not comparable), coloured by the
// parameter `color_param`, the Pareto front joined by a line, the point's config on hover.
Chart pareto_chart(const std::vector<ScatterRow>& rows, const std::string& color_param);

}  // namespace savp::explore
