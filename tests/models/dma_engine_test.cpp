// DmaEngine (models/dma): burst splitting, 2D strided copies, the outstanding-burst limit,
// setup time and address errors, with the engine's socket bound straight to a test memory
// of fixed latency L per access, and execute() called from a test thread. Rules
// (dma_engine.cpp): issue = start + setup_cycles; burst i issues at
// at_i = max(at_{i-1}, done_{i - max_outstanding}) (at_0 = issue); its read completes at
// at_i + L and its write, issued then, at done_i = at_i + 2L; the instruction finishes at
// the latest done_i (or at issue if nothing moved).
#include "models/dma/dma_engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "harness.hpp"
#include "models/base/kernel_context.hpp"

namespace savp::models {
namespace {

using sc_core::sc_time;
using test::ns;
using test::TestMemory;
using test::TestThread;

struct Burst {
  sc_time at;
  uint64_t src, dst;
  uint32_t bytes;
  sc_time done;
  bool operator==(const Burst& o) const {
    return at == o.at && src == o.src && dst == o.dst && bytes == o.bytes && done == o.done;
  }
};
std::ostream& operator<<(std::ostream& os, const Burst& b) {
  return os << "{at " << b.at << ", src 0x" << std::hex << b.src << ", dst 0x" << b.dst << std::dec
            << ", " << b.bytes << " B, done " << b.done << "}";
}

// 64-byte bursts, 4 setup cycles of 2 ns = 8 ns per instruction.
DmaConfig dma_config(uint32_t max_outstanding) {
  DmaConfig c;
  c.burst_bytes = 64;
  c.max_outstanding = max_outstanding;
  c.setup_cycles = 4;
  return c;
}

struct Bench {
  TestThread thread{"thread"};
  TestMemory mem;
  DmaEngine dma;
  std::vector<Burst> bursts;
  Bench(uint32_t max_outstanding, sc_time latency)
      : mem("mem", 0x10000, latency), dma("dma", dma_config(max_outstanding), ns(2), "dma_test") {
    dma.out.bind(mem.in);
    dma.set_observer([this](sc_time at, uint64_t s, uint64_t d, uint32_t n, sc_time done) {
      bursts.push_back(Burst{at, s, d, n, done});
    });
  }
  // Runs one instruction from `start` in the simulation; returns its finish time.
  sc_time run(const isa::Instruction& in, sc_time start) {
    sc_time finish;
    thread.body = [&] { finish = dma.execute(in, start); };
    sc_core::sc_start();
    return finish;
  }
};

isa::Instruction copy(uint64_t src, uint64_t dst, uint32_t rows, uint32_t row_bytes,
                      uint32_t src_stride = 0, uint32_t dst_stride = 0) {
  return isa::make_dma(isa::Opcode::Load, src, dst, rows, row_bytes, src_stride, dst_stride);
}

TEST(DmaEngine, BurstsSplitAtBurstAlignedSourceBoundaries) {
  fresh_kernel_context();
  Bench b(8, sc_core::SC_ZERO_TIME);
  for (int i = 0; i < 0x100; ++i) b.mem.bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  // 200 bytes from 0x30: up to the boundary at 0x40 (16 B), then 0x40 and 0x80 (64 B
  // each), then the remaining 200 - 144 = 56 B from 0xC0. With zero-latency memory every
  // burst issues and completes at start + setup = 1000 + 8 ns.
  sc_time finish = b.run(copy(0x30, 0x1000, 1, 200), ns(1000));
  const sc_time t = ns(1008);
  std::vector<Burst> want{{t, 0x30, 0x1000, 16, t},
                          {t, 0x40, 0x1010, 64, t},
                          {t, 0x80, 0x1050, 64, t},
                          {t, 0xC0, 0x1090, 56, t}};
  EXPECT_EQ(b.bursts, want);
  EXPECT_EQ(finish, t);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(b.mem.bytes[0x1000 + i], b.mem.bytes[0x30 + i]) << i;
  EXPECT_EQ(b.mem.bytes[0x1000 + 200], 0);  // nothing past the end
  // Each burst is one read then one write of the same size.
  ASSERT_EQ(b.mem.log.size(), 8u);
  EXPECT_FALSE(b.mem.log[0].write);
  EXPECT_EQ(b.mem.log[0].addr, 0x30u);
  EXPECT_EQ(b.mem.log[0].len, 16u);
  EXPECT_TRUE(b.mem.log[1].write);
  EXPECT_EQ(b.mem.log[1].addr, 0x1000u);
  EXPECT_EQ(b.dma.stats().instructions, 1u);
  EXPECT_EQ(b.dma.stats().bursts, 4u);
  EXPECT_EQ(b.dma.stats().bytes, 200u);
  EXPECT_EQ(b.dma.stats().transactions, 8u);
}

TEST(DmaEngine, StridedRowsCopyTheRightBytes) {
  fresh_kernel_context();
  Bench b(8, sc_core::SC_ZERO_TIME);
  for (int i = 0; i < 0x200; ++i) b.mem.bytes[i] = static_cast<uint8_t>(i);  // byte = addr & 0xFF
  std::fill(b.mem.bytes.begin() + 0x2000, b.mem.bytes.begin() + 0x2040, 0xEE);
  // 3 rows of 10 bytes, source stride 30, destination stride 12. Rows start at 0x100,
  // 0x11E and 0x13C; the last crosses the 64-byte boundary at 0x140 (0x13C % 64 = 60), so
  // it splits 4 + 6: four bursts.
  sc_time finish = b.run(copy(0x100, 0x2000, 3, 10, 30, 12), ns(0));
  const sc_time t = ns(8);
  std::vector<Burst> want{{t, 0x100, 0x2000, 10, t},
                          {t, 0x11E, 0x200C, 10, t},
                          {t, 0x13C, 0x2018, 4, t},
                          {t, 0x140, 0x201C, 6, t}};
  EXPECT_EQ(b.bursts, want);
  EXPECT_EQ(finish, t);
  for (int r = 0; r < 3; ++r)
    for (int i = 0; i < 10; ++i)
      EXPECT_EQ(b.mem.bytes[0x2000 + r * 12 + i], r * 30 + i) << r << "," << i;
  // The gaps between destination rows and the bytes after the last row are untouched.
  for (int g : {0x200A, 0x200B, 0x2016, 0x2017, 0x2022, 0x2023})
    EXPECT_EQ(b.mem.bytes[g], 0xEE) << std::hex << g;
  EXPECT_EQ(b.dma.stats().bursts, 4u);
  EXPECT_EQ(b.dma.stats().bytes, 30u);
}

TEST(DmaEngine, OneOutstandingBurstSerialisesTheBursts) {
  fresh_kernel_context();
  const sc_time L = ns(100);
  Bench b(1, L);
  // The four bursts of the 200-byte copy from 0x30, one at a time: burst k issues at
  // 8 + 200k ns (when burst k-1's write is done) and is done 2L = 200 ns later.
  sc_time finish = b.run(copy(0x30, 0x1000, 1, 200), ns(0));
  std::vector<Burst> want{{ns(8), 0x30, 0x1000, 16, ns(208)},
                          {ns(208), 0x40, 0x1010, 64, ns(408)},
                          {ns(408), 0x80, 0x1050, 64, ns(608)},
                          {ns(608), 0xC0, 0x1090, 56, ns(808)}};
  EXPECT_EQ(b.bursts, want);
  EXPECT_EQ(finish, ns(808));  // setup + n * 2L
  // The write of each burst arrives when its read is done: 8 + 100 ns for the first.
  EXPECT_EQ(b.mem.log[1].arrival, ns(108));
}

TEST(DmaEngine, EightOutstandingBurstsOverlap) {
  fresh_kernel_context();
  const sc_time L = ns(100);
  Bench b(8, L);
  // 640 aligned bytes: ten 64-byte bursts. Bursts 0..7 issue together at 8 ns and are done
  // at 208 ns; burst 8 reuses burst 0's slot and burst 9 burst 1's: both issue at 208 ns
  // and are done at 408 ns. One outstanding would take 8 + 10 * 200 = 2008 ns.
  sc_time finish = b.run(copy(0x0, 0x4000, 1, 640), ns(0));
  ASSERT_EQ(b.bursts.size(), 10u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(b.bursts[i].at, ns(8)) << i;
    EXPECT_EQ(b.bursts[i].done, ns(208)) << i;
  }
  for (int i = 8; i < 10; ++i) {
    EXPECT_EQ(b.bursts[i].at, ns(208)) << i;
    EXPECT_EQ(b.bursts[i].done, ns(408)) << i;
  }
  EXPECT_EQ(finish, ns(408));
}

TEST(DmaEngine, TwoOutstandingBurstsGoInPairs) {
  fresh_kernel_context();
  const sc_time L = ns(100);
  Bench b(2, L);
  // Five 64-byte bursts, two at a time: issued at 8, 8, 208, 208, 408 ns; the last is done
  // at 608 ns = setup + ceil(5/2) * 2L.
  sc_time finish = b.run(copy(0x0, 0x4000, 1, 320), ns(0));
  ASSERT_EQ(b.bursts.size(), 5u);
  const double at_ns[] = {8, 8, 208, 208, 408};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(b.bursts[i].at, ns(at_ns[i])) << i;
    EXPECT_EQ(b.bursts[i].done, ns(at_ns[i] + 200)) << i;
  }
  EXPECT_EQ(finish, ns(608));
}

TEST(DmaEngine, SetupCyclesArePaidOncePerInstruction) {
  fresh_kernel_context();
  const sc_time L = ns(100);
  Bench b(1, L);
  sc_time first, second;
  b.thread.body = [&] {
    // One aligned 64-byte burst from 0: 0 + 8 + 200 = 208 ns.
    first = b.dma.execute(copy(0x0, 0x4000, 1, 64), ns(0));
    // Two rows of 64 aligned bytes, started when the first finished: one setup (8 ns), not
    // one per row or burst: 208 + 8 + 2 * 200 = 616 ns.
    second = b.dma.execute(copy(0x100, 0x5000, 2, 64, 64, 64), first);
  };
  sc_core::sc_start();
  EXPECT_EQ(first, ns(208));
  EXPECT_EQ(second, ns(616));
  ASSERT_EQ(b.bursts.size(), 3u);
  EXPECT_EQ(b.bursts[1].at, ns(216));
  EXPECT_EQ(b.bursts[2].at, ns(416));
  EXPECT_EQ(b.dma.stats().instructions, 2u);
}

std::string error_of(Bench& b, const isa::Instruction& in) {
  std::string what;
  b.thread.body = [&] {
    try {
      b.dma.execute(in, ns(0));
      ADD_FAILURE() << "no throw";
    } catch (const SimulationError& e) {
      what = e.what();
    }
  };
  sc_core::sc_start();
  return what;
}

TEST(DmaEngine, ReadAddressErrorThrowsNamingTheAddress) {
  fresh_kernel_context();
  Bench b(8, sc_core::SC_ZERO_TIME);
  // The memory is 0x10000 bytes: the first read, at 0x20000, fails.
  std::string what = error_of(b, copy(0x20000, 0x0, 1, 16));
  EXPECT_NE(what.find("dma_test"), std::string::npos) << what;
  EXPECT_NE(what.find("read of 16 bytes at address 0x20000"), std::string::npos) << what;
}

TEST(DmaEngine, WriteAddressErrorThrowsNamingTheAddress) {
  fresh_kernel_context();
  Bench b(8, sc_core::SC_ZERO_TIME);
  // One 32-byte burst; its write to [0xfff0, 0x10010) runs off the end of the memory.
  std::string what = error_of(b, copy(0x0, 0xFFF0, 1, 32));
  EXPECT_NE(what.find("write of 32 bytes at address 0xfff0"), std::string::npos) << what;
}

}  // namespace
}  // namespace savp::models
