// Sram (models/memory/sram): timing of one access and of back-to-back accesses on its port,
// the access counters, DMI, and the range checks of MemoryTarget, on a test initiator bound
// straight to the SRAM. Numbers are worked by hand in the comments from the rule in sram.cpp:
// an access of N bytes arriving at A starts when the port is free (S = max(A, port busy
// until)), holds the port for ceil(N / (banks * port_width)) cycles and its data are done
// after those cycles plus the read or write latency.
#include "models/memory/sram.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "harness.hpp"
#include "models/base/kernel_context.hpp"

namespace savp::models {
namespace {

using test::ns;
using test::TestInitiator;

using test::small_sram;  // 4 KiB, 4 banks x 16 B, read 3 / write 2 cycles; 2 ns cycle below

struct Bench {
  TestInitiator init{"init"};
  Sram sram{"sram", small_sram(), ns(2)};
  Bench() { init.out.bind(sram.in); }
};

TEST(Sram, ReadTakesTransferCyclesPlusReadLatency) {
  fresh_kernel_context();
  Bench b;
  EXPECT_EQ(b.sram.bandwidth_bytes_per_cycle(), 64u);
  sc_core::sc_time d = ns(10);
  tlm::tlm_response_status st = tlm::TLM_INCOMPLETE_RESPONSE;
  b.init.body = [&] {
    std::vector<uint8_t> buf(100);
    st = b.init.read(0x40, buf.data(), 100, d);
  };
  sc_core::sc_start();
  EXPECT_EQ(st, tlm::TLM_OK_RESPONSE);
  // Arrives at 10 ns, port free: ceil(100/64) = 2 transfer cycles + 3 latency = 5 cycles
  // = 10 ns -> done at 10 + 10 = 20 ns.
  EXPECT_EQ(d, ns(20));
  // Counted in port-width words touched: [0x40, 0xa4) spans words 4..10 = 7.
  EXPECT_EQ(b.sram.stats().reads, 7u);
  EXPECT_EQ(b.sram.stats().read_bytes, 100u);
  EXPECT_EQ(b.sram.stats().writes, 0u);
}

TEST(Sram, MisalignedAccessesCountEveryWordTheyTouch) {
  fresh_kernel_context();
  Bench b;
  b.init.body = [&] {
    std::vector<uint8_t> buf(16);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    b.init.read(0x8, buf.data(), 16, d);   // [0x8, 0x18): words 0 and 1
    b.init.write(0x1f, buf.data(), 2, d);  // [0x1f, 0x21): words 1 and 2
    b.init.read(0x20, buf.data(), 16, d);  // aligned: word 2 only
  };
  sc_core::sc_start();
  EXPECT_EQ(b.sram.stats().reads, 3u);
  EXPECT_EQ(b.sram.stats().writes, 2u);
}

TEST(Sram, BackToBackAccessesSerialiseOnThePort) {
  fresh_kernel_context();
  Bench b;
  sc_core::sc_time d1 = ns(10), d2 = ns(10), d3 = ns(0), d4 = ns(0);
  b.init.body = [&] {
    std::vector<uint8_t> buf(130);
    b.init.read(0x0, buf.data(), 100, d1);
    b.init.read(0x100, buf.data(), 64, d2);
    b.init.write(0x200, buf.data(), 130, d3);
    // Long after the port went idle, an access starts on arrival again (and the returned
    // delay stays relative to the new kernel time).
    sc_core::wait(ns(100));
    b.init.read(0x0, buf.data(), 64, d4);
  };
  sc_core::sc_start();
  // 1st: read 100 B arriving at 10 ns: port [10, 14) ns, done 10 + (2 + 3) * 2 = 20 ns.
  EXPECT_EQ(d1, ns(20));
  // 2nd: read 64 B also arriving at 10 ns waits for the port: [14, 16) ns,
  // done 14 + (1 + 3) * 2 = 22 ns.
  EXPECT_EQ(d2, ns(22));
  // 3rd: write 130 B arriving at 0 ns (a decoupled initiator behind in time): its
  // ceil(130/64) = 3 cycles fit the port's idle gap [0, 10) ns before the 1st access, so it
  // does not queue behind later reservations: [0, 6) ns, done 0 + (3 + 2) * 2 = 10 ns.
  EXPECT_EQ(d3, ns(10));
  // 4th: read 64 B at kernel time 100 ns, delay 0: 1 + 3 cycles = 8 ns.
  EXPECT_EQ(d4, ns(8));
  // Words: reads 7 + 4 + 4 = 15, writes ceil(130/16) = 9.
  EXPECT_EQ(b.sram.stats().reads, 15u);
  EXPECT_EQ(b.sram.stats().writes, 9u);
  EXPECT_EQ(b.sram.stats().read_bytes, 100u + 64u + 64u);
  EXPECT_EQ(b.sram.stats().write_bytes, 130u);
}

TEST(Sram, WrittenBytesReadBackAndLoadDumpShareTheArray) {
  fresh_kernel_context();
  Bench b;
  std::vector<uint8_t> pattern(32), back(32), preloaded(16);
  for (int i = 0; i < 32; ++i) pattern[i] = static_cast<uint8_t>(i * 5 + 1);
  std::vector<uint8_t> image(16, 0xA5);
  b.sram.load(0x800, image.data(), image.size());
  b.init.body = [&] {
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    b.init.write(0x100, pattern.data(), 32, d);
    b.init.read(0x100, back.data(), 32, d);
    b.init.read(0x800, preloaded.data(), 16, d);
  };
  sc_core::sc_start();
  EXPECT_EQ(back, pattern);
  EXPECT_EQ(preloaded, image);
  std::vector<uint8_t> dumped(32);
  b.sram.dump(0x100, dumped.data(), 32);
  EXPECT_EQ(dumped, pattern);
  EXPECT_EQ(b.sram.data()[0x100 + 31], pattern[31]);  // the DMI array is the storage
}

TEST(Sram, DmiCoversTheWholeCapacityWithTheConfiguredLatencies) {
  fresh_kernel_context();
  Bench b;
  tlm::tlm_dmi dmi;
  bool granted = false, hinted = false;
  b.init.body = [&] {
    uint8_t byte = 0;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    b.init.read(0x10, &byte, 1, d);
    hinted = b.init.trans.is_dmi_allowed();
    granted = b.init.dmi(0x123, dmi);
  };
  sc_core::sc_start();
  EXPECT_TRUE(hinted);  // b_transport says DMI is on offer
  ASSERT_TRUE(granted);
  EXPECT_EQ(dmi.get_dmi_ptr(), b.sram.data());
  EXPECT_EQ(dmi.get_start_address(), 0u);
  EXPECT_EQ(dmi.get_end_address(), 4095u);
  EXPECT_TRUE(dmi.is_read_write_allowed());
  // 3 and 2 cycles of 2 ns.
  EXPECT_EQ(dmi.get_read_latency(), ns(6));
  EXPECT_EQ(dmi.get_write_latency(), ns(4));
}

TEST(Sram, AccessBeyondCapacityIsAnAddressError) {
  fresh_kernel_context();
  Bench b;
  tlm::tlm_response_status across = tlm::TLM_OK_RESPONSE, past = tlm::TLM_OK_RESPONSE,
                           last = tlm::TLM_INCOMPLETE_RESPONSE, enables = tlm::TLM_OK_RESPONSE;
  sc_core::sc_time d_across = ns(1), d_past = ns(1);
  b.init.body = [&] {
    uint8_t buf[8] = {};
    across = b.init.read(4090, buf, 8, d_across);  // [4090, 4098) crosses the end
    past = b.init.write(4096, buf, 1, d_past);     // first byte past the end
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    last = b.init.write(4095, buf, 1, d);  // the last byte is fine
    unsigned char be[1] = {0xFF};
    b.init.trans.set_address(0);
    b.init.trans.set_byte_enable_ptr(be);
    b.init.trans.set_byte_enable_length(1);
    b.init.trans.set_data_length(1);
    b.init.out->b_transport(b.init.trans, d);
    enables = b.init.trans.get_response_status();
  };
  sc_core::sc_start();
  EXPECT_EQ(across, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(past, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(last, tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(enables, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  // A rejected access takes no time and is not counted; only the 1-byte write is.
  EXPECT_EQ(d_across, ns(1));
  EXPECT_EQ(d_past, ns(1));
  EXPECT_EQ(b.sram.stats().reads, 0u);
  EXPECT_EQ(b.sram.stats().writes, 1u);
  EXPECT_EQ(b.sram.stats().write_bytes, 1u);
}

TEST(Sram, DebugTransportIsClampedUntimedAndUncounted) {
  fresh_kernel_context();
  Bench b;
  unsigned near_end = 99, past_end = 99;
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  b.init.body = [&] {
    uint8_t buf[16] = {};
    near_end = b.init.debug(tlm::TLM_READ_COMMAND, 4090, buf, 16);  // 6 bytes left
    past_end = b.init.debug(tlm::TLM_READ_COMMAND, 4096, buf, 16);
    // The port was not reserved: 64 B at delay 0 takes 1 + 3 cycles = 8 ns.
    b.init.read(0, buf, 16, d);
  };
  sc_core::sc_start();
  EXPECT_EQ(near_end, 6u);
  EXPECT_EQ(past_end, 0u);
  EXPECT_EQ(d, ns(8));
  EXPECT_EQ(b.sram.stats().reads, 1u);  // only the timed 16-byte read: ceil(16/16)
}

TEST(Sram, LocalTrafficCountsAndResetClearsStatsAndPort) {
  fresh_kernel_context();
  Bench b;
  b.sram.add_local_traffic(100, 33);
  // ceil(100/16) = 7 read words, ceil(33/16) = 3 write words.
  EXPECT_EQ(b.sram.stats().reads, 7u);
  EXPECT_EQ(b.sram.stats().writes, 3u);
  EXPECT_EQ(b.sram.stats().read_bytes, 100u);
  EXPECT_EQ(b.sram.stats().write_bytes, 33u);

  sc_core::sc_time d1 = ns(10), d2 = sc_core::SC_ZERO_TIME;
  b.init.body = [&] {
    uint8_t buf[64] = {};
    b.init.read(0, buf, 64, d1);  // port busy [10, 12) ns
    b.sram.reset_stats();
    b.init.read(0, buf, 64, d2);  // port reset: starts at 0, 1 + 3 cycles = 8 ns (not 12 + 8)
  };
  sc_core::sc_start();
  EXPECT_EQ(d1, ns(18));
  EXPECT_EQ(d2, ns(8));
  EXPECT_EQ(b.sram.stats().reads, 4u);  // only the read after the reset: 64/16
  EXPECT_EQ(b.sram.stats().writes, 0u);
  EXPECT_EQ(b.sram.stats().read_bytes, 64u);
}

}  // namespace
}  // namespace savp::models
