// A resource that serves one thing at a time (a port, a bus, a link): reserving it at an
// arrival time returns when service starts, the earliest time from the arrival on where the
// resource is free for the whole duration.
//
// With temporally decoupled initiators (tlm_quantumkeeper), requests reach the resource out
// of time order: an engine running ahead in its quantum may reserve a slot in the future
// before another engine, behind in its quantum, asks for an earlier one. Queueing every
// request behind the latest reservation would make the earlier one wait for a transfer that
// happens after it (overlapped loads would wait for later stores), so the busy intervals are
// kept and a late-arriving earlier request takes a gap before them when it fits.
//
// Memory stays bounded: intervals ending more than kHorizon before the latest arrival are
// folded into a floor no request can start before (arrivals that late do not occur with the
// configured quanta, which are far shorter than the horizon).
#pragma once

#include <systemc>

#include <iterator>
#include <map>

namespace savp::models {

class Occupancy {
 public:
  static constexpr double kHorizonNs = 100000.0;  // 100 us

  sc_core::sc_time reserve(const sc_core::sc_time& arrival, const sc_core::sc_time& duration) {
    total_ += duration;
    sc_core::sc_time t = arrival > floor_ ? arrival : floor_;
    if (busy_.empty() || t >= std::prev(busy_.end())->second) return append(t, duration);
    // The first interval that could overlap [t, t + duration): the one containing t, if any.
    auto it = busy_.upper_bound(t);
    if (it != busy_.begin() && std::prev(it)->second > t) --it;
    for (; it != busy_.end(); ++it) {
      if (it->first >= t + duration) break;  // the gap before `it` fits
      if (it->second > t) t = it->second;    // overlaps: try after it
    }
    if (it == busy_.end()) return append(t, duration);
    insert(it, t, duration);
    return t;
  }
  const sc_core::sc_time& busy_until() const {
    return busy_.empty() ? floor_ : std::prev(busy_.end())->second;
  }
  const sc_core::sc_time& busy_time() const { return total_; }
  void reset() {
    busy_.clear();
    floor_ = sc_core::SC_ZERO_TIME;
    total_ = sc_core::SC_ZERO_TIME;
  }

 private:
  using Map = std::map<sc_core::sc_time, sc_core::sc_time>;  // start -> end, disjoint

  // A reservation at or after every interval's end.
  sc_core::sc_time append(const sc_core::sc_time& t, const sc_core::sc_time& d) {
    if (!busy_.empty() && std::prev(busy_.end())->second == t)
      std::prev(busy_.end())->second = t + d;  // touches the last interval: extend it
    else
      busy_.emplace_hint(busy_.end(), t, t + d);
    prune(t);
    return t;
  }

  // [t, t + d) in the gap just before `next`, merged with neighbours it touches.
  void insert(Map::iterator next, const sc_core::sc_time& t, const sc_core::sc_time& d) {
    sc_core::sc_time start = t, end = t + d;
    if (next != busy_.begin()) {
      auto prev = std::prev(next);
      if (prev->second == start) {
        start = prev->first;
        busy_.erase(prev);
      }
    }
    if (next->first == end) {
      end = next->second;
      next = busy_.erase(next);
    }
    busy_.emplace_hint(next, start, end);
  }

  void prune(const sc_core::sc_time& latest) {
    const sc_core::sc_time horizon(kHorizonNs, sc_core::SC_NS);
    if (latest < horizon) return;
    const sc_core::sc_time cut = latest - horizon;
    while (busy_.size() > 1 && busy_.begin()->second < cut) {
      floor_ = busy_.begin()->second;
      busy_.erase(busy_.begin());
    }
  }

  Map busy_;
  sc_core::sc_time floor_ = sc_core::SC_ZERO_TIME;
  sc_core::sc_time total_ = sc_core::SC_ZERO_TIME;  // sum of reserved durations
};

inline uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace savp::models
