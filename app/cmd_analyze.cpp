// savp analyze: where the time of a run went, from its --trace timeline.
#include <iostream>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "platform/trace/analysis.hpp"

namespace savp::app {

Action add_analyze(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "analyze",
      "Per-engine and per-layer busy/stall/idle, stall causes and the critical path "
      "of a run, from its timeline (savp run/sim --trace)");
  struct Opts {
    std::string timeline;
    bool json = false;
    size_t path_rows = 40;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("timeline", o->timeline, "timeline JSON written by --trace")->required();
  sub->add_flag("--json", o->json, "print the analysis as JSON");
  sub->add_option("--path-rows", o->path_rows, "critical-path rows to print (the JSON has all)");
  return [o] {
    const trace::TimelineAnalysis a = trace::analyze_timeline(o->timeline);
    if (o->json)
      std::cout << trace::analysis_json(a).dump(2) << "\n";
    else
      std::cout << trace::analysis_text(a, o->path_rows);
    return 0;
  };
}

}  // namespace savp::app
