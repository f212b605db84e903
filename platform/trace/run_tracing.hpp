// Wires the recorders a run asked for (TraceOptions: --trace, --vcd) to the models'
// observers for the length of one run, and unhooks them afterwards so untraced runs pay
// nothing. Used by Platform::run (platform/platform.cpp).
#pragma once

#include <memory>
#include <string>
#include <systemc>

#include "firmware/image.hpp"
#include "models/controller/controller.hpp"
#include "platform/platform.hpp"
#include "platform/trace/timeline_recorder.hpp"
#include "platform/trace/vcd_recorder.hpp"

namespace savp::models {
class Dram;
class DmaEngine;
}  // namespace savp::models

namespace savp::trace {

class RunTracing {
 public:
  // Call before Controller::start; `run_start` is where the run will start. `vcd` is the
  // platform's slot for the VCD recorder (a SystemC module, so it lives as long as the
  // platform); `layer_observer` (may be empty) keeps receiving every instruction. Throws
  // savp::Error when a file cannot be written or a VCD is asked for after the first run.
  RunTracing(const RunOptions& opt, const HwConfig& hw, const fw::Image& img,
             sc_core::sc_time run_start, models::Controller& ctrl, models::Dram& dram,
             models::DmaEngine& load, models::DmaEngine& store, std::unique_ptr<VcdRecorder>& vcd,
             models::InstrObserver layer_observer);
  ~RunTracing();  // unhooks; finishes the files if finish() was not called
  RunTracing(const RunTracing&) = delete;
  RunTracing& operator=(const RunTracing&) = delete;

  // After sc_start returned: closes the timeline and the VCD. `note` says why a run that did
  // not halt ended.
  void finish(bool halted, const std::string& note);

 private:
  void unhook();

  models::Controller& ctrl_;
  models::Dram& dram_;
  models::DmaEngine& load_;
  models::DmaEngine& store_;
  std::unique_ptr<TimelineRecorder> timeline_;
  VcdRecorder* vcd_ = nullptr;
  bool finished_ = false;
};

}  // namespace savp::trace
