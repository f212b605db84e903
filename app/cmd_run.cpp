// savp run: map a network to firmware and simulate it in one step (issue 3).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
#include "mapper/cost_model.hpp"
#include "mapper/network.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/reference_executor.hpp"
#include "platform/platform.hpp"
#include "platform/report.hpp"

namespace savp::app {

Action add_run(CLI::App& app) {
  auto* sub = app.add_subcommand("run", "Map a network to firmware and run it on a platform");
  struct Opts {
    std::string hw, net, report;
    bool functional = false, timing_only = false;
    uint64_t seed = 1;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("--hw", o->hw, "hardware config (configs/hw/*.yaml)")->required();
  sub->add_option("--net", o->net, "network (configs/nets/*.yaml)")->required();
  sub->add_flag("--functional", o->functional,
                "compare every layer's output bit-exact with the reference executor");
  sub->add_flag("--timing-only", o->timing_only, "skip the functional computation in the chunks");
  sub->add_option("--seed", o->seed, "seed of the random weights and input");
  sub->add_option("--report", o->report, "write the JSON report here");
  return [o] {
    if (o->functional && o->timing_only)
      throw Error("savp run: --functional and --timing-only exclude each other");
    HwConfig hw = load_hw_config(o->hw);
    EnergyTable et = load_energy_table(hw.energy_table);
    mapper::Network net = mapper::load_network(o->net);
    std::vector<int8_t> input = mapper::random_input(net, o->seed);
    mapper::QuantizedNetwork q = mapper::quantize(net, o->seed, input);
    mapper::MappedNetwork m = mapper::generate(q, hw, input);
    std::cout << fmt::format("{:<16} {:<15} {:<6} {:<8} {:>8}\n", "layer", "type", "op", "chunk",
                             "instrs");
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const mapper::Layer& l = net.layers[i];
      const mapper::LayerPlacement& p = m.layers[i];
      std::cout << fmt::format("{:<16} {:<15} {:<6} {:<8} {:>8}\n", l.name,
                               mapper::to_string(l.type), l.has_weights() ? to_string(l.op) : "-",
                               p.chunk < 0 ? "-" : hw.chunks[p.chunk].name,
                               p.instr_range.size() == 2 ? p.instr_range[1] - p.instr_range[0] : 0);
    }
    Platform platform(hw, et);
    RunOptions ro;
    ro.functional = o->functional || (!o->timing_only && hw.simulation.functional);
    ro.image_name = net.name;
    const std::vector<mapper::LayerPrediction> pred = mapper::predict(m, q, hw);
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const mapper::Layer& l = net.layers[i];
      const mapper::LayerPlacement& p = m.layers[i];
      if (p.chunk < 0 || p.instr_range.size() != 2) continue;  // flatten: no code
      LayerSpan sp;
      sp.name = l.name;
      sp.op = l.has_weights() ? fmt::format("{}/{}", mapper::to_string(l.type), to_string(l.op))
                              : std::string(mapper::to_string(l.type));
      sp.first = p.instr_range[0];
      sp.last = p.instr_range[1];
      sp.predicted_cycles = pred[i].predicted_cycles;
      sp.roofline_cycles = pred[i].roofline_cycles;
      ro.layers.push_back(sp);
    }
    RunResult r = platform.run(m.image, ro);
    std::cout << report_text(r);
    if (!o->report.empty()) {
      write_report(r, o->report);
      std::cout << "report: " << o->report << "\n";
    }
    if (o->functional) {
      std::vector<std::vector<int8_t>> ref = mapper::run_reference(q, input);
      for (size_t i = 0; i < net.layers.size(); ++i) {
        const std::string& name = net.layers[i].name;
        auto it = r.outputs.find(name);
        if (it == r.outputs.end()) {
          std::cerr << fmt::format("functional check: layer '{}' has no output region\n", name);
          return 1;
        }
        const std::vector<uint8_t>& got = it->second;
        for (size_t e = 0; e < ref[i].size(); ++e) {
          const int g = e < got.size() ? static_cast<int8_t>(got[e]) : 0;
          if (e >= got.size() || g != ref[i][e]) {
            std::cerr << fmt::format(
                "functional check: layer '{}' element {} differs: got {}, expected {}\n", name, e,
                g, static_cast<int>(ref[i][e]));
            return 1;
          }
        }
      }
      std::cout << fmt::format("functional check: {} layers bit-exact\n", net.layers.size());
    }
    return 0;
  };
}

}  // namespace savp::app
