// Everything one run measured: the content of the JSON report (platform/report.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace savp {

struct EngineReport {
  std::string name;   // "dma_load", "dma_store", or the chunk's name
  std::string kind;   // "dma", or the chunk's operator kind
  uint64_t instructions = 0;
  uint64_t busy_cycles = 0;   // executing
  uint64_t stall_cycles = 0;  // an instruction was ready but waited on a dependency token
  uint64_t idle_cycles = 0;   // the rest of the run
  double utilization = 0.0;   // busy / total
  // Chunks only.
  uint64_t pe_ops = 0;
  uint64_t vector_ops = 0;
  double pe_utilization = 0.0;  // pe_ops / (total cycles x PEs)
  uint64_t decompress_cycles = 0;  // its weight decompressor busy (issue 8)
  uint64_t decompressed_weights = 0;
  // DMA only.
  uint64_t bytes = 0;
  uint64_t bursts = 0;
};

struct BufferReport {
  std::string name;  // "glb", "mult0.ibuf", ...
  uint64_t capacity_bytes = 0;
  uint32_t port_width_bytes = 0;
  uint64_t reads = 0, writes = 0;  // port-width accesses
  uint64_t read_bytes = 0, write_bytes = 0;
  double energy_pj = 0.0;
};

struct BankReport {
  uint64_t hits = 0, misses = 0, conflicts = 0;
};

struct DramReport {
  std::string preset;
  std::string page_policy;
  uint64_t reads = 0, writes = 0;  // bursts
  uint64_t read_bytes = 0, write_bytes = 0;
  uint64_t activates = 0, precharges = 0, refreshes = 0;
  uint64_t row_hits = 0, row_misses = 0, row_conflicts = 0;
  double bandwidth_gbps = 0.0;       // bytes over the run's latency
  double peak_bandwidth_gbps = 0.0;
  double avg_latency_ns = 0.0;
  double max_latency_ns = 0.0;
  std::vector<BankReport> banks;
};

struct EnergyReport {
  double total_pj = 0.0;
  std::map<std::string, double> by_component;  // compute, vector, sram, dram, interconnect, controller, leakage
  std::map<std::string, double> by_kind;       // compute energy per operator kind
  std::map<std::string, double> by_engine;     // compute energy per chunk
};

struct AreaReport {
  double total_mm2 = 0.0;
  std::map<std::string, double> by_component;  // pe_arrays, sram, controller
};

struct SimulatorReport {
  double wall_seconds = 0.0;
  uint64_t transactions = 0;  // TLM transactions through the interconnect
  uint64_t instructions = 0;  // firmware instructions dispatched
  double transactions_per_second = 0.0;
  double simulated_cycles_per_second = 0.0;
};

// One layer's share of the run (RunOptions::layers). The platform fills the simulated fields
// from the instructions in the layer's span:
//  cycles: from the earliest start to the latest finish of its instructions;
//  compute_cycles: the chunk busy cycles of its COMPUTE instructions;
//  stall_cycles: cycles - compute_cycles (the layer waited on data movement or tokens);
//  energy_pj: its PE and vector energy (its COMPUTE instructions' ops) + the run's SRAM, DRAM
//    and interconnect energy x (bytes its DMA instructions moved / all DMA bytes) + the run's
//    controller energy x (its instructions / all the layers' instructions) + the run's leakage
//    x (its cycles / the sum of the layers' cycles); so the layers' energies add up to the
//    run's total (the controller's barriers and the gaps between layers are spread too);
//  pe_utilization: PE ops / (cycles x PEs of its chunk).
// predicted_cycles and roofline_cycles come from the caller (the mapper's cost model).
struct LayerReport {
  std::string name;
  std::string op;     // operator (from the caller)
  std::string chunk;  // the chunk its COMPUTE instructions ran on ("-" if none)
  uint64_t instructions = 0;
  uint64_t cycles = 0;
  uint64_t compute_cycles = 0;
  uint64_t stall_cycles = 0;
  uint64_t predicted_cycles = 0;
  uint64_t roofline_cycles = 0;
  uint64_t pe_ops = 0;
  uint64_t vector_ops = 0;
  uint64_t dma_bytes = 0;
  double energy_pj = 0.0;
  double pe_utilization = 0.0;
  // Weight storage (issue 8), from the caller (the mapper): format, bytes of the weights raw
  // (one per weight) and as stored in the image; and from the run: the decompressor's busy
  // cycles and energy on the layer's COMPUTE instructions (included in energy_pj).
  std::string weight_format;  // "dense", "packed", "bitmask"; empty without weights
  uint64_t weight_bytes_raw = 0, weight_bytes_stored = 0;
  uint64_t decompress_cycles = 0;
  double decompress_energy_pj = 0.0;
  // raw / stored (1 for dense; 0 without weights)
  double compression_ratio() const {
    return weight_bytes_stored ? static_cast<double>(weight_bytes_raw) / weight_bytes_stored : 0.0;
  }
};

struct RunResult {
  std::string hw_name;
  std::string image_name;
  double clock_mhz = 0.0;
  uint64_t cycles = 0;
  double latency_us = 0.0;
  EnergyReport energy;
  AreaReport area;
  std::vector<EngineReport> engines;
  std::vector<BufferReport> buffers;
  DramReport dram;
  SimulatorReport simulator;
  // Per layer, when RunOptions::layers was given; totals: cycles = the run's cycles, the other
  // counts summed over the layers, stall = cycles - compute.
  std::vector<LayerReport> layers;
  LayerReport totals;
  std::map<std::string, std::vector<uint8_t>> outputs;  // output regions read back from DRAM
};

}  // namespace savp
