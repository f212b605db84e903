// A design-space sweep specification (configs/sweeps/*.yaml, issue 7): a base hardware
// config, the networks, the parameters (paths into the hw config) with their value sets, how
// points are sampled, the constraints that filter points, and the mapping objective.
//
// A point is applied by editing the base config's YAML document and re-loading it with
// parse_hw_config, so every rule of the hardware config applies to every point. The spec is
// read strictly (common/yaml_util.hpp): every error names the spec's file:line:col.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "common/hw_config.hpp"

namespace savp::explore {

// One value a parameter takes: a YAML scalar (number or string such as a DRAM preset).
struct ParamValue {
  std::string text;  // as written into the config ("16", "DDR4-2400", "2.5")
  bool numeric = false;
  double number = 0.0;  // when numeric
};

// A parameter: where it goes in the hw config and which values it may take.
//   values: [a, b, c]                 an explicit list (numbers or strings)
//   range: {min, max, step}           min, min+step, ... <= max
//   range: {min, max, factor}         min, min*factor, ... <= max
//   range: {min, max}                 continuous (random / latin_hypercube sampling only);
//                                     integers when min and max are integers
struct Parameter {
  std::string path;                // "chunks[shift0].cols", "chunks[*].ibuf.capacity_bytes"
  SourceLocation where;            // the parameter's entry in the spec
  std::vector<ParamValue> values;  // discrete set (empty when continuous)
  bool continuous = false;
  bool integer = false;  // continuous range of integers
  double min = 0, max = 0;
};

enum class Sampling { Grid, List, Random, LatinHypercube };
const char* to_string(Sampling s);  // "grid", "list", "random", "latin_hypercube"

// "area_mm2 <= 6": a figure known before running (point_figures) compared with a number.
struct Constraint {
  std::string field;  // area_mm2, pes, sram_bytes, clock_mhz, dram_peak_gbps
  std::string op;     // <=, <, >=, >, ==, !=
  double value = 0;
  std::string text;  // as written, for messages
  SourceLocation where;
  bool holds(double figure) const;
};

struct SweepSpec {
  std::string file;  // the spec's path
  std::string text;  // the spec's text as read
  std::string hash;  // FNV-1a 64 of the spec, base config and network texts (hex)
  std::string name;
  std::string base;                   // resolved path of the base hw config
  std::string base_text;              // its YAML text
  std::vector<std::string> networks;  // resolved paths
  std::vector<Parameter> parameters;
  SourceLocation parameters_where;  // the `parameters:` entry
  Sampling sampling = Sampling::Grid;
  uint32_t samples = 0;  // random / latin_hypercube
  uint64_t sample_seed = 1;
  uint64_t seed = 1;  // seed of the networks' random weights and inputs (as savp run --seed)
  std::string objective = "latency";  // mapper::parse_objective
  std::vector<Constraint> constraints;
};

// Reads and validates a spec. Relative paths (base, networks) resolve against the spec's
// folder, then the source tree. Throws ConfigError at the offending line.
SweepSpec load_sweep_spec(const std::string& path);
SweepSpec parse_sweep_spec(const std::string& text, const std::string& origin);

// One design point: the value of every parameter (in spec order).
struct Point {
  uint32_t id = 0;  // index in the sampled order (stable for a given spec)
  std::vector<ParamValue> values;
};

// The points the spec samples, before constraints (deterministic in the spec and its seed).
std::vector<Point> sample_points(const SweepSpec& spec);

// The base config with a point's values written in, re-validated. A path that does not exist
// in the base config, or a value the config rejects, is a ConfigError at the parameter's line
// in the spec naming the point.
HwConfig apply_point(const SweepSpec& spec, const Point& p);
// The same edited YAML document, as text (what apply_point parsed).
std::string point_config_yaml(const SweepSpec& spec, const Point& p);

// Figures of a config known without running, that constraints may use.
double point_figure(const HwConfig& hw, double area_mm2, const std::string& field);
const std::vector<std::string>& constraint_fields();

// The point's parameters as a JSON object text: {"chunks[shift0].cols": 16, ...}.
std::string params_json(const SweepSpec& spec, const Point& p);

}  // namespace savp::explore
