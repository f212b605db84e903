#include "nas/search/checkpoint.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/file_io.hpp"

namespace savp::nas::search {

using J = nlohmann::ordered_json;

constexpr const char* kCheckpointFormat = "savp-nas-checkpoint";
constexpr int kCheckpointVersion = 1;

void put_figures(J& j, const Evaluated& e) {
  j["accuracy"] = e.accuracy;
  j["ok"] = e.hw.ok;
  if (!e.hw.ok) j["error"] = e.hw.error;
  j["cycles"] = e.hw.cycles;
  j["latency_ms"] = e.hw.latency_ms;
  j["energy_uj"] = e.hw.energy_uj;
  j["area_mm2"] = e.hw.area_mm2;
  j["weight_bytes"] = e.hw.weight_bytes;
  j["hw_params"] = J::parse(e.hw_params);
}

namespace {

J evaluated_json(const Evaluated& e) {
  J j;
  j["genes"] = e.candidate.genes;
  if (!e.label.empty()) j["label"] = e.label;
  put_figures(j, e);
  j["objectives"] = e.score.objectives;
  j["violation"] = e.score.violation;
  return j;
}

Evaluated evaluated_from(const nlohmann::json& j) {
  Evaluated e;
  e.candidate.genes = j.at("genes").get<std::vector<uint32_t>>();
  e.label = j.value("label", "");
  e.accuracy = j.at("accuracy").get<double>();
  e.hw.ok = j.at("ok").get<bool>();
  e.hw.error = j.value("error", "");
  e.hw.cycles = j.at("cycles").get<double>();
  e.hw.latency_ms = j.at("latency_ms").get<double>();
  e.hw.energy_uj = j.at("energy_uj").get<double>();
  e.hw.area_mm2 = j.at("area_mm2").get<double>();
  e.hw.weight_bytes = j.at("weight_bytes").get<uint64_t>();
  e.hw_params = j.at("hw_params").dump();
  e.score.objectives = j.at("objectives").get<std::vector<double>>();
  e.score.violation = j.at("violation").get<double>();
  return e;
}

}  // namespace

void write_checkpoint(const std::string& path, const SearchSpace& s, const SearchState& st,
                      const std::string& provider) {
  J j;
  j["format"] = kCheckpointFormat;
  j["version"] = kCheckpointVersion;
  j["spec_hash"] = s.hash;
  j["spec"] = s.file;
  j["accuracy_provider"] = provider;
  j["generation"] = st.generation;
  j["rng_state"] = fmt::format("{:016x}", st.rng);
  j["population"] = st.population;
  j["archive"] = J::array();
  for (const Evaluated& e : st.archive) j["archive"].push_back(evaluated_json(e));
  j["baselines"] = J::array();
  for (const Evaluated& e : st.baselines) j["baselines"].push_back(evaluated_json(e));
  j["accuracy_cache"] = st.accuracy;
  const SurrogateStats& su = st.surrogate;
  j["surrogate"] = {{"screened", su.screened},
                    {"measured", su.measured},
                    {"calls_saved", su.calls_saved},
                    {"predicted_latency", su.predicted_latency},
                    {"measured_latency", su.measured_latency},
                    {"predicted_energy", su.predicted_energy},
                    {"measured_energy", su.measured_energy},
                    {"predicted_accuracy", su.predicted_accuracy},
                    {"measured_accuracy", su.measured_accuracy}};
  write_file_atomic(path, j.dump(1), "search checkpoint");
}

SearchState read_checkpoint(const std::string& path, const SearchSpace& s, const Layout& layout) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read the search checkpoint '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  auto corrupt = [&](const std::string& why) {
    return Error(
        fmt::format("corrupt search checkpoint '{}': {} (delete it, or the output "
                    "folder, to start the search afresh)",
                    path, why));
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(std::string("not JSON: ") + e.what());
  }
  SearchState st;
  try {
    if (!j.is_object() || j.value("format", "") != kCheckpointFormat)
      throw corrupt("not a savp search checkpoint");
    if (j.at("version").get<int>() != kCheckpointVersion)
      throw corrupt(fmt::format("version {}, this savp reads {}", j.at("version").dump(),
                                kCheckpointVersion));
    if (j.at("spec_hash").get<std::string>() != s.hash)
      throw Error(
          fmt::format("the search checkpoint '{}' belongs to another search (spec {} with "
                      "hash {}; this spec '{}' has hash {}): use another output folder",
                      path, j.at("spec").dump(), j.at("spec_hash").dump(), s.file, s.hash));
    st.generation = j.at("generation").get<uint32_t>();
    const std::string rng = j.at("rng_state").get<std::string>();
    size_t used = 0;
    st.rng = std::stoull(rng, &used, 16);
    if (used != rng.size()) throw corrupt("rng_state '" + rng + "' is not hex");
    for (const auto& e : j.at("archive")) {
      st.archive.push_back(evaluated_from(e));
      check_candidate(layout, st.archive.back().candidate);
      st.index[st.archive.back().candidate.str()] = st.archive.size() - 1;
    }
    for (const auto& e : j.at("baselines")) st.baselines.push_back(evaluated_from(e));
    st.population = j.at("population").get<std::vector<size_t>>();
    for (size_t i : st.population)
      if (i >= st.archive.size())
        throw corrupt(fmt::format("population index {} outside the archive", i));
    if (st.population.size() != s.search.population)
      throw corrupt(fmt::format("population of {}, the spec says {}", st.population.size(),
                                s.search.population));
    st.accuracy = j.at("accuracy_cache").get<std::map<std::string, double>>();
    const auto& su = j.at("surrogate");
    st.surrogate.screened = su.at("screened").get<uint64_t>();
    st.surrogate.measured = su.at("measured").get<uint64_t>();
    st.surrogate.calls_saved = su.at("calls_saved").get<uint64_t>();
    st.surrogate.predicted_latency = su.at("predicted_latency").get<std::vector<double>>();
    st.surrogate.measured_latency = su.at("measured_latency").get<std::vector<double>>();
    st.surrogate.predicted_energy = su.at("predicted_energy").get<std::vector<double>>();
    st.surrogate.measured_energy = su.at("measured_energy").get<std::vector<double>>();
    st.surrogate.predicted_accuracy = su.at("predicted_accuracy").get<std::vector<double>>();
    st.surrogate.measured_accuracy = su.at("measured_accuracy").get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(e.what());
  } catch (const std::invalid_argument&) {
    throw corrupt("rng_state is not hex");
  } catch (const std::out_of_range&) {
    throw corrupt("rng_state out of range");
  }
  return st;
}

}  // namespace savp::nas::search
