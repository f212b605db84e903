#include "platform/trace/timeline_recorder.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "firmware/address_map.hpp"

namespace savp::trace {

// What waits in one SRAM: the byte ranges written and not yet read (see the header).
struct TimelineRecorder::Buffer {
  std::string name;
  uint64_t base = 0, size = 0;
  std::vector<std::pair<uint64_t, uint64_t>> live;  // [lo, hi) offsets, disjoint
  uint64_t bytes = 0;
};

namespace {
int64_t to_ps_ticks() {
  return static_cast<int64_t>(sc_core::sc_get_time_resolution().to_seconds() * 1e12 + 0.5);
}
bool is_sync(isa::Opcode op) { return op == isa::Opcode::Barrier || op == isa::Opcode::Halt; }
}  // namespace

TimelineRecorder::TimelineRecorder(const TraceOptions& opt, const HwConfig& hw,
                                   const std::string& image_name,
                                   const std::vector<std::string>& engine_names,
                                   const std::vector<isa::Instruction>& code, uint64_t code_base,
                                   const std::vector<LayerSpan>& layers, sc_core::sc_time run_start,
                                   sc_core::sc_time cycle)
    : opt_(opt),
      writer_(opt.timeline_path, opt.max_bytes),
      hw_name_(hw.name),
      image_name_(image_name),
      clock_mhz_(hw.clock_mhz),
      engines_(engine_names),
      code_base_(code_base),
      res_ps_(std::max<int64_t>(1, to_ps_ticks())),
      run_start_(run_start),
      cycle_ps_(static_cast<int64_t>(cycle.value()) * res_ps_),
      win_lo_ps_(static_cast<int64_t>(opt.window_start_us * 1e6 + 0.5)),
      win_hi_ps_(opt.window_end_us > 0 ? static_cast<int64_t>(opt.window_end_us * 1e6 + 0.5) : -1),
      last_finish_ps_(engine_names.size(), -1),
      last_index_(engine_names.size(), -1),
      channels_(engine_names.size() * engine_names.size()),
      counter_ps_(std::max<int64_t>(1, static_cast<int64_t>(opt.counter_window_us * 1e6 + 0.5))),
      burst_bytes_(hw.dram.burst_bytes()) {
  writer_.event(
      fmt::format(R"J({{"ph":"M","pid":1,"name":"process_name","args":{{"name":"{} ({})"}}}})J",
                  json_escape(hw_name_), json_escape(image_name_)));
  writer_.event(R"({"ph":"M","pid":1,"tid":1,"name":"thread_name","args":{"name":"controller"}})");
  writer_.event(R"({"ph":"M","pid":1,"tid":1,"name":"thread_sort_index","args":{"sort_index":1}})");
  for (size_t e = 0; e < engines_.size(); ++e) {
    writer_.event(
        fmt::format(R"({{"ph":"M","pid":1,"tid":{},"name":"thread_name","args":{{"name":"{}"}}}})",
                    e + 2, json_escape(engines_[e])));
    writer_.event(fmt::format(
        R"({{"ph":"M","pid":1,"tid":{},"name":"thread_sort_index","args":{{"sort_index":{}}}}})",
        e + 2, e + 2));
  }
  layer_of_.assign(code.size(), -1);
  for (size_t s = 0; s < layers.size(); ++s) {
    layer_names_.push_back(layers[s].name);
    for (uint64_t i = layers[s].first; i < layers[s].last && i < code.size(); ++i)
      layer_of_[i] = static_cast<int>(s);
  }
  uint64_t count = 0;
  for (size_t i = 0; i < code.size(); ++i) {
    if (is_sync(code[i].opcode())) {
      barrier_index_.push_back(i);
      is_halt_.push_back(code[i].opcode() == isa::Opcode::Halt);
      seg_expected_.push_back(count);
      count = 0;
    } else {
      ++count;
    }
  }
  seg_seen_.assign(barrier_index_.size(), 0);
  seg_finish_.assign(barrier_index_.size(), 0);
  seg_last_.assign(barrier_index_.size(), UINT64_MAX);
  auto add_buffer = [&](const std::string& name, uint64_t base, uint64_t size) {
    auto b = std::make_unique<Buffer>();
    b->name = name;
    b->base = base;
    b->size = size;
    buffers_.push_back(std::move(b));
  };
  add_buffer("glb", amap::kGlbBase, hw.global_buffer.capacity_bytes);
  for (size_t c = 0; c < hw.chunks.size(); ++c) {
    const ChunkConfig& cc = hw.chunks[c];
    const int ci = static_cast<int>(c);
    add_buffer(cc.name + ".ibuf", amap::chunk_buffer_base(ci, amap::ChunkBuffer::Ibuf),
               cc.ibuf.capacity_bytes);
    add_buffer(cc.name + ".wbuf", amap::chunk_buffer_base(ci, amap::ChunkBuffer::Wbuf),
               cc.wbuf.capacity_bytes);
    add_buffer(cc.name + ".obuf", amap::chunk_buffer_base(ci, amap::ChunkBuffer::Obuf),
               cc.obuf.capacity_bytes);
  }
}

TimelineRecorder::~TimelineRecorder() = default;

int64_t TimelineRecorder::ps(sc_core::sc_time t) const {
  return (static_cast<int64_t>(t.value()) - static_cast<int64_t>(run_start_.value())) * res_ps_;
}

bool TimelineRecorder::in_window(int64_t start_ps, int64_t end_ps) const {
  return end_ps >= win_lo_ps_ && (win_hi_ps_ < 0 || start_ps <= win_hi_ps_);
}

void TimelineRecorder::slice(int tid, const std::string& name, int64_t start_ps, int64_t end_ps,
                             const std::string& args) {
  if (!in_window(start_ps, end_ps)) return;
  writer_.event(fmt::format(
      R"({{"ph":"X","pid":1,"tid":{},"ts":{},"dur":{},"name":"{}","cat":"instr","args":{{{}}}}})",
      tid, ps_to_us(start_ps), ps_to_us(end_ps - start_ps), name, args));
}

TimelineRecorder::Buffer* TimelineRecorder::buffer_at(uint64_t addr) {
  for (auto& b : buffers_)
    if (addr >= b->base && addr - b->base < b->size) return b.get();
  return nullptr;
}

std::string TimelineRecorder::where(uint64_t addr) {
  if (Buffer* b = buffer_at(addr)) return b->name;
  return addr < amap::kGlbBase ? "dram" : fmt::format("{:#x}", addr);
}

void TimelineRecorder::buffer_write(Buffer* b, uint64_t lo, uint64_t hi, int64_t t_ps) {
  if (!b || hi <= lo) return;
  buffer_read(b, lo, hi, -1);  // overwritten data no longer waits
  b->live.emplace_back(lo, hi);
  b->bytes += hi - lo;
  if (in_window(t_ps, t_ps))
    writer_.event(
        fmt::format(R"({{"ph":"C","pid":1,"ts":{},"name":"occupancy {}","args":{{"bytes":{}}}}})",
                    ps_to_us(t_ps), json_escape(b->name), b->bytes));
}

void TimelineRecorder::buffer_read(Buffer* b, uint64_t lo, uint64_t hi, int64_t t_ps) {
  if (!b || hi <= lo) return;
  const uint64_t before = b->bytes;
  auto& v = b->live;
  for (size_t i = 0; i < v.size();) {
    if (v[i].first < hi && lo < v[i].second) {
      b->bytes -= v[i].second - v[i].first;
      v[i] = v.back();
      v.pop_back();
    } else {
      ++i;
    }
  }
  if (t_ps >= 0 && b->bytes != before && in_window(t_ps, t_ps))
    writer_.event(
        fmt::format(R"({{"ph":"C","pid":1,"ts":{},"name":"occupancy {}","args":{{"bytes":{}}}}})",
                    ps_to_us(t_ps), json_escape(b->name), b->bytes));
}

void TimelineRecorder::instruction(int e, uint64_t pc, const isa::Instruction& in,
                                   sc_core::sc_time ready, sc_core::sc_time start,
                                   sc_core::sc_time finish) {
  const uint64_t idx = (pc - code_base_) / isa::kInstrBytes;
  const int n = static_cast<int>(engines_.size());
  const int64_t r_ps = ps(ready), s_ps = ps(start), f_ps = ps(finish);
  const isa::Opcode op = in.opcode();
  const bool is_dma = op == isa::Opcode::Load || op == isa::Opcode::Store;
  const uint64_t src = in.get(isa::kSrcAddr), dst = in.get(isa::kDstAddr);
  const bool dram = is_dma && (where(src) == "dram" || where(dst) == "dram");

  // Which token came last (the shadow channels pop in the controller's order).
  int bind_src = -1;
  Produced bind{};
  for (int s = 0; s < n; ++s) {
    if (!(in.wait_mask() >> s & 1)) continue;
    auto& ch = channels_[static_cast<size_t>(s * n + e)];
    if (ch.empty()) continue;
    if (bind_src < 0 || ch.front().finish_ps >= bind.finish_ps) bind_src = s, bind = ch.front();
    ch.pop_front();
  }
  for (int d = 0; d < n; ++d)
    if (in.signal_mask() >> d & 1)
      channels_[static_cast<size_t>(e * n + d)].push_back(Produced{idx, f_ps, dram});

  const size_t seg = static_cast<size_t>(
      std::lower_bound(barrier_index_.begin(), barrier_index_.end(), idx) - barrier_index_.begin());
  std::string args = fmt::format(R"("i":{})", idx);
  if (idx < layer_of_.size() && layer_of_[idx] >= 0)
    args += fmt::format(R"(,"layer":"{}")", json_escape(layer_names_[layer_of_[idx]]));
  args += fmt::format(R"(,"cycles":{})", (f_ps - s_ps + cycle_ps_ / 2) / cycle_ps_);
  if (is_dma) {
    args += fmt::format(R"(,"bytes":{},"rows":{},"row_bytes":{},"from":"{}","to":"{}")",
                        in.get(isa::kRows) * in.get(isa::kRowBytes), in.get(isa::kRows),
                        in.get(isa::kRowBytes), json_escape(where(src)), json_escape(where(dst)));
  } else if (op == isa::Opcode::Compute) {
    args += fmt::format(R"(,"tile":"k{} c{} {}x{}<-{}x{} k{}x{} s{}","wbits":{})", in.get(isa::kK),
                        in.get(isa::kC), in.get(isa::kOh), in.get(isa::kOw), in.get(isa::kIh),
                        in.get(isa::kIw), in.get(isa::kKh), in.get(isa::kKw), in.get(isa::kStride),
                        in.get(isa::kWBits));
  }
  if (s_ps > r_ps && bind_src >= 0) {
    const char* reason = bind.dram ? "dram" : bind_src < isa::kFirstChunkEngine ? "dma" : "token";
    args += fmt::format(
        R"(,"stall_us":{},"stall_cycles":{},"wait_on":"{}","reason":"{}","pred":"token","pred_i":{})",
        ps_to_us(s_ps - r_ps), (s_ps - r_ps + cycle_ps_ / 2) / cycle_ps_,
        json_escape(engines_[static_cast<size_t>(bind_src)]), reason, bind.index);
  } else if (last_index_[static_cast<size_t>(e)] >= 0 &&
             r_ps == last_finish_ps_[static_cast<size_t>(e)]) {
    args += fmt::format(R"(,"pred":"engine","pred_i":{})", last_index_[static_cast<size_t>(e)]);
  } else if (seg > 0 && seg <= barrier_index_.size()) {
    args += fmt::format(R"(,"pred":"dispatch","pred_i":{})", barrier_index_[seg - 1]);
  } else {
    args += R"(,"pred":"dispatch")";
  }
  const std::string name =
      op == isa::Opcode::Compute ? isa::to_string(in.compute_op()) : isa::to_string(op);
  slice(e + 2, name, s_ps, f_ps, args);
  if (s_ps > r_ps && bind_src >= 0 && in_window(s_ps, f_ps) && bind.finish_ps >= win_lo_ps_) {
    ++flows_;
    writer_.event(
        fmt::format(R"({{"ph":"s","id":{},"pid":1,"tid":{},"ts":{},"name":"token","cat":"token"}})",
                    flows_, bind_src + 2, ps_to_us(std::max<int64_t>(bind.finish_ps - 1, 0))));
    writer_.event(fmt::format(
        R"({{"ph":"f","bp":"e","id":{},"pid":1,"tid":{},"ts":{},"name":"token","cat":"token"}})",
        flows_, e + 2, ps_to_us(s_ps)));
  }
  last_finish_ps_[static_cast<size_t>(e)] = f_ps;
  last_index_[static_cast<size_t>(e)] = static_cast<int64_t>(idx);

  // Buffer occupancy: reads consume what waited, writes add.
  if (is_dma) {
    const uint64_t rows = in.get(isa::kRows), rb = in.get(isa::kRowBytes);
    if (rows > 0 && rb > 0) {
      const uint64_t src_end = src + (rows - 1) * in.get(isa::kSrcStride) + rb;
      const uint64_t dst_end = dst + (rows - 1) * in.get(isa::kDstStride) + rb;
      if (Buffer* b = buffer_at(src)) buffer_read(b, src - b->base, src_end - b->base, f_ps);
      if (Buffer* b = buffer_at(dst)) buffer_write(b, dst - b->base, dst_end - b->base, f_ps);
    }
  } else if (op == isa::Opcode::Compute && e >= isa::kFirstChunkEngine) {
    const int c = e - isa::kFirstChunkEngine;
    Buffer* ib = buffers_[static_cast<size_t>(1 + 3 * c)].get();
    Buffer* wb = buffers_[static_cast<size_t>(2 + 3 * c)].get();
    Buffer* ob = buffers_[static_cast<size_t>(3 + 3 * c)].get();
    const uint64_t k = in.get(isa::kK), ch = in.get(isa::kC), kh = in.get(isa::kKh),
                   kw = in.get(isa::kKw);
    const uint64_t outs = k * in.get(isa::kOh) * in.get(isa::kOw);
    const uint64_t in_bytes = in.get(isa::kIh) * in.get(isa::kIw) * ch;
    const uint64_t ia = in.get(isa::kInAddr), wa = in.get(isa::kWAddr);
    const uint64_t acc = in.get(isa::kAccAddr), out = in.get(isa::kOutAddr);
    const uint32_t fl = in.flags();
    constexpr uint64_t kAccBytes = 4;  // int32 partials and bias (firmware/isa.hpp layouts)
    switch (in.compute_op()) {
      case isa::ComputeOp::Conv:
      case isa::ComputeOp::DwConv: {
        const bool conv = in.compute_op() == isa::ComputeOp::Conv;
        buffer_read(ib, ia, ia + in_bytes, f_ps);
        buffer_read(wb, wa, wa + (conv ? k * kh * kw * ch : ch * kh * kw), f_ps);
        const uint64_t bias = in.get(isa::kBiasAddr);
        if (!(fl & (isa::kFlagNoBias | isa::kFlagAccLoad)))
          buffer_read(wb, bias, bias + k * kAccBytes, f_ps);
        if (fl & isa::kFlagAccLoad) buffer_read(ob, acc, acc + outs * kAccBytes, f_ps);
        if (fl & isa::kFlagOutPartial)
          buffer_write(ob, acc, acc + outs * kAccBytes, f_ps);
        else
          buffer_write(ob, out, out + outs, f_ps);
        break;
      }
      case isa::ComputeOp::MaxPool:
      case isa::ComputeOp::AvgPool:
        buffer_read(ib, ia, ia + in_bytes, f_ps);
        buffer_write(ob, out, out + outs, f_ps);
        break;
      case isa::ComputeOp::Add:
        buffer_read(ib, ia, ia + outs, f_ps);
        buffer_read(ib, wa, wa + outs, f_ps);
        buffer_write(ob, out, out + outs, f_ps);
        break;
    }
  }

  if (seg < barrier_index_.size()) {
    ++seg_seen_[seg];
    if (seg_last_[seg] == UINT64_MAX || f_ps >= seg_finish_[seg])
      seg_finish_[seg] = f_ps, seg_last_[seg] = idx;
    barriers_done();
  }
}

// Writes the BARRIERs whose engines have drained (HALT is written by finish()).
void TimelineRecorder::barriers_done() {
  while (next_barrier_ < barrier_index_.size() &&
         seg_seen_[next_barrier_] == seg_expected_[next_barrier_]) {
    const uint64_t b = barrier_index_[next_barrier_];
    if (is_halt_[next_barrier_]) break;
    const int64_t t = std::max(last_barrier_ps_, seg_finish_[next_barrier_]);
    // No "layer": a barrier is the controller's, between layers.
    std::string args = fmt::format(R"("i":{},"cycles":0)", b);
    if (seg_last_[next_barrier_] != UINT64_MAX)
      args += fmt::format(R"(,"pred":"drain","pred_i":{})", seg_last_[next_barrier_]);
    else if (last_barrier_index_ >= 0)
      args += fmt::format(R"(,"pred":"drain","pred_i":{})", last_barrier_index_);
    slice(1, "barrier", t, t, args);
    last_barrier_ps_ = t;
    last_barrier_index_ = static_cast<int64_t>(b);
    ++next_barrier_;
  }
}

void TimelineRecorder::dram_command(const dram::Command& c) {
  if (c.kind != dram::CommandKind::Rd && c.kind != dram::CommandKind::Wr) return;
  const int64_t t =
      static_cast<int64_t>(c.time_ps) - static_cast<int64_t>(run_start_.value()) * res_ps_;
  if (t < 0) return;
  int64_t w = t / counter_ps_;
  if (dram_win_.empty()) dram_first_ = w;
  if (w < dram_first_) w = dram_first_;  // cannot happen: windows are written once final
  while (dram_first_ + static_cast<int64_t>(dram_win_.size()) <= w) dram_win_.emplace_back(0, 0);
  auto& slot = dram_win_[static_cast<size_t>(w - dram_first_)];
  (c.kind == dram::CommandKind::Rd ? slot.first : slot.second) += burst_bytes_;
  // Commands are placed no earlier than the kernel's time: windows ending before it are final
  // (checked only once a command falls past the oldest pending window).
  if (w > dram_first_) flush_dram(ps(sc_core::sc_time_stamp()));
}

void TimelineRecorder::dram_counter(int64_t w, uint64_t rd, uint64_t wr) {
  const int64_t t = w * counter_ps_;
  if (!in_window(t, t + counter_ps_)) return;
  writer_.event(fmt::format(
      R"({{"ph":"C","pid":1,"ts":{},"name":"dram bytes","args":{{"read_bytes":{},"write_bytes":{}}}}})",
      ps_to_us(t), rd, wr));
}

void TimelineRecorder::flush_dram(int64_t upto_ps) {
  while (!dram_win_.empty() && (dram_first_ + 1) * counter_ps_ <= upto_ps) {
    const auto [rd, wr] = dram_win_.front();
    const bool zero = rd == 0 && wr == 0;
    if (!zero || !dram_last_zero_) dram_counter(dram_first_, rd, wr);
    dram_last_zero_ = zero;
    dram_win_.pop_front();
    ++dram_first_;
  }
}

void TimelineRecorder::finish(sc_core::sc_time run_end, bool halted, const std::string& note) {
  if (finished_) return;
  finished_ = true;
  const int64_t end_ps = ps(run_end);
  flush_dram(INT64_MAX);
  if (!dram_last_zero_) dram_counter(dram_first_, 0, 0);
  if (halted && next_barrier_ < barrier_index_.size() && is_halt_[next_barrier_]) {
    const size_t h = next_barrier_;
    std::string args = fmt::format(R"("i":{},"cycles":0)", barrier_index_[h]);
    if (seg_last_[h] != UINT64_MAX)
      args += fmt::format(R"(,"pred":"drain","pred_i":{})", seg_last_[h]);
    else if (last_barrier_index_ >= 0)
      args += fmt::format(R"(,"pred":"drain","pred_i":{})", last_barrier_index_);
    slice(1, "halt", end_ps, end_ps, args);
  }
  nlohmann::json engines = nlohmann::json::array();
  engines.push_back({{"tid", 1}, {"name", "controller"}});
  for (size_t e = 0; e < engines_.size(); ++e)
    engines.push_back({{"tid", e + 2}, {"name", engines_[e]}});
  nlohmann::json s = {{"format", "savp-timeline"},
                      {"version", 1},
                      {"hw", hw_name_},
                      {"image", image_name_},
                      {"clock_mhz", clock_mhz_},
                      {"cycle_ps", cycle_ps_},
                      {"run_start_us", 0.0},
                      {"run_end_us", static_cast<double>(end_ps) / 1e6},
                      {"halted", halted},
                      {"engines", engines},
                      {"counter_window_us", opt_.counter_window_us},
                      {"window_start_us", opt_.window_start_us}};
  s["window_end_us"] =
      opt_.window_end_us > 0 ? nlohmann::json(opt_.window_end_us) : nlohmann::json();
  if (!note.empty()) s["note"] = note;
  writer_.close(nlohmann::json{{"savp", s}});
}

}  // namespace savp::trace
