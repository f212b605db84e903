// JEDEC DRAM timing engine, free of SystemC (DRAMSys's split: the timing "checker" and the
// storage are separate from the TLM controller, STYLE.md). The SystemC DRAM model asks it,
// request by request, when the data of a request is done.
//
// What it models (every delay comes from DramConfig::timing, in tCK, converted to ps once):
//  - per bank: open row, earliest next ACT (tRP after PRE, tRC = tRAS + tRP after ACT, tRFC
//    after REF), earliest RD/WR (tRCD after ACT), earliest PRE (tRAS after ACT, tRTP after RD,
//    tWR after the end of write data);
//  - per rank: ACT-to-ACT tRRD_S / tRRD_L (same bank group), the four-activate window tFAW,
//    column-to-column tCCD_S / tCCD_L, write-to-read tWTR_S / tWTR_L from the end of write data,
//    all-bank refresh every tREFI that precharges the open banks and blocks the rank for tRFC;
//  - per channel: one data bus (a burst holds it for burst_length / data_rate cycles, read data
//    starts CL after RD, write data CWL after WR), read-to-write turnaround tRTW.
// Requests are served first come first served; within that order each command goes at the
// earliest time its constraints allow, so requests to other banks overlap (bank parallelism)
// and queued requests pipeline. The controller holds at most scheduler_queue_depth bursts per
// channel that have not issued their column command (0 = unbounded): that bounds how far ahead
// of the data an ACT or PRE can run. Command-bus slot conflicts are not modelled.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/hw_config.hpp"

namespace savp::dram {

// How the row buffer served one burst.
enum class RowOutcome : uint8_t {
  Hit,      // the row was open
  Miss,     // bank precharged: ACT needed
  Conflict  // another row open: PRE + ACT needed
};
const char* to_string(RowOutcome o);  // "hit", "miss", "conflict"

enum class CommandKind : uint8_t { Act, Pre, Rd, Wr, Ref };
const char* to_string(CommandKind k);  // "ACT", "PRE", "RD", "WR", "REF"

struct DecodedAddress {
  uint32_t channel = 0, rank = 0, bank_group = 0, bank = 0, row = 0;
  uint32_t column = 0;  // in bus-width units, within the row
};

// One DRAM command, for command traces. Commands are reported in the order the model places
// them, which is not always time order (an ACT may be placed before an earlier request's RD).
// Ref is all-bank: bank_group, bank, row and column are 0; an auto-precharge is reported as Pre.
struct Command {
  CommandKind kind = CommandKind::Act;
  uint64_t time_ps = 0;
  DecodedAddress where;
};

struct BankStats {
  uint64_t hits = 0, misses = 0, conflicts = 0;
};

struct DramStats {
  uint64_t requests = 0;
  uint64_t reads = 0, writes = 0;            // column commands (bursts)
  uint64_t read_bytes = 0, write_bytes = 0;  // bytes requested
  uint64_t activates = 0, precharges = 0;    // precharges include auto- and refresh precharges
  uint64_t refreshes = 0;  // all-bank REF commands, summed over ranks and channels
  uint64_t row_hits = 0, row_misses = 0, row_conflicts = 0;
  uint64_t data_bus_busy_ps = 0;                      // time the data buses carried data (summed)
  uint64_t first_arrival_ps = 0, last_done_ps = 0;    // span of activity (0, 0 before any request)
  uint64_t total_latency_ps = 0, max_latency_ps = 0;  // per request: done - arrival
  std::vector<BankStats> banks;                       // by flat_bank()
};

class DramTimingModel {
 public:
  using CommandHook = std::function<void(const Command&)>;

  // Validates the organization, timing and address mapping; throws savp::ConfigError on an
  // impossible config (counts not powers of two, unknown/missing/repeated mapping field, ...).
  explicit DramTimingModel(const DramConfig& cfg);

  const DramConfig& config() const { return cfg_; }
  uint64_t capacity() const { return capacity_; }
  uint32_t num_banks() const { return static_cast<uint32_t>(banks_.size()); }
  uint64_t tck_ps() const { return static_cast<uint64_t>(tck_ps_); }  // rounded to whole ps

  // Address mapping: cfg.address_mapping lists the fields most significant first. The lowest
  // log2(burst_bytes) bits select the byte within one burst (byte-in-bus-word bits, then the
  // low log2(burst_length) column bits); above them each field takes log2(its count) bits,
  // `co` taking log2(columns / burst_length). Throws SimulationError beyond capacity.
  DecodedAddress decode(uint64_t addr) const;
  // Inverse of decode (byte 0 of the bus word at `d.column`). Throws SimulationError on a
  // field out of range.
  uint64_t encode(const DecodedAddress& d) const;
  // ((channel * ranks + rank) * bank_groups + bank_group) * banks_per_group + bank.
  uint32_t flat_bank(const DecodedAddress& d) const;

  // One request arriving at arrival_ps for `bytes` bytes at `addr`, split into bursts of
  // cfg.burst_bytes() (a partial burst costs a whole burst). Returns when its last data beat
  // is done (>= arrival_ps). Updates bank/bus state and statistics. Arrivals need not be
  // monotonic: a command goes at max(arrival, what the resources allow). A zero-byte request
  // returns arrival_ps and changes nothing. Throws SimulationError beyond capacity.
  uint64_t access(uint64_t arrival_ps, uint64_t addr, uint32_t bytes, bool is_write);
  // Row-buffer outcome of the most recent burst (Miss before any).
  RowOutcome last_outcome() const { return last_outcome_; }

  // Accounts the refreshes due up to now_ps (call at the end of a run so that idle time at the
  // end counts). access() does this lazily by itself.
  void advance_to(uint64_t now_ps);

  const DramStats& stats() const { return stats_; }
  // A fresh run: clears the statistics, closes all rows and frees all resources at origin_ps;
  // the first refresh falls due at origin_ps + tREFI.
  void reset_stats(uint64_t origin_ps = 0);

  // Sum over channels of bus bytes * data_rate per tCK (with tCK rounded like all timing).
  double peak_bandwidth_bytes_per_ps() const;

  // Called for every command placed (nullptr: none). Costs nothing when unset.
  void set_command_hook(CommandHook hook) { hook_ = std::move(hook); }

 private:
  enum Field { kRo, kRa, kBg, kBa, kCo, kCh, kNumFields };
  struct FieldBits {
    uint32_t shift = 0, bits = 0;  // above the burst offset
  };
  struct Bank {
    bool open = false;
    uint32_t row = 0;
    int64_t act_ready, col_ready, pre_ready;
  };
  struct Rank {
    int64_t last_act, last_col, wr_end, next_ref;
    std::array<int64_t, 4> faw;  // the last four ACTs (ring; faw_pos is the oldest)
    uint32_t faw_pos = 0;
    std::vector<int64_t> bg_act, bg_col, bg_wr_end;  // per bank group
  };
  struct Channel {
    int64_t bus_free, last_col, last_rd;
    std::vector<int64_t> queue;  // column-command times of the last queue-depth bursts
    uint64_t issued = 0;
  };
  struct Plan {
    RowOutcome outcome = RowOutcome::Hit;
    int64_t pre = 0, act = 0, col = 0, first = 0;
  };
  // Timing parameters in ps.
  struct Ps {
    int64_t cl, cwl, rcd, rp, ras, rc, ccd_s, ccd_l, rrd_s, rrd_l, faw, wr, wtr_s, wtr_l, rtp, rtw,
        refi, rfc, burst;
  };

  void validate_and_build_mapping();
  Plan plan(int64_t ready, const DecodedAddress& d, uint32_t flat, bool is_write) const;
  // Places one burst's commands; returns the end of its data.
  int64_t burst(int64_t ready, const DecodedAddress& d, bool is_write, bool auto_precharge);
  void refresh_until(uint32_t rank_index, int64_t upto);
  void emit(CommandKind k, int64_t t, const DecodedAddress& d) const;
  uint32_t rank_index(const DecodedAddress& d) const { return d.channel * cfg_.org.ranks + d.rank; }

  DramConfig cfg_;
  uint64_t capacity_ = 0;
  uint32_t offset_bits_ = 0, bus_bytes_ = 0, bursts_per_row_ = 0;
  std::array<FieldBits, kNumFields> fields_{};
  int64_t tck_ps_ = 0;
  Ps ps_{};
  std::vector<Bank> banks_;
  std::vector<Rank> ranks_;
  std::vector<Channel> channels_;
  DramStats stats_;
  bool any_request_ = false;
  RowOutcome last_outcome_ = RowOutcome::Miss;
  CommandHook hook_;
};

}  // namespace savp::dram
