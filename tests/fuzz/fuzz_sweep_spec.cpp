// libFuzzer target: sweep specifications (explore/sweep_spec.cpp, read by `savp sweep`). The
// spec is parsed as if it lay in configs/sweeps/, so the shipped specs' relative paths (base
// config, networks) resolve. A spec that parses must sample the points its sampling promises
// and apply them to the base config (or name the offending parameter in a ConfigError); points
// are sampled only for small sweeps, so one input stays fast.
#include <nlohmann/json.hpp>
#include <string>

#include "common/errors.hpp"
#include "explore/sweep_spec.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace savp::explore;

// Points the spec samples before constraints, or 0 when more than `cap`.
uint64_t expected_points(const SweepSpec& s, uint64_t cap) {
  if (s.sampling == Sampling::Random || s.sampling == Sampling::LatinHypercube)
    return s.samples <= cap ? s.samples : 0;
  if (s.sampling == Sampling::List) return s.parameters[0].values.size() <= cap
                                               ? s.parameters[0].values.size()
                                               : 0;
  uint64_t n = 1;
  for (const Parameter& p : s.parameters) {
    n *= p.values.size();
    if (n > cap) return 0;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SweepSpec spec;
  try {
    spec = parse_sweep_spec(savp::fuzz::text_of(data, size),
                            std::string(SAVP_SOURCE_DIR) + "/configs/sweeps/fuzz.yaml");
  } catch (const savp::Error&) {
    return 0;
  }
  if (spec.parameters.empty() || spec.networks.empty() || spec.hash.size() != 16)
    savp::fuzz::fail("a parsed spec lacks parameters, networks or its hash");
  for (const Parameter& p : spec.parameters)
    if (!p.continuous && p.values.empty()) savp::fuzz::fail("a parameter without values", p.path);
  const uint64_t want = expected_points(spec, 64);
  if (want == 0) return 0;
  const std::vector<Point> pts = sample_points(spec);
  const bool sampled =
      spec.sampling == Sampling::Random || spec.sampling == Sampling::LatinHypercube;
  // Random and Latin-hypercube samples drop repeated points; grid and list keep every one.
  if (sampled ? pts.empty() || pts.size() > want : pts.size() != want)
    savp::fuzz::fail("sample_points returned the wrong number of points",
                     std::to_string(pts.size()) + " for " + std::to_string(want));
  for (size_t i = 0; i < pts.size() && i < 2; ++i) {
    if (pts[i].id != i || pts[i].values.size() != spec.parameters.size())
      savp::fuzz::fail("a point has the wrong id or number of values");
    const auto j = nlohmann::json::parse(params_json(spec, pts[i]), nullptr, false);
    if (!j.is_object() || j.empty()) savp::fuzz::fail("params_json is not a JSON object");
    try {
      apply_point(spec, pts[i]);
    } catch (const savp::ConfigError&) {
      // A value or path the base config rejects: reported at the spec's line.
    }
  }
  return 0;
}
