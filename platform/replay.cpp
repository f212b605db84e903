#include "platform/replay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "models/dram/dram_timing.hpp"
#include "models/dram/stl_trace.hpp"

namespace savp {

namespace {

// Latency histogram in tCK cycles with bounded size (HDR-style): exact below 2 * kSub,
// then kSub buckets per power of two (relative width 1/kSub).
class LatencyHistogram {
 public:
  void add(uint64_t v) {
    ++counts_[index(v)];
    ++n_;
  }
  // Nearest rank: the smallest recorded value v with #(<= v) >= ceil(q * n).
  uint64_t quantile(double q) const {
    if (n_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(n_) + 0.999999999);
    rank = std::clamp<uint64_t>(rank, 1, n_);
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return value(i);
    }
    return value(counts_.size() - 1);
  }

 private:
  static constexpr uint64_t kSubBits = 11, kSub = uint64_t{1} << kSubBits;
  static size_t index(uint64_t v) {
    if (v < 2 * kSub) return static_cast<size_t>(v);
    uint32_t msb = 63 - static_cast<uint32_t>(__builtin_clzll(v));
    uint32_t shift = msb - static_cast<uint32_t>(kSubBits);
    return static_cast<size_t>(2 * kSub + (shift - 1) * kSub + ((v >> shift) - kSub));
  }
  static uint64_t value(size_t i) {  // the middle of bucket i
    if (i < 2 * kSub) return i;
    const uint64_t shift = (i - 2 * kSub) / kSub + 1, top = (i - 2 * kSub) % kSub + kSub;
    return (top << shift) + ((uint64_t{1} << shift) >> 1);
  }
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(2 * kSub + 53 * kSub, 0);
  uint64_t n_ = 0;
};

}  // namespace

ReplayResult replay_trace(const DramConfig& dram_cfg, const ReplayOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  DramConfig cfg = dram_cfg;
  cfg.channel_routing = opt.channel_routing.value_or(cfg.scheduler == DramScheduler::FrFcfs
                                                         ? DramChannelRouting::StartAddress
                                                         : DramChannelRouting::Split);
  dram::DramTimingModel model(cfg);
  model.reset_stats(0);
  const uint64_t tck = model.tck_ps();
  dram::StlReaderOptions ro;
  ro.timestamps = dram::stl_timestamps_for(opt.trace);
  ro.default_bytes = opt.default_bytes ? opt.default_bytes : cfg.burst_bytes();
  ro.capacity_bytes = model.capacity();
  dram::StlReader reader(opt.trace, ro);

  ReplayResult r;
  r.trace = opt.trace;
  r.preset = cfg.preset;
  r.page_policy = to_string(cfg.page_policy);
  r.channel_routing =
      cfg.channel_routing == DramChannelRouting::StartAddress ? "start_address" : "split";
  r.tck_ns = static_cast<double>(tck) / 1e3;
  LatencyHistogram hist;
  dram::StlRequest q;
  uint64_t last_done = 0;
  // Requests complete when the scheduler decides them, possibly out of order (FR-FCFS).
  model.set_completion_hook([&](uint64_t, uint64_t arrival, uint64_t done) {
    hist.add((done - arrival) / tck);
    last_done = std::max(last_done, done);
  });
  const uint32_t burst = cfg.burst_bytes();
  while (reader.next(q)) {
    if (q.cycle > UINT64_MAX / 4 / tck)
      throw dram::TraceError({opt.trace, static_cast<int>(q.line), 1}, "timestamp",
                             "cycle " + std::to_string(q.cycle) + " is too large",
                             "cycles below " + std::to_string(UINT64_MAX / 4 / tck));
    const uint64_t arrival = q.cycle * tck;
    // Under frfcfs (DRAMSys's controller) a one-burst request is the burst that holds its
    // address, as DRAMSys decodes it, even when the address is not burst-aligned; fcfs plays
    // the bytes as the platform's DRAM did (an unaligned burst touches two).
    const uint64_t addr = q.bytes == burst && cfg.scheduler == DramScheduler::FrFcfs
                              ? q.address / burst * burst
                              : q.address;
    model.submit(arrival, addr, q.bytes, q.is_write, q.line);
    ++(q.is_write ? r.write_requests : r.read_requests);
    r.last_arrival_cycle = q.cycle;
  }
  r.requests = reader.requests();
  if (r.requests == 0) throw Error("DRAM trace '" + opt.trace + "' holds no request");
  model.drain();
  // Refreshes due in the idle tail of a recorded run count as they did in the run.
  r.end_cycle = reader.end_cycle().value_or((last_done + tck - 1) / tck);
  model.advance_to(std::max(r.end_cycle * tck, last_done));

  const dram::DramStats& s = model.stats();
  r.reads = s.reads;
  r.writes = s.writes;
  r.read_bytes = s.read_bytes;
  r.write_bytes = s.write_bytes;
  r.activates = s.activates;
  r.precharges = s.precharges;
  r.refreshes = s.refreshes;
  r.row_hits = s.row_hits;
  r.row_misses = s.row_misses;
  r.row_conflicts = s.row_conflicts;
  r.total_time_ns = static_cast<double>(last_done) / 1e3;
  r.peak_bandwidth_gbps = cfg.peak_bandwidth_gbps();
  r.bandwidth_gbps = last_done ? static_cast<double>(s.read_bytes + s.write_bytes) /
                                     (static_cast<double>(last_done) / 1e3)
                               : 0.0;
  r.latency_mean_ns = static_cast<double>(s.total_latency_ps) / 1e3 / static_cast<double>(s.requests);
  r.latency_max_ns = static_cast<double>(s.max_latency_ps) / 1e3;
  r.latency_p50_ns = static_cast<double>(hist.quantile(0.50) * tck) / 1e3;
  r.latency_p99_ns = static_cast<double>(hist.quantile(0.99) * tck) / 1e3;
  const DramOrganization& o = cfg.org;
  for (uint32_t i = 0; i < s.banks.size(); ++i) {
    ReplayBank b;
    b.bank = i % o.banks_per_group;
    b.bank_group = i / o.banks_per_group % o.bank_groups;
    b.rank = i / (o.banks_per_group * o.bank_groups) % o.ranks;
    b.channel = i / (o.banks_per_group * o.bank_groups * o.ranks);
    b.hits = s.banks[i].hits;
    b.misses = s.banks[i].misses;
    b.conflicts = s.banks[i].conflicts;
    r.banks.push_back(b);
  }
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

nlohmann::json replay_json(const ReplayResult& r) {
  nlohmann::json banks = nlohmann::json::array();
  for (const ReplayBank& b : r.banks)
    banks.push_back({{"channel", b.channel},
                     {"rank", b.rank},
                     {"bank_group", b.bank_group},
                     {"bank", b.bank},
                     {"row_hits", b.hits},
                     {"row_misses", b.misses},
                     {"row_conflicts", b.conflicts}});
  return {{"trace", r.trace},
          {"dram",
           {{"preset", r.preset},
            {"page_policy", r.page_policy},
            {"channel_routing", r.channel_routing},
            {"tck_ns", r.tck_ns}}},
          {"requests", {{"total", r.requests}, {"reads", r.read_requests},
                        {"writes", r.write_requests}}},
          {"bursts", {{"reads", r.reads}, {"writes", r.writes}}},
          {"bytes", {{"read", r.read_bytes}, {"write", r.write_bytes}}},
          {"last_arrival_cycle", r.last_arrival_cycle},
          {"end_cycle", r.end_cycle},
          {"total_time_ns", r.total_time_ns},
          {"bandwidth_gbps", r.bandwidth_gbps},
          {"peak_bandwidth_gbps", r.peak_bandwidth_gbps},
          {"latency_ns",
           {{"mean", r.latency_mean_ns},
            {"p50", r.latency_p50_ns},
            {"p99", r.latency_p99_ns},
            {"max", r.latency_max_ns}}},
          {"commands",
           {{"activates", r.activates}, {"precharges", r.precharges},
            {"refreshes", r.refreshes}}},
          {"row_hits", r.row_hits},
          {"row_misses", r.row_misses},
          {"row_conflicts", r.row_conflicts},
          {"banks", banks},
          {"simulator", {{"wall_seconds", r.wall_seconds}}}};
}

std::string replay_text(const ReplayResult& r) {
  std::string s = fmt::format("replay {} on {} ({} page, tCK {:.3f} ns, channel routing {})\n",
                              r.trace, r.preset.empty() ? "custom DRAM" : r.preset, r.page_policy,
                              r.tck_ns, r.channel_routing);
  s += fmt::format("  requests {} ({} reads, {} writes), {} read + {} write bytes\n", r.requests,
                   r.read_requests, r.write_requests, r.read_bytes, r.write_bytes);
  s += fmt::format("  total time {:.1f} ns, bandwidth {:.2f} GB/s of {:.1f} peak\n", r.total_time_ns,
                   r.bandwidth_gbps, r.peak_bandwidth_gbps);
  s += fmt::format("  latency mean {:.1f} ns, p50 {:.1f} ns, p99 {:.1f} ns, max {:.1f} ns\n",
                   r.latency_mean_ns, r.latency_p50_ns, r.latency_p99_ns, r.latency_max_ns);
  s += fmt::format("  row hits {}, misses {}, conflicts {}; activates {}, precharges {}, "
                   "refreshes {}\n",
                   r.row_hits, r.row_misses, r.row_conflicts, r.activates, r.precharges,
                   r.refreshes);
  s += fmt::format("  {:>4} {:>4} {:>3} {:>4} {:>10} {:>10} {:>10}\n", "ch", "rank", "bg", "bank",
                   "hits", "misses", "conflicts");
  for (const ReplayBank& b : r.banks)
    if (b.hits + b.misses + b.conflicts > 0)
      s += fmt::format("  {:>4} {:>4} {:>3} {:>4} {:>10} {:>10} {:>10}\n", b.channel, b.rank,
                       b.bank_group, b.bank, b.hits, b.misses, b.conflicts);
  return s;
}

void write_replay_report(const ReplayResult& r, const std::string& path) {
  write_file_atomic(path, replay_json(r).dump(2) + "\n", "replay report");
}

}  // namespace savp
