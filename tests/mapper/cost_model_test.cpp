// The analytical cost model on a hand-worked layer: one LOAD of the input, one LOAD of the
// weights, one COMPUTE, one STORE, with round numbers in the hardware config.
#include "mapper/cost_model.hpp"

#include <gtest/gtest.h>

#include "firmware/address_map.hpp"
#include "firmware/isa.hpp"

namespace savp::mapper {
namespace {

// 500 MHz (2 ns); DRAM tCK 1 ns, one x64 DDR channel: 16 B/ns = 32 B per core cycle, and a
// column command moves 8 x 8 = 64 bytes; the 16-byte interconnect is the narrower link.
HwConfig hand_hw() {
  HwConfig hw;
  hw.name = "hand";
  hw.clock_mhz = 500;
  ChunkConfig c;
  c.name = "mult0";
  c.rows = 4;
  c.cols = 4;
  c.dataflow = Dataflow::OutputStationary;
  c.ibuf.capacity_bytes = c.wbuf.capacity_bytes = c.obuf.capacity_bytes = 4096;
  hw.chunks = {c};
  hw.dram.org.channels = 1;
  hw.dram.org.bus_width_bits = 64;
  hw.dram.org.data_rate = 2;
  hw.dram.timing.tck_ns = 1.0;
  hw.dram.timing.burst_length = 8;
  hw.dram.timing.trcd = 10;
  hw.dram.timing.cl = 10;
  hw.dram.timing.cwl = 6;
  hw.interconnect.width_bytes = 16;
  hw.interconnect.latency_cycles = 2;
  hw.dma.burst_bytes = 64;
  hw.dma.max_outstanding = 8;
  hw.dma.setup_cycles = 4;
  hw.controller.dispatch_cycles = 1;
  return hw;
}

TEST(CostModel, HandWorkedLayer) {
  const HwConfig hw = hand_hw();
  EXPECT_DOUBLE_EQ(dram_bytes_per_cycle(hw), 32.0);
  const int ce = isa::chunk_engine(0);
  const uint64_t ib = amap::chunk_buffer_base(0, amap::ChunkBuffer::Ibuf);
  const uint64_t wb = amap::chunk_buffer_base(0, amap::ChunkBuffer::Wbuf);
  const uint64_t ob = amap::chunk_buffer_base(0, amap::ChunkBuffer::Obuf);
  // 1x4 output pixels x 4 filters, 1x1 kernel over 16 channels: input 64 B, weights 64 B,
  // output 16 B.
  isa::Instruction in_load = isa::make_dma(isa::Opcode::Load, 0x1000, ib, 1, 64, 64, 64);
  isa::Instruction w_load = isa::make_dma(isa::Opcode::Load, 0x2000, wb, 1, 64, 64, 64);
  w_load.set(isa::kSignalMask, 1u << ce);
  isa::ComputeArgs a;
  a.k = 4, a.c = 16, a.oh = 1, a.ow = 4, a.ih = 1, a.iw = 4;
  isa::Instruction comp = isa::make_compute(0, a);
  comp.set(isa::kWaitMask, 1u << isa::kEngineLoad);
  comp.set(isa::kSignalMask, 1u << isa::kEngineStore);
  isa::Instruction store = isa::make_dma(isa::Opcode::Store, ob, 0x3000, 1, 16, 16, 16);
  store.set(isa::kWaitMask, 1u << ce);

  // Read: latency = 4 hops x 2 + DRAM (tRCD 10 + CL 10 + BL/2 4) x 1 ns / 2 ns = 8 + 12 = 20;
  // one 64-byte burst at 16 B/cycle = 4 (above 20 / 8 outstanding); + setup 4 -> 28.
  EXPECT_EQ(dma_cycles(hw, in_load), 28u);
  // Write: latency 8 + (10 + 6 + 4) / 2 = 18; a 16-byte burst still occupies one 64-byte
  // column command: 4 cycles; + setup 4 -> 26.
  EXPECT_EQ(dma_cycles(hw, store), 26u);
  // os, 4x4 array: Sr = 4 px, Sc = 4 filters, T = 16: one fold of R + C + T - 2 = 22 cycles.
  uint64_t ops = 0;
  EXPECT_EQ(compute_cycles(hw.chunks[0], comp, &ops), 22u);
  EXPECT_EQ(ops, 4u * 4 * 16);

  MappedNetwork m;
  m.image.code = {in_load, w_load, comp, store, isa::make_sync(isa::Opcode::Halt)};
  LayerPlacement pl;
  pl.layer = "fc";
  pl.chunk = 0;
  pl.instr_range = {0, 4};
  m.layers = {pl};
  QuantizedNetwork q;
  q.net.layers.resize(1);
  const std::vector<LayerPrediction> p = predict(m, q, hw);
  ASSERT_EQ(p.size(), 1u);
  // Serial: loads [0, 28) and [28, 56), compute [56, 78), store [78, 104).
  EXPECT_EQ(p[0].predicted_cycles, 104u);
  EXPECT_EQ(p[0].compute_cycles, 22u);
  EXPECT_EQ(p[0].dma_cycles, 28u + 28 + 26);
  EXPECT_EQ(p[0].dram_bytes, 144u);
  // Roofline: max(256 ops / 16 PEs = 16, ceil(144 B / 32 B per cycle) = 5) = 16.
  EXPECT_EQ(p[0].compute_bound_cycles, 16u);
  EXPECT_EQ(p[0].memory_bound_cycles, 5u);
  EXPECT_EQ(p[0].roofline_cycles, 16u);
}

TEST(CostModel, StoreOverlapsNextLoadsAndBarrierSerialises) {
  const HwConfig hw = hand_hw();
  const int ce = isa::chunk_engine(0);
  const uint64_t ib = amap::chunk_buffer_base(0, amap::ChunkBuffer::Ibuf);
  const uint64_t ob = amap::chunk_buffer_base(0, amap::ChunkBuffer::Obuf);
  isa::ComputeArgs a;
  a.k = 4, a.c = 16, a.oh = 1, a.ow = 4, a.ih = 1, a.iw = 4;
  // Step 1: load (28), compute (22), store (26) which overlaps step 2's load.
  isa::Instruction l1 = isa::make_dma(isa::Opcode::Load, 0x1000, ib, 1, 64, 64, 64);
  l1.set(isa::kSignalMask, 1u << ce);
  isa::Instruction c1 = isa::make_compute(0, a);
  c1.set(isa::kWaitMask, 1u << isa::kEngineLoad);
  c1.set(isa::kSignalMask, (1u << isa::kEngineLoad) | (1u << isa::kEngineStore));
  isa::Instruction s1 = isa::make_dma(isa::Opcode::Store, ob, 0x3000, 1, 16, 16, 16);
  s1.set(isa::kWaitMask, 1u << ce);
  s1.set(isa::kSignalMask, 1u << ce);
  isa::Instruction l2 = l1;
  l2.set(isa::kWaitMask, 1u << ce);
  isa::Instruction c2 = isa::make_compute(0, a);
  c2.set(isa::kWaitMask, (1u << isa::kEngineLoad) | (1u << isa::kEngineStore));
  c2.set(isa::kSignalMask, 1u << isa::kEngineStore);
  isa::Instruction s2 = isa::make_dma(isa::Opcode::Store, ob, 0x3040, 1, 16, 16, 16);
  s2.set(isa::kWaitMask, 1u << ce);
  isa::Instruction l3 = isa::make_dma(isa::Opcode::Load, 0x1000, ib, 1, 64, 64, 64);
  MappedNetwork m;
  m.image.code = {l1, c1, s1, l2, c2, s2, isa::make_sync(isa::Opcode::Barrier), l3,
                  isa::make_sync(isa::Opcode::Halt)};
  LayerPlacement a0, a1;
  a0.layer = "a", a0.chunk = 0, a0.instr_range = {0, 6};
  a1.layer = "b", a1.chunk = 0, a1.instr_range = {7, 8};
  m.layers = {a0, a1};
  QuantizedNetwork q;
  q.net.layers.resize(2);
  const std::vector<LayerPrediction> p = predict(m, q, hw);
  // l1 [0,28) c1 [28,50) s1 [50,76) l2 [50,78) c2 [78,100) s2 [100,126).
  EXPECT_EQ(p[0].predicted_cycles, 126u);
  // The barrier (1 dispatch cycle) then l3: 28 cycles.
  EXPECT_EQ(p[1].predicted_cycles, 28u);
}

}  // namespace
}  // namespace savp::mapper
