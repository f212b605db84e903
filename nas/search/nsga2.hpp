// NSGA-II (Deb, Pratap, Agarwal, Meyarivan, "A fast and elitist multiobjective genetic
// algorithm: NSGA-II", IEEE TEVC 2002) over choice-index genomes: fast non-dominated sort,
// crowding distance, binary tournament on (rank, crowding), uniform crossover and per-gene
// mutation (a new choice drawn uniformly among the others), and constraint handling by
// constrained domination (Deb 2002, section VI: a feasible point beats an infeasible one; two
// infeasible points compare by total violation; two feasible ones by Pareto domination).
// Every objective is minimised (accuracy enters negated). The operators are independent of
// what the genes mean; nas/search/search.hpp drives them on candidates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/splitmix64.hpp"

namespace savp::nas::search {

struct Scored {
  std::vector<double> objectives;  // minimised
  double violation = 0;            // 0 = feasible; > 0: by how much constraints are exceeded
};

// a dominates b: a feasible and b not; both infeasible and a violates less; both feasible and
// a is no worse in every objective and better in one.
bool constrained_dominates(const Scored& a, const Scored& b);

// Fronts of indices into `pts`, best first (Deb's O(M N^2) fast non-dominated sort).
std::vector<std::vector<size_t>> non_dominated_sort(const std::vector<Scored>& pts);

// Crowding distance of each member of `front` (same order): per objective, the normalised gap
// between its neighbours; the extremes get +infinity.
std::vector<double> crowding_distance(const std::vector<Scored>& pts,
                                      const std::vector<size_t>& front);

// NSGA-II's environmental selection: the best `n` of `pts` by rank, then by crowding distance
// (larger first) on the last front that fits partly. `rank` and `crowding` receive every
// point's rank (0 = first front) and distance (may be null). Ties break by index, so the result
// is deterministic.
std::vector<size_t> select_survivors(const std::vector<Scored>& pts, size_t n,
                                     std::vector<uint32_t>* rank = nullptr,
                                     std::vector<double>* crowding = nullptr);

// Binary tournament: two distinct members drawn at random; the lower rank wins, then the larger
// crowding distance, then the first drawn.
size_t tournament(const std::vector<uint32_t>& rank, const std::vector<double>& crowding,
                  SplitMix64& rng);

// Uniform crossover (with probability p_cross; else copies): each gene from either parent with
// probability 1/2, the second child the complement. Per-gene mutation with probability p_mut:
// a different choice (genes with one choice never change).
void uniform_crossover(std::vector<uint32_t>& a, std::vector<uint32_t>& b, double p_cross,
                       SplitMix64& rng);
void mutate(std::vector<uint32_t>& genes, const std::vector<uint32_t>& choices, double p_mut,
            SplitMix64& rng);

// A uniform double in [0, 1) from the generator (53 bits).
double unit(SplitMix64& rng);

}  // namespace savp::nas::search
