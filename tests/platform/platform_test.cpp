// The platform end to end on hand-built images: data movement, a conv checked against a
// direct computation, overlap, determinism, and every firmware fault the issue names.
#include <gtest/gtest.h>

#include <random>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "platform/energy_model.hpp"
#include "platform/platform.hpp"
#include "platform_test_util.hpp"

namespace savp {
namespace {

using isa::Opcode;
using test::mask;
using test::with_tokens;

constexpr int kLoad = isa::kEngineLoad;
constexpr int kStore = isa::kEngineStore;
const int kChunk0 = isa::chunk_engine(0);

fw::Image copy_image(uint32_t bytes) {
  fw::Image img;
  img.code_base = 0x0;
  fw::Segment in{0x10000, std::vector<uint8_t>(bytes)};
  for (uint32_t i = 0; i < bytes; ++i) in.data[i] = static_cast<uint8_t>(i * 7 + 3);
  img.segments.push_back(in);
  img.code.push_back(with_tokens(
      isa::make_dma(Opcode::Load, 0x10000, amap::kGlbBase, 1, bytes, bytes, bytes), 0,
      mask(kStore)));
  img.code.push_back(with_tokens(
      isa::make_dma(Opcode::Store, amap::kGlbBase, 0x80000, 1, bytes, bytes, bytes), mask(kLoad),
      0));
  img.code.push_back(isa::make_sync(Opcode::Halt));
  img.outputs.push_back(fw::OutputRegion{"out", 0x80000, bytes, {}});
  return img;
}

TEST(Platform, CopiesThroughTheGlobalBufferAndCountsTheTraffic) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  const uint32_t bytes = 4096;
  fw::Image img = copy_image(bytes);
  RunResult r = p.run(img);
  EXPECT_EQ(r.outputs.at("out"), img.segments[0].data);
  // 4096 bytes read and written once; plus the 3 instructions fetched (192 bytes).
  EXPECT_EQ(r.dram.read_bytes, bytes + 3 * isa::kInstrBytes);
  EXPECT_EQ(r.dram.write_bytes, bytes);
  const EngineReport& load = r.engines[kLoad];
  EXPECT_EQ(load.instructions, 1u);
  EXPECT_EQ(load.bytes, bytes);
  EXPECT_EQ(load.bursts, bytes / hw.dma.burst_bytes);
  // The store waited for the load: its stall covers the load's busy time.
  EXPECT_GT(r.engines[kStore].stall_cycles, 0u);
  EXPECT_GT(r.cycles, 0u);
  // The copy can not beat the DRAM's peak bandwidth: 2 x 4096 bytes moved.
  double min_ns = 2.0 * bytes / hw.dram.peak_bandwidth_gbps();
  EXPECT_GT(r.latency_us * 1e3, min_ns);
  EXPECT_GT(r.energy.by_component.at("dram"), 0.0);
  EXPECT_GT(r.energy.total_pj, r.energy.by_component.at("dram"));
  // The global buffer: 4096 bytes written then read through its 16-byte ports = 256 + 256
  // accesses, each costing the table's energy for its size and width.
  const BufferReport& glb = r.buffers[0];
  ASSERT_EQ(glb.name, "glb");
  EXPECT_EQ(glb.writes, bytes / hw.global_buffer.port_width_bytes);
  EXPECT_EQ(glb.reads, bytes / hw.global_buffer.port_width_bytes);
  EnergyTable et = test::default_energy(hw);
  EXPECT_DOUBLE_EQ(glb.energy_pj,
                   (glb.reads + glb.writes) * et.sram_access(hw.global_buffer.capacity_bytes,
                                                             hw.global_buffer.port_width_bytes));
}

TEST(Platform, RunsAreRepeatableOnOneElaboratedPlatform) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  fw::Image img = copy_image(8192);
  RunResult a = p.run(img);
  RunResult b = p.run(img);
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(a.dram.row_hits, b.dram.row_hits);
  EXPECT_EQ(a.outputs, b.outputs);
  EXPECT_DOUBLE_EQ(a.energy.total_pj, b.energy.total_pj);
}

// A 3x3 conv, pad 1, on chunk0 (mult), against the arithmetic computed directly here.
TEST(Platform, ConvOnTheMultChunkMatchesADirectComputation) {
  HwConfig hw = test::default_hw();
  ASSERT_EQ(hw.chunks[0].kind, OpKind::Mult);
  const int H = 6, W = 6, C = 4, K = 8, R = 3;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> d(-20, 20);
  std::vector<uint8_t> x(H * W * C), w(K * R * R * C), bias(K * 4);
  std::vector<int32_t> b(K);
  for (auto& v : x) v = static_cast<uint8_t>(d(rng));
  for (auto& v : w) v = static_cast<uint8_t>(d(rng));
  for (int k = 0; k < K; ++k) {
    b[k] = d(rng) * 10;
    for (int i = 0; i < 4; ++i) bias[k * 4 + i] = static_cast<uint8_t>(b[k] >> (8 * i));
  }
  const uint32_t M = 1 << 12, S = 16;
  fw::Image img;
  img.code_base = 0;
  img.segments = {{0x10000, x}, {0x20000, w}, {0x30000, bias}};
  uint64_t ib = amap::chunk_buffer_base(0, amap::ChunkBuffer::Ibuf);
  uint64_t wb = amap::chunk_buffer_base(0, amap::ChunkBuffer::Wbuf);
  uint64_t ob = amap::chunk_buffer_base(0, amap::ChunkBuffer::Obuf);
  img.code.push_back(isa::make_dma(Opcode::Load, 0x10000, ib, 1, x.size(), 0, 0));
  img.code.push_back(isa::make_dma(Opcode::Load, 0x20000, wb, 1, w.size(), 0, 0));
  img.code.push_back(
      with_tokens(isa::make_dma(Opcode::Load, 0x30000, wb + 4096, 1, 32, 0, 0), 0, mask(kChunk0)));
  isa::ComputeArgs a;
  a.kind = static_cast<uint8_t>(OpKind::Mult);
  a.k = K, a.c = C, a.oh = H, a.ow = W, a.ih = H, a.iw = W, a.kh = R, a.kw = R;
  a.pad_t = 1, a.pad_l = 1, a.multiplier = M, a.shift = S, a.bias = 4096;
  a.flags = isa::kFlagRelu;
  isa::Instruction c = isa::make_compute(0, a);
  img.code.push_back(with_tokens(c, mask(kLoad), mask(kStore)));
  img.code.push_back(with_tokens(
      isa::make_dma(Opcode::Store, ob, 0x40000, 1, H * W * K, 0, 0), mask(kChunk0), 0));
  img.code.push_back(isa::make_sync(Opcode::Halt));
  img.outputs.push_back({"y", 0x40000, static_cast<uint64_t>(H * W * K), {H, W, K}});
  Platform p(hw, test::default_energy(hw));
  RunResult r = p.run(img);

  std::vector<uint8_t> want(H * W * K);
  for (int oy = 0; oy < H; ++oy)
    for (int ox = 0; ox < W; ++ox)
      for (int k = 0; k < K; ++k) {
        int32_t acc = b[k];
        for (int ky = 0; ky < R; ++ky)
          for (int kx = 0; kx < R; ++kx)
            for (int ci = 0; ci < C; ++ci) {
              int iy = oy - 1 + ky, ix = ox - 1 + kx;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              acc = arith::pe_accumulate(OpKind::Mult, acc,
                                         static_cast<int8_t>(x[(iy * W + ix) * C + ci]),
                                         static_cast<int8_t>(w[((k * R + ky) * R + kx) * C + ci]));
            }
        want[(oy * W + ox) * K + k] =
            static_cast<uint8_t>(arith::requantize(acc, M, S, 8, /*relu=*/true));
      }
  EXPECT_EQ(r.outputs.at("y"), want);
  const EngineReport& ch = r.engines[kChunk0];
  EXPECT_EQ(ch.instructions, 1u);
  EXPECT_EQ(ch.pe_ops, static_cast<uint64_t>(H * W * K * R * R * C));
  // With operands on chip, the chunk is busy exactly the systolic array's compute cycles:
  // os on 16x16: Sr = 36 px, Sc = 8 filters, T = 3*3*4 = 36 -> ceil(36/16) * ceil(8/16) = 3
  // folds of R + C + T - 2 = 16 + 16 + 36 - 2 = 66 cycles (SCALE-Sim v2,
  // common/tile_timing.cpp); the default platform overlaps the folds (fold_overlap): they
  // start max(T, R) = 36 cycles apart, 2 * 36 + 66 = 138 cycles (198 without).
  ASSERT_EQ(hw.chunks[0].rows, 16u);
  ASSERT_EQ(hw.chunks[0].cols, 16u);
  ASSERT_EQ(hw.chunks[0].dataflow, Dataflow::OutputStationary);
  ASSERT_TRUE(hw.chunks[0].fold_overlap);
  EXPECT_EQ(ch.busy_cycles, 138u);
  // The PE energy: every accumulate step at 8 bits plus the 36 * 8 outputs handed to the
  // shadow registers.
  const EnergyTable et = test::default_energy(hw);
  EXPECT_NEAR(r.energy.by_kind.at("mult"),
              static_cast<double>(ch.pe_ops) * et.pe_op(OpKind::Mult, 8) +
                  36.0 * 8 * et.fold_overlap_pj_per_output,
              1e-6);
  EXPECT_GT(et.fold_overlap_pj_per_output, 0.0);
  // Without fold_overlap the PE arrays are smaller by the shadow registers of the three 16x16
  // arrays (one Platform per process, so the area model is asked directly).
  HwConfig plain = hw;
  for (ChunkConfig& cc : plain.chunks) cc.fold_overlap = false;
  EXPECT_NEAR(r.area.by_component.at("pe_arrays") -
                  platform_area(plain, et).by_component.at("pe_arrays"),
              3 * 256 * et.fold_overlap_pe_area_um2 / 1e6, 1e-9);
}

TEST(Platform, DeadlockIsReportedWithTheWaitingEngineAndInstruction) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  fw::Image img;
  // The store waits for a token from chunk0, which never signals.
  img.code.push_back(with_tokens(
      isa::make_dma(Opcode::Store, amap::kGlbBase, 0x1000, 1, 64, 0, 0), mask(kChunk0), 0));
  img.code.push_back(isa::make_sync(Opcode::Halt));
  test::expect_run_error<SimulationError>(
      p, img,
      {"deadlock", "dma_store",
       "waiting for a token from " + hw.chunks[0].name + " at instruction 0x0"});
  // The platform is usable again after the failed run.
  RunResult r = p.run(copy_image(256));
  EXPECT_EQ(r.outputs.at("out").size(), 256u);
}

TEST(Platform, AddressOutsideEveryRegionFaultsWithTheInstructionAddress) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  fw::Image img;
  img.code.push_back(isa::make_sync(Opcode::Nop, kLoad));
  // GLB + 1 GiB is past the global buffer and before the chunks: no region.
  uint64_t bad = amap::kGlbBase + (1ull << 30);
  img.code.push_back(isa::make_dma(Opcode::Load, 0x0, bad, 1, 64, 0, 0));
  img.code.push_back(isa::make_sync(Opcode::Halt));
  test::expect_run_error<SimulationError>(p, img,
                                          {"instruction 0x40", "0x1040000000", "engine states"});
}

TEST(Platform, FirmwareWithoutHaltFaults) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  fw::Image img;
  img.code.push_back(isa::make_sync(Opcode::Nop, kLoad));
  img.code.push_back(isa::make_sync(Opcode::Barrier));
  test::expect_run_error<SimulationError>(p, img, {"without HALT"});
}

TEST(Platform, ComputeOnAChunkThePlatformLacksIsRejectedBeforeRunning) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  fw::Image img;
  isa::Instruction c = isa::make_sync(Opcode::Nop, isa::chunk_engine(static_cast<int>(hw.chunks.size())));
  img.code.push_back(c);
  img.code.push_back(isa::make_sync(Opcode::Halt));
  EXPECT_THROW(p.run(img), FirmwareError);
}

TEST(Platform, OperandOutsideTheChunkBufferFaults) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  fw::Image img;
  isa::ComputeArgs a;
  a.k = 8, a.c = 8, a.oh = 4, a.ow = 4, a.ih = 4, a.iw = 4;
  a.in = static_cast<uint32_t>(hw.chunks[0].ibuf.capacity_bytes - 8);  // 128 bytes needed
  isa::Instruction c = isa::make_compute(0, a);
  img.code.push_back(c);
  img.code.push_back(isa::make_sync(Opcode::Halt));
  test::expect_run_error<SimulationError>(p, img, {"instruction 0x0", hw.chunks[0].name});
}

// Loads overlapped with stores (two DMA queues) finish sooner than the same work serialised
// by tokens through one barrier per tile.
TEST(Platform, DecoupledQueuesOverlapLoadsAndStores) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  const uint32_t tile = 2048;
  const int tiles = 8;
  auto build = [&](bool serial) {
    fw::Image img;
    img.segments.push_back({0x100000, std::vector<uint8_t>(tile * tiles, 5)});
    for (int i = 0; i < tiles; ++i) {
      uint64_t g = amap::kGlbBase + (i % 2) * tile;
      img.code.push_back(with_tokens(
          isa::make_dma(Opcode::Load, 0x100000 + i * tile, g, 1, tile, 0, 0), 0, mask(kStore)));
      img.code.push_back(with_tokens(
          isa::make_dma(Opcode::Store, g, 0x200000 + i * tile, 1, tile, 0, 0), mask(kLoad), 0));
      if (serial) img.code.push_back(isa::make_sync(Opcode::Barrier));
    }
    img.code.push_back(isa::make_sync(Opcode::Halt));
    img.outputs.push_back({"out", 0x200000, tile * tiles, {}});
    return img;
  };
  RunResult overlapped = p.run(build(false));
  RunResult serial = p.run(build(true));
  EXPECT_EQ(overlapped.outputs.at("out"), std::vector<uint8_t>(tile * tiles, 5));
  EXPECT_EQ(serial.outputs.at("out"), overlapped.outputs.at("out"));
  EXPECT_LT(overlapped.cycles, serial.cycles);
}

TEST(Platform, SimulatedTimeLimitStopsARun) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  RunOptions o;
  o.max_sim_time_us = 0.01;  // 10 ns: far less than one DRAM access
  test::expect_run_error<SimulationError>(p, copy_image(1 << 16), {"limit"}, o);
}

// A run much longer than tREFI sees one all-bank refresh per tREFI on every channel,
// counted up to the end of the run (the DRAM model accounts idle time lazily).
TEST(Platform, RefreshesFollowTrefiOverALongRun) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  RunResult r = p.run(copy_image(256 * 1024));
  const double trefi_us = hw.dram.timing.trefi * hw.dram.timing.tck_ns / 1e3;
  const uint64_t per_channel = static_cast<uint64_t>(r.latency_us / trefi_us);
  ASSERT_GE(per_channel, 3u) << "the run should span several tREFI";
  EXPECT_EQ(r.dram.refreshes, per_channel * hw.dram.org.channels);
}

}  // namespace
}  // namespace savp
