#include "nas/search/evaluator.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/file_io.hpp"
#include "explore/point_runner.hpp"
#include "mapper/codegen.hpp"
#include "mapper/quantized_network.hpp"
#include "nas/search/candidate.hpp"
#include "nas/search/search_space.hpp"

namespace savp::nas::search {

namespace {
constexpr const char* kFormat = "savp-nas-eval-cache";
constexpr int kVersion = 2;  // 2: weight_bytes as the mapper stored them (issue 8)
}  // namespace

std::string PlatformEvaluator::network_hash(const mapper::Network& net, uint64_t seed,
                                            const std::string& objective) {
  mapper::Network n = net;
  n.name = "candidate";  // the structure counts, not the name
  uint64_t h = fnv1a64(kFnvBasis, network_to_yaml(n));
  h = fnv1a64(h, std::to_string(seed));
  h = fnv1a64(h, objective);
  return fmt::format("{:016x}", h);
}

std::string PlatformEvaluator::hardware_hash(const HwConfig& hw) {
  return fmt::format("{:016x}", fnv1a64(kFnvBasis, explore::config_json(hw)));
}

PlatformEvaluator::PlatformEvaluator(EvaluatorOptions options) : opt_(std::move(options)) {
  mapper::parse_objective(opt_.objective);  // a clear error for an unknown one
  if (opt_.cache_path.empty() || !std::filesystem::exists(opt_.cache_path)) return;
  std::ifstream in(opt_.cache_path, std::ios::binary);
  if (!in) throw Error("cannot read the evaluation cache '" + opt_.cache_path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  auto bad = [&](const std::string& why) -> Error {
    return Error(fmt::format("corrupt evaluation cache '{}': {} (delete it to start afresh)",
                             opt_.cache_path, why));
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("not JSON: ") + e.what());
  }
  try {
    if (!j.is_object() || j.value("format", "") != kFormat)
      throw bad("not a savp evaluation cache");
    if (j.at("version").get<int>() != kVersion)
      throw bad(fmt::format("version {}, this savp reads {}", j.at("version").dump(), kVersion));
    if (j.at("seed").get<uint64_t>() != opt_.seed ||
        j.at("objective").get<std::string>() != opt_.objective)
      throw Error(
          fmt::format("the evaluation cache '{}' was made with seed {} and objective {}, "
                      "not {} and {}",
                      opt_.cache_path, j.at("seed").dump(), j.at("objective").dump(), opt_.seed,
                      opt_.objective));
    for (const auto& [key, e] : j.at("entries").items()) {
      HwMeasurement m;
      m.ok = e.at("ok").get<bool>();
      m.error = e.value("error", "");
      m.cycles = e.at("cycles").get<double>();
      m.latency_ms = e.at("latency_ms").get<double>();
      m.energy_uj = e.at("energy_uj").get<double>();
      m.area_mm2 = e.at("area_mm2").get<double>();
      m.weight_bytes = e.at("weight_bytes").get<uint64_t>();
      cache_[key] = m;
    }
  } catch (const nlohmann::json::exception& e) {
    throw bad(e.what());
  }
}

PlatformEvaluator::~PlatformEvaluator() = default;

bool PlatformEvaluator::cached(const mapper::Network& net, const HwConfig& hw,
                               HwMeasurement* out) const {
  auto it = cache_.find(network_hash(net, opt_.seed, opt_.objective) + ":" + hardware_hash(hw));
  if (it == cache_.end()) return false;
  if (out) *out = it->second;
  return true;
}

HwMeasurement PlatformEvaluator::evaluate(const mapper::Network& net, const HwConfig& hw,
                                          bool layers) {
  const std::string hwh = hardware_hash(hw);
  const std::string key = network_hash(net, opt_.seed, opt_.objective) + ":" + hwh;
  if (!layers) {
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      ++cache_hits_;
      return it->second;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  ++platform_calls_;
  HwMeasurement m;
  m.weight_bytes = compressed_weight_bytes(net);
  if (platform_hw_ != hwh) {
    platform_.reset();  // one SystemC kernel at a time: the old platform goes first
    platform_hw_ = hwh;
  }
  auto et = energy_.find(hw.energy_table);
  if (et == energy_.end())
    et = energy_.emplace(hw.energy_table, load_energy_table(hw.energy_table)).first;
  // The platform is built outside the try: a failure to build it (another Platform alive in
  // this process) says nothing about the network and must not be cached as its result.
  if (!platform_) platform_ = std::make_unique<Platform>(hw, et->second);
  try {
    const std::vector<int8_t> input = mapper::random_input(net, opt_.seed);
    const mapper::QuantizedNetwork q = mapper::quantize(net, opt_.seed, input);
    const mapper::Objective obj = mapper::parse_objective(opt_.objective);
    explore::NetworkRun r = explore::run_network(platform_, q, input, hw, et->second, obj);
    m.ok = true;
    m.cycles = r.values.at("cycles");
    m.latency_ms = r.values.at("latency_ms");
    m.energy_uj = r.values.at("energy_uj");
    m.area_mm2 = r.values.at("area_mm2");
    // The true size in the image of these weights (pruned to each layer's sparsity, at its bit
    // width; the mapper's per-layer format choice, per-tile stream headers included), plus
    // the int32 biases.
    uint64_t biases = 0;
    for (const mapper::Layer& l : net.layers) biases += 4 * l.bias_count();
    m.weight_bytes = r.run.totals.weight_bytes_stored + biases;
    if (layers)
      for (const LayerReport& l : r.run.layers) {
        m.layer_cycles[l.name] = static_cast<double>(l.cycles);
        m.layer_energy_uj[l.name] = l.energy_pj / 1e6;
      }
  } catch (const Error& e) {
    m.ok = false;
    m.error = e.what();
    platform_.reset();  // a failed run may leave the kernel mid-way: start afresh next time
    platform_hw_.clear();
  }
  sim_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  HwMeasurement stored = m;
  stored.layer_cycles.clear();
  stored.layer_energy_uj.clear();
  cache_[key] = stored;
  dirty_ = true;
  return m;
}

void PlatformEvaluator::release_platform() {
  platform_.reset();
  platform_hw_.clear();
}

void PlatformEvaluator::save() {
  if (opt_.cache_path.empty() || !dirty_) return;
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["seed"] = opt_.seed;
  j["objective"] = opt_.objective;
  nlohmann::ordered_json entries = nlohmann::ordered_json::object();
  for (const auto& [key, m] : cache_) {
    nlohmann::ordered_json e{{"ok", m.ok},
                             {"cycles", m.cycles},
                             {"latency_ms", m.latency_ms},
                             {"energy_uj", m.energy_uj},
                             {"area_mm2", m.area_mm2},
                             {"weight_bytes", m.weight_bytes}};
    if (!m.ok) e["error"] = m.error;
    entries[key] = e;
  }
  j["entries"] = entries;
  write_file_atomic(opt_.cache_path, j.dump(1), "evaluation cache");
  dirty_ = false;
}

}  // namespace savp::nas::search
