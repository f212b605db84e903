// What the controller needs of an engine (a DMA queue or a chunk): run one instruction from
// an absolute start time and say when it finishes. Engines run in the controller's engine
// threads, temporally decoupled: `start` is usually ahead of sc_time_stamp().
#pragma once

#include <systemc>

#include <string>

#include "firmware/isa.hpp"

namespace savp::models {

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string engine_label() const = 0;
  // Returns the absolute finish time. Throws savp::SimulationError on a fault.
  virtual sc_core::sc_time execute(const isa::Instruction& in, sc_core::sc_time start) = 0;
};

}  // namespace savp::models
