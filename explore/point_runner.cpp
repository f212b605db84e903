#include "explore/point_runner.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "explore/layer_spans.hpp"
#include "mapper/cost_model.hpp"
#include "platform/energy_model.hpp"
#include "platform/platform.hpp"
#include "platform/report.hpp"

namespace savp::explore {

namespace {

nlohmann::ordered_json sram_json(const SramConfig& s) {
  return {{"capacity_bytes", s.capacity_bytes},
          {"banks", s.banks},
          {"port_width_bytes", s.port_width_bytes},
          {"read_latency_cycles", s.read_latency_cycles},
          {"write_latency_cycles", s.write_latency_cycles}};
}

}  // namespace

std::string config_json(const HwConfig& hw) {
  using J = nlohmann::ordered_json;
  J j;
  j["name"] = hw.name;
  j["clock_mhz"] = hw.clock_mhz;
  j["technology_nm"] = hw.technology_nm;
  j["chunks"] = J::array();
  for (const ChunkConfig& c : hw.chunks)
    j["chunks"].push_back({{"name", c.name},
                           {"kind", to_string(c.kind)},
                           {"rows", c.rows},
                           {"cols", c.cols},
                           {"dataflow", to_string(c.dataflow)},
                           {"weight_bits", c.weight_bits},
                           {"ibuf", sram_json(c.ibuf)},
                           {"wbuf", sram_json(c.wbuf)},
                           {"obuf", sram_json(c.obuf)}});
  j["fallback"] = J::object();
  for (const Fallback& f : hw.fallbacks) j["fallback"][to_string(f.from)] = to_string(f.to);
  j["global_buffer"] = sram_json(hw.global_buffer);
  const DramConfig& d = hw.dram;
  const DramOrganization& o = d.org;
  const DramTiming& t = d.timing;
  j["dram"] = {{"preset", d.preset},
               {"organization",
                {{"channels", o.channels},
                 {"ranks", o.ranks},
                 {"bank_groups", o.bank_groups},
                 {"banks_per_group", o.banks_per_group},
                 {"rows", o.rows},
                 {"columns", o.columns},
                 {"bus_width_bits", o.bus_width_bits},
                 {"data_rate", o.data_rate}}},
               {"timing",
                {{"tck_ns", t.tck_ns},
                 {"burst_length", t.burst_length},
                 {"cl", t.cl},
                 {"cwl", t.cwl},
                 {"trcd", t.trcd},
                 {"trp", t.trp},
                 {"tras", t.tras},
                 {"tccd_s", t.tccd_s},
                 {"tccd_l", t.tccd_l},
                 {"trrd_s", t.trrd_s},
                 {"trrd_l", t.trrd_l},
                 {"tfaw", t.tfaw},
                 {"twr", t.twr},
                 {"twtr_s", t.twtr_s},
                 {"twtr_l", t.twtr_l},
                 {"trtp", t.trtp},
                 {"trtw", t.trtw},
                 {"trefi", t.trefi},
                 {"trfc", t.trfc}}},
               {"page_policy", to_string(d.page_policy)},
               {"address_mapping", d.address_mapping},
               {"scheduler", to_string(d.scheduler)},
               {"scheduler_queue_depth", d.scheduler_queue_depth},
               {"request_buffer_size", d.request_buffer_size}};
  j["interconnect"] = {{"width_bytes", hw.interconnect.width_bytes},
                       {"latency_cycles", hw.interconnect.latency_cycles}};
  j["dma"] = {{"burst_bytes", hw.dma.burst_bytes},
              {"max_outstanding", hw.dma.max_outstanding},
              {"setup_cycles", hw.dma.setup_cycles}};
  j["controller"] = {{"fetch_block_instrs", hw.controller.fetch_block_instrs},
                     {"queue_depth", hw.controller.queue_depth},
                     {"dispatch_cycles", hw.controller.dispatch_cycles}};
  j["simulation"] = {{"quantum_ns", hw.simulation.quantum_ns},
                     {"functional", hw.simulation.functional}};
  j["energy_table"] = hw.energy_table;
  return j.dump();
}

NetworkRun run_network(std::unique_ptr<Platform>& platform, const mapper::QuantizedNetwork& q,
                       const std::vector<int8_t>& input, const HwConfig& hw, const EnergyTable& et,
                       mapper::Objective objective) {
  mapper::MapOptions mo;
  mo.objective = objective;
  mo.energy = &et;
  const mapper::MappedNetwork m = mapper::generate(q, hw, input, mo);
  const std::vector<mapper::LayerPrediction> pred = mapper::predict(m, q, hw);
  RunOptions ro;
  ro.functional = false;  // timing and energy; bit-exactness is savp run's
  ro.image_name = q.net.name;
  uint64_t predicted = 0;
  for (const mapper::LayerPrediction& lp : pred) predicted += lp.predicted_cycles;
  ro.layers = layer_spans(q.net, m, pred);
  if (!platform) platform = std::make_unique<Platform>(hw, et);
  NetworkRun out;
  out.run = platform->run(m.image, ro);
  const RunResult& r = out.run;
  auto& v = out.values;
  const double pes = point_figure(hw, r.area.total_mm2, "pes");
  v["cycles"] = static_cast<double>(r.cycles);
  v["latency_ms"] = r.latency_us / 1000.0;
  v["energy_uj"] = r.energy.total_pj / 1e6;
  v["edp_uj_ms"] = v["energy_uj"] * v["latency_ms"];
  v["area_mm2"] = r.area.total_mm2;
  v["predicted_cycles"] = static_cast<double>(predicted);
  v["dram_read_bytes"] = static_cast<double>(r.dram.read_bytes);
  v["dram_write_bytes"] = static_cast<double>(r.dram.write_bytes);
  v["dram_bytes"] = static_cast<double>(r.dram.read_bytes + r.dram.write_bytes);
  v["dram_bandwidth_gbps"] = r.dram.bandwidth_gbps;
  v["dram_row_hits"] = static_cast<double>(r.dram.row_hits);
  v["dram_row_misses"] = static_cast<double>(r.dram.row_misses);
  v["dram_row_conflicts"] = static_cast<double>(r.dram.row_conflicts);
  double util = 0, pe_ops = 0;
  int chunks = 0;
  for (const EngineReport& e : r.engines) {
    if (e.kind == "dma") continue;
    util += e.utilization;
    pe_ops += static_cast<double>(e.pe_ops);
    ++chunks;
  }
  v["utilization"] = chunks ? util / chunks : 0.0;
  v["pe_utilization"] = r.cycles ? pe_ops / (static_cast<double>(r.cycles) * pes) : 0.0;
  for (const char* c : {"compute", "sram", "dram", "leakage"}) {
    auto it = r.energy.by_component.find(c);
    v[fmt::format("energy_{}_uj", c)] = it == r.energy.by_component.end() ? 0.0 : it->second / 1e6;
  }
  v["instructions"] = static_cast<double>(r.simulator.instructions);
  return out;
}

PointRunner::PointRunner(const SweepSpec& spec)
    : spec_(spec), objective_(mapper::parse_objective(spec.objective)) {
  for (const std::string& path : spec.networks) {
    auto n = std::make_unique<Net>();
    n->net = mapper::load_network(path);
    n->input = mapper::random_input(n->net, spec.seed);  // as savp run --seed
    n->q = mapper::quantize(n->net, spec.seed, n->input);
    names_.push_back(n->net.name);
    nets_.push_back(std::move(n));
  }
}

std::vector<ResultRow> PointRunner::run(const Point& p, const HwConfig& hw) {
  auto et_it = energy_.find(hw.energy_table);
  if (et_it == energy_.end())
    et_it = energy_.emplace(hw.energy_table, load_energy_table(hw.energy_table)).first;
  const EnergyTable& et = et_it->second;
  const double area = platform_area(hw, et).total_mm2;
  const std::string params = params_json(spec_, p), config = config_json(hw);
  std::vector<ResultRow> rows;
  std::unique_ptr<Platform> platform;
  for (const auto& n : nets_) {
    const auto t0 = std::chrono::steady_clock::now();
    ResultRow row;
    row.point_id = p.id;
    row.network = n->net.name;
    row.params_json = params;
    row.config_json = config;
    row.values["area_mm2"] = area;
    row.values["pes"] = point_figure(hw, area, "pes");
    row.values["sram_bytes"] = point_figure(hw, area, "sram_bytes");
    row.values["clock_mhz"] = hw.clock_mhz;
    try {
      NetworkRun nr = run_network(platform, n->q, n->input, hw, et, objective_);
      for (const auto& [k, v] : nr.values) row.values[k] = v;
      row.report_json = report_json(nr.run).dump();
    } catch (const Error& e) {
      // Infeasible here (a layer that fits no buffer, a kind the point lacks, a firmware
      // fault): recorded, and the next network gets a fresh platform.
      row.ok = false;
      row.error = e.what();
      platform.reset();
    }
    row.values["wall_s"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace savp::explore
