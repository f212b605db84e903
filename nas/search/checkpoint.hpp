// The search's checkpoint (search.hpp, "Checkpoint / resume"): the state run_search carries
// from one generation to the next, and its JSON file. Internal to nas/search.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nas/search/search.hpp"

namespace savp::nas::search {

// An evaluated candidate's figures into `j`: accuracy, the platform measurement (ok, error,
// cycles, latency_ms, energy_uj, area_mm2, weight_bytes) and hw_params, in that key order. The
// checkpoint and pareto.json both write a candidate's figures this way.
void put_figures(nlohmann::ordered_json& j, const Evaluated& e);

// The search's working state; what the checkpoint holds.
struct SearchState {
  uint32_t generation = 0;
  uint64_t rng = 0;
  std::vector<size_t> population;  // indices into archive
  std::vector<Evaluated> archive;
  std::map<std::string, size_t> index;  // candidate str -> archive index
  std::vector<Evaluated> baselines;
  std::map<std::string, double> accuracy;  // network_key -> accuracy
  SurrogateStats surrogate;
};

// Writes the checkpoint atomically (common/file_io).
void write_checkpoint(const std::string& path, const SearchSpace& s, const SearchState& st,
                      const std::string& provider);
// Reads one; savp::Error naming the file when it is corrupt or belongs to another spec.
SearchState read_checkpoint(const std::string& path, const SearchSpace& s, const Layout& layout);

}  // namespace savp::nas::search
