#include "mapper/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

#include "common/errors.hpp"
#include "common/tile_timing.hpp"
#include "firmware/isa.hpp"

namespace savp::mapper {

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// DRAM clock cycles to core cycles.
double dram_to_core(const HwConfig& hw, double dram_cycles) {
  return dram_cycles * hw.dram.timing.tck_ns / hw.cycle_ns();
}

}  // namespace

double dram_bytes_per_cycle(const HwConfig& hw) {
  // GB/s = bytes per ns; times ns per core cycle.
  return hw.dram.peak_bandwidth_gbps() * hw.cycle_ns();
}

uint64_t dma_cycles(const HwConfig& hw, const isa::Instruction& in) {
  const bool load = in.opcode() == isa::Opcode::Load;
  const uint64_t rows = in.get(isa::kRows), row_bytes = in.get(isa::kRowBytes);
  const uint64_t src = in.get(isa::kSrcAddr), dst = in.get(isa::kDstAddr);
  const uint64_t stride = load ? in.get(isa::kSrcStride) : in.get(isa::kDstStride);
  const uint64_t base = load ? src : dst;  // the DRAM side decides the burst split
  const uint64_t burst = std::max<uint32_t>(hw.dma.burst_bytes, 1);
  const uint64_t dram_min = std::max<uint32_t>(hw.dram.burst_bytes(), 1);
  const DramTiming& t = hw.dram.timing;
  const double dram_lat =
      dram_to_core(hw, static_cast<double>(t.trcd + (load ? t.cl : t.cwl)) +
                           static_cast<double>(t.burst_length) / hw.dram.org.data_rate);
  const double latency = 4.0 * hw.interconnect.latency_cycles + dram_lat;
  const double bw = std::min(dram_bytes_per_cycle(hw),
                             static_cast<double>(std::max<uint32_t>(hw.interconnect.width_bytes, 1)));
  const double min_burst = latency / std::max<uint32_t>(hw.dma.max_outstanding, 1);
  double stream = 0;
  for (uint64_t r = 0; r < rows; ++r) {
    uint64_t s = base + r * stride, left = row_bytes;
    while (left > 0) {
      const uint64_t n = std::min(left, burst - (s % burst));
      const double occupied = static_cast<double>(ceil_div(n, dram_min) * dram_min);
      stream += std::max(occupied / bw, min_burst);
      s += n;
      left -= n;
    }
  }
  return hw.dma.setup_cycles + static_cast<uint64_t>(std::llround(latency + stream));
}

uint64_t compute_cycles(const ChunkConfig& cc, const isa::Instruction& in, uint64_t* ops) {
  const isa::ComputeOp op = in.compute_op();
  const uint64_t k = in.get(isa::kK), c = in.get(isa::kC), oh = in.get(isa::kOh),
                 ow = in.get(isa::kOw), kh = in.get(isa::kKh), kw = in.get(isa::kKw);
  switch (op) {
    case isa::ComputeOp::Conv:
    case isa::ComputeOp::DwConv: {
      const ConvDims d = op == isa::ComputeOp::Conv ? ConvDims{oh * ow, k, kh * kw * c, 1}
                                                    : ConvDims{oh * ow, 1, kh * kw, c};
      const SystolicCost s = systolic_cost(cc, d);
      if (ops) *ops = s.pe_ops;
      // Compressed weights pass the chunk's decompressor (as chunk::tile_cost() counts them).
      if (in.get(isa::kWFormat) != 0)
        return decompress_cost(cc.decompressor, s.cycles, s.filter_reads).cycles;
      return s.cycles;
    }
    case isa::ComputeOp::MaxPool:
    case isa::ComputeOp::AvgPool:
    case isa::ComputeOp::Add: {
      const uint64_t outs = k * oh * ow;
      const uint64_t reads = op == isa::ComputeOp::Add ? 2 : kh * kw;
      if (ops) *ops = outs * reads;
      return vector_cycles(cc.cols, outs, reads);
    }
  }
  if (ops) *ops = 0;
  return 0;
}

std::vector<LayerPrediction> predict(const MappedNetwork& m, const QuantizedNetwork& q,
                                     const HwConfig& hw) {
  const size_t n = q.net.layers.size();
  if (m.layers.size() != n)
    throw Error("cost model: the mapped network does not match the quantized network");
  std::vector<LayerPrediction> out(n);
  const auto& code = m.image.code;
  const int engines = isa::kFirstChunkEngine + static_cast<int>(hw.chunks.size());
  // The replay runs over the whole program, so a layer's first instruction sees the barrier.
  std::vector<double> free_at(engines, 0.0);
  std::vector<std::deque<double>> tokens(static_cast<size_t>(engines * engines));
  std::vector<int> layer_of(code.size(), -1);
  for (size_t li = 0; li < n; ++li) {
    const auto& r = m.layers[li].instr_range;
    if (r.size() == 2)
      for (uint64_t i = r[0]; i < r[1] && i < code.size(); ++i) layer_of[i] = static_cast<int>(li);
    out[li].layer = m.layers[li].layer;
    out[li].chunk = m.layers[li].chunk;
  }
  std::vector<double> first(n, -1.0), last(n, 0.0);
  const double peak = dram_bytes_per_cycle(hw);
  for (size_t i = 0; i < code.size(); ++i) {
    const isa::Instruction& in = code[i];
    const isa::Opcode opc = in.opcode();
    if (opc == isa::Opcode::Halt) break;
    if (opc == isa::Opcode::Nop) continue;
    if (opc == isa::Opcode::Barrier) {
      const double t = *std::max_element(free_at.begin(), free_at.end()) +
                       hw.controller.dispatch_cycles;
      std::fill(free_at.begin(), free_at.end(), t);
      continue;
    }
    int e = 0;
    double dur = 0;
    uint64_t ops = 0;
    const int li = layer_of[i];
    if (opc == isa::Opcode::Compute) {
      const int chunk = in.engine() - isa::kFirstChunkEngine;
      if (chunk < 0 || chunk >= static_cast<int>(hw.chunks.size()))
        throw Error("cost model: COMPUTE on a chunk the platform lacks");
      e = isa::chunk_engine(chunk);
      const uint64_t c = compute_cycles(hw.chunks[chunk], in, &ops);
      dur = static_cast<double>(c);
      if (li >= 0) {
        out[li].compute_cycles += c;
        out[li].pe_ops += ops;
        const ChunkConfig& cc = hw.chunks[chunk];
        const bool conv = in.compute_op() == isa::ComputeOp::Conv ||
                          in.compute_op() == isa::ComputeOp::DwConv;
        const double lanes = conv ? static_cast<double>(cc.rows) * cc.cols : cc.cols;
        out[li].compute_bound_cycles += static_cast<uint64_t>(std::ceil(ops / lanes));
      }
    } else {
      e = opc == isa::Opcode::Load ? isa::kEngineLoad : isa::kEngineStore;
      const uint64_t c = dma_cycles(hw, in);
      dur = static_cast<double>(c);
      if (li >= 0) {
        out[li].dma_cycles += c;
        out[li].dram_bytes += in.get(isa::kRows) * in.get(isa::kRowBytes);
      }
    }
    double start = free_at[e];
    const uint32_t wait = in.wait_mask(), signal = in.signal_mask();
    for (int s = 0; s < engines; ++s)
      if (wait & (1u << s)) {
        auto& ch = tokens[static_cast<size_t>(s * engines + e)];
        if (ch.empty()) throw Error("cost model: instruction " + std::to_string(i) +
                                    " waits for a token that is never signalled");
        start = std::max(start, ch.front());
        ch.pop_front();
      }
    const double finish = start + dur;
    free_at[e] = finish;
    for (int d = 0; d < engines; ++d)
      if (signal & (1u << d)) tokens[static_cast<size_t>(e * engines + d)].push_back(finish);
    if (li >= 0) {
      if (first[li] < 0 || start < first[li]) first[li] = start;
      last[li] = std::max(last[li], finish);
    }
  }
  for (size_t li = 0; li < n; ++li) {
    LayerPrediction& p = out[li];
    if (first[li] >= 0) p.predicted_cycles = static_cast<uint64_t>(std::llround(last[li] - first[li]));
    p.memory_bound_cycles =
        peak > 0 ? static_cast<uint64_t>(std::ceil(static_cast<double>(p.dram_bytes) / peak)) : 0;
    p.roofline_cycles = std::max(p.compute_bound_cycles, p.memory_bound_cycles);
  }
  return out;
}

}  // namespace savp::mapper
