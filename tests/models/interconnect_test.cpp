// Interconnect (models/interconnect): routing and address translation, the hop latency and
// link transfer time of reads and writes, per-target links, address errors, the address map,
// DMI and debug transport, on a test initiator and test memories that log the local address
// and arrival time of each access. Timing rules (interconnect.cpp), with hop = latency_cycles
// and xfer = ceil(len / width_bytes) cycles on the target's link:
//   write: link reserved from arrival + hop for xfer; target sees the data at the end of the
//          transfer; + hop for the acknowledgement.
//   read:  + hop; target time; link reserved for xfer from the target's done time; + hop.
#include "models/interconnect/interconnect.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/errors.hpp"
#include "harness.hpp"
#include "models/base/kernel_context.hpp"
#include "models/memory/sram.hpp"

namespace savp::models {
namespace {

using test::ns;
using test::TestInitiator;
using test::TestMemory;

// 32 bytes per cycle, 2 cycles per hop, 2 ns cycle: hop = 4 ns, a 100-byte transfer
// ceil(100/32) = 4 cycles = 8 ns, a 64-byte one 2 cycles = 4 ns.
InterconnectConfig noc_config() {
  InterconnectConfig c;
  c.width_bytes = 32;
  c.latency_cycles = 2;
  return c;
}

// Bound in the order a (out[0]), b (out[1]), sram (out[2]), but mapped so the sorted map
// puts b first: routing must follow the binding order, not the sorted order.
struct Bench {
  TestInitiator init{"init"};
  Interconnect noc{"noc", noc_config(), ns(2)};
  TestMemory a{"a", 0x1000};                // zero latency
  TestMemory b{"b", 0x1000, ns(10)};        // 10 ns per access
  Sram sram{"sram", test::small_sram(), ns(2)};  // 4 KiB, mapped as a 2 KiB region
  Bench() {
    init.out.bind(noc.in);
    noc.out.bind(a.in);
    noc.map(0x20000, 0x1000, "a");
    noc.out.bind(b.in);
    noc.map(0x10000, 0x1000, "b");
    noc.out.bind(sram.in);
    noc.map(0x30000, 0x800, "sram");
  }
};

TEST(Interconnect, RoutesByAddressAndTranslatesToLocalAddresses) {
  fresh_kernel_context();
  Bench t;
  std::vector<uint8_t> w{1, 2, 3, 4}, r(4);
  uint64_t addr_after = 0;
  t.init.body = [&] {
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(t.init.write(0x20010, w.data(), 4, d), tlm::TLM_OK_RESPONSE);
    t.b.load(0x20, w.data(), 4);
    EXPECT_EQ(t.init.read(0x10020, r.data(), 4, d), tlm::TLM_OK_RESPONSE);
    addr_after = t.init.trans.get_address();
  };
  sc_core::sc_start();
  ASSERT_EQ(t.a.log.size(), 1u);
  EXPECT_TRUE(t.a.log[0].write);
  EXPECT_EQ(t.a.log[0].addr, 0x10u);
  EXPECT_EQ(t.a.bytes[0x13], 4);
  ASSERT_EQ(t.b.log.size(), 1u);
  EXPECT_FALSE(t.b.log[0].write);
  EXPECT_EQ(t.b.log[0].addr, 0x20u);
  EXPECT_EQ(r, w);
  EXPECT_EQ(addr_after, 0x10020u);  // the initiator gets its global address back
  EXPECT_EQ(t.noc.region_of(0x10020), "b");
  EXPECT_EQ(t.noc.region_of(0x20FFF), "a");
  EXPECT_EQ(t.noc.region_of(0x30800), "");  // past the 2 KiB sram region
  EXPECT_EQ(t.noc.stats().transactions, 2u);
  EXPECT_EQ(t.noc.stats().bytes, 8u);
}

TEST(Interconnect, WriteCrossesHopAndLinkBeforeTheTargetThenAcknowledges) {
  fresh_kernel_context();
  Bench t;
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  t.init.body = [&] {
    std::vector<uint8_t> buf(100);
    t.init.write(0x20000, buf.data(), 100, d);
  };
  sc_core::sc_start();
  // Link reserved at 0 + 4 ns for 8 ns: the zero-latency target sees the data at 12 ns;
  // the acknowledgement hop brings it to 16 ns.
  ASSERT_EQ(t.a.log.size(), 1u);
  EXPECT_EQ(t.a.log[0].arrival, ns(12));
  EXPECT_EQ(d, ns(16));
}

TEST(Interconnect, ReadCrossesHopThenTargetThenLinkBack) {
  fresh_kernel_context();
  Bench t;
  sc_core::sc_time da = sc_core::SC_ZERO_TIME, db = sc_core::SC_ZERO_TIME;
  t.init.body = [&] {
    std::vector<uint8_t> buf(100);
    t.init.read(0x20000, buf.data(), 100, da);
    t.init.read(0x10000, buf.data(), 100, db);
  };
  sc_core::sc_start();
  // a (zero latency): request hop to 4 ns, target done at 4 ns, link [4, 12) ns, hop: 16 ns.
  EXPECT_EQ(t.a.log[0].arrival, ns(4));
  EXPECT_EQ(da, ns(16));
  // b (10 ns): request hop to 4 ns, target done 14 ns, link [14, 22) ns, hop: 26 ns.
  EXPECT_EQ(t.b.log[0].arrival, ns(4));
  EXPECT_EQ(db, ns(26));
}

TEST(Interconnect, OneTargetsLinkSerialisesWhileOtherTargetsOverlap) {
  fresh_kernel_context();
  Bench t;
  sc_core::sc_time d1 = sc_core::SC_ZERO_TIME, d2 = d1, d3 = d1;
  t.init.body = [&] {
    std::vector<uint8_t> buf(64);
    t.init.write(0x20000, buf.data(), 64, d1);
    t.init.write(0x20040, buf.data(), 64, d2);
    t.init.write(0x10000, buf.data(), 64, d3);
  };
  sc_core::sc_start();
  // 1st to a: link [4, 8) ns, target at 8 ns, done 12 ns.
  EXPECT_EQ(t.a.log[0].arrival, ns(8));
  EXPECT_EQ(d1, ns(12));
  // 2nd to a, same arrival: link busy until 8 ns, so [8, 12) ns, target at 12, done 16 ns.
  EXPECT_EQ(t.a.log[1].arrival, ns(12));
  EXPECT_EQ(d2, ns(16));
  // 3rd to b, same arrival: its own link is free, [4, 8) ns; b takes 10 ns -> 18 ns; + 4 ns.
  EXPECT_EQ(t.b.log[0].arrival, ns(8));
  EXPECT_EQ(d3, ns(22));
  EXPECT_EQ(t.noc.stats().transactions, 3u);
  EXPECT_EQ(t.noc.stats().bytes, 192u);
}

TEST(Interconnect, UnmappedAddressIsAnAddressErrorAndCounted) {
  fresh_kernel_context();
  Bench t;
  std::vector<tlm::tlm_response_status> st;
  std::vector<sc_core::sc_time> delays;
  t.init.body = [&] {
    uint8_t buf[32] = {};
    for (auto [addr, len] : {std::pair<uint64_t, unsigned>{0x0, 4},  // below every region
                             {0x11000, 4},                           // gap after b
                             {0x20FF0, 32},                          // runs off the end of a
                             {0x30800, 4}}) {                        // past the sram region
      sc_core::sc_time d = ns(3);
      st.push_back(t.init.read(addr, buf, len, d));
      delays.push_back(d);
    }
  };
  sc_core::sc_start();
  ASSERT_EQ(st.size(), 4u);
  for (size_t i = 0; i < st.size(); ++i) {
    EXPECT_EQ(st[i], tlm::TLM_ADDRESS_ERROR_RESPONSE) << i;
    EXPECT_EQ(delays[i], ns(3)) << i;  // no time added
  }
  EXPECT_EQ(t.noc.stats().address_errors, 4u);
  EXPECT_EQ(t.noc.stats().transactions, 0u);
  EXPECT_TRUE(t.a.log.empty());
  EXPECT_EQ(t.sram.stats().reads, 0u);
}

TEST(Interconnect, OverlappingRegionsAreRejected) {
  fresh_kernel_context();
  Interconnect noc("noc", noc_config(), ns(2));
  noc.map(0x1000, 0x1000, "x");
  try {
    noc.map(0x1800, 0x100, "y");  // inside x
    ADD_FAILURE() << "no throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("y overlaps x"), std::string::npos) << e.what();
  }
  EXPECT_THROW(noc.map(0x0, 0x1001, "z"), Error);     // its last byte is x's first
  EXPECT_THROW(noc.map(0x1FFF, 0x10, "w"), Error);    // its first byte is x's last
  EXPECT_NO_THROW(noc.map(0x2000, 0x1000, "right"));  // adjacent is fine
  EXPECT_NO_THROW(noc.map(0x0, 0x1000, "left"));
  EXPECT_EQ(noc.region_of(0x0FFF), "left");
  EXPECT_EQ(noc.region_of(0x1000), "x");
  EXPECT_EQ(noc.region_of(0x2000), "right");
  EXPECT_EQ(noc.region_of(0x3000), "");
}

TEST(Interconnect, DmiIsRoutedAndTranslatedBackToGlobalAddresses) {
  fresh_kernel_context();
  Bench t;
  tlm::tlm_dmi dmi, none;
  bool granted = false, from_b = true, unmapped = true;
  t.init.body = [&] {
    granted = t.init.dmi(0x30010, dmi);
    from_b = t.init.dmi(0x10000, none);  // the test memory offers no DMI
    unmapped = t.init.dmi(0x50000, none);
  };
  sc_core::sc_start();
  ASSERT_TRUE(granted);
  EXPECT_EQ(dmi.get_dmi_ptr(), t.sram.data());
  EXPECT_EQ(dmi.get_start_address(), 0x30000u);
  // The SRAM grants [0, 0xFFF] but the region is 0x800 bytes: [0x30000, 0x307FF].
  EXPECT_EQ(dmi.get_end_address(), 0x307FFu);
  // The SRAM's own latencies (3 and 2 cycles of 2 ns); the interconnect adds no hop to them.
  EXPECT_EQ(dmi.get_read_latency(), ns(6));
  EXPECT_EQ(dmi.get_write_latency(), ns(4));
  EXPECT_FALSE(from_b);
  EXPECT_FALSE(unmapped);
}

TEST(Interconnect, DebugTransportRoutesUntimedAndUncounted) {
  fresh_kernel_context();
  Bench t;
  unsigned wrote = 0, read = 0, unmapped = 99;
  std::vector<uint8_t> w{9, 8, 7, 6, 5, 4, 3, 2}, r(8);
  t.init.body = [&] {
    wrote = t.init.debug(tlm::TLM_WRITE_COMMAND, 0x10008, w.data(), 8);
    read = t.init.debug(tlm::TLM_READ_COMMAND, 0x10008, r.data(), 8);
    unmapped = t.init.debug(tlm::TLM_READ_COMMAND, 0x40000, r.data(), 8);
  };
  sc_core::sc_start();
  EXPECT_EQ(wrote, 8u);
  EXPECT_EQ(read, 8u);
  EXPECT_EQ(unmapped, 0u);
  EXPECT_EQ(r, w);
  EXPECT_EQ(t.b.bytes[0x8], 9);  // landed at b's local 0x8
  EXPECT_TRUE(t.b.log.empty());  // not a timed access
  EXPECT_EQ(t.noc.stats().transactions, 0u);
}

TEST(Interconnect, DmiInvalidationIsTranslatedToGlobalAddresses) {
  fresh_kernel_context();
  Bench t;
  t.init.body = [&] { t.b.invalidate(0x10, 0x1F); };
  sc_core::sc_start();
  ASSERT_EQ(t.init.invalidated.size(), 1u);
  EXPECT_EQ(t.init.invalidated[0].first, 0x10010u);
  EXPECT_EQ(t.init.invalidated[0].second, 0x1001Fu);
}

// "Invalidate everything" is invalidate_direct_mem_ptr(0, ~0) in TLM-2.0 (IEEE 1666-2011,
// 11.2.9). The interconnect clamps it to the region before adding the base (a regression
// test: ~0 + 0x10000 once wrapped to the inverted range [0x10000, 0xFFFF]). Expected: the
// region's global range [0x10000, 0x10FFF].
TEST(Interconnect, FullRangeDmiInvalidationIsClampedToTheRegion) {
  fresh_kernel_context();
  Bench t;
  t.init.body = [&] { t.b.invalidate(0, ~uint64_t{0}); };
  sc_core::sc_start();
  ASSERT_EQ(t.init.invalidated.size(), 1u);
  EXPECT_EQ(t.init.invalidated[0].first, 0x10000u);
  EXPECT_EQ(t.init.invalidated[0].second, 0x10FFFu);  // actual: 0xFFFF
}

}  // namespace
}  // namespace savp::models

namespace savp::models {
namespace {

sc_core::sc_time at_ns(double v) { return sc_core::sc_time(v, sc_core::SC_NS); }

// Decoupled initiators reserve out of time order: an earlier request takes a gap before a
// later reservation instead of queueing behind it; overlapping requests still serialise.
TEST(Occupancy, EarlierRequestsTakeGapsBeforeLaterReservations) {
  Occupancy o;
  EXPECT_EQ(o.reserve(at_ns(10), at_ns(5)), at_ns(10));    // [10, 15)
  EXPECT_EQ(o.reserve(at_ns(100), at_ns(10)), at_ns(100));  // [100, 110): an engine running ahead
  EXPECT_EQ(o.reserve(at_ns(20), at_ns(5)), at_ns(20));    // the gap before it: [20, 25)
  EXPECT_EQ(o.reserve(at_ns(12), at_ns(10)), at_ns(25));   // overlaps [10,15) and [20,25): after them
  EXPECT_EQ(o.reserve(at_ns(95), at_ns(10)), at_ns(110));  // does not fit before 100: after [100,110)
  EXPECT_EQ(o.reserve(at_ns(0), at_ns(10)), at_ns(0));     // fits exactly before 10
  EXPECT_EQ(o.busy_until(), at_ns(120));
  EXPECT_EQ(o.busy_time(), at_ns(50));
  o.reset();
  EXPECT_EQ(o.reserve(at_ns(1), at_ns(1)), at_ns(1));
}

TEST(Occupancy, OldIntervalsAreFoldedIntoAFloor) {
  Occupancy o;
  EXPECT_EQ(o.reserve(at_ns(0), at_ns(10)), at_ns(0));
  const double far = Occupancy::kHorizonNs + 1000;
  EXPECT_EQ(o.reserve(at_ns(far), at_ns(10)), at_ns(far));
  // [0, 10) is older than the horizon: folded; a request that late starts at the floor.
  EXPECT_EQ(o.reserve(at_ns(2), at_ns(1)), at_ns(10));
}

}  // namespace
}  // namespace savp::models
