#include "models/dma/dma_engine.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/errors.hpp"

namespace savp::models {

DmaEngine::DmaEngine(sc_core::sc_module_name name, const DmaConfig& cfg, sc_core::sc_time cycle,
                     std::string label)
    : sc_core::sc_module(name),
      out("out"),
      cfg_(cfg),
      cycle_(cycle),
      label_(std::move(label)),
      buf_(cfg.burst_bytes),
      inflight_(cfg.max_outstanding, sc_core::SC_ZERO_TIME) {}

sc_core::sc_time DmaEngine::transact(tlm::tlm_command cmd, uint64_t addr, uint32_t len,
                                     sc_core::sc_time at) {
  sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::sc_time delay = at > now ? at - now : sc_core::SC_ZERO_TIME;
  trans_.set_command(cmd);
  trans_.set_address(addr);
  trans_.set_data_ptr(buf_.data());
  trans_.set_data_length(len);
  trans_.set_streaming_width(len);
  trans_.set_byte_enable_ptr(nullptr);
  trans_.set_dmi_allowed(false);
  trans_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  out->b_transport(trans_, delay);
  ++stats_.transactions;
  if (trans_.get_response_status() != tlm::TLM_OK_RESPONSE)
    throw SimulationError(fmt::format("{}: {} of {} bytes at address {:#x} failed: {}", label_,
                                      cmd == tlm::TLM_READ_COMMAND ? "read" : "write", len, addr,
                                      trans_.get_response_string()));
  return now + delay;
}

sc_core::sc_time DmaEngine::execute(const isa::Instruction& in, sc_core::sc_time start) {
  const uint64_t src = in.get(isa::kSrcAddr), dst = in.get(isa::kDstAddr);
  const uint64_t rows = in.get(isa::kRows), row_bytes = in.get(isa::kRowBytes);
  const uint64_t src_stride = in.get(isa::kSrcStride), dst_stride = in.get(isa::kDstStride);
  ++stats_.instructions;
  sc_core::sc_time issue = start + cycle_ * static_cast<double>(cfg_.setup_cycles);
  sc_core::sc_time finish = issue;
  std::fill(inflight_.begin(), inflight_.end(), sc_core::SC_ZERO_TIME);
  size_t slot = 0;
  const uint64_t burst = cfg_.burst_bytes;
  for (uint64_t r = 0; r < rows; ++r) {
    uint64_t s = src + r * src_stride, d = dst + r * dst_stride;
    uint64_t left = row_bytes;
    while (left > 0) {
      uint32_t n = static_cast<uint32_t>(std::min(left, burst - (s % burst)));
      // Wait for a free outstanding slot.
      sc_core::sc_time at = std::max(issue, inflight_[slot]);
      sc_core::sc_time data = transact(tlm::TLM_READ_COMMAND, s, n, at);
      sc_core::sc_time done = transact(tlm::TLM_WRITE_COMMAND, d, n, data);
      if (observer_) observer_(at, s, d, n, done);
      inflight_[slot] = done;
      slot = (slot + 1) % inflight_.size();
      issue = at;
      finish = std::max(finish, done);
      ++stats_.bursts;
      stats_.bytes += n;
      s += n;
      d += n;
      left -= n;
    }
  }
  return finish;
}

}  // namespace savp::models
