#include "platform/dram_trace_recorder.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <vector>

#include "models/dram/dram.hpp"

namespace savp {

DramTraceRecorder::DramTraceRecorder(const std::string& path, models::Dram& dram) : dram_(dram) {
  const dram::DramTimingModel& t = dram.timing();
  const DramConfig& c = t.config();
  origin_ps_ = t.origin_ps();
  tck_ps_ = t.tck_ps();
  const bool relative = dram::stl_timestamps_for(path) == dram::StlTimestamps::Relative;
  std::vector<std::string> header = {
      fmt::format("savp DRAM trace, DRAMSys {} format: <cycle>: [(<bytes>)] read|write 0x<address>",
                  relative ? ".rstl (cycles since the previous request)" : ".stl (absolute cycles)"),
      fmt::format("clock: DRAM tCK {} ps ({:.1f} MHz), cycle 0 = start of the run", tck_ps_,
                  1e6 / static_cast<double>(tck_ps_)),
      fmt::format("dram: {}, {} page, capacity {:#x} bytes, mapping [{}]",
                  c.preset.empty() ? "custom" : c.preset, to_string(c.page_policy),
                  c.capacity_bytes(), fmt::join(c.address_mapping, ", ")),
      fmt::format("length without (<bytes>): {} bytes (one burst)", c.burst_bytes()),
      "requests in the order they reached the DRAM; see traces/README.md"};
  writer_ = std::make_unique<dram::StlWriter>(path, header, c.burst_bytes());
  dram_.set_request_hook([this](uint64_t arrival_ps, uint64_t addr, unsigned len, bool is_write) {
    uint64_t cyc = to_cycle(arrival_ps);
    if (writer_->requests() > 0 && cyc < last_cycle_) {
      cyc = last_cycle_;
      ++clamped_;
    }
    last_cycle_ = cyc;
    // A request whose bytes span channels is written as one line per run of bursts on one
    // channel: DRAMSys routes a request to the channel of its start address, so only such
    // lines replay there (and in `savp replay`, either routing) as the platform served them.
    const dram::DramTimingModel& t = dram_.timing();
    const uint64_t bb = t.config().burst_bytes();
    if (t.config().org.channels == 1 || len == 0 || addr >= t.capacity() ||
        len > t.capacity() - addr || (addr % bb) + len <= bb) {
      writer_->write(cyc, is_write, addr, len);
      return;
    }
    const uint64_t end = addr + len;
    uint64_t piece = addr;
    uint32_t channel = t.decode(addr).channel;
    for (uint64_t b = addr / bb * bb + bb; b < end; b += bb) {
      const uint32_t ch = t.decode(b).channel;
      if (ch == channel) continue;
      writer_->write(cyc, is_write, piece, static_cast<uint32_t>(b - piece));
      piece = b;
      channel = ch;
    }
    writer_->write(cyc, is_write, piece, static_cast<uint32_t>(end - piece));
  });
}

DramTraceRecorder::~DramTraceRecorder() { dram_.set_request_hook(nullptr); }

uint64_t DramTraceRecorder::to_cycle(uint64_t ps) const {
  const uint64_t rel = ps > origin_ps_ ? ps - origin_ps_ : 0;
  return (rel + tck_ps_ - 1) / tck_ps_;
}

void DramTraceRecorder::finish(uint64_t end_ps) {
  dram_.set_request_hook(nullptr);
  // Rounded down: the refreshes due by end_ps fall on whole cycles from the origin (tREFI is
  // a whole number of tCK), so replaying up to this cycle counts exactly the same ones.
  writer_->finish((end_ps > origin_ps_ ? end_ps - origin_ps_ : 0) / tck_ps_);
}

}  // namespace savp
