// Plain-data hardware configuration (STYLE.md habit 3): loaded and validated in one place
// (hw_config_load.cpp) from configs/hw/*.yaml. Units are in the field names. Nothing here
// depends on SystemC, so the mapper can use it too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace savp {

// The operator family a chunk's PEs implement (DESIGN.md table).
enum class OpKind : uint8_t { Mult = 0, Shift = 1, Adder = 2 };
constexpr int kNumOpKinds = 3;
const char* to_string(OpKind k);  // "mult", "shift", "adder"

// A name used in reports, traces and file names (chunks, platforms, layers, networks): letters,
// digits, '_', '-', '.', not empty and not starting with '.'.
bool is_plain_name(const std::string& s);

// Systolic dataflow: which operand stays in the PEs (SCALE-Sim's os/ws/is).
enum class Dataflow : uint8_t { WeightStationary = 0, OutputStationary = 1, InputStationary = 2 };
const char* to_string(Dataflow d);  // "ws", "os", "is"

enum class PagePolicy : uint8_t { Open = 0, Closed = 1 };
const char* to_string(PagePolicy p);  // "open", "closed"
// DRAM request scheduling (models/dram/dram_timing.hpp): FR-FCFS (row hits first, then the
// oldest; DRAMSys's default) or first come first served.
enum class DramScheduler : uint8_t { FrFcfs = 0, Fcfs = 1 };
inline const char* to_string(DramScheduler s) {
  return s == DramScheduler::FrFcfs ? "frfcfs" : "fcfs";
}

// One SRAM array. Bandwidth = banks * port_width_bytes per core cycle.
struct SramConfig {
  uint64_t capacity_bytes = 0;
  uint32_t banks = 1;
  uint32_t port_width_bytes = 8;  // per bank, per cycle
  uint32_t read_latency_cycles = 1;
  uint32_t write_latency_cycles = 1;
};

// The weight decompressor at a chunk's wbuf read port (issue 8; firmware/weight_stream.hpp,
// firmware/README.md "Compressed weight streams"): every weight the PE array reads from a
// compressed stream passes it, `weights_per_cycle` weights per core cycle, pipelined with the
// array after `latency_cycles` of fill. Dense weights bypass it. A chunk without one (the
// default) takes dense weights only.
struct DecompressorConfig {
  bool packed = false;                // formats it decodes besides dense
  bool bitmask = false;
  std::vector<uint32_t> packed_bits;  // value widths of packed / bitmask streams (2..8)
  uint32_t weights_per_cycle = 1;
  uint32_t latency_cycles = 0;
  bool present() const { return packed || bitmask; }
  bool supports_bits(uint32_t b) const;
};

struct ChunkConfig {
  std::string name;  // unique, e.g. "mult0"; the firmware addresses chunks by index
  OpKind kind = OpKind::Mult;
  uint32_t rows = 16;  // PE array rows
  uint32_t cols = 16;  // PE array columns (also the lanes of the chunk's vector unit)
  Dataflow dataflow = Dataflow::OutputStationary;
  // Output stationary only: each PE has a shadow register on its column's output chain (double-
  // buffered accumulators), so it hands a finished sum over and starts the next fold at once;
  // consecutive folds of a tile overlap their drain and fill (common/tile_timing.hpp).
  bool fold_overlap = false;
  std::vector<uint32_t> weight_bits{8};  // weight bit widths the PEs support
  SramConfig ibuf;  // input activations
  SramConfig wbuf;  // weights and biases
  SramConfig obuf;  // outputs and int32 partial sums
  DecompressorConfig decompressor;  // `decompressor:` (absent: dense weights only)
};

// JEDEC timing, all in DRAM clock cycles (tCK) except tck_ns itself.
struct DramTiming {
  double tck_ns = 0.833;     // clock period
  uint32_t burst_length = 8;  // BL: beats per column command
  uint32_t cl = 17;           // read latency (CL / RL)
  uint32_t cwl = 12;          // write latency (CWL / WL)
  uint32_t trcd = 17, trp = 17, tras = 39;
  uint32_t tccd_s = 4, tccd_l = 6;  // column-to-column, different / same bank group
  uint32_t trrd_s = 4, trrd_l = 6;  // activate-to-activate, different / same bank group
  uint32_t tfaw = 26;               // four-activate window
  uint32_t twr = 18, twtr_s = 3, twtr_l = 9, trtp = 9;
  uint32_t trtw = 0;  // extra read-to-write bus turnaround (0 = CL + BL/2 + 2 - CWL)
  uint32_t trefi = 9360, trfc = 421;  // refresh interval and all-bank refresh time
  // All-bank precharge (PREA) to REF before a refresh; 0 = trp (DDR3/DDR4 have one tRP;
  // LPDDR4 has tRPab > tRPpb, DRAMSys memspec RPab).
  uint32_t trpab = 0;
  // LPDDR4 data-strobe delays (DRAMSys memspec DQSCK, DQSS, DQS2DQ; 0 for DDR3/DDR4): read data
  // starts tDQSCK after RL, write data tDQSS + tDQS2DQ after WL.
  uint32_t tdqsck = 0, tdqss = 0, tdqs2dq = 0;
};

struct DramOrganization {
  uint32_t channels = 1;
  uint32_t ranks = 1;
  uint32_t bank_groups = 4;
  uint32_t banks_per_group = 4;
  uint32_t rows = 65536;
  uint32_t columns = 1024;      // column addresses per row (in bus-width units)
  uint32_t bus_width_bits = 64;  // data bus of one channel
  uint32_t data_rate = 2;        // transfers per clock (2 = DDR)
};

// How a request that spans channels is routed (models/dram/dram_timing.hpp).
//  split: each burst goes to the channel its address decodes to (the platform's DRAM target);
//  start_address: the whole request goes to the channel of its start address, each burst
//  keeping the bank, row and column its own address decodes to (DRAMSys's arbiter and
//  Controller::createChildTranses). Only the request-buffer front end (submit(), frfcfs)
//  routes by start address.
enum class DramChannelRouting : uint8_t { Split = 0, StartAddress = 1 };

struct DramConfig {
  std::string preset;  // e.g. "DDR4-2400"; the preset file gives organization and timing
  // The preset's `standard:` ("DDR4", "LPDDR4", ...): picks the command rules of
  // models/dram/dram_rules.hpp (command lengths, LPDDR4's command-edge offsets).
  std::string standard;
  DramOrganization org;
  DramTiming timing;
  PagePolicy page_policy = PagePolicy::Open;
  // Address mapping, most significant field first, from the fields
  // ro (row), ra (rank), bg (bank group), ba (bank), co (column), ch (channel).
  // The bits below the column select the byte within one burst. The default puts the
  // bank group below the column so a sequential stream alternates bank groups (tCCD_S).
  std::vector<std::string> address_mapping{"ro", "ra", "ba", "co", "bg", "ch"};
  // fcfs: bursts per channel waiting for their column command (bounds how far ahead of the
  // data an ACT or PRE can run).
  uint32_t scheduler_queue_depth = 16;
  // The hw config loader defaults to frfcfs (DRAMSys's default); a DramConfig built in code
  // is fcfs unless set.
  DramScheduler scheduler = DramScheduler::Fcfs;
  uint32_t request_buffer_size = 8;  // frfcfs: bursts per bank (DRAMSys RequestBufferSize)
  DramChannelRouting channel_routing = DramChannelRouting::Split;  // set by savp replay

  uint64_t capacity_bytes() const;   // all channels and ranks
  uint32_t burst_bytes() const;      // bytes moved by one column command
  double peak_bandwidth_gbps() const;  // GB/s over all channels
};

struct InterconnectConfig {
  uint32_t width_bytes = 32;     // bytes per core cycle per transfer
  uint32_t latency_cycles = 2;   // per hop, each direction
};

struct DmaConfig {
  uint32_t burst_bytes = 64;       // a transfer is split into bursts of at most this size
  uint32_t max_outstanding = 8;    // bursts in flight per DMA queue
  uint32_t setup_cycles = 4;       // per instruction (descriptor decode)
};

struct ControllerConfig {
  uint32_t fetch_block_instrs = 16;  // instructions fetched from DRAM per request
  uint32_t queue_depth = 32;         // instructions per engine queue
  uint32_t dispatch_cycles = 1;      // per instruction
};

struct SimulationConfig {
  double quantum_ns = 1000.0;  // temporal decoupling quantum (tlm_quantumkeeper)
  bool functional = true;      // compute real outputs (false: timing only)
};

// An operator kind the platform has no chunk for, run on a chunk of another kind instead
// (`fallback:` in the config; opt-in, so a missing kind is otherwise an error naming the layer).
// Only exact fallbacks exist: a shift layer on a multiplier chunk (x * (+-2^e) is a product the
// multiplier computes exactly, when its weight width holds +-2^e).
struct Fallback {
  OpKind from = OpKind::Shift;
  OpKind to = OpKind::Mult;
};

struct HwConfig {
  std::string name;
  std::string source_file;  // where it was loaded from (for messages)
  double clock_mhz = 500.0;
  std::vector<ChunkConfig> chunks;
  std::vector<Fallback> fallbacks;  // used only for kinds that have no chunk
  SramConfig global_buffer;
  DramConfig dram;
  InterconnectConfig interconnect;
  DmaConfig dma;
  ControllerConfig controller;
  SimulationConfig simulation;
  std::string energy_table;  // resolved path of configs/energy/*.yaml
  double technology_nm = 45.0;

  double cycle_ns() const { return 1000.0 / clock_mhz; }
  int chunk_index(const std::string& name) const;  // -1 if none
};

// Loads and validates a hardware config. Throws ConfigError naming file, line, column,
// field and what is allowed. DRAM presets are looked up in configs/dram/<preset>.yaml
// next to the config's folder, then in the source tree's configs/dram/.
HwConfig load_hw_config(const std::string& path);
// Same, from YAML text; `origin` names the text in messages; presets resolve from
// `preset_dir` (empty: the source tree's configs/dram/).
HwConfig parse_hw_config(const std::string& yaml_text, const std::string& origin,
                         const std::string& preset_dir = "");

}  // namespace savp
