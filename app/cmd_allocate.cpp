// savp allocate: the PE array of every chunk the network uses, within a PE (and optionally an
// area) budget, balancing NASA's chunk pipeline (mapper/allocate.hpp). Prints the allocation as
// a table and the resulting hardware config as YAML (or writes it with -o, atomically, after
// checking that it loads), ready for `savp validate` and `savp run --hw`.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "common/energy_table.hpp"
#include "common/errors.hpp"
#include "common/hw_config.hpp"
#include "mapper/allocate.hpp"
#include "mapper/network.hpp"
#include "platform/energy_model.hpp"

namespace savp::app {
namespace {

namespace fs = std::filesystem;

// A config name the loader accepts (letters, digits, '_', '-', '.').
std::string plain(const std::string& s) {
  std::string o;
  for (char c : s)
    o +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') ? c : '_';
  return o;
}

}  // namespace

Action add_allocate(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "allocate", "Choose each chunk's PE array for a network within a PE / area budget");
  struct Opts {
    std::string hw, net, out;
    long long pe_budget = 0;
    double area_budget = 0;
    std::vector<uint32_t> rows, cols;
    std::string objective = "latency";  // --objective: what each layer's tiling search minimises
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("--net", o->net, "network (configs/nets/*.yaml)")->required();
  sub->add_option("--hw", o->hw, "hardware config whose chunks, buffers and memory to use")
      ->required();
  sub->add_option("--pe-budget", o->pe_budget, "PEs over all chunks")->required();
  auto* area = sub->add_option("--area-budget", o->area_budget,
                               "platform area in mm^2 (the platform's area model)");
  sub->add_option("-o,--output", o->out, "write the hardware config here (YAML)");
  sub->add_option("--objective", o->objective,
                  "what the tiling search of every mapping minimises: latency, energy or edp "
                  "(as savp run / map --objective); the allocation still balances the predicted "
                  "cycles");
  sub->add_option("--rows", o->rows,
                  "candidate array rows (default 4,8,12,16,24,32,48,64,96,128,192,256)")
      ->delimiter(',');
  sub->add_option("--cols", o->cols, "candidate array columns (default 4,8,16,...,256)")
      ->delimiter(',');
  return [o, area] {
    if (o->pe_budget <= 0)
      throw Error(fmt::format(
          "savp allocate: --pe-budget must be a positive number of PEs (got {})", o->pe_budget));
    if (area->count() > 0 && (!std::isfinite(o->area_budget) || o->area_budget <= 0))
      throw Error(
          fmt::format("savp allocate: --area-budget must be a positive number of mm^2 (got {})",
                      o->area_budget));
    const mapper::Objective objective = mapper::parse_objective(o->objective);
    const auto t0 = std::chrono::steady_clock::now();
    const HwConfig hw = load_hw_config(o->hw);
    const EnergyTable et = load_energy_table(hw.energy_table);
    const mapper::Network net = mapper::load_network(o->net);
    mapper::AllocateOptions opt;
    opt.pe_budget = static_cast<uint64_t>(o->pe_budget);
    opt.area_budget_mm2 = area->count() > 0 ? o->area_budget : 0.0;
    if (!o->rows.empty()) opt.row_dims = o->rows;
    if (!o->cols.empty()) opt.col_dims = o->cols;
    opt.area_mm2 = [&et](const HwConfig& h) { return platform_area(h, et).total_mm2; };
    opt.map.objective = objective;
    opt.map.energy = &et;
    const mapper::Allocation a = mapper::allocate(net, hw, opt);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::string budget = fmt::format("{} PEs", opt.pe_budget);
    if (opt.area_budget_mm2 > 0) budget += fmt::format(", {:.3f} mm^2", opt.area_budget_mm2);
    std::cout << fmt::format("network {} on {}, budget {}, objective {}\n", net.name, hw.name,
                             budget, to_string(objective));
    std::cout << fmt::format("{:<10} {:<6} {:>9} {:>6} {:>7} {:>12} {:>11}\n", "chunk", "kind",
                             "array", "PEs", "layers", "pred cycles", "bottleneck");
    for (const mapper::ChunkAllocation& c : a.chunks)
      std::cout << fmt::format(
          "{:<10} {:<6} {:>9} {:>6} {:>7} {:>12} {:>10.1f}%\n", c.name, to_string(c.kind),
          c.shape.str(), c.shape.pes(), c.layers.size(), c.cycles,
          a.bottleneck_cycles
              ? 100.0 * static_cast<double>(c.cycles) / static_cast<double>(a.bottleneck_cycles)
              : 0.0);
    std::cout << fmt::format(
        "total: {} of {} PEs, area {:.3f} mm^2, bottleneck {} cycles, sum {} cycles\n", a.pes,
        opt.pe_budget, a.area_mm2, a.bottleneck_cycles, a.total_cycles);
    std::cout << fmt::format("input config ({}): {} PEs on these chunks, bottleneck {} cycles\n",
                             hw.name, a.input_pes, a.input_bottleneck_cycles);
    if (!a.dropped.empty())
      std::cout << fmt::format("dropped (no layer runs on them): {}\n", fmt::join(a.dropped, ", "));
    std::cout << fmt::format(
        "search: {} of {} candidate shapes mapped ({} mappings), {} combinations, {:.2f} s\n",
        a.shapes_mapped, a.shapes, a.mappings, a.combinations, secs);

    const std::string name = plain(fmt::format("{}-{}-pe{}", hw.name, net.name, opt.pe_budget));
    std::string header = fmt::format(
        "savp allocate --net {} --hw {} --pe-budget {}{}{}\n"
        "Chunk arrays chosen to balance NASA's chunk pipeline (mapper/allocate.hpp): predicted "
        "bottleneck {} cycles, {} of {} PEs, {:.3f} mm^2.",
        o->net, o->hw, opt.pe_budget,
        opt.area_budget_mm2 > 0 ? fmt::format(" --area-budget {}", opt.area_budget_mm2) : "",
        objective != mapper::Objective::Latency
            ? fmt::format(" --objective {}", to_string(objective))
            : "",
        a.bottleneck_cycles, a.pes, opt.pe_budget, a.area_mm2);
    for (const mapper::ChunkAllocation& c : a.chunks)
      header += fmt::format("\n  {} ({}): {}, {} layers, {} cycles", c.name, to_string(c.kind),
                            c.shape.str(), c.layers.size(), c.cycles);
    if (!a.dropped.empty())
      header += fmt::format("\nDropped (no layer of the network runs on them): {}",
                            fmt::join(a.dropped, ", "));
    if (o->out.empty()) {
      std::cout << "\n" << mapper::allocation_yaml(a, o->hw, name, header, "");
    } else {
      std::string dir = fs::path(o->out).parent_path().string();
      if (dir.empty()) dir = ".";
      mapper::write_hw_yaml(mapper::allocation_yaml(a, o->hw, name, header, dir), o->out);
      std::cout << "config: " << o->out << "\n";
    }
    return 0;
  };
}

}  // namespace savp::app
