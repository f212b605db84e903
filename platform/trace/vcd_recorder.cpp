#include "platform/trace/vcd_recorder.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "common/errors.hpp"
#include "models/base/kernel_context.hpp"

namespace savp::trace {

namespace {
// SystemC object names allow letters, digits and '_'.
std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}
}  // namespace

VcdRecorder::VcdRecorder(sc_core::sc_module_name name, const std::string& path, const HwConfig& hw,
                         const std::vector<std::string>& engine_names,
                         const std::vector<std::pair<int, int>>& channels)
    : sc_core::sc_module(name),
      path_(path),
      engines_(static_cast<int>(engine_names.size())),
      org_(hw.dram.org),
      trfc_(hw.dram.timing.trfc * hw.dram.timing.tck_ns, sc_core::SC_NS) {
  if (sc_core::sc_is_running() || sc_core::sc_get_status() != sc_core::SC_ELABORATION)
    throw Error(fmt::format(
        "--vcd {}: SystemC can add waveforms only before the simulation starts, so only the "
        "first run of a platform can record a VCD",
        path));
  {  // Fail early, with the file's name, when it cannot be written.
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw Error(fmt::format("--vcd {}: cannot open for writing", path));
    std::fclose(f);
  }
  // sc_create_vcd_trace_file appends ".vcd" to the name it is given.
  base_ = path.size() > 4 && path.compare(path.size() - 4, 4, ".vcd") == 0
              ? path.substr(0, path.size() - 4)
              : path;
  for (int e = 0; e < engines_; ++e)
    add_signal(sanitize(engine_names[static_cast<size_t>(e)]) + "_busy", true);
  busy0_ = 0;
  bank0_ = static_cast<int>(sigs_.size());
  const uint32_t banks = org_.channels * org_.ranks * org_.bank_groups * org_.banks_per_group;
  for (uint32_t b = 0; b < banks; ++b) add_signal(fmt::format("bank{}_state", b), false);
  inflight0_ = static_cast<int>(sigs_.size());
  for (int e = 0; e < std::min(engines_, isa::kFirstChunkEngine); ++e)
    add_signal(sanitize(engine_names[static_cast<size_t>(e)]) + "_inflight", false);
  channel_sig_.assign(static_cast<size_t>(engines_ * engines_), -1);
  for (auto [s, d] : channels) {
    if (s < 0 || d < 0 || s >= engines_ || d >= engines_) continue;
    int& slot = channel_sig_[static_cast<size_t>(s * engines_ + d)];
    if (slot >= 0) continue;
    slot = add_signal(fmt::format("tokens_{}_to_{}", sanitize(engine_names[static_cast<size_t>(s)]),
                                  sanitize(engine_names[static_cast<size_t>(d)])),
                      false);
  }
  tf_ = sc_core::sc_create_vcd_trace_file(base_.c_str());
  if (!tf_) throw Error(fmt::format("--vcd {}: cannot create the trace file", path));
  tf_->set_time_unit(1, sc_core::SC_PS);
  for (const auto& [is_bit, i] : sigs_) {
    if (is_bit)
      sc_core::sc_trace(tf_, *bits_[i], bits_[i]->basename());
    else
      sc_core::sc_trace(tf_, *ints_[i], ints_[i]->basename());
  }
  open_ = true;
  SC_THREAD(apply_thread);
}

VcdRecorder::~VcdRecorder() {
  try {
    close();
  } catch (const std::exception&) {
    // A destructor must not throw.
  }
}

int VcdRecorder::add_signal(const std::string& name, bool is_bit) {
  if (is_bit) {
    bits_.push_back(std::make_unique<sc_core::sc_signal<bool>>(name.c_str(), false));
    sigs_.emplace_back(true, bits_.size() - 1);
  } else {
    ints_.push_back(std::make_unique<sc_core::sc_signal<int>>(name.c_str(), 0));
    sigs_.emplace_back(false, ints_.size() - 1);
  }
  values_.push_back(0);
  return static_cast<int>(sigs_.size()) - 1;
}

void VcdRecorder::change(sc_core::sc_time at, int sig, int value, bool delta) {
  if (!open_) return;
  pending_.push(Change{at, seq_++, sig, value, delta});
  added_.notify(sc_core::SC_ZERO_TIME);
}

void VcdRecorder::apply_thread() {
  for (;;) {
    while (pending_.empty()) wait(added_);
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    if (pending_.top().at > now) {
      wait(pending_.top().at - now, added_);
      continue;
    }
    while (!pending_.empty() && pending_.top().at <= now) {
      const Change c = pending_.top();
      pending_.pop();
      if (c.at < now) ++late_;
      int& v = values_[static_cast<size_t>(c.sig)];
      v = c.delta ? v + c.value : c.value;
      const auto [is_bit, i] = sigs_[static_cast<size_t>(c.sig)];
      if (is_bit)
        bits_[i]->write(v != 0);
      else
        ints_[i]->write(v);
    }
  }
}

void VcdRecorder::instruction(int e, const isa::Instruction& in, sc_core::sc_time,
                              sc_core::sc_time start, sc_core::sc_time finish) {
  if (e < 0 || e >= engines_) return;
  change(start, busy0_ + e, 1, false);
  change(finish, busy0_ + e, 0, false);
  for (int s = 0; s < engines_; ++s)
    if (in.wait_mask() >> s & 1)
      if (int sig = channel_sig_[static_cast<size_t>(s * engines_ + e)]; sig >= 0)
        change(start, sig, -1, true);
  for (int d = 0; d < engines_; ++d)
    if (in.signal_mask() >> d & 1)
      if (int sig = channel_sig_[static_cast<size_t>(e * engines_ + d)]; sig >= 0)
        change(finish, sig, 1, true);
}

void VcdRecorder::dma_burst(int e, sc_core::sc_time issue, sc_core::sc_time done) {
  if (e < 0 || e >= std::min(engines_, isa::kFirstChunkEngine)) return;
  change(issue, inflight0_ + e, 1, true);
  change(done, inflight0_ + e, -1, true);
}

void VcdRecorder::dram_command(const dram::Command& c) {
  const sc_core::sc_time at(static_cast<double>(c.time_ps), sc_core::SC_PS);
  const dram::DecodedAddress& d = c.where;
  const uint32_t per_rank = org_.bank_groups * org_.banks_per_group;
  const uint32_t rank0 = (d.channel * org_.ranks + d.rank) * per_rank;
  const int bank = static_cast<int>(rank0 + d.bank_group * org_.banks_per_group + d.bank);
  switch (c.kind) {
    case dram::CommandKind::Act:
      change(at, bank0_ + bank, 1, false);
      break;
    case dram::CommandKind::Pre:
      change(at, bank0_ + bank, 0, false);
      break;
    case dram::CommandKind::Ref:
      for (uint32_t b = 0; b < per_rank; ++b) {
        change(at, bank0_ + static_cast<int>(rank0 + b), 2, false);
        change(at + trfc_, bank0_ + static_cast<int>(rank0 + b), 0, false);
      }
      break;
    case dram::CommandKind::Rd:
    case dram::CommandKind::Wr:
      break;
  }
}

void VcdRecorder::close() {
  if (!open_) return;
  open_ = false;
  // SystemC writes a time step's values to the file when the next time step begins: one
  // more resolution tick (no process runs) makes it write the run's last changes.
  if (sc_core::sc_get_status() == sc_core::SC_PAUSED) {
    sc_core::sc_start(sc_core::sc_get_time_resolution());
    models::resync_main_stack();  // this may throw below (models/base/kernel_context.hpp)
  }
  sc_core::sc_close_vcd_trace_file(tf_);
  tf_ = nullptr;
  const std::string written = base_ + ".vcd";
  if (written != path_) {
    std::error_code ec;
    std::filesystem::rename(written, path_, ec);
    if (ec)
      throw Error(fmt::format("--vcd {}: cannot move {} there: {}", path_, written, ec.message()));
  }
}

}  // namespace savp::trace
