// The search driver: NSGA-II finds the brute-force Pareto front of an enumerable space, seeds
// reproduce runs, a killed search resumes to the same front, corrupt checkpoints are clear
// errors, the surrogate mode screens and reports its error, co-design genes work, and the
// outputs (pareto.json / .csv, best.yaml) are written.
#include "nas/search/search.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/file_io.hpp"
#include "tests/nas_search/temp_dir.hpp"

namespace savp::nas::search {
namespace {

namespace fs = std::filesystem;
const std::string kDir = std::string(SAVP_SOURCE_DIR) + "/configs/nas/";

fs::path temp_dir(const std::string& name) { return test::temp_dir("savp_nas_search_", name); }

// A deterministic synthetic accuracy: multiplication best, then adder, then shift; wider
// expansion and larger kernels help a little, skip costs; plus a small per-candidate jitter
// from the hash so that ties are rare.
double synthetic(const Layout& l, const Candidate& c) {
  double a = 0.70;
  for (const BlockSlot& b : l.blocks()) {
    const BlockChoice& ch = l.block_choices(b.index)[c.genes[l.op_gene(b.index)]];
    if (ch.skip) {
      a -= 0.02;
      continue;
    }
    a += ch.op == OpKind::Mult ? 0.03 : ch.op == OpKind::Adder ? 0.02 : 0.012;
    a += 0.004 * ch.expansion + 0.002 * ch.kernel;
  }
  a += (std::stoull(c.hash().substr(0, 4), nullptr, 16) % 97) * 1e-5;
  return std::min(a, 1.0);
}

std::set<std::string> genes_of(const std::vector<Evaluated>& es) {
  std::set<std::string> s;
  for (const Evaluated& e : es) s.insert(e.candidate.str());
  return s;
}

// Every candidate of a layout (odometer over the genes).
std::vector<Candidate> enumerate(const Layout& l) {
  std::vector<Candidate> out;
  Candidate c;
  c.genes.assign(l.genes().size(), 0);
  while (true) {
    out.push_back(c);
    size_t i = 0;
    while (i < c.genes.size() && ++c.genes[i] == l.genes()[i].choices) c.genes[i++] = 0;
    if (i == c.genes.size()) break;
  }
  return out;
}

SearchSpace tiny() { return load_search_space(kDir + "tiny.yaml"); }

TEST(Search, FindsTheBruteForceFrontOfAnEnumerableSpace) {
  // 20 candidates, 9 of them on the 3-objective front: population 12, 8 generations.
  SearchSpace s = tiny();
  s.search.population = 12;
  s.search.generations = 8;
  const Layout l(s);
  FunctionAccuracy acc("synthetic", synthetic);
  PlatformEvaluator ev(evaluator_options(s, ""));
  const std::vector<Candidate> all = enumerate(l);
  ASSERT_EQ(all.size(), 20u);  // 4 x 5
  const std::vector<Evaluated> brute = pareto_front(evaluate_candidates(l, acc, ev, all));
  ASSERT_GE(brute.size(), 2u);
  const uint64_t calls = ev.platform_calls();
  EXPECT_EQ(calls, 20u);

  SearchOptions opt;
  const SearchResult r = run_search(s, acc, ev, opt);
  EXPECT_EQ(r.generations, s.search.generations);
  EXPECT_EQ(genes_of(r.front), genes_of(brute));
  // Same figures as the brute force measured (the evaluator's cache answered the search).
  EXPECT_EQ(r.platform_calls, 0u);
  EXPECT_GT(r.cache_hits, 0u);
  ASSERT_EQ(r.baselines.size(), 2u);
  EXPECT_EQ(r.baselines[0].label, "all-mult");
  EXPECT_EQ(r.baselines[1].label, "all-shift");
  EXPECT_TRUE(r.baselines[0].hw.ok);
}

TEST(Search, SeedsMakeRunsReproducible) {
  SearchSpace s = tiny();
  FunctionAccuracy acc("synthetic", synthetic);
  PlatformEvaluator ev(evaluator_options(s, ""));
  const SearchResult a = run_search(s, acc, ev, {});
  const SearchResult b = run_search(s, acc, ev, {});
  ASSERT_EQ(a.archive.size(), b.archive.size());
  for (size_t i = 0; i < a.archive.size(); ++i)
    EXPECT_EQ(a.archive[i].candidate, b.archive[i].candidate);
  s.search.seed = 8;
  const SearchResult c = run_search(s, acc, ev, {});
  bool differs = c.archive.size() != a.archive.size();
  for (size_t i = 0; !differs && i < a.archive.size(); ++i)
    differs = !(a.archive[i].candidate == c.archive[i].candidate);
  EXPECT_TRUE(differs);
}

struct Killed {};

TEST(Search, AKilledSearchResumesToTheSameFront) {
  // The fmnist space with a small population (the tiny one converges too fast to tell).
  SearchSpace s = load_search_space(kDir + "fmnist.yaml");
  s.search.population = 8;
  s.search.generations = 5;
  FunctionAccuracy acc("synthetic", synthetic);
  const fs::path da = temp_dir("full"), db = temp_dir("killed");
  SearchResult full;
  {
    PlatformEvaluator ev(evaluator_options(s, da.string()));
    SearchOptions o;
    o.out_dir = da.string();
    full = run_search(s, acc, ev, o);
  }
  std::vector<uint32_t> seen;
  {
    PlatformEvaluator ev(evaluator_options(s, db.string()));
    SearchOptions o;
    o.out_dir = db.string();
    o.on_generation = [&](uint32_t g, const std::vector<Evaluated>&) {
      seen.push_back(g);
      if (g == 2) throw Killed{};
    };
    EXPECT_THROW(run_search(s, acc, ev, o), Killed);
  }
  EXPECT_EQ(seen, (std::vector<uint32_t>{0, 1, 2}));
  seen.clear();
  PlatformEvaluator ev(evaluator_options(s, db.string()));
  const size_t cached = ev.cache_size();
  EXPECT_GT(cached, 0u);  // the cache file came back
  SearchOptions o;
  o.out_dir = db.string();
  o.on_generation = [&](uint32_t g, const std::vector<Evaluated>&) { seen.push_back(g); };
  const SearchResult resumed = run_search(s, acc, ev, o);
  EXPECT_TRUE(resumed.resumed);
  EXPECT_EQ(resumed.resumed_after, 2u);
  EXPECT_EQ(seen, (std::vector<uint32_t>{3, 4, 5}));  // finished generations are not repeated
  EXPECT_EQ(genes_of(resumed.front), genes_of(full.front));
  ASSERT_EQ(resumed.population.size(), full.population.size());
  for (size_t i = 0; i < full.population.size(); ++i)
    EXPECT_EQ(resumed.population[i].candidate, full.population[i].candidate);
  ASSERT_EQ(resumed.front.size(), full.front.size());
  for (size_t i = 0; i < full.front.size(); ++i) {
    EXPECT_EQ(resumed.front[i].hw.cycles, full.front[i].hw.cycles);
    EXPECT_EQ(resumed.front[i].hw.energy_uj, full.front[i].hw.energy_uj);
  }
  // Only the remaining generations' new candidates went to the platform.
  EXPECT_LE(resumed.platform_calls, 3u * s.search.population);
  EXPECT_EQ(resumed.archive.size(), full.archive.size());

  // A finished search run again does nothing new.
  PlatformEvaluator ev2(evaluator_options(s, db.string()));
  const SearchResult again = run_search(s, acc, ev2, {db.string(), true, nullptr});
  EXPECT_EQ(again.platform_calls, 0u);
  EXPECT_EQ(genes_of(again.front), genes_of(full.front));
  fs::remove_all(da);
  fs::remove_all(db);
}

TEST(Search, CorruptOrForeignCheckpointIsAClearError) {
  const SearchSpace s = tiny();
  FunctionAccuracy acc("synthetic", synthetic);
  const fs::path d = temp_dir("corrupt");
  PlatformEvaluator ev(evaluator_options(s, ""));
  SearchOptions o;
  o.out_dir = d.string();
  run_search(s, acc, ev, o);
  const std::string ck = (d / "checkpoint.json").string();
  std::ifstream in(ck);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string good = ss.str();
  for (const std::string& bad :
       {good.substr(0, good.size() / 2), std::string("[]"),
        std::string("{\"format\": \"savp-nas-checkpoint\", \"version\": 1, \"spec_hash\": \"") +
            s.hash + "\", \"generation\": 1}"}) {
    write_file_atomic(ck, bad);
    try {
      run_search(s, acc, ev, o);
      FAIL() << bad.substr(0, 40);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("corrupt search checkpoint"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(ck), std::string::npos);
    }
  }
  // Another spec's checkpoint.
  write_file_atomic(ck, good);
  SearchSpace other = s;
  other.hash = "0123456789abcdef";
  try {
    run_search(other, acc, ev, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another search"), std::string::npos) << e.what();
  }
  fs::remove_all(d);
}

TEST(Search, ConstraintsKeepTheFrontFeasible) {
  SearchSpace s = load_search_space(kDir + "fmnist.yaml");
  s.search.population = 8;
  s.search.generations = 3;
  // Inside the range of the space's compressed weights (~20 KB .. ~90 KB).
  s.search.max_weight_bytes = 40000;
  FunctionAccuracy acc("synthetic", synthetic);
  PlatformEvaluator ev(evaluator_options(s, ""));
  const SearchResult r = run_search(s, acc, ev, {});
  ASSERT_FALSE(r.front.empty());
  size_t infeasible = 0;
  for (const Evaluated& e : r.archive) infeasible += e.hw.weight_bytes > 40000;
  EXPECT_GT(infeasible, 0u);  // the constraint bites
  EXPECT_LT(infeasible, r.archive.size());
  for (const Evaluated& e : r.front) {
    EXPECT_LE(e.hw.weight_bytes, 40000u);
    EXPECT_EQ(e.score.violation, 0.0);
  }
}

TEST(Search, SurrogateModeScreensAndReportsItsError) {
  SearchSpace s = load_search_space(kDir + "fmnist.yaml");
  s.search.mode = SearchMode::Surrogate;
  s.search.population = 16;
  s.search.generations = 4;
  s.search.screen_factor = 4;
  FunctionAccuracy acc("synthetic", synthetic);
  PlatformEvaluator ev(evaluator_options(s, ""));
  const SearchResult r = run_search(s, acc, ev, {});
  // 64 offspring ranked per generation, at most 16 measured.
  EXPECT_GT(r.surrogate.screened, 3u * 16);
  EXPECT_GT(r.surrogate.calls_saved, 2u * 16);
  EXPECT_LE(r.surrogate.measured, 4u * 16);
  // Every platform call: baselines + initial population + the measured offspring.
  EXPECT_EQ(r.platform_calls, 3u + 16u + r.surrogate.measured);
  const FitError lat = r.surrogate.latency(), en = r.surrogate.energy();
  EXPECT_EQ(lat.n, r.surrogate.measured);
  std::printf(
      "surrogate search: screened %llu, measured %llu, saved %llu; held-out latency MAPE "
      "%.1f%% R^2 %.3f, energy MAPE %.1f%% R^2 %.3f\n",
      (unsigned long long)r.surrogate.screened, (unsigned long long)r.surrogate.measured,
      (unsigned long long)r.surrogate.calls_saved, 100 * lat.mape, lat.r2, 100 * en.mape, en.r2);
  EXPECT_LT(lat.mape, 0.25);  // fitted on 19..67 points: coarse, but far better than a guess
  EXPECT_LT(en.mape, 0.25);
}

TEST(Search, SurrogateCanScreenOnPredictedAccuracy) {
  SearchSpace s = load_search_space(kDir + "fmnist.yaml");
  s.search.mode = SearchMode::Surrogate;
  s.search.population = 16;
  s.search.generations = 3;
  s.search.surrogate_accuracy = true;
  FunctionAccuracy acc("synthetic", synthetic);
  PlatformEvaluator ev(evaluator_options(s, ""));
  const SearchResult r = run_search(s, acc, ev, {});
  // The provider is asked for baselines, the initial population and the measured offspring
  // only, not for the ~48 screened per generation.
  EXPECT_LE(r.accuracy_calls, 3u + 16u + r.surrogate.measured);
  EXPECT_GT(r.surrogate.screened, r.accuracy_calls);
  const FitError a = r.surrogate.accuracy();
  EXPECT_EQ(a.n, r.surrogate.measured);
  std::printf("accuracy GP: %zu held out, MAPE %.2f%% R^2 %.3f\n", a.n, 100 * a.mape, a.r2);
  EXPECT_LT(a.mape, 0.05);  // the synthetic accuracy is smooth in the features
}

TEST(Search, CoDesignSearchesHardwareGenes) {
  SearchSpace s = tiny();
  std::string text = s.text;
  text.replace(text.find("  config: ../hw/default.yaml\n"), 29,
               "  config: ../hw/default.yaml\n  parameters:\n"
               "    - {path: \"chunks[mult0].cols\", values: [4, 16]}\n"
               "    - {path: \"chunks[shift0].rows\", values: [4, 16]}\n");
  SearchSpace cs = parse_search_space(text, kDir + "tiny-codesign.yaml");
  cs.search.population = 24;  // 80 candidates in the space; 16 missed one front point
  cs.search.generations = 12;
  const Layout l(cs);
  ASSERT_EQ(l.genes().size(), 4u);
  FunctionAccuracy acc("synthetic", synthetic);
  PlatformEvaluator ev(evaluator_options(cs, ""));
  const std::vector<Evaluated> brute = pareto_front(evaluate_candidates(l, acc, ev, enumerate(l)));
  const SearchResult r = run_search(cs, acc, ev, {});
  EXPECT_EQ(genes_of(r.front), genes_of(brute));
  std::set<std::string> hw;
  for (const Evaluated& e : r.archive) hw.insert(e.hw_params);
  EXPECT_EQ(hw.size(), 4u);  // every hardware point was tried
  // The same network is faster on the bigger mult array.
  Candidate small = baseline_candidate(l, OpKind::Mult), big = small;
  big.genes[l.hw_gene(0)] = 1;
  const auto m = evaluate_candidates(l, acc, ev, {small, big});
  EXPECT_LT(m[1].hw.cycles, m[0].hw.cycles);
  EXPECT_EQ(m[0].accuracy, m[1].accuracy);  // accuracy is the network's
}

TEST(Search, WritesParetoJsonCsvAndBestYaml) {
  const SearchSpace s = tiny();
  const Layout l(s);
  FunctionAccuracy acc("synthetic", synthetic);
  PlatformEvaluator ev(evaluator_options(s, ""));
  const SearchResult r = run_search(s, acc, ev, {});
  const fs::path d = temp_dir("out");
  write_search_outputs(d.string(), l, r);
  std::ifstream jf(d / "pareto.json");
  const nlohmann::json j = nlohmann::json::parse(jf);
  EXPECT_EQ(j["front"].size(), r.front.size());
  EXPECT_EQ(j["baselines"].size(), 2u);
  EXPECT_EQ(j["baselines"][0]["label"], "all-mult");
  EXPECT_EQ(j["front"][0]["latency_ms"].get<double>(), r.front[0].hw.latency_ms);
  EXPECT_EQ(j["accuracy_provider"], "synthetic");
  std::ifstream cf(d / "pareto.csv");
  std::string line;
  size_t rows = 0, best = 0;
  std::getline(cf, line);
  EXPECT_EQ(line.rfind("kind,label,hash,accuracy,latency_ms,energy_uj", 0), 0u);
  while (std::getline(cf, line)) {
    ++rows;
    best += line.rfind("best,", 0) == 0;
  }
  EXPECT_EQ(rows, r.front.size() + 2);
  EXPECT_EQ(best, 1u);
  // best.yaml is a network the mapper loads, and it is the chosen front member.
  const mapper::Network n = mapper::load_network((d / "best.yaml").string());
  EXPECT_EQ(n.name, "tiny-best");
  EXPECT_EQ(n.layers.size(), decode_network(l, r.front[r.best].candidate).layers.size());
  // ... and measures as the search measured it (a fresh evaluator: a real platform run; the
  // first evaluator's platform must go first, one SystemC kernel per process).
  PlatformEvaluator fresh(evaluator_options(s, ""));
  const HwConfig hw = decode_hardware(l, r.front[r.best].candidate);
  EXPECT_THROW(fresh.evaluate(n, hw), Error);  // while `ev` holds its platform
  EXPECT_FALSE(fresh.cached(n, hw));           // and that was not cached as a result
  ev.release_platform();
  const HwMeasurement bm = fresh.evaluate(n, hw);
  EXPECT_EQ(fresh.platform_calls(), 2u);
  ASSERT_TRUE(bm.ok) << bm.error;
  EXPECT_EQ(bm.cycles, r.front[r.best].hw.cycles);
  EXPECT_EQ(bm.energy_uj, r.front[r.best].hw.energy_uj);
  // The best rule: within 1 point of the top accuracy, the lowest energy.
  double top = 0;
  for (const Evaluated& e : r.front) top = std::max(top, e.accuracy);
  for (const Evaluated& e : r.front) {
    if (e.accuracy + 0.01 >= top) {
      EXPECT_GE(e.hw.energy_uj, r.front[r.best].hw.energy_uj);
    }
  }
  fs::remove_all(d);
}

TEST(Search, DifferentiableModeBelongsToTheSupernet) {
  SearchSpace s = tiny();
  s.search.mode = SearchMode::Differentiable;
  FunctionAccuracy acc("synthetic", synthetic);
  PlatformEvaluator ev(evaluator_options(s, ""));
  EXPECT_THROW(run_search(s, acc, ev, {}), Error);
  FunctionAccuracy bad("bad", [](const Layout&, const Candidate&) { return 1.5; });
  EXPECT_THROW(run_search(tiny(), bad, ev, {}), Error);
}

}  // namespace
}  // namespace savp::nas::search
