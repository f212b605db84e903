// The tiling search (mapper/tiling.hpp): its choice is the minimum of the estimate over the
// enumerated candidates, the objectives trade cycles against DRAM traffic, every loop order
// emits firmware whose tokens balance, and a bad objective names the allowed ones.
#include "mapper/tiling.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "common/errors.hpp"
#include "firmware/isa.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::mapper {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

struct Platform45 {
  HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  EnergyTable et = load_energy_table(hw.energy_table);
};

const Platform45& setup() {
  static const Platform45 s;
  return s;
}

// A dense conv problem on the default platform's mult chunk.
LayerProblem conv(uint64_t hw_px, uint64_t c, uint64_t k, uint64_t ks, uint64_t stride,
                  const HwConfig& hw = setup().hw) {
  LayerProblem p;
  p.kind = TileKind::Dense;
  const uint64_t pad = ks / 2, o = (hw_px + 2 * pad - ks) / stride + 1;
  p.g = Geo{hw_px, hw_px, c, o, o, k, ks, ks, stride, pad, pad};
  p.cc = &hw.chunks[0];
  p.hw = &hw;
  p.prices = energy_prices(hw, &setup().et, hw.chunks[0], 8);
  p.what = "test conv";
  return p;
}

TEST(Tiling, ParseObjectiveRoundTripsAndBogusListsTheAllowedValues) {
  for (Objective o : {Objective::Latency, Objective::Energy, Objective::Edp})
    EXPECT_EQ(parse_objective(to_string(o)), o);
  try {
    parse_objective("bogus");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const char* w : {"bogus", "latency", "energy", "edp"})
      EXPECT_NE(msg.find(w), std::string::npos) << msg;
  }
}

// The search returns the minimum of estimate() over enumerate_candidates() (double buffering
// only when it wins by 5%), for every objective, on layers of different shapes (brute force
// over every candidate).
TEST(Tiling, SearchPicksTheMinimumOfTheEstimateOverAllCandidates) {
  std::vector<LayerProblem> layers{conv(32, 16, 16, 3, 1), conv(8, 64, 64, 3, 1),
                                   conv(16, 32, 64, 1, 2), conv(14, 256, 256, 3, 1),
                                   conv(56, 64, 256, 1, 1)};
  LayerProblem dw = conv(16, 96, 96, 3, 1);
  dw.kind = TileKind::Depthwise;
  layers.push_back(dw);
  LayerProblem pool = conv(32, 16, 16, 2, 2);
  pool.kind = TileKind::Pool;
  pool.g.ph = pool.g.pw = 0;
  pool.g.oh = pool.g.ow = 16;
  layers.push_back(pool);
  for (const LayerProblem& p : layers)
    for (Objective o : {Objective::Latency, Objective::Energy, Objective::Edp}) {
      const std::vector<Tiling> cands = enumerate_candidates(p);
      ASSERT_FALSE(cands.empty());
      // The best single-buffered candidate, unless a double-buffered one is 5% better.
      double best_of[2] = {1e300, 1e300};
      for (const Tiling& t : cands) {
        double& b = best_of[t.double_buffered];
        b = std::min(b, objective_value(o, estimate(p, t)));
      }
      const double best = best_of[1] < 0.95 * best_of[0] ? best_of[1] : best_of[0];
      const SearchResult r = search(p, o);
      EXPECT_EQ(r.candidates, cands.size());
      EXPECT_NEAR(objective_value(o, r.cost), best, 1e-9 * best)
          << p.g.h << "x" << p.g.c << "->" << p.g.k << " " << to_string(o);
      // The returned cost is the estimate of the returned tiling.
      const TilingCost again = estimate(p, r.tiling);
      EXPECT_DOUBLE_EQ(again.cycles, r.cost.cycles);
      EXPECT_DOUBLE_EQ(again.energy_pj, r.cost.energy_pj);
      EXPECT_EQ(again.dram_bytes, r.cost.dram_bytes);
    }
}

// A layer whose input and weights both exceed the buffers (ResNet-50's 14x14 3x3 conv, 256
// channels: 590 KB of weights, 50 KB of input): the loop orders move different DRAM bytes, and
// the objectives pick different mappings.
TEST(Tiling, ObjectivesTradeCyclesAgainstDramTraffic) {
  const LayerProblem p = conv(28, 128, 512, 3, 1);
  std::map<LoopOrder, uint64_t> min_bytes;
  for (const Tiling& t : enumerate_candidates(p)) {
    const uint64_t b = estimate(p, t).dram_bytes;
    auto it = min_bytes.find(t.order);
    if (it == min_bytes.end() || b < it->second) min_bytes[t.order] = b;
  }
  ASSERT_TRUE(min_bytes.count(LoopOrder::KBlockOuter));
  ASSERT_TRUE(min_bytes.count(LoopOrder::BandOuter));
  EXPECT_NE(min_bytes[LoopOrder::KBlockOuter], min_bytes[LoopOrder::BandOuter]);

  const SearchResult lat = search(p, Objective::Latency);
  const SearchResult en = search(p, Objective::Energy);
  const SearchResult edp = search(p, Objective::Edp);
  EXPECT_LE(lat.cost.cycles, en.cost.cycles);
  EXPECT_LE(lat.cost.cycles, edp.cost.cycles);
  EXPECT_LE(en.cost.energy_pj, lat.cost.energy_pj);
  EXPECT_LE(en.cost.energy_pj, edp.cost.energy_pj);
  EXPECT_LE(en.cost.dram_bytes, lat.cost.dram_bytes);
  EXPECT_LE(edp.cost.cycles * edp.cost.energy_pj, lat.cost.cycles * lat.cost.energy_pj);
  EXPECT_LE(edp.cost.cycles * edp.cost.energy_pj, en.cost.cycles * en.cost.energy_pj);
  // DRAM dominates this layer's energy: the energy objective moves strictly fewer bytes.
  EXPECT_LT(en.cost.dram_bytes, lat.cost.dram_bytes);
}

// All weights fit the wbuf: the weights-resident order loads each weight byte once, whatever
// the number of bands, and the band-outer order with streamed weights once per band.
TEST(Tiling, WeightsResidentLoadsEveryWeightOnce) {
  const LayerProblem p = conv(32, 16, 64, 3, 1);  // 9 KB of weights, 16 KB of input
  const uint64_t in_bytes = 32 * 32 * 16, out_bytes = 32 * 32 * 64;
  const uint64_t w_bytes = 64 * 9 * 16 + 64 * 4;  // weights and int32 biases
  bool seen_resident = false, seen_band = false;
  for (const Tiling& t : enumerate_candidates(p)) {
    if (t.order == LoopOrder::KBlockOuter) continue;
    uint64_t halo = 0;  // input rows loaded twice (the 3x3 window overlaps adjacent bands)
    for (uint64_t b = 0; b < t.bands; ++b) {
      uint64_t iy0, ih, pt;
      p.g.band(b * t.rb, std::min(t.rb, p.g.oh - b * t.rb), iy0, ih, pt);
      halo += ih * 32 * 16;
    }
    const uint64_t w = t.order == LoopOrder::WeightsResident ? w_bytes : w_bytes * t.bands;
    EXPECT_EQ(estimate(p, t).dram_bytes, halo + w + out_bytes) << to_string(t.order);
    EXPECT_GE(halo, in_bytes);
    seen_resident |= t.order == LoopOrder::WeightsResident;
    seen_band |= t.order == LoopOrder::BandOuter;
  }
  EXPECT_TRUE(seen_resident);
  EXPECT_TRUE(seen_band);
}

// Double buffering overlaps the loads with the compute: on a compute-heavy layer the best
// double-buffered candidate beats the best single-buffered one, and only the first step's loads
// and the last tile's store stay outside the compute.
TEST(Tiling, DoubleBufferingOverlapsLoadsWithCompute) {
  // On SCALE-Sim's array (fold_overlap off), where every tiling has the same COMPUTE cycles.
  HwConfig hw = setup().hw;
  for (ChunkConfig& cc : hw.chunks) cc.fold_overlap = false;
  auto best = [](const LayerProblem& p, double& single, double& dbl) {
    single = 1e300, dbl = 1e300;
    for (const Tiling& t : enumerate_candidates(p)) {
      const double c = estimate(p, t).cycles;
      double& b = t.double_buffered ? dbl : single;
      b = std::min(b, c);
    }
  };
  double single = 0, dbl = 0;
  best(conv(32, 16, 16, 3, 1, hw), single, dbl);
  // The os array's COMPUTE cycles: 64 folds of 16 pixels x 16 filters, each 16 + 16 - 2 + 144
  // (window 3 x 3 x 16) cycles (common/tile_timing.cpp).
  const double compute = 64.0 * (16 + 16 - 2 + 144);
  EXPECT_LT(dbl, single);
  EXPECT_GE(dbl, compute);
  EXPECT_LT(dbl, 1.06 * compute);
  EXPECT_GT(single, 1.10 * compute);  // loads and stores outside the compute
  // The default platform overlaps the folds of a tile: at best the whole layer as one tile,
  // 63 * max(144, 16) + 174 = 9,246 cycles, below the 11,136 above.
  double single_fo = 0, dbl_fo = 0;
  best(conv(32, 16, 16, 3, 1), single_fo, dbl_fo);
  ASSERT_TRUE(setup().hw.chunks[0].fold_overlap);
  EXPECT_GE(dbl_fo, 63.0 * 144 + 174);
  EXPECT_LT(dbl_fo, dbl);
  EXPECT_LT(dbl_fo, single_fo);
}

TEST(Tiling, NoTileFitsNamesTheBufferAndItsSmallestSize) {
  HwConfig hw = setup().hw;
  hw.chunks[0].ibuf.capacity_bytes = 16;
  const LayerProblem p = conv(28, 1, 8, 3, 1, hw);
  EXPECT_TRUE(enumerate_candidates(p).empty());
  try {
    search(p, Objective::Latency);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("test conv"), std::string::npos) << msg;
    EXPECT_NE(msg.find("ibuf needs at least 84 bytes"), std::string::npos) << msg;
  }
}

// The token plan of every loop order: each wait names an earlier step, the waited-for indices
// grow (FIFO channels), and every step that reuses a slot waits for its last reader.
TEST(Tiling, TokenPlanWaitsForTheLastReaderOfEveryOverwrittenSlot) {
  const LayerProblem p = conv(32, 16, 64, 3, 1);
  for (const Tiling& t : enumerate_candidates(p)) {
    TokenPlan plan(t);
    std::map<uint32_t, int64_t> ib, wb, ob;
    int64_t last_c = -1, last_s = -1;
    for_each_step(p.kind, p.g, t, [&](const Step& s) {
      const TokenPlan::Waits w = plan.next(s, true);
      int64_t need = -1;
      if (s.load_in && ib.count(s.islot)) need = std::max(need, ib[s.islot]);
      if ((s.load_w || s.load_bias) && wb.count(s.wslot)) need = std::max(need, wb[s.wslot]);
      if (need > last_c) {
        EXPECT_EQ(w.load_waits_compute, need);
        last_c = need;
      } else {
        EXPECT_EQ(w.load_waits_compute, -1);
      }
      if (s.first_of_tile && ob.count(s.oslot) && ob[s.oslot] > last_s) {
        EXPECT_EQ(w.compute_waits_store, ob[s.oslot]);
        last_s = ob[s.oslot];
      } else {
        EXPECT_EQ(w.compute_waits_store, -1);
      }
      EXPECT_LT(w.load_waits_compute, static_cast<int64_t>(s.index));
      EXPECT_LT(w.compute_waits_store, static_cast<int64_t>(s.tile));
      ib[s.islot] = static_cast<int64_t>(s.index);
      wb[s.wslot] = static_cast<int64_t>(s.index);
      if (s.last_of_tile) ob[s.oslot] = static_cast<int64_t>(s.tile);
    });
  }
}

// generate() with every objective and every forced loop order: the tokens balance per channel
// and the placement records what the search chose.
TEST(Tiling, EveryObjectiveAndOrderEmitsBalancedTokens) {
  const Platform45& s = setup();
  Network net = load_network(kSrc + "/configs/nets/resnet20-hybrid.yaml");
  std::vector<int8_t> in = random_input(net, 3);
  QuantizedNetwork q = quantize(net, 3, in);
  std::vector<MapOptions> opts;
  for (Objective o : {Objective::Latency, Objective::Energy, Objective::Edp}) {
    MapOptions m;
    m.objective = o;
    m.energy = &s.et;
    opts.push_back(m);
  }
  for (LoopOrder lo : {LoopOrder::KBlockOuter, LoopOrder::BandOuter, LoopOrder::WeightsResident}) {
    MapOptions m;
    m.only_order = lo;
    opts.push_back(m);
  }
  std::map<LoopOrder, int> orders;
  for (const MapOptions& o : opts) {
    MappedNetwork m = generate(q, s.hw, in, o);
    std::vector<int64_t> ch(isa::kMaxEngines * isa::kMaxEngines, 0);
    for (const auto& i : m.image.code)
      for (int e = 0; e < isa::kMaxEngines; ++e) {
        if (i.signal_mask() >> e & 1) ++ch[i.engine() * isa::kMaxEngines + e];
        if (i.wait_mask() >> e & 1) --ch[e * isa::kMaxEngines + i.engine()];
        // A waiting instruction never runs before its channel has a token: the running count
        // of the channel stays >= 0 in program order.
        if (i.wait_mask() >> e & 1) {
          EXPECT_GE(ch[e * isa::kMaxEngines + i.engine()], 0);
        }
      }
    for (int64_t v : ch) EXPECT_EQ(v, 0);
    for (const LayerPlacement& p : m.layers) {
      if (p.tile_rows == 0) continue;
      ++orders[p.loop_order];
      if (o.only_order && p.loop_order != *o.only_order) {
        // Only where the forced order has no candidate (one block or one band).
        EXPECT_EQ(p.loop_order, LoopOrder::KBlockOuter) << p.layer;
      }
      EXPECT_GT(p.est_cycles, 0) << p.layer;
      EXPECT_GT(p.candidates, 0u) << p.layer;
    }
  }
  EXPECT_GT(orders[LoopOrder::BandOuter], 0);
  EXPECT_GT(orders[LoopOrder::WeightsResident], 0);
}

}  // namespace
}  // namespace savp::mapper
