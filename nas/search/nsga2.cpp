#include "nas/search/nsga2.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace savp::nas::search {

double unit(SplitMix64& rng) { return static_cast<double>(rng.next() >> 11) * 0x1.0p-53; }

bool constrained_dominates(const Scored& a, const Scored& b) {
  const bool fa = a.violation <= 0, fb = b.violation <= 0;
  if (fa != fb) return fa;
  if (!fa) return a.violation < b.violation;
  bool better = false;
  for (size_t i = 0; i < a.objectives.size(); ++i) {
    if (a.objectives[i] > b.objectives[i]) return false;
    if (a.objectives[i] < b.objectives[i]) better = true;
  }
  return better;
}

std::vector<std::vector<size_t>> non_dominated_sort(const std::vector<Scored>& pts) {
  const size_t n = pts.size();
  std::vector<std::vector<size_t>> dominated(n);  // S_p
  std::vector<size_t> count(n, 0);                // n_p
  std::vector<std::vector<size_t>> fronts(1);
  for (size_t p = 0; p < n; ++p) {
    for (size_t q = 0; q < n; ++q) {
      if (p == q) continue;
      if (constrained_dominates(pts[p], pts[q]))
        dominated[p].push_back(q);
      else if (constrained_dominates(pts[q], pts[p]))
        ++count[p];
    }
    if (count[p] == 0) fronts[0].push_back(p);
  }
  for (size_t i = 0; !fronts[i].empty(); ++i) {
    std::vector<size_t> next;
    for (size_t p : fronts[i])
      for (size_t q : dominated[p])
        if (--count[q] == 0) next.push_back(q);
    std::sort(next.begin(), next.end());
    fronts.push_back(next);
  }
  fronts.pop_back();  // the empty one
  return fronts;
}

std::vector<double> crowding_distance(const std::vector<Scored>& pts,
                                      const std::vector<size_t>& front) {
  const size_t n = front.size();
  std::vector<double> d(n, 0.0);
  if (n == 0) return d;
  const double inf = std::numeric_limits<double>::infinity();
  if (n <= 2) return std::vector<double>(n, inf);
  const size_t m = pts[front[0]].objectives.size();
  std::vector<size_t> order(n);
  for (size_t k = 0; k < m; ++k) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return pts[front[a]].objectives[k] < pts[front[b]].objectives[k];
    });
    const double lo = pts[front[order.front()]].objectives[k];
    const double hi = pts[front[order.back()]].objectives[k];
    d[order.front()] = d[order.back()] = inf;
    if (!(hi > lo)) continue;
    for (size_t i = 1; i + 1 < n; ++i)
      d[order[i]] +=
          (pts[front[order[i + 1]]].objectives[k] - pts[front[order[i - 1]]].objectives[k]) /
          (hi - lo);
  }
  return d;
}

std::vector<size_t> select_survivors(const std::vector<Scored>& pts, size_t n,
                                     std::vector<uint32_t>* rank, std::vector<double>* crowding) {
  const auto fronts = non_dominated_sort(pts);
  std::vector<uint32_t> r(pts.size(), 0);
  std::vector<double> c(pts.size(), 0.0);
  std::vector<size_t> out;
  for (size_t f = 0; f < fronts.size(); ++f) {
    const auto d = crowding_distance(pts, fronts[f]);
    for (size_t i = 0; i < fronts[f].size(); ++i) {
      r[fronts[f][i]] = static_cast<uint32_t>(f);
      c[fronts[f][i]] = d[i];
    }
    if (out.size() >= n) continue;
    if (out.size() + fronts[f].size() <= n) {
      out.insert(out.end(), fronts[f].begin(), fronts[f].end());
    } else {
      std::vector<size_t> idx(fronts[f].size());
      std::iota(idx.begin(), idx.end(), 0);
      std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return d[a] > d[b]; });
      for (size_t i = 0; out.size() < n; ++i) out.push_back(fronts[f][idx[i]]);
    }
  }
  if (rank) *rank = r;
  if (crowding) *crowding = c;
  return out;
}

size_t tournament(const std::vector<uint32_t>& rank, const std::vector<double>& crowding,
                  SplitMix64& rng) {
  const size_t n = rank.size();
  const size_t a = rng.below(n);
  size_t b = n > 1 ? rng.below(n - 1) : a;
  if (n > 1 && b >= a) ++b;
  if (rank[b] < rank[a]) return b;
  if (rank[b] == rank[a] && crowding[b] > crowding[a]) return b;
  return a;
}

void uniform_crossover(std::vector<uint32_t>& a, std::vector<uint32_t>& b, double p_cross,
                       SplitMix64& rng) {
  if (!(unit(rng) < p_cross)) return;
  for (size_t i = 0; i < a.size(); ++i)
    if (rng.next() & 1) std::swap(a[i], b[i]);
}

void mutate(std::vector<uint32_t>& genes, const std::vector<uint32_t>& choices, double p_mut,
            SplitMix64& rng) {
  for (size_t i = 0; i < genes.size(); ++i) {
    if (choices[i] < 2 || !(unit(rng) < p_mut)) continue;
    uint32_t v = static_cast<uint32_t>(rng.below(choices[i] - 1));
    if (v >= genes[i]) ++v;
    genes[i] = v;
  }
}

}  // namespace savp::nas::search
