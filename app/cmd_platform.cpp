// savp validate / savp sim.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "app/commands.hpp"
#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "firmware/image.hpp"
#include "platform/energy_model.hpp"
#include "platform/platform.hpp"
#include "platform/report.hpp"

namespace savp::app {

namespace {
std::string sram_line(const SramConfig& s) {
  return fmt::format("{} KiB, {} banks x {} B, {}/{} cycles", s.capacity_bytes / 1024, s.banks,
                     s.port_width_bytes, s.read_latency_cycles, s.write_latency_cycles);
}
}  // namespace

Action add_validate(CLI::App& app) {
  auto* sub = app.add_subcommand("validate", "Check a hardware config and print what it describes");
  auto path = std::make_shared<std::string>();
  sub->add_option("config", *path, "hardware config (configs/hw/*.yaml)")->required();
  return [path] {
    HwConfig hw = load_hw_config(*path);
    EnergyTable et = load_energy_table(hw.energy_table);
    et.dram_bit(dram_family(hw.dram.preset));  // the table covers the platform's DRAM
    et.dram_activate(dram_family(hw.dram.preset));
    AreaReport area = platform_area(hw, et);
    std::cout << fmt::format("{}: valid\nplatform {} at {} MHz, {} chunks\n", *path, hw.name,
                             hw.clock_mhz, hw.chunks.size());
    for (size_t i = 0; i < hw.chunks.size(); ++i) {
      const ChunkConfig& c = hw.chunks[i];
      std::cout << fmt::format("  chunk{} {}: {} {}x{} PEs, {} dataflow\n", i, c.name,
                               to_string(c.kind), c.rows, c.cols, to_string(c.dataflow));
      std::cout << "    ibuf " << sram_line(c.ibuf) << "\n    wbuf " << sram_line(c.wbuf)
                << "\n    obuf " << sram_line(c.obuf) << "\n";
    }
    std::cout << "  global buffer " << sram_line(hw.global_buffer) << "\n";
    std::cout << fmt::format("  DRAM {} ({} page), {} MiB, peak {:.1f} GB/s\n", hw.dram.preset,
                             to_string(hw.dram.page_policy),
                             hw.dram.capacity_bytes() >> 20, hw.dram.peak_bandwidth_gbps());
    std::cout << fmt::format("  energy table {}\n  area {:.3f} mm^2 (PE arrays {:.3f}, SRAM {:.3f})\n",
                             hw.energy_table, area.total_mm2, area.by_component["pe_arrays"],
                             area.by_component["sram"]);
    return 0;
  };
}

Action add_sim(CLI::App& app) {
  auto* sub = app.add_subcommand("sim", "Run a firmware image on a platform");
  struct Opts {
    std::string hw, image, report;
    std::string dram_trace;  // --dram-trace
    bool timing_only = false, json = false;
    double max_sim_us = 0;
    double max_wall_s = 0;  // --max-wall-s
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("--hw", o->hw, "hardware config")->required();
  sub->add_option("--image", o->image, "firmware image (from savp asm)")->required();
  sub->add_option("--report", o->report, "write the JSON report here");
  sub->add_option("--dram-trace", o->dram_trace,
                  "write every DRAM request here as a DRAMSys .stl trace (.rstl: relative "
                  "cycles), in DRAM tCK cycles (traces/README.md)");
  sub->add_flag("--timing-only", o->timing_only, "skip the functional computation in the chunks");
  sub->add_flag("--json", o->json, "print the JSON report instead of the table");
  sub->add_option("--max-sim-us", o->max_sim_us, "stop after this much simulated time (us)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--max-wall-s", o->max_wall_s, "stop after this much wall-clock time (s)")
      ->check(CLI::NonNegativeNumber);
  auto trace_opts = add_trace_options(sub);  // --trace, --vcd, ...
  return [o, trace_opts] {
    const TraceOptions trace = trace_opts();
    HwConfig hw = load_hw_config(o->hw);
    EnergyTable et = load_energy_table(hw.energy_table);
    fw::Image img = fw::read_image(o->image);
    Platform platform(hw, et);
    RunOptions ro;
    ro.functional = !o->timing_only && hw.simulation.functional;
    ro.max_sim_time_us = o->max_sim_us;
    ro.max_wall_s = o->max_wall_s;
    ro.image_name = std::filesystem::path(o->image).filename().string();
    ro.trace = trace;
    ro.dram_trace = o->dram_trace;
    RunResult r = platform.run(img, ro);
    if (o->json)
      std::cout << report_json(r).dump(2) << "\n";
    else
      std::cout << report_text(r);
    if (!o->report.empty()) {
      write_report(r, o->report);
      if (!o->json) std::cout << "report: " << o->report << "\n";
    }
    return 0;
  };
}

}  // namespace savp::app
