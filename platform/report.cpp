#include "platform/report.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "common/errors.hpp"
#include "common/file_io.hpp"

namespace savp {

using nlohmann::json;

json report_json(const RunResult& r) {
  json j;
  j["schema_version"] = kReportSchemaVersion;
  j["hw"] = r.hw_name;
  j["image"] = r.image_name;
  j["clock_mhz"] = r.clock_mhz;
  j["cycles"] = r.cycles;
  j["latency_us"] = r.latency_us;
  j["energy"] = {{"total_pj", r.energy.total_pj},
                 {"by_component_pj", r.energy.by_component},
                 {"by_kind_pj", r.energy.by_kind},
                 {"by_engine_pj", r.energy.by_engine}};
  j["area"] = {{"total_mm2", r.area.total_mm2}, {"by_component_mm2", r.area.by_component}};
  json engines = json::array();
  for (const EngineReport& e : r.engines) {
    json je = {{"name", e.name},
               {"kind", e.kind},
               {"instructions", e.instructions},
               {"busy_cycles", e.busy_cycles},
               {"stall_cycles", e.stall_cycles},
               {"idle_cycles", e.idle_cycles},
               {"utilization", e.utilization}};
    if (e.kind == "dma") {
      je["bytes"] = e.bytes;
      je["bursts"] = e.bursts;
    } else {
      je["pe_ops"] = e.pe_ops;
      je["vector_ops"] = e.vector_ops;
      je["pe_utilization"] = e.pe_utilization;
      je["decompress_cycles"] = e.decompress_cycles;
      je["decompressed_weights"] = e.decompressed_weights;
    }
    engines.push_back(je);
  }
  j["engines"] = engines;
  json bufs = json::array();
  for (const BufferReport& b : r.buffers)
    bufs.push_back({{"name", b.name},
                    {"capacity_bytes", b.capacity_bytes},
                    {"port_width_bytes", b.port_width_bytes},
                    {"reads", b.reads},
                    {"writes", b.writes},
                    {"read_bytes", b.read_bytes},
                    {"write_bytes", b.write_bytes},
                    {"energy_pj", b.energy_pj}});
  j["buffers"] = bufs;
  const DramReport& d = r.dram;
  json banks = json::array();
  for (const BankReport& b : d.banks)
    banks.push_back({{"hits", b.hits}, {"misses", b.misses}, {"conflicts", b.conflicts}});
  j["dram"] = {{"preset", d.preset},
               {"page_policy", d.page_policy},
               {"reads", d.reads},
               {"writes", d.writes},
               {"read_bytes", d.read_bytes},
               {"write_bytes", d.write_bytes},
               {"activates", d.activates},
               {"precharges", d.precharges},
               {"refreshes", d.refreshes},
               {"row_hits", d.row_hits},
               {"row_misses", d.row_misses},
               {"row_conflicts", d.row_conflicts},
               {"bandwidth_gbps", d.bandwidth_gbps},
               {"peak_bandwidth_gbps", d.peak_bandwidth_gbps},
               {"avg_latency_ns", d.avg_latency_ns},
               {"max_latency_ns", d.max_latency_ns},
               {"banks", banks}};
  j["simulator"] = {{"wall_seconds", r.simulator.wall_seconds},
                    {"transactions", r.simulator.transactions},
                    {"instructions", r.simulator.instructions},
                    {"transactions_per_second", r.simulator.transactions_per_second},
                    {"simulated_cycles_per_second", r.simulator.simulated_cycles_per_second}};
  if (!r.layers.empty()) {
    auto layer_json = [](const LayerReport& l) {
      return json{{"name", l.name},
                  {"op", l.op},
                  {"chunk", l.chunk},
                  {"instructions", l.instructions},
                  {"cycles", l.cycles},
                  {"compute_cycles", l.compute_cycles},
                  {"stall_cycles", l.stall_cycles},
                  {"predicted_cycles", l.predicted_cycles},
                  {"roofline_cycles", l.roofline_cycles},
                  {"pe_ops", l.pe_ops},
                  {"vector_ops", l.vector_ops},
                  {"dma_bytes", l.dma_bytes},
                  {"energy_pj", l.energy_pj},
                  {"pe_utilization", l.pe_utilization},
                  {"weight_format", l.weight_format},
                  {"weight_bytes_raw", l.weight_bytes_raw},
                  {"weight_bytes_stored", l.weight_bytes_stored},
                  {"compression_ratio", l.compression_ratio()},
                  {"decompress_cycles", l.decompress_cycles},
                  {"decompress_energy_pj", l.decompress_energy_pj}};
    };
    json layers = json::array();
    for (const LayerReport& l : r.layers) layers.push_back(layer_json(l));
    j["layers"] = layers;
    json t = layer_json(r.totals);
    t.erase("name");
    t.erase("op");
    t.erase("chunk");
    t.erase("weight_format");
    j["totals"] = t;
    // Model size in memory (issue 8): the conv / linear weights raw and as stored.
    j["model_size"] = {{"weight_bytes_raw", r.totals.weight_bytes_raw},
                       {"weight_bytes_stored", r.totals.weight_bytes_stored},
                       {"compression_ratio", r.totals.compression_ratio()}};
  }
  json outs = json::object();
  for (const auto& [name, bytes] : r.outputs) outs[name] = {{"bytes", bytes.size()}};
  j["outputs"] = outs;
  return j;
}

namespace {
std::string pj(double v) {
  if (v >= 1e6) return fmt::format("{:.3f} uJ", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.3f} nJ", v / 1e3);
  return fmt::format("{:.3f} pJ", v);
}
}  // namespace

std::string report_text(const RunResult& r) {
  std::string s;
  s += fmt::format("platform {}  image {}  clock {} MHz\n", r.hw_name,
                   r.image_name.empty() ? "-" : r.image_name, r.clock_mhz);
  s += fmt::format("cycles {}  latency {:.3f} us  energy {}  area {:.3f} mm^2\n", r.cycles,
                   r.latency_us, pj(r.energy.total_pj), r.area.total_mm2);
  s += "\nenergy by component\n";
  for (const auto& [k, v] : r.energy.by_component)
    s += fmt::format("  {:<14} {:>16}  {:5.1f}%\n", k, pj(v),
                     r.energy.total_pj > 0 ? 100.0 * v / r.energy.total_pj : 0.0);
  if (!r.energy.by_kind.empty()) {
    s += "compute energy by operator kind\n";
    for (const auto& [k, v] : r.energy.by_kind) s += fmt::format("  {:<14} {:>16}\n", k, pj(v));
  }
  s += fmt::format("\n{:<12} {:<6} {:>8} {:>12} {:>12} {:>12} {:>7} {:>7}\n", "engine", "kind",
                   "instrs", "busy", "stall", "idle", "util", "PE util");
  for (const EngineReport& e : r.engines)
    s += fmt::format("{:<12} {:<6} {:>8} {:>12} {:>12} {:>12} {:>6.1f}% {:>6}\n", e.name, e.kind,
                     e.instructions, e.busy_cycles, e.stall_cycles, e.idle_cycles,
                     100.0 * e.utilization,
                     e.kind == "dma" ? std::string("-")
                                     : fmt::format("{:.1f}%", 100.0 * e.pe_utilization));
  if (!r.layers.empty()) {
    s += fmt::format("\n{:<16} {:<14} {:<8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>13} {:>7}\n",
                     "layer", "op", "chunk", "cycles", "compute", "stall", "predicted",
                     "roofline", "energy", "PE util");
    auto row = [&](const LayerReport& l, const std::string& name) {
      s += fmt::format("{:<16} {:<14} {:<8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>13} {:>6.1f}%\n",
                       name, l.op.empty() ? "-" : l.op, l.chunk.empty() ? "-" : l.chunk, l.cycles,
                       l.compute_cycles, l.stall_cycles, l.predicted_cycles, l.roofline_cycles,
                       pj(l.energy_pj), 100.0 * l.pe_utilization);
    };
    for (const LayerReport& l : r.layers) row(l, l.name);
    row(r.totals, "total");
    if (r.totals.weight_bytes_raw > 0) {
      s += fmt::format("\n{:<16} {:<8} {:>12} {:>12} {:>7} {:>12} {:>13}\n", "weights", "format",
                       "raw B", "stored B", "ratio", "decomp cyc", "decomp energy");
      for (const LayerReport& l : r.layers)
        if (l.weight_bytes_raw > 0)
          s += fmt::format("{:<16} {:<8} {:>12} {:>12} {:>6.2f}x {:>12} {:>13}\n", l.name,
                           l.weight_format, l.weight_bytes_raw, l.weight_bytes_stored,
                           l.compression_ratio(), l.decompress_cycles, pj(l.decompress_energy_pj));
      s += fmt::format("{:<16} {:<8} {:>12} {:>12} {:>6.2f}x {:>12} {:>13}\n", "model", "-",
                       r.totals.weight_bytes_raw, r.totals.weight_bytes_stored,
                       r.totals.compression_ratio(), r.totals.decompress_cycles,
                       pj(r.totals.decompress_energy_pj));
    }
    if (r.totals.predicted_cycles > 0 && r.totals.cycles > 0)
      s += fmt::format("predicted / simulated cycles: {:.3f}\n",
                       static_cast<double>(r.totals.predicted_cycles) / r.totals.cycles);
  }
  const DramReport& d = r.dram;
  uint64_t acc = d.row_hits + d.row_misses + d.row_conflicts;
  s += fmt::format(
      "\nDRAM {} ({} page): read {} B, written {} B, {:.2f} GB/s of {:.2f} GB/s peak\n",
      d.preset, d.page_policy, d.read_bytes, d.write_bytes, d.bandwidth_gbps,
      d.peak_bandwidth_gbps);
  s += fmt::format("  row hits {} ({:.1f}%), misses {}, conflicts {}; activates {}, refreshes {}\n",
                   d.row_hits, acc ? 100.0 * d.row_hits / acc : 0.0, d.row_misses,
                   d.row_conflicts, d.activates, d.refreshes);
  s += fmt::format("  latency avg {:.1f} ns, max {:.1f} ns\n", d.avg_latency_ns, d.max_latency_ns);
  s += fmt::format("\nsimulator: {:.3f} s wall, {} transactions ({:.2f} M/s), {:.2f} M cycles/s\n",
                   r.simulator.wall_seconds, r.simulator.transactions,
                   r.simulator.transactions_per_second / 1e6,
                   r.simulator.simulated_cycles_per_second / 1e6);
  return s;
}

void write_report(const RunResult& r, const std::string& path) {
  write_file_atomic(path, report_json(r).dump(2) + "\n", "report");
}

}  // namespace savp
