#include "nas/search/search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "nas/search/checkpoint.hpp"

namespace savp::nas::search {

namespace fs = std::filesystem;
using J = nlohmann::ordered_json;

namespace {

// Violation of a candidate the platform cannot run (no tile fits, a kind the hardware lacks):
// above any constraint's relative excess, so it loses to every runnable candidate.
constexpr double kUnrunnable = 1e6;

// The network part of the genome (hardware genes left out): accuracy depends on it only.
std::string network_key(const Layout& layout, const Candidate& c) {
  std::string k;
  for (size_t i = 0; i < c.genes.size(); ++i)
    if (layout.genes()[i].kind != GeneKind::Hardware) k += std::to_string(c.genes[i]) + ",";
  return k;
}

std::string hardware_key(const Layout& layout, const Candidate& c) {
  std::string k;
  for (size_t i = 0; i < c.genes.size(); ++i)
    if (layout.genes()[i].kind == GeneKind::Hardware) k += std::to_string(c.genes[i]) + ",";
  return k;
}

void score(const SearchSpace& s, Evaluated& e) {
  const SearchSettings& st = s.search;
  e.score.objectives.clear();
  const double big = 1e30;  // objectives of an unrunnable candidate (it is infeasible anyway)
  for (Objective o : st.objectives) {
    switch (o) {
      case Objective::Accuracy:
        e.score.objectives.push_back(-e.accuracy);
        break;
      case Objective::Latency:
        e.score.objectives.push_back(e.hw.ok ? e.hw.latency_ms : big);
        break;
      case Objective::Energy:
        e.score.objectives.push_back(e.hw.ok ? e.hw.energy_uj : big);
        break;
      case Objective::WeightBytes:
        e.score.objectives.push_back(static_cast<double>(e.hw.weight_bytes));
        break;
    }
  }
  double v = 0;
  auto over = [&](double x, double limit) {
    if (limit > 0 && x > limit) v += x / limit - 1;
  };
  if (!e.hw.ok) v += kUnrunnable;
  over(static_cast<double>(e.hw.weight_bytes), st.max_weight_bytes);
  if (e.hw.ok) {
    over(e.hw.latency_ms, st.max_latency_ms);
    over(e.hw.energy_uj, st.max_energy_uj);
  }
  if (st.min_accuracy > 0 && e.accuracy < st.min_accuracy)
    v += (st.min_accuracy - e.accuracy) / st.min_accuracy;
  e.score.violation = v;
}

class Driver {
 public:
  Driver(const SearchSpace& s, AccuracyProvider& acc, PlatformEvaluator& ev)
      : s_(s), layout_(s), acc_(acc), ev_(ev) {}

  const Layout& layout() const { return layout_; }
  uint64_t accuracy_calls = 0;
  uint64_t archive_hits = 0;
  std::map<std::string, double>* accuracy_cache = nullptr;

  // Measures candidates (archive members are recalled), grouped by hardware genes.
  std::vector<Evaluated> measure(const std::vector<Candidate>& cs, SearchState* st) {
    std::vector<Evaluated> out(cs.size());
    std::vector<size_t> order(cs.size());
    for (size_t i = 0; i < cs.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return hardware_key(layout_, cs[a]) < hardware_key(layout_, cs[b]);
    });
    for (size_t i : order) {
      if (st) {
        auto it = st->index.find(cs[i].str());
        if (it != st->index.end()) {
          ++archive_hits;
          out[i] = st->archive[it->second];
          continue;
        }
      }
      out[i] = measure_one(cs[i]);
      if (st) {
        st->archive.push_back(out[i]);
        st->index[cs[i].str()] = st->archive.size() - 1;
      }
    }
    return out;
  }

  Evaluated measure_one(const Candidate& c) {
    Evaluated e;
    e.candidate = c;
    const mapper::Network net = decode_network(layout_, c);
    e.hw = ev_.evaluate(net, hardware(c));
    e.hw_params = hardware_params_json(layout_, c);
    e.accuracy = accuracy(c);
    score(s_, e);
    return e;
  }

  double accuracy(const Candidate& c) {
    const std::string key = network_key(layout_, c);
    if (accuracy_cache) {
      auto it = accuracy_cache->find(key);
      if (it != accuracy_cache->end()) return it->second;
    }
    ++accuracy_calls;
    const double a = acc_.accuracy(layout_, c);
    if (!std::isfinite(a) || a < 0 || a > 1)
      throw Error(
          fmt::format("the accuracy provider '{}' gave {} for candidate [{}]: allowed "
                      "a fraction in [0, 1]",
                      acc_.name(), a, c.str()));
    if (accuracy_cache) (*accuracy_cache)[key] = a;
    return a;
  }

  bool knows_accuracy(const Candidate& c) const {
    return accuracy_cache && accuracy_cache->count(network_key(layout_, c)) > 0;
  }

  const HwConfig& hardware(const Candidate& c) {
    const std::string key = hardware_key(layout_, c);
    auto it = hw_.find(key);
    if (it == hw_.end()) it = hw_.emplace(key, decode_hardware(layout_, c)).first;
    return it->second;
  }

 private:
  const SearchSpace& s_;
  Layout layout_;
  AccuracyProvider& acc_;
  PlatformEvaluator& ev_;
  std::map<std::string, HwConfig> hw_;
};

std::vector<Scored> scores(const std::vector<Evaluated>& es) {
  std::vector<Scored> out;
  for (const Evaluated& e : es) out.push_back(e.score);
  return out;
}

// NSGA-II's mating: tournaments on the population's rank and crowding, uniform crossover,
// per-gene mutation; `count` children.
std::vector<Candidate> offspring(const Layout& layout, const SearchSettings& st,
                                 const std::vector<Evaluated>& pop, size_t count, SplitMix64& rng) {
  std::vector<uint32_t> rank;
  std::vector<double> crowd;
  select_survivors(scores(pop), pop.size(), &rank, &crowd);
  std::vector<uint32_t> choices;
  for (const Gene& g : layout.genes()) choices.push_back(g.choices);
  const double pm = st.mutation_prob > 0 ? st.mutation_prob : 1.0 / choices.size();
  std::vector<Candidate> out;
  while (out.size() < count) {
    Candidate a = pop[tournament(rank, crowd, rng)].candidate;
    Candidate b = pop[tournament(rank, crowd, rng)].candidate;
    uniform_crossover(a.genes, b.genes, st.crossover_prob, rng);
    mutate(a.genes, choices, pm, rng);
    mutate(b.genes, choices, pm, rng);
    out.push_back(a);
    if (out.size() < count) out.push_back(b);
  }
  return out;
}

}  // namespace

EvaluatorOptions evaluator_options(const SearchSpace& space, const std::string& out_dir) {
  EvaluatorOptions o;
  o.seed = space.search.seed;
  o.objective = space.search.mapper_objective;
  if (!out_dir.empty()) o.cache_path = (fs::path(out_dir) / "eval_cache.json").string();
  return o;
}

std::vector<Evaluated> evaluate_candidates(const Layout& layout, AccuracyProvider& accuracy,
                                           PlatformEvaluator& evaluator,
                                           const std::vector<Candidate>& candidates) {
  Driver d(layout.space(), accuracy, evaluator);
  std::map<std::string, double> cache;
  d.accuracy_cache = &cache;
  return d.measure(candidates, nullptr);
}

std::vector<Evaluated> pareto_front(const std::vector<Evaluated>& pts) {
  std::vector<Evaluated> uniq;
  std::set<std::string> seen;
  for (const Evaluated& e : pts)
    if (seen.insert(e.candidate.str()).second) uniq.push_back(e);
  if (uniq.empty()) return {};
  const auto fronts = non_dominated_sort(scores(uniq));
  std::vector<Evaluated> out;
  for (size_t i : fronts[0]) out.push_back(uniq[i]);
  std::sort(out.begin(), out.end(), [](const Evaluated& a, const Evaluated& b) {
    if (a.score.objectives != b.score.objectives) return a.score.objectives < b.score.objectives;
    return a.candidate < b.candidate;
  });
  return out;
}

size_t choose_best(const std::vector<Evaluated>& front, const SearchSettings& set) {
  // The lowest-energy front member within the tolerance of the front's best accuracy
  // (infeasible hardware last; ties by latency).
  size_t best = 0;
  double top = -1;
  for (const Evaluated& e : front) top = std::max(top, e.accuracy);
  auto cost = [](const Evaluated& e) {
    return e.hw.ok ? std::make_pair(e.hw.energy_uj, e.hw.latency_ms) : std::make_pair(1e300, 1e300);
  };
  for (size_t i = 0; i < front.size(); ++i) {
    const Evaluated& e = front[i];
    if (e.accuracy + set.best_accuracy_tolerance < top) continue;
    const Evaluated& b = front[best];
    if (b.accuracy + set.best_accuracy_tolerance < top || cost(e) < cost(b)) best = i;
  }
  return best;
}

SearchResult run_search(const SearchSpace& s, AccuracyProvider& accuracy,
                        PlatformEvaluator& evaluator, const SearchOptions& opt) {
  if (s.search.mode == SearchMode::Differentiable)
    throw Error(
        fmt::format("{}: search.mode differentiable trains architecture weights in the "
                    "supernet (LibTorch); this search library runs nsga2 and surrogate "
                    "and provides the differentiable mode's hardware cost table "
                    "(nas/search/cost_table.hpp)",
                    s.file));
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t calls0 = evaluator.platform_calls(), hits0 = evaluator.cache_hits();
  Driver d(s, accuracy, evaluator);
  const Layout& layout = d.layout();
  const SearchSettings& set = s.search;
  const std::string ckpt =
      opt.out_dir.empty() ? "" : (fs::path(opt.out_dir) / "checkpoint.json").string();
  if (!opt.out_dir.empty()) fs::create_directories(opt.out_dir);

  SearchState st;
  SearchResult r;
  r.accuracy_provider = accuracy.name();
  d.accuracy_cache = &st.accuracy;
  auto save = [&] {
    evaluator.save();  // first the cache: a checkpoint never refers to unsaved measurements
    if (!ckpt.empty()) write_checkpoint(ckpt, s, st, accuracy.name());
  };
  auto population = [&] {
    std::vector<Evaluated> p;
    for (size_t i : st.population) p.push_back(st.archive[i]);
    return p;
  };

  if (!ckpt.empty() && opt.resume && fs::exists(ckpt)) {
    st = read_checkpoint(ckpt, s, layout);
    d.accuracy_cache = &st.accuracy;
    r.resumed = true;
    r.resumed_after = st.generation;
  } else {
    st.rng = set.seed;
    for (OpKind k : s.baselines.ops) {
      Evaluated b = d.measure({baseline_candidate(layout, k)}, nullptr)[0];
      b.label = std::string("all-") + to_string(k);
      st.baselines.push_back(b);
    }
    SplitMix64 rng(st.rng);
    std::vector<Candidate> init;
    std::set<std::string> seen;
    // Distinct random candidates where the space has enough of them.
    for (uint32_t tries = 0; init.size() < set.population; ++tries) {
      uint64_t state = rng.next();
      Candidate c = random_candidate(layout, state);
      if (seen.insert(c.str()).second || tries > 100 * set.population) init.push_back(c);
    }
    st.rng = rng.state;
    d.measure(init, &st);
    for (const Candidate& c : init) st.population.push_back(st.index.at(c.str()));
    st.generation = 0;
    save();
    if (opt.on_generation) opt.on_generation(0, population());
  }

  for (uint32_t g = st.generation + 1; g <= set.generations; ++g) {
    SplitMix64 rng(st.rng);
    const std::vector<Evaluated> pop = population();
    std::vector<Evaluated> kids;
    const bool screen = set.mode == SearchMode::Surrogate && set.screen_factor > 1;
    if (!screen) {
      kids = d.measure(offspring(layout, set, pop, set.population, rng), &st);
    } else {
      // Fit on every successful platform measurement so far.
      std::vector<std::vector<double>> x;
      std::vector<std::vector<double>> xa;
      std::vector<double> ylat, yen, yacc;
      for (const Evaluated& e : st.archive) {
        xa.push_back(candidate_features(layout, e.candidate));
        yacc.push_back(e.accuracy);
        if (e.hw.ok) {
          x.push_back(xa.back());
          ylat.push_back(std::log(e.hw.latency_ms));
          yen.push_back(std::log(e.hw.energy_uj));
        }
      }
      const std::vector<Candidate> pool =
          offspring(layout, set, pop, size_t{set.population} * set.screen_factor, rng);
      std::vector<Evaluated> predicted;
      std::vector<Candidate> uniq;
      std::set<std::string> seen;
      for (const Candidate& c : pool)
        if (seen.insert(c.str()).second) uniq.push_back(c);
      GaussianProcess gl, ge, ga;
      const bool fit = x.size() >= 4;
      if (fit) {
        gl.fit(x, ylat);
        ge.fit(x, yen);
      }
      // Accuracy too, when asked (the supernet's evaluation is the expensive one): a network
      // whose accuracy is known (cached) keeps it, the others get the GP's prediction.
      const bool fit_acc = set.surrogate_accuracy && xa.size() >= 4;
      if (fit_acc) ga.fit(xa, yacc);
      std::vector<double> plat(uniq.size()), pen(uniq.size()), pacc(uniq.size(), -1.0);
      for (size_t i = 0; i < uniq.size(); ++i) {
        auto it = st.index.find(uniq[i].str());
        if (it != st.index.end()) {
          predicted.push_back(st.archive[it->second]);
          continue;
        }
        Evaluated e;
        e.candidate = uniq[i];
        const mapper::Network net = decode_network(layout, uniq[i]);
        e.hw.ok = true;
        e.hw.weight_bytes = compressed_weight_bytes(net);
        if (fit) {
          const auto f = candidate_features(layout, uniq[i]);
          plat[i] = std::exp(gl.predict(f));
          pen[i] = std::exp(ge.predict(f));
        }
        e.hw.latency_ms = plat[i];
        e.hw.energy_uj = pen[i];
        if (fit_acc && !d.knows_accuracy(uniq[i])) {
          pacc[i] = std::clamp(ga.predict(candidate_features(layout, uniq[i])), 0.0, 1.0);
          e.accuracy = pacc[i];
        } else {
          e.accuracy = d.accuracy(uniq[i]);
        }
        score(s, e);
        predicted.push_back(e);
      }
      const std::vector<size_t> chosen = select_survivors(scores(predicted), set.population);
      std::vector<Candidate> to_measure;
      std::set<size_t> chosen_set(chosen.begin(), chosen.end());
      for (size_t i : chosen) to_measure.push_back(uniq[i]);
      st.surrogate.screened += uniq.size();
      for (size_t i = 0; i < uniq.size(); ++i) {
        const bool known = st.index.count(uniq[i].str()) > 0;
        if (known) continue;
        if (chosen_set.count(i)) {
          ++st.surrogate.measured;
        } else {
          ++st.surrogate.calls_saved;
        }
      }
      std::vector<bool> fresh;
      for (size_t i : chosen) fresh.push_back(st.index.count(uniq[i].str()) == 0);
      kids = d.measure(to_measure, &st);
      for (size_t k = 0; k < chosen.size(); ++k) {
        if (fit && fresh[k] && kids[k].hw.ok) {
          st.surrogate.predicted_latency.push_back(plat[chosen[k]]);
          st.surrogate.measured_latency.push_back(kids[k].hw.latency_ms);
          st.surrogate.predicted_energy.push_back(pen[chosen[k]]);
          st.surrogate.measured_energy.push_back(kids[k].hw.energy_uj);
        }
        if (fresh[k] && pacc[chosen[k]] >= 0) {
          st.surrogate.predicted_accuracy.push_back(pacc[chosen[k]]);
          st.surrogate.measured_accuracy.push_back(kids[k].accuracy);
        }
      }
    }
    std::vector<Evaluated> merged = pop;
    merged.insert(merged.end(), kids.begin(), kids.end());
    const std::vector<size_t> keep = select_survivors(scores(merged), set.population);
    std::vector<size_t> next;
    for (size_t i : keep) next.push_back(st.index.at(merged[i].candidate.str()));
    st.population = next;
    st.generation = g;
    st.rng = rng.state;
    save();
    if (opt.on_generation) opt.on_generation(g, population());
  }

  r.population = population();
  r.archive = st.archive;
  r.baselines = st.baselines;
  r.front = pareto_front(st.archive);
  r.generations = st.generation;
  r.surrogate = st.surrogate;
  r.best = choose_best(r.front, set);
  r.platform_calls = evaluator.platform_calls() - calls0;
  r.cache_hits = evaluator.cache_hits() - hits0;
  r.accuracy_calls = d.accuracy_calls;
  r.archive_hits = d.archive_hits;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace savp::nas::search
