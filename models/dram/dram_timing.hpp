// JEDEC DRAM timing engine, free of SystemC (DRAMSys's split: the timing "checker" and the
// storage are separate from the TLM controller, STYLE.md). The SystemC DRAM model asks it,
// request by request, when the data of a request is done.
//
// What it models (every delay comes from DramConfig::timing, in tCK, converted to ps once):
//  - per bank: open row, earliest next ACT (tRP after PRE, tRC = tRAS + tRP after ACT, tRFC
//    after REF), earliest RD/WR (tRCD after ACT), earliest PRE (tRAS after ACT, tRTP after RD,
//    WL + BL/2 + tWR after WR);
//  - per rank: ACT-to-ACT tRRD_S / tRRD_L (same bank group), the four-activate window tFAW,
//    column-to-column tCCD_S / tCCD_L, write-to-read WL + BL/2 + tWTR_S / tWTR_L,
//    all-bank refresh every tREFI: one all-bank precharge (PREA) of the open banks, REF tRPab
//    after it, the rank blocked for tRFC;
//  - per channel: one command bus (a command holds it for its length, one tCK on DDR3/DDR4,
//    2 or 4 tCK on LPDDR4; DRAMSys's checkers: no command starts before the previous one ended),
//    one data bus (a burst holds it for burst_length / data_rate cycles, read data starts
//    RL (+ tDQSCK and the command's tail on LPDDR4) after RD, write data WL (+ tDQSS + tDQS2DQ +
//    tail) after WR), read-to-write turnaround tRTW.
// The spacings are those of the standard's command rules (dram_rules.hpp: DRAMSys's checker
// formulas). Each burst's commands go at the earliest time their constraints and a free
// command-bus slot allow, so requests to other banks overlap (bank parallelism) and queued
// requests pipeline; commands of earlier-decided bursts keep their slots (oldest first, as
// DRAMSys's CmdMuxOldest).
//
// Two ways in:
//  - access(): a request is decided when it arrives and its completion returned at once (what
//    a blocking TLM target needs: the platform's DRAM). Requests are served in call order, first
//    come first served; the controller holds at most scheduler_queue_depth bursts per channel
//    that have not issued their column command, which bounds how far ahead of the data an ACT or
//    PRE can run.
//  - submit() / drain(): requests in arrival order, completions reported through the completion
//    hook once decided (`savp replay`). With DramConfig::scheduler == FrFcfs this is DRAMSys's
//    default controller: a request enters the controller one tCK (ThinkDelayFw) after it arrives
//    and after the one before it was accepted (one per tCK), into its bank's request buffer of
//    request_buffer_size bursts (a full buffer holds back the request and all after it until a
//    burst of that bank issues its column command); each bank serves the buffered bursts that hit
//    its open row first (oldest first), and precharges for the oldest burst only when no hit is
//    buffered at the time the PRE would issue. Requests may complete out of order. With Fcfs,
//    submit() is access() and reports at once.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <vector>

#include "common/hw_config.hpp"
#include "models/dram/dram_rules.hpp"

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
  const CommandRules& rules() const { return rules_; }  // the standard's, in tCK
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
  // Streaming interface (see the top of the file). Arrivals must not decrease from one submit
  // to the next (throws SimulationError otherwise); `tag` comes back in the completion hook.
  // Throws SimulationError beyond capacity. A zero-byte request completes at its arrival.
  using CompletionHook = std::function<void(uint64_t tag, uint64_t arrival_ps, uint64_t done_ps)>;
  void set_completion_hook(CompletionHook hook) { completion_hook_ = std::move(hook); }
  void submit(uint64_t arrival_ps, uint64_t addr, uint32_t bytes, bool is_write, uint64_t tag);
  // Decides every submitted request (no more will arrive before them); stats() are complete after.
  void drain();
  size_t pending_bursts() const { return pending_.size(); }

  // Row-buffer outcome of the most recent burst (Miss before any).
  RowOutcome last_outcome() const { return last_outcome_; }

  // Accounts the refreshes due up to now_ps (call at the end of a run so that idle time at the
  // end counts). access() does this lazily by itself.
  void advance_to(uint64_t now_ps);

  const DramStats& stats() const { return stats_; }
  // A fresh run: clears the statistics, closes all rows and frees all resources at origin_ps;
  // the first refresh falls due at origin_ps + tREFI.
  void reset_stats(uint64_t origin_ps = 0);
  uint64_t origin_ps() const { return origin_ps_; }  // of the last reset_stats

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
    int64_t ref_ready;  // earliest all-bank REF as far as this bank is concerned
  };
  struct Rank {
    int64_t last_act, last_col, last_wr, next_ref;
    std::array<int64_t, 4> faw;  // the last four ACTs (ring; faw_pos is the oldest)
    uint32_t faw_pos = 0;
    std::vector<int64_t> bg_act, bg_col, bg_last_wr;  // per bank group
  };
  struct Channel {
    int64_t bus_free, last_col, last_rd;
    std::vector<int64_t> queue;  // column-command times of the last queue-depth bursts
    uint64_t issued = 0;
    // Command bus: [start, end) of the commands placed, by start (non-overlapping). Entries
    // ending more than two refresh intervals before the latest command are dropped.
    std::map<int64_t, int64_t> cmd_bus;
    int64_t latest_cmd = 0;
  };
  struct Plan {
    RowOutcome outcome = RowOutcome::Hit;
    int64_t pre = 0, act = 0, col = 0, first = 0;
  };
  // The command rules (dram_rules.hpp) in ps.
  struct Ps {
    int64_t rd_data, wr_data, rcd, act_pre, pre_act, rc, rd_pre, wr_pre, wr_rd_s, wr_rd_l, rtw,
        ccd_s, ccd_l, rrd_s, rrd_l, faw, prea_ref, pre_ref, act_ref, ref_act, refi, rfc, burst;
    int64_t act_len, pre_len, cas_len, ref_len;  // command-bus occupancy
  };

  // A burst waiting in its bank's request buffer (FR-FCFS).
  struct Pending {
    int64_t entry = 0;
    DecodedAddress d;
    uint32_t flat = 0, req = 0;
    bool is_write = false, ap = false;
  };
  // A submitted request whose bursts are not all decided.
  struct OpenRequest {
    uint64_t tag = 0, arrival = 0;
    int64_t done = 0;
    uint32_t left = 0, bytes = 0;
    bool is_write = false;
  };

  void validate_and_build_mapping();
  // Splits [addr, addr + bytes) into bursts; f(decoded, auto_precharge) for each in order.
  template <typename F>
  void for_each_burst(uint64_t addr, uint32_t bytes, F&& f) const;
  [[noreturn]] void range_error(uint64_t addr, uint32_t bytes) const;  // beyond capacity
  void finish_request(uint64_t arrival_ps, uint64_t done_ps, uint32_t bytes, bool is_write);
  // FR-FCFS: decides the next burst if what is known up to `horizon` allows; false if it must
  // wait for later arrivals (or nothing is pending).
  bool step(int64_t horizon);
  void commit(size_t pending_index);
  Plan plan(int64_t ready, const DecodedAddress& d, uint32_t flat, bool is_write) const;
  // Places one burst's commands; returns the end of its data.
  // use_queue: apply scheduler_queue_depth (access()); the column command time is left in
  // last_col_.
  int64_t burst(int64_t ready, const DecodedAddress& d, bool is_write, bool auto_precharge,
                bool use_queue = true);
  void refresh_until(uint32_t rank_index, int64_t upto);
  // Earliest t' >= t at which the channel's command bus is free for `len` ps.
  int64_t bus_slot(const Channel& c, int64_t t, int64_t len) const;
  // bus_slot, and takes the slot.
  int64_t take_bus(Channel& c, int64_t t, int64_t len);
  void emit(CommandKind k, int64_t t, const DecodedAddress& d) const;
  uint32_t rank_index(const DecodedAddress& d) const { return d.channel * cfg_.org.ranks + d.rank; }

  DramConfig cfg_;
  uint64_t capacity_ = 0;
  uint32_t offset_bits_ = 0, bus_bytes_ = 0, bursts_per_row_ = 0;
  std::array<FieldBits, kNumFields> fields_{};
  int64_t tck_ps_ = 0;
  CommandRules rules_;
  Ps ps_{};
  std::vector<Bank> banks_;
  std::vector<Rank> ranks_;
  std::vector<Channel> channels_;
  DramStats stats_;
  bool any_request_ = false;
  uint64_t origin_ps_ = 0;
  RowOutcome last_outcome_ = RowOutcome::Miss;
  CommandHook hook_;
  // FR-FCFS state.
  CompletionHook completion_hook_;
  int64_t last_col_ = 0, think_ps_ = 0, next_entry_ = 0;  // next_entry_: before ThinkDelayFw
  uint64_t last_submit_ps_ = 0;
  std::deque<Pending> pending_;                 // oldest first
  std::vector<uint32_t> bank_pending_;          // per flat bank: bursts in pending_
  std::vector<std::vector<int64_t>> bank_cols_;  // per flat bank: column times of decided bursts
  std::vector<OpenRequest> reqs_;
  std::vector<uint32_t> free_reqs_;
};

}  // namespace savp::dram
