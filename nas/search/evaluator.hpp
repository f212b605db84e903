// The platform in the loop: a candidate's network is quantized (random weights from the seed:
// timing and energy do not depend on weight values), mapped with mapper::generate and simulated
// timing-only with explore::run_network (the sequence of savp run --timing-only and of the
// sweep's point runner). One long-lived Platform per hardware config (DESIGN.md "Scale":
// SystemC allows one kernel per process, so switching hardware destroys the platform and
// builds a fresh one; callers group candidates by hardware). Every run on a platform times
// exactly like the first (models/controller.cpp), so figures do not depend on the platform's
// history or on whether it was fresh.
//
// Results are cached by (network hash, hardware hash): the network hash is FNV-1a over the
// network's YAML text, the seed and the mapping objective; the hardware hash over the resolved
// config (explore::config_json). The cache persists as one JSON file written atomically
// (common/file_io), so a resumed search recalls every measurement. A network that does not fit
// the hardware is a result too (ok = false and the reason), cached like any other.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "mapper/network.hpp"
#include "platform/platform.hpp"

namespace savp::nas::search {

struct HwMeasurement {
  bool ok = false;
  std::string error;  // when !ok: why the network does not run on this hardware
  double cycles = 0;
  double latency_ms = 0;
  double energy_uj = 0;
  double area_mm2 = 0;
  // The parameters as stored in the firmware image (issue 8): the weight streams the mapper
  // wrote for the quantized network (the run report's weight_bytes_stored: each layer's
  // format, dense / packed / bitmask, chosen by the true size of its weights, which are pruned
  // to exactly round(sparsity * count) zeros) plus 4 bytes per int32 bias. When !ok (nothing
  // mapped) the estimate compressed_weight_bytes(network).
  uint64_t weight_bytes = 0;
  // Per layer (name -> cycles / energy uJ), from the run's per-layer accounting; filled only
  // when the evaluator was asked for layers (the cost table), not stored in the cache.
  std::map<std::string, double> layer_cycles, layer_energy_uj;
};

struct EvaluatorOptions {
  uint64_t seed = 1;                  // the networks' random weights and input
  std::string objective = "latency";  // the mapper's tiling objective
  std::string cache_path;             // empty: in memory only
};

class PlatformEvaluator {
 public:
  // Loads the cache file when it exists. A cache file that is not one (corrupt JSON, another
  // format, another seed / objective) is a savp::Error naming the file.
  explicit PlatformEvaluator(EvaluatorOptions options);
  ~PlatformEvaluator();
  PlatformEvaluator(const PlatformEvaluator&) = delete;
  PlatformEvaluator& operator=(const PlatformEvaluator&) = delete;

  // The measurement of `net` on `hw`: from the cache, else mapped and simulated. With
  // `layers`, always simulated (per-layer figures are not cached) and stored.
  HwMeasurement evaluate(const mapper::Network& net, const HwConfig& hw, bool layers = false);
  // Only the cache: whether (net, hw) was measured, and its figures.
  bool cached(const mapper::Network& net, const HwConfig& hw, HwMeasurement* out = nullptr) const;

  // Destroys the live platform (the next platform call builds a new one). SystemC allows one
  // Platform per process at a time: release it before anything else builds one (another
  // evaluator, savp run code in the same process). Building a platform while another exists
  // throws savp::Error from evaluate(), and nothing is cached.
  void release_platform();

  // Writes the cache file (atomically); a no-op without a path or when nothing changed.
  void save();

  uint64_t platform_calls() const { return platform_calls_; }
  uint64_t cache_hits() const { return cache_hits_; }
  size_t cache_size() const { return cache_.size(); }
  double simulate_seconds() const { return sim_seconds_; }  // wall time in platform calls

  static std::string network_hash(const mapper::Network& net, uint64_t seed,
                                  const std::string& objective);
  static std::string hardware_hash(const HwConfig& hw);

 private:
  EvaluatorOptions opt_;
  std::map<std::string, HwMeasurement> cache_;  // key "<net>:<hw>"
  bool dirty_ = false;
  uint64_t platform_calls_ = 0, cache_hits_ = 0;
  double sim_seconds_ = 0;
  std::string platform_hw_;  // hardware hash of the live platform
  std::unique_ptr<Platform> platform_;
  std::map<std::string, EnergyTable> energy_;
};

}  // namespace savp::nas::search
