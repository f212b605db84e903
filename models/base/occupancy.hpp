// A resource that serves one thing at a time (a port, a bus, a link): reserving it at an
// arrival time returns when service starts. With temporally decoupled initiators, arrivals
// can be slightly out of order; a late-arriving earlier request simply queues behind.
#pragma once

#include <systemc>

namespace savp::models {

class Occupancy {
 public:
  sc_core::sc_time reserve(const sc_core::sc_time& arrival, const sc_core::sc_time& duration) {
    sc_core::sc_time start = arrival > busy_until_ ? arrival : busy_until_;
    busy_until_ = start + duration;
    busy_ += duration;
    return start;
  }
  const sc_core::sc_time& busy_until() const { return busy_until_; }
  const sc_core::sc_time& busy_time() const { return busy_; }
  void reset() {
    busy_until_ = sc_core::SC_ZERO_TIME;
    busy_ = sc_core::SC_ZERO_TIME;
  }

 private:
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
  sc_core::sc_time busy_ = sc_core::SC_ZERO_TIME;
};

inline uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace savp::models
