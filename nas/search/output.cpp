// write_search_outputs (search.hpp): pareto.json, pareto.csv, best.yaml.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/file_io.hpp"
#include "nas/search/checkpoint.hpp"
#include "nas/search/search.hpp"

namespace savp::nas::search {

namespace {

using J = nlohmann::ordered_json;

std::string choices_text(const Layout& layout, const Candidate& c) {
  std::string s;
  const SearchSpace& sp = layout.space();
  for (const BlockSlot& b : layout.blocks()) {
    const BlockChoice& ch = layout.block_choices(b.index)[c.genes[layout.op_gene(b.index)]];
    s += (s.empty() ? "" : " ") + ch.label();
    if (ch.skip) continue;
    // Compression genes (issue 8): "mult_k3_e2@4b/50%" = 4-bit weights, 50% pruned.
    if (layout.bits_gene(b.index) >= 0)
      s += fmt::format(
          "@{}b", sp.weight_bits[static_cast<size_t>(ch.op)][c.genes[layout.bits_gene(b.index)]]);
    if (layout.sparsity_gene(b.index) >= 0 &&
        sp.sparsity[c.genes[layout.sparsity_gene(b.index)]] > 0)
      s += fmt::format("/{:g}%", 100 * sp.sparsity[c.genes[layout.sparsity_gene(b.index)]]);
  }
  return s;
}

J member(const Layout& layout, const Evaluated& e, const std::string& kind) {
  J j;
  j["kind"] = kind;
  if (!e.label.empty()) j["label"] = e.label;
  j["hash"] = e.candidate.hash();
  j["genes"] = e.candidate.genes;
  j["blocks"] = choices_text(layout, e.candidate);
  put_figures(j, e);
  j["feasible"] = e.score.violation <= 0;
  j["violation"] = e.score.violation;
  return j;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

void write_search_outputs(const std::string& dir, const Layout& layout, const SearchResult& r) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const SearchSpace& s = layout.space();
  J j;
  j["spec"] = s.file;
  j["spec_hash"] = s.hash;
  j["mode"] = to_string(s.search.mode);
  j["objectives"] = J::array();
  for (Objective o : s.search.objectives) j["objectives"].push_back(to_string(o));
  j["accuracy_provider"] = r.accuracy_provider;
  j["hardware"] = s.hardware.config;
  j["max_weight_bytes"] = s.search.max_weight_bytes;  // 0: no budget
  j["weight_bits"] = {
      {"mult", s.weight_bits[0]}, {"shift", s.weight_bits[1]}, {"adder", s.weight_bits[2]}};
  j["sparsity"] = s.sparsity;
  j["generations"] = r.generations;
  j["population"] = s.search.population;
  j["resumed"] = r.resumed;
  j["candidates_measured"] = r.archive.size();
  j["platform_calls"] = r.platform_calls;
  j["cache_hits"] = r.cache_hits;
  j["archive_hits"] = r.archive_hits;
  j["wall_seconds"] = r.wall_seconds;
  if (s.search.mode == SearchMode::Surrogate) {
    const FitError l = r.surrogate.latency(), e = r.surrogate.energy();
    j["surrogate"] = {{"screened", r.surrogate.screened},
                      {"measured", r.surrogate.measured},
                      {"calls_saved", r.surrogate.calls_saved},
                      {"held_out", l.n},
                      {"latency_mape", l.mape},
                      {"latency_r2", l.r2},
                      {"energy_mape", e.mape},
                      {"energy_r2", e.r2}};
    if (s.search.surrogate_accuracy) {
      const FitError a = r.surrogate.accuracy();
      j["surrogate"]["accuracy_held_out"] = a.n;
      j["surrogate"]["accuracy_mape"] = a.mape;
      j["surrogate"]["accuracy_r2"] = a.r2;
      j["surrogate"]["accuracy_calls"] = r.accuracy_calls;
    }
  }
  j["best"] = r.front.empty() ? J() : J(r.best);
  j["front"] = J::array();
  for (const Evaluated& e : r.front) j["front"].push_back(member(layout, e, "front"));
  j["baselines"] = J::array();
  for (const Evaluated& e : r.baselines) j["baselines"].push_back(member(layout, e, "baseline"));
  write_file_atomic((fs::path(dir) / "pareto.json").string(), j.dump(2) + "\n", "Pareto front");

  std::ostringstream csv;
  csv << "kind,label,hash,accuracy,latency_ms,energy_uj,cycles,weight_bytes,feasible,blocks,"
         "hw_params\n";
  auto row = [&](const Evaluated& e, const std::string& kind) {
    csv << kind << "," << csv_field(e.label) << "," << e.candidate.hash() << ","
        << fmt::format("{},{},{},{},{},{},", e.accuracy, e.hw.latency_ms, e.hw.energy_uj,
                       e.hw.cycles, e.hw.weight_bytes, e.score.violation <= 0 ? 1 : 0)
        << csv_field(choices_text(layout, e.candidate)) << "," << csv_field(e.hw_params) << "\n";
  };
  for (size_t i = 0; i < r.front.size(); ++i) row(r.front[i], i == r.best ? "best" : "front");
  for (const Evaluated& e : r.baselines) row(e, "baseline");
  write_file_atomic((fs::path(dir) / "pareto.csv").string(), csv.str(), "Pareto front CSV");

  // best.yaml only for a member that meets the constraints (none found: no best.yaml, and an
  // old one is removed so it is not taken for this search's).
  const fs::path best_path = fs::path(dir) / "best.yaml";
  if (r.front.empty() || r.front[r.best].score.violation > 0) {
    std::error_code ec;
    fs::remove(best_path, ec);
  } else {
    const Evaluated& b = r.front[r.best];
    write_file_atomic(best_path.string(), network_yaml(layout, b.candidate, s.name + "-best"),
                      "best network");
  }
}

}  // namespace savp::nas::search
