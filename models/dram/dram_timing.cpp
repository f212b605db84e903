#include "models/dram/dram_timing.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <sstream>
#include <string>

#include "common/errors.hpp"

namespace savp::dram {

namespace {

// "Never happened": far in the past, yet adding any timing parameter cannot overflow.
constexpr int64_t kNever = INT64_MIN / 4;

const char* const kFieldNames[] = {"ro", "ra", "bg", "ba", "co", "ch"};

bool is_pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
uint32_t log2u(uint64_t v) {
  uint32_t b = 0;
  while ((uint64_t{1} << b) < v) ++b;
  return b;
}

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

}  // namespace

const char* to_string(RowOutcome o) {
  switch (o) {
    case RowOutcome::Hit:
      return "hit";
    case RowOutcome::Miss:
      return "miss";
    case RowOutcome::Conflict:
      return "conflict";
  }
  return "?";
}

const char* to_string(CommandKind k) {
  switch (k) {
    case CommandKind::Act:
      return "ACT";
    case CommandKind::Pre:
      return "PRE";
    case CommandKind::Rd:
      return "RD";
    case CommandKind::Wr:
      return "WR";
    case CommandKind::Ref:
      return "REF";
  }
  return "?";
}

DramTimingModel::DramTimingModel(const DramConfig& cfg) : cfg_(cfg) {
  validate_and_build_mapping();
  const DramTiming& t = cfg_.timing;
  tck_ps_ = std::llround(t.tck_ns * 1000.0);
  auto c = [this](uint64_t cycles) { return static_cast<int64_t>(cycles) * tck_ps_; };
  rules_ = command_rules(cfg_);
  const CommandRules& r = rules_;
  ps_ = Ps{c(r.rd_data),    c(r.wr_data),     c(r.act_to_col),
           c(r.act_to_pre), c(r.pre_to_act),  c(r.act_to_act_bank),
           c(r.rd_to_pre),  c(r.wr_to_pre),   c(r.wr_to_rd_s),
           c(r.wr_to_rd_l), c(r.rd_to_wr),    c(r.ccd_s),
           c(r.ccd_l),      c(r.rrd_s),       c(r.rrd_l),
           c(r.faw),        c(r.prea_to_ref), c(r.pre_to_ref),
           c(r.act_to_ref), c(r.ref_to_act),  c(r.refi),
           c(t.trfc),       c(r.burst),       c(r.act_len),
           c(r.pre_len),    c(r.cas_len),     c(r.ref_len)};
  const DramOrganization& o = cfg_.org;
  banks_.resize(static_cast<size_t>(o.channels) * o.ranks * o.bank_groups * o.banks_per_group);
  ranks_.resize(static_cast<size_t>(o.channels) * o.ranks);
  channels_.resize(o.channels);
  think_ps_ = tck_ps_;  // DRAMSys ThinkDelayFw: 1 tCK from arrival to the request buffer
  reset_stats(0);
}

void DramTimingModel::validate_and_build_mapping() {
  SourceLocation loc{
      cfg_.preset.empty() ? std::string("dram config") : "dram preset '" + cfg_.preset + "'", 0, 0};
  const DramOrganization& o = cfg_.org;
  const DramTiming& t = cfg_.timing;
  auto pow2 = [&](const char* field, uint64_t v) {
    if (!is_pow2(v))
      throw ConfigError(loc, field, "is " + std::to_string(v) + ", must be a power of two",
                        "1, 2, 4, 8, ...");
  };
  pow2("organization.channels", o.channels);
  pow2("organization.ranks", o.ranks);
  pow2("organization.bank_groups", o.bank_groups);
  pow2("organization.banks_per_group", o.banks_per_group);
  pow2("organization.rows", o.rows);
  pow2("organization.columns", o.columns);
  pow2("organization.data_rate", o.data_rate);
  pow2("timing.burst_length", t.burst_length);
  if (o.bus_width_bits % 8 != 0 || !is_pow2(o.bus_width_bits / 8))
    throw ConfigError(loc, "organization.bus_width_bits",
                      "is " + std::to_string(o.bus_width_bits) + ", must be 8 times a power of two",
                      "8, 16, 32, 64, 128, ...");
  if (t.burst_length < o.data_rate)
    throw ConfigError(loc, "timing.burst_length",
                      "is smaller than organization.data_rate (a burst must fill whole cycles)",
                      ">= data_rate");
  if (o.columns < t.burst_length)
    throw ConfigError(loc, "organization.columns", "is smaller than timing.burst_length",
                      ">= burst_length");
  if (!(t.tck_ns > 0.0) || !std::isfinite(t.tck_ns))
    throw ConfigError(loc, "timing.tck_ns", "must be a positive number of ns", "> 0");
  if (t.trefi != 0 && t.trfc >= t.trefi)
    throw ConfigError(loc, "timing.trfc", "must be shorter than timing.trefi",
                      "< trefi (trefi 0 disables refresh)");

  // Mapping: every field exactly once, most significant first.
  const std::string allowed = "each of ro, ra, bg, ba, co, ch exactly once";
  std::array<int, kNumFields> pos;
  pos.fill(-1);
  const auto& m = cfg_.address_mapping;
  for (size_t i = 0; i < m.size(); ++i) {
    int f = -1;
    for (int k = 0; k < kNumFields; ++k)
      if (m[i] == kFieldNames[k]) f = k;
    if (f < 0) throw ConfigError(loc, "address_mapping", "unknown field '" + m[i] + "'", allowed);
    if (pos[f] >= 0)
      throw ConfigError(loc, "address_mapping", "field '" + m[i] + "' appears twice", allowed);
    pos[f] = static_cast<int>(i);
  }
  for (int k = 0; k < kNumFields; ++k)
    if (pos[k] < 0)
      throw ConfigError(loc, "address_mapping",
                        std::string("field '") + kFieldNames[k] + "' is missing", allowed);

  bus_bytes_ = o.bus_width_bits / 8;
  bursts_per_row_ = o.columns / t.burst_length;
  offset_bits_ = log2u(static_cast<uint64_t>(bus_bytes_) * t.burst_length);
  const uint64_t counts[kNumFields] = {o.rows,          o.ranks,   o.bank_groups, o.banks_per_group,
                                       bursts_per_row_, o.channels};
  uint32_t shift = 0;
  for (size_t i = m.size(); i-- > 0;) {
    int f = 0;
    while (m[i] != kFieldNames[f]) ++f;
    fields_[f].shift = shift;
    fields_[f].bits = log2u(counts[f]);
    shift += fields_[f].bits;
  }
  if (offset_bits_ + shift > 63)
    throw ConfigError(loc, "organization", "capacity exceeds 2^63 bytes", "smaller counts");
  capacity_ = uint64_t{1} << (offset_bits_ + shift);
}

DecodedAddress DramTimingModel::decode(uint64_t addr) const {
  if (addr >= capacity_)
    throw SimulationError("DRAM address " + hex(addr) + " is beyond the capacity " +
                          hex(capacity_) + " (" + std::to_string(capacity_) + " bytes)");
  const uint64_t a = addr >> offset_bits_;
  auto get = [&](Field f) {
    return static_cast<uint32_t>((a >> fields_[f].shift) & ((uint64_t{1} << fields_[f].bits) - 1));
  };
  DecodedAddress d;
  d.channel = get(kCh);
  d.rank = get(kRa);
  d.bank_group = get(kBg);
  d.bank = get(kBa);
  d.row = get(kRo);
  d.column = get(kCo) * cfg_.timing.burst_length +
             static_cast<uint32_t>((addr & ((uint64_t{1} << offset_bits_) - 1)) / bus_bytes_);
  return d;
}

uint64_t DramTimingModel::encode(const DecodedAddress& d) const {
  const DramOrganization& o = cfg_.org;
  if (d.channel >= o.channels || d.rank >= o.ranks || d.bank_group >= o.bank_groups ||
      d.bank >= o.banks_per_group || d.row >= o.rows || d.column >= o.columns)
    throw SimulationError("DRAM address field out of range (channel " + std::to_string(d.channel) +
                          ", rank " + std::to_string(d.rank) + ", bank group " +
                          std::to_string(d.bank_group) + ", bank " + std::to_string(d.bank) +
                          ", row " + std::to_string(d.row) + ", column " +
                          std::to_string(d.column) + ")");
  const uint32_t bl = cfg_.timing.burst_length;
  const uint64_t vals[kNumFields] = {d.row, d.rank, d.bank_group, d.bank, d.column / bl, d.channel};
  uint64_t a = 0;
  for (int f = 0; f < kNumFields; ++f) a |= vals[f] << fields_[f].shift;
  return (a << offset_bits_) | static_cast<uint64_t>(d.column % bl) * bus_bytes_;
}

uint32_t DramTimingModel::flat_bank(const DecodedAddress& d) const {
  const DramOrganization& o = cfg_.org;
  return ((d.channel * o.ranks + d.rank) * o.bank_groups + d.bank_group) * o.banks_per_group +
         d.bank;
}

double DramTimingModel::peak_bandwidth_bytes_per_ps() const {
  const DramOrganization& o = cfg_.org;
  return static_cast<double>(o.channels) * bus_bytes_ * o.data_rate / static_cast<double>(tck_ps_);
}

void DramTimingModel::reset_stats(uint64_t origin_ps) {
  const int64_t origin = static_cast<int64_t>(origin_ps);
  origin_ps_ = origin_ps;
  for (Bank& b : banks_) {
    b.open = false;
    b.row = 0;
    b.act_ready = b.col_ready = b.pre_ready = b.ref_ready = origin;
  }
  const uint32_t bgs = cfg_.org.bank_groups;
  for (Rank& r : ranks_) {
    r.last_act = r.last_col = r.last_wr = kNever;
    r.faw.fill(kNever);
    r.faw_pos = 0;
    r.bg_act.assign(bgs, kNever);
    r.bg_col.assign(bgs, kNever);
    r.bg_last_wr.assign(bgs, kNever);
    r.next_ref = origin + ps_.refi;
  }
  for (Channel& c : channels_) {
    c.bus_free = origin;
    c.last_col = c.last_rd = kNever;
    c.queue.assign(cfg_.scheduler_queue_depth, origin);
    c.issued = 0;
    c.cmd_bus.clear();
    c.latest_cmd = origin;
  }
  pending_.clear();
  bank_pending_.assign(banks_.size(), 0);
  bank_cols_.assign(banks_.size(), {});
  reqs_.clear();
  free_reqs_.clear();
  next_entry_ = origin;
  last_submit_ps_ = origin_ps;
  stats_ = DramStats{};
  stats_.banks.assign(banks_.size(), BankStats{});
  any_request_ = false;
  last_outcome_ = RowOutcome::Miss;
}

void DramTimingModel::emit(CommandKind k, int64_t t, const DecodedAddress& d) const {
  if (hook_) hook_(Command{k, static_cast<uint64_t>(t), d});
}

DramTimingModel::Plan DramTimingModel::plan(int64_t ready, const DecodedAddress& d, uint32_t flat,
                                            bool is_write) const {
  const Bank& b = banks_[flat];
  const Rank& r = ranks_[rank_index(d)];
  const Channel& c = channels_[d.channel];
  const uint32_t g = d.bank_group;
  Plan p;
  p.outcome =
      !b.open ? RowOutcome::Miss : (b.row == d.row ? RowOutcome::Hit : RowOutcome::Conflict);
  int64_t col_min;
  if (p.outcome == RowOutcome::Hit) {
    col_min = std::max(ready, b.col_ready);
  } else {
    int64_t act_min = ready;
    if (p.outcome == RowOutcome::Conflict) {
      p.pre = bus_slot(c, std::max(ready, b.pre_ready), ps_.pre_len);
      act_min = p.pre + std::max(ps_.pre_act, ps_.pre_len);
    }
    p.act = std::max({act_min, b.act_ready, r.last_act + ps_.rrd_s, r.bg_act[g] + ps_.rrd_l,
                      r.faw[r.faw_pos] + ps_.faw});
    p.act = bus_slot(c, p.act, ps_.act_len);
    col_min = p.act + std::max(ps_.rcd, ps_.act_len);
  }
  int64_t col = std::max({col_min, r.last_col + ps_.ccd_s, r.bg_col[g] + ps_.ccd_l, c.last_col});
  if (is_write)
    col = std::max({col, c.last_rd + ps_.rtw, c.bus_free - ps_.wr_data});
  else
    col = std::max(
        {col, r.last_wr + ps_.wr_rd_s, r.bg_last_wr[g] + ps_.wr_rd_l, c.bus_free - ps_.rd_data});
  p.col = bus_slot(c, col, ps_.cas_len);
  p.first = p.outcome == RowOutcome::Conflict ? p.pre
            : p.outcome == RowOutcome::Miss   ? p.act
                                              : p.col;
  return p;
}

int64_t DramTimingModel::bus_slot(const Channel& c, int64_t t, int64_t len) const {
  const std::map<int64_t, int64_t>& bus = c.cmd_bus;
  auto it = bus.upper_bound(t);
  if (it != bus.begin()) {
    auto prev = std::prev(it);
    if (prev->second > t) t = prev->second;
  }
  for (; it != bus.end() && it->first < t + len; ++it) t = std::max(t, it->second);
  return t;
}

int64_t DramTimingModel::take_bus(Channel& c, int64_t t, int64_t len) {
  t = bus_slot(c, t, len);
  c.cmd_bus.emplace(t, t + len);
  c.latest_cmd = std::max(c.latest_cmd, t);
  // No command is placed this far before the latest one (requests arrive in order, or at most
  // a temporal-decoupling quantum late), so the oldest entries can go.
  const int64_t horizon = 2 * std::max(ps_.refi, ps_.rfc);
  while (!c.cmd_bus.empty() && c.cmd_bus.begin()->second < c.latest_cmd - horizon)
    c.cmd_bus.erase(c.cmd_bus.begin());
  return t;
}

void DramTimingModel::refresh_until(uint32_t ri, int64_t upto) {
  Rank& r = ranks_[ri];
  if (ps_.refi == 0) return;
  const uint32_t per_rank = cfg_.org.bank_groups * cfg_.org.banks_per_group;
  Bank* const first = &banks_[static_cast<size_t>(ri) * per_rank];
  DecodedAddress where;
  where.channel = ri / cfg_.org.ranks;
  where.rank = ri % cfg_.org.ranks;
  Channel& ch = channels_[where.channel];
  while (r.next_ref <= upto) {
    const int64_t due = r.next_ref;
    // DRAMSys RefreshManagerAllBank: when due, one all-bank precharge (PREA) once every open
    // bank may precharge, then REF tRPab after it (and tRP after a bank's own PRE, tRC after
    // its ACT).
    bool any_open = false;
    int64_t prea = due, start = due;
    for (uint32_t i = 0; i < per_rank; ++i) {
      if (first[i].open) {
        any_open = true;
        prea = std::max(prea, first[i].pre_ready);
      }
      start = std::max(start, first[i].ref_ready);
    }
    if (any_open) {
      prea = take_bus(ch, prea, ps_.pre_len);
      for (uint32_t i = 0; i < per_rank; ++i) {
        Bank& b = first[i];
        if (!b.open) continue;
        DecodedAddress bw = where;
        bw.bank_group = i / cfg_.org.banks_per_group;
        bw.bank = i % cfg_.org.banks_per_group;
        bw.row = b.row;
        emit(CommandKind::Pre, prea, bw);
        ++stats_.precharges;
        b.open = false;
      }
      start = std::max(start, prea + std::max(ps_.prea_ref, ps_.pre_len));
    }
    start = take_bus(ch, start, ps_.ref_len);
    emit(CommandKind::Ref, start, where);
    ++stats_.refreshes;
    int64_t last = start;
    r.next_ref = due + ps_.refi;
    // Idle stretch: the refreshes still due each start exactly on time (banks closed and idle),
    // so account them without walking the interval one by one unless a hook wants each. (Their
    // REF commands are not entered on the command bus: nothing else is placed there.)
    if (r.next_ref <= upto && start + ps_.rfc <= r.next_ref) {
      const int64_t n = (upto - r.next_ref) / ps_.refi + 1;
      last = r.next_ref + (n - 1) * ps_.refi;
      if (hook_)
        for (int64_t k = 0; k < n; ++k) emit(CommandKind::Ref, r.next_ref + k * ps_.refi, where);
      stats_.refreshes += static_cast<uint64_t>(n);
      r.next_ref = last + ps_.refi;
    }
    for (uint32_t i = 0; i < per_rank; ++i) {
      first[i].act_ready = std::max(first[i].act_ready, last + ps_.ref_act);
      first[i].ref_ready = std::max(first[i].ref_ready, last + ps_.rfc);
    }
  }
}

int64_t DramTimingModel::burst(int64_t ready, const DecodedAddress& d, bool is_write,
                               bool auto_precharge, bool use_queue) {
  const uint32_t flat = flat_bank(d);
  const uint32_t ri = rank_index(d);
  Bank& b = banks_[flat];
  Rank& r = ranks_[ri];
  Channel& c = channels_[d.channel];
  const uint32_t g = d.bank_group;
  const uint32_t depth = use_queue ? cfg_.scheduler_queue_depth : 0;
  // The burst enters the controller once the one `depth` places ahead issued its column command.
  if (depth != 0) ready = std::max(ready, c.queue[c.issued % depth]);

  Plan p = plan(ready, d, flat, is_write);
  // A refresh that falls due before this burst's first command goes first (it may close the
  // row this burst wanted). Each round moves next_ref on, so this ends.
  while (ps_.refi != 0 && p.first >= r.next_ref) {
    refresh_until(ri, p.first);
    p = plan(ready, d, flat, is_write);
  }

  BankStats& bs = stats_.banks[flat];
  switch (p.outcome) {
    case RowOutcome::Hit:
      ++stats_.row_hits;
      ++bs.hits;
      break;
    case RowOutcome::Miss:
      ++stats_.row_misses;
      ++bs.misses;
      break;
    case RowOutcome::Conflict:
      ++stats_.row_conflicts;
      ++bs.conflicts;
      break;
  }
  last_outcome_ = p.outcome;

  if (p.outcome == RowOutcome::Conflict) {
    DecodedAddress old = d;
    old.row = b.row;
    old.column = 0;
    take_bus(c, p.pre, ps_.pre_len);
    emit(CommandKind::Pre, p.pre, old);
    ++stats_.precharges;
    b.open = false;
    b.act_ready = std::max(b.act_ready, p.pre + ps_.pre_act);
    b.ref_ready = std::max(b.ref_ready, p.pre + ps_.pre_ref);
  }
  if (p.outcome != RowOutcome::Hit) {
    take_bus(c, p.act, ps_.act_len);
    emit(CommandKind::Act, p.act, d);
    ++stats_.activates;
    b.open = true;
    b.row = d.row;
    b.col_ready = p.act + ps_.rcd;
    b.pre_ready = std::max(b.pre_ready, p.act + ps_.act_pre);
    b.act_ready = std::max(b.act_ready, p.act + ps_.rc);
    b.ref_ready = std::max(b.ref_ready, p.act + ps_.act_ref);
    r.last_act = p.act;
    r.bg_act[g] = p.act;
    r.faw[r.faw_pos] = p.act;
    r.faw_pos = (r.faw_pos + 1) % static_cast<uint32_t>(r.faw.size());
  }

  take_bus(c, p.col, ps_.cas_len);
  emit(is_write ? CommandKind::Wr : CommandKind::Rd, p.col, d);
  last_col_ = p.col;
  r.last_col = p.col;
  r.bg_col[g] = p.col;
  c.last_col = p.col;
  const int64_t data_start = p.col + (is_write ? ps_.wr_data : ps_.rd_data);
  const int64_t data_end = data_start + ps_.burst;
  c.bus_free = data_end;
  stats_.data_bus_busy_ps += static_cast<uint64_t>(ps_.burst);
  if (is_write) {
    ++stats_.writes;
    b.pre_ready = std::max(b.pre_ready, p.col + ps_.wr_pre);
    r.last_wr = std::max(r.last_wr, p.col);
    r.bg_last_wr[g] = std::max(r.bg_last_wr[g], p.col);
  } else {
    ++stats_.reads;
    b.pre_ready = std::max(b.pre_ready, p.col + ps_.rd_pre);
    c.last_rd = p.col;
  }
  if (depth != 0) c.queue[c.issued % depth] = p.col;
  ++c.issued;

  if (auto_precharge) {  // RDA / WRA: precharge as soon as tRAS, tRTP / tWR allow
    emit(CommandKind::Pre, b.pre_ready, d);
    ++stats_.precharges;
    b.open = false;
    b.act_ready = std::max(b.act_ready, b.pre_ready + ps_.pre_act);
    b.ref_ready = std::max(b.ref_ready, b.pre_ready + ps_.pre_ref);
  }
  return data_end;
}

void DramTimingModel::range_error(uint64_t addr, uint32_t bytes) const {
  throw SimulationError("DRAM access [" + hex(addr) + ", " + hex(addr + bytes) +
                        ") is beyond the capacity " + hex(capacity_) + " (" +
                        std::to_string(capacity_) + " bytes)");
}

template <typename F>
void DramTimingModel::for_each_burst(uint64_t addr, uint32_t bytes, F&& f) const {
  const uint64_t bb = uint64_t{1} << offset_bits_;
  const uint64_t first = addr & ~(bb - 1);
  const uint64_t last = (addr + bytes - 1) & ~(bb - 1);
  const bool closed = cfg_.page_policy == PagePolicy::Closed;
  DecodedAddress cur = decode(first);
  for (uint64_t a = first;; a += bb) {
    const bool is_last = a == last;
    DecodedAddress next;
    if (!is_last) next = decode(a + bb);
    // Closed page: precharge after the request's last burst to this row (RDA / WRA).
    const bool ap = closed && (is_last || flat_bank(next) != flat_bank(cur) || next.row != cur.row);
    f(cur, ap);
    if (is_last) break;
    cur = next;
  }
}

void DramTimingModel::finish_request(uint64_t arrival_ps, uint64_t done_ps, uint32_t bytes,
                                     bool is_write) {
  ++stats_.requests;
  (is_write ? stats_.write_bytes : stats_.read_bytes) += bytes;
  if (!any_request_ || arrival_ps < stats_.first_arrival_ps) stats_.first_arrival_ps = arrival_ps;
  stats_.last_done_ps = std::max(any_request_ ? stats_.last_done_ps : 0, done_ps);
  any_request_ = true;
  const uint64_t lat = done_ps - arrival_ps;
  stats_.total_latency_ps += lat;
  stats_.max_latency_ps = std::max(stats_.max_latency_ps, lat);
}

uint64_t DramTimingModel::access(uint64_t arrival_ps, uint64_t addr, uint32_t bytes,
                                 bool is_write) {
  if (bytes == 0) return arrival_ps;
  if (addr >= capacity_ || bytes > capacity_ - addr) range_error(addr, bytes);
  if (!pending_.empty()) drain();  // requests submitted before go first
  const int64_t arrival = static_cast<int64_t>(arrival_ps);
  int64_t done = arrival;
  for_each_burst(addr, bytes, [&](const DecodedAddress& d, bool ap) {
    done = std::max(done, burst(arrival, d, is_write, ap));
  });
  const uint64_t done_ps = static_cast<uint64_t>(done);
  finish_request(arrival_ps, done_ps, bytes, is_write);
  return done_ps;
}

void DramTimingModel::submit(uint64_t arrival_ps, uint64_t addr, uint32_t bytes, bool is_write,
                             uint64_t tag) {
  if (arrival_ps < last_submit_ps_)
    throw SimulationError("DRAM request at " + std::to_string(arrival_ps) +
                          " ps submitted after one at " + std::to_string(last_submit_ps_) +
                          " ps (arrivals must not decrease)");
  last_submit_ps_ = arrival_ps;
  if (cfg_.scheduler == DramScheduler::Fcfs || bytes == 0) {
    const uint64_t done = access(arrival_ps, addr, bytes, is_write);
    if (completion_hook_) completion_hook_(tag, arrival_ps, done);
    return;
  }
  if (addr >= capacity_ || bytes > capacity_ - addr) range_error(addr, bytes);
  const uint64_t bb = uint64_t{1} << offset_bits_;
  uint32_t slot;
  if (free_reqs_.empty()) {
    slot = static_cast<uint32_t>(reqs_.size());
    reqs_.emplace_back();
  } else {
    slot = free_reqs_.back();
    free_reqs_.pop_back();
  }
  OpenRequest& q = reqs_[slot];
  q.tag = tag;
  q.arrival = arrival_ps;
  q.done = static_cast<int64_t>(arrival_ps);
  q.left = static_cast<uint32_t>(((addr + bytes - 1) / bb) - addr / bb + 1);
  q.bytes = bytes;
  q.is_write = is_write;

  // DRAMSys: the player sends a request once the one before it was accepted (END_REQ) and the
  // controller takes it ThinkDelayFw later, so one request per tCK at most.
  int64_t entry = std::max(static_cast<int64_t>(arrival_ps), next_entry_) + think_ps_;
  bool blocked = false;
  const uint32_t cap = cfg_.request_buffer_size;
  // DRAMSys's arbiter sends the whole request to the channel of its start address, whose
  // controller splits it into bursts decoded without the channel bits.
  const bool by_start = cfg_.channel_routing == DramChannelRouting::StartAddress;
  const uint32_t start_channel = by_start ? decode(addr).channel : 0;
  for_each_burst(addr, bytes, [&](const DecodedAddress& burst_at, bool ap) {
    DecodedAddress d = burst_at;
    if (by_start) d.channel = start_channel;
    const uint32_t flat = flat_bank(d);
    for (;;) {  // wait for room in the bank's buffer; everything after waits too
      std::vector<int64_t>& cols = bank_cols_[flat];
      cols.erase(std::remove_if(cols.begin(), cols.end(), [&](int64_t c) { return c <= entry; }),
                 cols.end());
      if (bank_pending_[flat] + cols.size() < cap) break;
      if (!cols.empty()) {  // room once the first decided burst issues its column command
        entry = *std::min_element(cols.begin(), cols.end());
        blocked = true;
        continue;
      }
      // Only undecided bursts fill the buffer: decide the oldest with what is known (nothing
      // else arrives while the front end is blocked).
      step(INT64_MAX);
    }
    Pending x;
    x.entry = entry;
    x.d = d;
    x.flat = flat;
    x.req = slot;
    x.is_write = is_write;
    x.ap = ap;
    pending_.push_back(x);
    ++bank_pending_[flat];
    while (step(entry)) {
    }
  });
  // Accepted at a column command, the END_REQ goes out ThinkDelayFw later.
  next_entry_ = blocked ? entry + think_ps_ : entry;
}

void DramTimingModel::drain() {
  while (step(INT64_MAX)) {
  }
}

bool DramTimingModel::step(int64_t horizon) {
  if (pending_.empty()) return false;
  const Pending& b = pending_.front();
  const Bank& bk = banks_[b.flat];
  if (bk.open && bk.row != b.d.row) {
    // The oldest burst needs another row: the bank first serves the buffered hits to its open
    // row that are in the buffer when the PRE would issue.
    const int64_t pre = plan(b.entry, b.d, b.flat, b.is_write).pre;
    const Rank& r = ranks_[rank_index(b.d)];
    if (ps_.refi == 0 || pre < r.next_ref) {  // (a refresh due first closes the row anyway)
      for (size_t i = 1; i < pending_.size(); ++i) {
        const Pending& h = pending_[i];
        if (h.flat != b.flat || h.d.row != bk.row) continue;
        if (h.entry <= pre) {
          commit(i);
          return true;
        }
        break;  // entries do not decrease: later hits enter later still
      }
      if (pre >= horizon) return false;  // a hit may still enter before the PRE
    }
  }
  commit(0);
  return true;
}

void DramTimingModel::commit(size_t i) {
  const Pending x = pending_[i];
  pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
  --bank_pending_[x.flat];
  const int64_t end = burst(x.entry, x.d, x.is_write, x.ap, false);
  bank_cols_[x.flat].push_back(last_col_);
  OpenRequest& q = reqs_[x.req];
  q.done = std::max(q.done, end);
  if (--q.left != 0) return;
  const OpenRequest done = q;
  free_reqs_.push_back(x.req);
  finish_request(done.arrival, static_cast<uint64_t>(done.done), done.bytes, done.is_write);
  if (completion_hook_) completion_hook_(done.tag, done.arrival, static_cast<uint64_t>(done.done));
}

void DramTimingModel::advance_to(uint64_t now_ps) {
  drain();
  for (uint32_t i = 0; i < ranks_.size(); ++i) refresh_until(i, static_cast<int64_t>(now_ps));
}

}  // namespace savp::dram
