#include "platform/trace/run_tracing.hpp"

#include <utility>

#include "common/errors.hpp"
#include "models/dma/dma_engine.hpp"
#include "models/dram/dram.hpp"

namespace savp::trace {

RunTracing::RunTracing(const RunOptions& opt, const HwConfig& hw, const fw::Image& img,
                       sc_core::sc_time run_start, models::Controller& ctrl, models::Dram& dram,
                       models::DmaEngine& load, models::DmaEngine& store,
                       std::unique_ptr<VcdRecorder>& vcd, models::InstrObserver layer_observer)
    : ctrl_(ctrl), dram_(dram), load_(load), store_(store) {
  std::vector<std::string> engines = {load.engine_label(), store.engine_label()};
  for (const ChunkConfig& c : hw.chunks) engines.push_back(c.name);
  const sc_core::sc_time cycle(hw.cycle_ns(), sc_core::SC_NS);
  if (!opt.trace.timeline_path.empty())
    timeline_ = std::make_unique<TimelineRecorder>(opt.trace, hw, opt.image_name, engines, img.code,
                                                   img.code_base, opt.layers, run_start, cycle);
  if (!opt.trace.vcd_path.empty()) {
    std::vector<std::pair<int, int>> channels;
    for (const isa::Instruction& in : img.code)
      for (int d = 0; d < static_cast<int>(engines.size()); ++d)
        if (in.signal_mask() >> d & 1) channels.emplace_back(in.engine(), d);
    // SystemC refuses new modules once the simulation has started: say so first.
    if (!vcd && sc_core::sc_get_status() != sc_core::SC_ELABORATION)
      throw Error("--vcd " + opt.trace.vcd_path +
                  ": only the first run of a platform can record a VCD (SystemC adds "
                  "waveforms only before the simulation starts)");
    if (vcd)
      throw Error("--vcd " + opt.trace.vcd_path +
                  ": only the first run of a platform can record a VCD (this one recorded one "
                  "already; SystemC adds waveforms only before the simulation starts)");
    vcd = std::make_unique<VcdRecorder>("vcd_recorder", opt.trace.vcd_path, hw, engines, channels);
    vcd_ = vcd.get();
  }
  TimelineRecorder* tl = timeline_.get();
  VcdRecorder* v = vcd_;
  const uint64_t base = img.code_base;
  ctrl.set_observer([tl, v, base, lo = std::move(layer_observer)](
                        int e, uint64_t pc, const isa::Instruction& in, sc_core::sc_time ready,
                        sc_core::sc_time start, sc_core::sc_time finish) {
    if (lo) lo(e, pc, in, ready, start, finish);
    if (pc < base) return;
    if (tl) tl->instruction(e, pc, in, ready, start, finish);
    if (v) v->instruction(e, in, ready, start, finish);
  });
  dram.timing().set_command_hook([tl, v](const dram::Command& c) {
    if (tl) tl->dram_command(c);
    if (v) v->dram_command(c);
  });
  if (v) {
    load.set_observer([v](sc_core::sc_time at, uint64_t, uint64_t, uint32_t,
                          sc_core::sc_time done) { v->dma_burst(isa::kEngineLoad, at, done); });
    store.set_observer([v](sc_core::sc_time at, uint64_t, uint64_t, uint32_t,
                           sc_core::sc_time done) { v->dma_burst(isa::kEngineStore, at, done); });
  }
}

RunTracing::~RunTracing() {
  unhook();
  if (!finished_) {
    try {
      finish(false, "the run stopped before HALT");
    } catch (const std::exception&) {
      // A destructor must not throw.
    }
  }
}

void RunTracing::unhook() {
  ctrl_.set_observer(nullptr);
  dram_.timing().set_command_hook(nullptr);
  load_.set_observer(nullptr);
  store_.set_observer(nullptr);
}

void RunTracing::finish(bool halted, const std::string& note) {
  if (finished_) return;
  finished_ = true;
  const sc_core::sc_time end = halted ? ctrl_.end_time() : sc_core::sc_time_stamp();
  if (timeline_) timeline_->finish(end, halted, note);
  if (vcd_) vcd_->close();
}

}  // namespace savp::trace
