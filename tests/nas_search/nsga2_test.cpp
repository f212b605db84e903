// NSGA-II's operators on hand-worked examples.
#include "nas/search/nsga2.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace savp::nas::search {
namespace {

std::vector<Scored> pts(const std::vector<std::vector<double>>& o, std::vector<double> v = {}) {
  std::vector<Scored> out;
  for (size_t i = 0; i < o.size(); ++i) out.push_back({o[i], v.empty() ? 0.0 : v[i]});
  return out;
}

TEST(Nsga2, ConstrainedDomination) {
  const Scored a{{1, 1}, 0}, b{{2, 2}, 0}, c{{1, 3}, 0}, d{{0, 0}, 0.5}, e{{0, 0}, 0.2};
  EXPECT_TRUE(constrained_dominates(a, b));
  EXPECT_FALSE(constrained_dominates(b, a));
  EXPECT_TRUE(constrained_dominates(a, c));   // equal in one, better in the other
  EXPECT_FALSE(constrained_dominates(a, a));  // never itself
  EXPECT_FALSE(constrained_dominates(b, c) || constrained_dominates(c, b));  // incomparable
  EXPECT_TRUE(constrained_dominates(b, d));  // feasible beats infeasible, whatever objectives
  EXPECT_TRUE(constrained_dominates(e, d));  // less violation
  EXPECT_FALSE(constrained_dominates(d, e));
}

TEST(Nsga2, NonDominatedSortByHand) {
  // 0 (1,5) 1 (2,3) 2 (3,1): first front; 3 (2,5) dominated by 0 and 1... by 0 only at equal
  // f2 and worse f1; 4 (3,3) by 1; 5 (4,4) by 1 and 4; 6 (0,0) infeasible: last.
  const auto f = non_dominated_sort(
      pts({{1, 5}, {2, 3}, {3, 1}, {2, 5}, {3, 3}, {4, 4}, {0, 0}}, {0, 0, 0, 0, 0, 0, 1}));
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0], (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(f[1], (std::vector<size_t>{3, 4}));
  EXPECT_EQ(f[2], (std::vector<size_t>{5}));
  EXPECT_EQ(f[3], (std::vector<size_t>{6}));
}

TEST(Nsga2, CrowdingDistanceByHand) {
  // Four points on f1 + f2 = 5: extremes infinite; the inner two: per objective the gap of
  // their neighbours over the range 3: (3-1)/3 + (4-2)/3 = 4/3.
  const auto p = pts({{1, 4}, {2, 3}, {3, 2}, {4, 1}});
  const auto d = crowding_distance(p, {0, 1, 2, 3});
  EXPECT_TRUE(std::isinf(d[0]));
  EXPECT_TRUE(std::isinf(d[3]));
  EXPECT_NEAR(d[1], 4.0 / 3, 1e-12);
  EXPECT_NEAR(d[2], 4.0 / 3, 1e-12);
  // Uneven spacing: (1,4) (1.5,3.5) (3,2) (4,1): inner distances (3-1)/3 + (4-2)/3 = 4/3 for
  // the second, (4-1.5)/3 x 2 = 5/3 for the third.
  const auto q = crowding_distance(pts({{1, 4}, {1.5, 3.5}, {3, 2}, {4, 1}}), {0, 1, 2, 3});
  EXPECT_NEAR(q[1], 4.0 / 3, 1e-12);
  EXPECT_NEAR(q[2], 5.0 / 3, 1e-12);
}

TEST(Nsga2, SurvivorsFillByRankThenCrowding) {
  // Front 0: 0 1 2 3 (on a line; 1 is crowded next to 0); front 1: 4. Keep 3: rank 0 members
  // with the largest distances: the extremes 0 and 3 (infinite), then 2 (5/3 > 4/3).
  const auto p = pts({{1, 4}, {1.5, 3.5}, {3, 2}, {4, 1}, {5, 5}});
  std::vector<uint32_t> rank;
  std::vector<double> crowd;
  auto keep = select_survivors(p, 3, &rank, &crowd);
  std::sort(keep.begin(), keep.end());
  EXPECT_EQ(keep, (std::vector<size_t>{0, 2, 3}));
  EXPECT_EQ(rank, (std::vector<uint32_t>{0, 0, 0, 0, 1}));
  EXPECT_EQ(select_survivors(p, 5).size(), 5u);
}

TEST(Nsga2, TournamentPrefersRankThenCrowding) {
  SplitMix64 rng(3);
  const std::vector<uint32_t> rank{1, 0};
  const std::vector<double> crowd{9, 0};
  for (int i = 0; i < 20; ++i) EXPECT_EQ(tournament(rank, crowd, rng), 1u);  // always 0 vs 1
  const std::vector<uint32_t> same{0, 0};
  const std::vector<double> c2{1, 2};
  for (int i = 0; i < 20; ++i) EXPECT_EQ(tournament(same, c2, rng), 1u);
}

TEST(Nsga2, CrossoverAndMutation) {
  SplitMix64 rng(11);
  std::vector<uint32_t> a{0, 0, 0, 0, 0, 0, 0, 0}, b{1, 1, 1, 1, 1, 1, 1, 1};
  uniform_crossover(a, b, 1.0, rng);
  int from_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i] + b[i], 1u);  // complementary children
    from_b += a[i];
  }
  EXPECT_GT(from_b, 0);
  EXPECT_LT(from_b, 8);
  std::vector<uint32_t> c{0, 0, 0}, d{1, 1, 1};
  uniform_crossover(c, d, 0.0, rng);  // no crossover: copies
  EXPECT_EQ(c, (std::vector<uint32_t>{0, 0, 0}));
  std::vector<uint32_t> g{0, 2, 0}, choices{3, 3, 1};
  for (int i = 0; i < 50; ++i) {
    std::vector<uint32_t> m = g;
    mutate(m, choices, 1.0, rng);
    EXPECT_NE(m[0], 0u);  // every gene with choices changes
    EXPECT_NE(m[1], 2u);
    EXPECT_LT(m[0], 3u);
    EXPECT_EQ(m[2], 0u);  // a gene with one choice never does
  }
  std::vector<uint32_t> m = g;
  mutate(m, choices, 0.0, rng);
  EXPECT_EQ(m, g);
}

}  // namespace
}  // namespace savp::nas::search
