// savp replay: play a DRAMSys .stl / .rstl trace against the DRAM of a hardware config
// (platform/replay.hpp, issue 5).
#include <iostream>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "common/hw_config.hpp"
#include "platform/replay.hpp"

namespace savp::app {

Action add_replay(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "replay", "Replay a DRAM trace (.stl absolute / .rstl relative DRAM cycles) on a DRAM model");
  struct Opts {
    std::string hw, stl, report;
    uint32_t length = 0;
    std::string routing;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("--hw", o->hw, "hardware config whose DRAM replays the trace")->required();
  sub->add_option("--stl", o->stl, "the trace (traces/README.md)")->required();
  sub->add_option("--report", o->report, "write the JSON report here");
  sub->add_option("--length", o->length,
                  "bytes of a request whose line has no (<bytes>) field (default: one burst)")
      ->check(CLI::Range(1u, 1u << 30));
  sub->add_flag("--json", o->json, "print the JSON report instead of the table");
  sub->add_option("--channel-routing", o->routing,
                  "a request spanning channels: start (all on its start address's channel, as "
                  "DRAMSys) or split (each burst on its own channel, as the platform); default: "
                  "start under dram.scheduler frfcfs, split under fcfs")
      ->check(CLI::IsMember({"start", "split"}));
  return [o] {
    HwConfig hw = load_hw_config(o->hw);
    ReplayOptions ro;
    ro.trace = o->stl;
    ro.default_bytes = o->length;
    if (!o->routing.empty())
      ro.channel_routing =
          o->routing == "start" ? DramChannelRouting::StartAddress : DramChannelRouting::Split;
    ReplayResult r = replay_trace(hw.dram, ro);
    if (o->json)
      std::cout << replay_json(r).dump(2) << "\n";
    else
      std::cout << replay_text(r);
    if (!o->report.empty()) {
      write_replay_report(r, o->report);
      if (!o->json) std::cout << "report: " << o->report << "\n";
    }
    return 0;
  };
}

}  // namespace savp::app
