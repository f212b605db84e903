#include "explore/sweep_spec.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>

#include "common/splitmix64.hpp"
#include "common/yaml_util.hpp"

namespace savp::explore {

namespace fs = std::filesystem;
using yaml::Map;
using yaml::Value;

namespace {

// Points a grid may hold: beyond this a sweep is surely a mistake (1e6 points at ~20 points/s
// is half a day per network).
constexpr uint64_t kMaxPoints = 1000000;


uint64_t fnv1a(uint64_t h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return (h ^ 0xff) * 0x100000001b3ull;  // a separator, so ("ab","c") != ("a","bc")
}

// Integers print without a fraction while they fit an int64 exactly; beyond that (an integer
// range that grows past 9e15) llround's result is unspecified, so they print as doubles.
std::string number_text(double v, bool integer) {
  if (integer && std::fabs(v) < 9e15)
    return fmt::format("{}", static_cast<int64_t>(std::llround(v)));
  return fmt::format("{}", v);
}

ParamValue scalar_value(const Value& v) {
  if (!v.is_scalar() || v.text().empty())
    v.fail("expected a number or a name, got " + v.describe());
  ParamValue pv;
  pv.text = v.text();
  char* end = nullptr;
  const double d = std::strtod(pv.text.c_str(), &end);
  if (end && *end == '\0' && std::isfinite(d)) {
    pv.numeric = true;
    pv.number = d;
  }
  return pv;
}

ParamValue number_value(double d, bool integer) {
  ParamValue pv;
  pv.numeric = true;
  pv.number = integer ? std::round(d) : d;
  pv.text = number_text(d, integer);
  return pv;
}

bool is_integer(double d) { return std::floor(d) == d && std::fabs(d) < 9e15; }

Parameter parse_parameter(const Value& v) {
  Map m = v.as_map();
  m.check_keys({"path", "values", "range"});
  Parameter p;
  p.where = v.location();
  p.path = m.at("path").as_string();
  if (m.has("values") == m.has("range"))
    v.fail("a parameter needs exactly one of 'values' and 'range'", "values: [..], range: {..}");
  if (auto vals = m.find("values")) {
    for (const Value& e : vals->as_seq()) p.values.push_back(scalar_value(e));
    if (p.values.empty())
      vals->fail("an empty value list: the sweep would have no point", "at least one value");
    return p;
  }
  const Value r = *m.find("range");
  Map rm = r.as_map();
  rm.check_keys({"min", "max", "step", "factor"});
  const double lo = rm.at("min").as_double(), hi = rm.at("max").as_double();
  if (lo > hi) r.fail(fmt::format("min {} is above max {}: an empty range", lo, hi), "min <= max");
  if (rm.has("step") && rm.has("factor")) r.fail("give 'step' or 'factor', not both");
  if (auto s = rm.find("step")) {
    const double step = s->as_positive_double();
    const bool integer = is_integer(lo) && is_integer(step);
    // Counted in double first: (hi - lo) / step can be far beyond uint64 (min -1e300, max 1e300,
    // or a step of 1e-300), and converting such a double to an integer is undefined.
    const double count = std::floor((hi - lo) / step + 1e-9) + 1;
    if (!(count <= static_cast<double>(kMaxPoints)))
      s->fail(fmt::format("{:g} values is too many", count), "at most 1000000 values");
    const uint64_t n = static_cast<uint64_t>(count);
    for (uint64_t i = 0; i < n; ++i) p.values.push_back(number_value(lo + i * step, integer));
  } else if (auto f = rm.find("factor")) {
    const double factor = f->as_double();
    if (!(factor > 1.0)) f->fail("a factor must be above 1, got " + f->describe(), "> 1");
    if (!(lo > 0)) rm.at("min").fail("a geometric range needs min > 0", "> 0");
    const bool integer = is_integer(lo) && is_integer(factor);
    // Bounded like a step range: a factor just above 1 over a wide range (1.0000001 from 1e-300
    // to 1e300) would otherwise fill memory; and x stays finite (max near the largest double).
    for (double x = lo; x <= hi * (1 + 1e-12) && std::isfinite(x); x *= factor) {
      if (p.values.size() == kMaxPoints)
        f->fail(fmt::format("more than {} values from {:g} to {:g} by a factor of {:g}",
                            kMaxPoints, lo, hi, factor),
                "at most 1000000 values");
      p.values.push_back(number_value(x, integer));
    }
  } else {
    p.continuous = true;
    p.integer = is_integer(lo) && is_integer(hi);
    p.min = lo;
    p.max = hi;
  }
  return p;
}

Constraint parse_constraint(const Value& v) {
  Constraint c;
  c.where = v.location();
  c.text = v.as_string();
  std::istringstream in(c.text);
  std::string value;
  in >> c.field >> c.op >> value;
  std::string rest;
  in >> rest;
  const auto& fields = constraint_fields();
  if (std::find(fields.begin(), fields.end(), c.field) == fields.end())
    v.fail("unknown figure '" + c.field + "' in constraint '" + c.text + "'", yaml::join(fields));
  static const std::vector<std::string> ops{"<=", "<", ">=", ">", "==", "!="};
  if (std::find(ops.begin(), ops.end(), c.op) == ops.end())
    v.fail("unknown comparison '" + c.op + "' in constraint '" + c.text + "'", yaml::join(ops));
  char* end = nullptr;
  c.value = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !rest.empty() || !std::isfinite(c.value))
    v.fail("expected 'FIGURE OP NUMBER', got '" + c.text + "'", "e.g. 'area_mm2 <= 6'");
  return c;
}

// One step of a parameter path: a map key, optionally followed by a sequence selector.
struct Step {
  std::string key;
  bool has_sel = false;
  std::string sel;  // "*", an index, or a name (the element whose `name` is it)
};

std::vector<Step> parse_path(const Parameter& p) {
  std::vector<Step> steps;
  std::string s = p.path;
  size_t i = 0;
  auto bad = [&](const std::string& why) {
    throw ConfigError(p.where, "path", "bad parameter path '" + p.path + "': " + why,
                      "keys joined by '.', a list element as key[name], key[index] or key[*], "
                      "e.g. chunks[shift0].cols");
  };
  while (i <= s.size()) {
    Step st;
    while (i < s.size() && s[i] != '.' && s[i] != '[') st.key += s[i++];
    if (st.key.empty()) bad("an empty key");
    if (i < s.size() && s[i] == '[') {
      const size_t close = s.find(']', i);
      if (close == std::string::npos) bad("a '[' without ']'");
      st.has_sel = true;
      st.sel = s.substr(i + 1, close - i - 1);
      if (st.sel.empty()) bad("an empty selector []");
      i = close + 1;
    }
    steps.push_back(st);
    if (i == s.size()) break;
    if (s[i] != '.') bad(fmt::format("unexpected '{}' at character {}", s[i], i + 1));
    ++i;
  }
  return steps;
}

[[noreturn]] void path_error(const Parameter& p, const std::string& why,
                             const std::string& allowed) {
  throw ConfigError(p.where, "path", "unknown parameter path '" + p.path + "': " + why, allowed);
}

std::string keys_of(const YAML::Node& m) {
  std::vector<std::string> ks;
  for (auto it = m.begin(); it != m.end(); ++it) ks.push_back(it->first.as<std::string>());
  return yaml::join(ks);
}

// Writes `value` at the path in `node` (a deep copy of the base document).
void set_at(YAML::Node node, const std::vector<Step>& steps, size_t k, const Parameter& p,
            const std::string& value, const std::string& done) {
  const Step& st = steps[k];
  if (!node.IsMap()) path_error(p, "'" + done + "' is not a map in the base config", "");
  const std::string here = done.empty() ? st.key : done + "." + st.key;
  const bool last = k + 1 == steps.size();
  // Every step must exist in the base config: a typo is caught here, at the spec's line (a
  // field the base leaves at its default must be written into the base config to be swept).
  if (!node[st.key]) path_error(p, "the base config has no field '" + here + "'", keys_of(node));
  YAML::Node child = node[st.key];
  std::vector<YAML::Node> targets;
  if (!st.has_sel) {
    targets.push_back(child);
  } else {
    if (!child.IsSequence()) path_error(p, "'" + here + "' is not a list in the base config", "");
    std::vector<std::string> names;
    for (size_t j = 0; j < child.size(); ++j) {
      YAML::Node e = child[j];
      const std::string name = e.IsMap() && e["name"] ? e["name"].as<std::string>() : "";
      names.push_back(name.empty() ? std::to_string(j) : name);
      if (st.sel == "*" || st.sel == std::to_string(j) || (!name.empty() && st.sel == name))
        targets.push_back(e);
    }
    if (targets.empty())
      path_error(p, "'" + here + "' has no element '" + st.sel + "'",
                 "*, an index or " + yaml::join(names));
  }
  for (YAML::Node t : targets) {
    if (last) {
      if (!t.IsScalar())
        path_error(p, "'" + here + "' is not a single value in the base config", "");
      t = value;
    } else {
      set_at(t, steps, k + 1, p, value, here + (st.has_sel ? "[" + st.sel + "]" : ""));
    }
  }
}

}  // namespace

const char* to_string(Sampling s) {
  switch (s) {
    case Sampling::Grid:
      return "grid";
    case Sampling::List:
      return "list";
    case Sampling::Random:
      return "random";
    case Sampling::LatinHypercube:
      return "latin_hypercube";
  }
  return "?";
}

bool Constraint::holds(double f) const {
  if (op == "<=") return f <= value;
  if (op == "<") return f < value;
  if (op == ">=") return f >= value;
  if (op == ">") return f > value;
  if (op == "==") return f == value;
  return f != value;
}

const std::vector<std::string>& constraint_fields() {
  static const std::vector<std::string> f{"area_mm2", "pes", "sram_bytes", "clock_mhz",
                                          "dram_peak_gbps"};
  return f;
}

double point_figure(const HwConfig& hw, double area_mm2, const std::string& field) {
  if (field == "area_mm2") return area_mm2;
  if (field == "clock_mhz") return hw.clock_mhz;
  if (field == "dram_peak_gbps") return hw.dram.peak_bandwidth_gbps();
  double pes = 0, sram = static_cast<double>(hw.global_buffer.capacity_bytes);
  for (const ChunkConfig& c : hw.chunks) {
    pes += static_cast<double>(c.rows) * c.cols;
    sram +=
        static_cast<double>(c.ibuf.capacity_bytes + c.wbuf.capacity_bytes + c.obuf.capacity_bytes);
  }
  if (field == "pes") return pes;
  if (field == "sram_bytes") return sram;
  throw Error("unknown constraint figure '" + field + "'");
}

SweepSpec parse_sweep_spec(const std::string& text, const std::string& origin) {
  SweepSpec spec;
  spec.file = origin;
  spec.text = text;
  Value root = yaml::parse(text, origin);
  Map m = root.as_map();
  m.check_keys({"name", "base", "networks", "parameters", "sampling", "samples", "sample_seed",
                "seed", "objective", "constraints"});
  std::string dir = fs::path(origin).parent_path().string();
  if (dir.empty()) dir = ".";
  spec.name = fs::path(origin).stem().string();
  m.read("name", spec.name);
  const Value base = m.at("base");
  spec.base = yaml::resolve_file(base, dir);
  spec.base_text = yaml::read_text(spec.base, base);
  uint64_t h = fnv1a(0xcbf29ce484222325ull, text);
  h = fnv1a(h, spec.base_text);
  const Value nets = m.at("networks");
  for (const Value& n : nets.as_seq()) {
    spec.networks.push_back(yaml::resolve_file(n, dir));
    h = fnv1a(h, yaml::read_text(spec.networks.back(), n));
  }
  if (spec.networks.empty())
    nets.fail("no network: list at least one", "paths to configs/nets/*.yaml");
  spec.hash = fmt::format("{:016x}", h);
  const Value params = m.at("parameters");
  spec.parameters_where = params.location();
  for (const Value& p : params.as_seq()) spec.parameters.push_back(parse_parameter(p));
  if (spec.parameters.empty()) params.fail("no parameter: a sweep varies at least one", "");
  if (auto s = m.find("sampling")) {
    static const std::vector<std::string> names{"grid", "list", "random", "latin_hypercube"};
    spec.sampling = static_cast<Sampling>(s->as_choice(names));
  }
  const bool sampled =
      spec.sampling == Sampling::Random || spec.sampling == Sampling::LatinHypercube;
  if (auto s = m.find("samples")) {
    if (!sampled) s->fail("'samples' applies to random and latin_hypercube sampling only");
    spec.samples = s->as_uint32(1, kMaxPoints);
  } else if (sampled) {
    root.fail(std::string("missing required field 'samples' for ") + to_string(spec.sampling) +
                  " sampling",
              "1..1000000");
  }
  if (auto s = m.find("sample_seed")) spec.sample_seed = s->as_uint();
  if (auto s = m.find("seed")) spec.seed = s->as_uint();
  m.read("objective", spec.objective);
  static const std::vector<std::string> objectives{"latency", "energy", "edp"};
  if (auto o = m.find("objective")) o->as_choice(objectives);
  if (auto cs = m.find("constraints"))
    for (const Value& c : cs->as_seq()) spec.constraints.push_back(parse_constraint(c));

  // Sampling rules that depend on the parameters.
  const Value pv = params;
  size_t list_len = 0;
  uint64_t grid = 1;
  for (size_t i = 0; i < spec.parameters.size(); ++i) {
    const Parameter& p = spec.parameters[i];
    parse_path(p);  // a malformed path fails here, at its line
    if (p.continuous && !sampled)
      throw ConfigError(p.where, "range",
                        std::string("a range without step or factor is continuous: it needs "
                                    "random or latin_hypercube sampling, not ") +
                            to_string(spec.sampling),
                        "add step or factor, or sampling: random | latin_hypercube");
    if (spec.sampling == Sampling::List) {
      if (i > 0 && p.values.size() != list_len)
        throw ConfigError(p.where, "values",
                          fmt::format("list sampling takes the i-th value of every parameter, "
                                      "but this one has {} values and the first has {}",
                                      p.values.size(), list_len),
                          "the same number of values for every parameter");
      list_len = p.values.size();
    }
    if (spec.sampling == Sampling::Grid) {
      grid *= p.values.size();
      if (grid > kMaxPoints)
        pv.fail(fmt::format("the grid has more than {} points", kMaxPoints),
                "fewer values, or random / latin_hypercube sampling");
    }
  }
  return spec;
}

SweepSpec load_sweep_spec(const std::string& path) {
  Value v = yaml::load_file(path);  // a clear error when unreadable
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_sweep_spec(ss.str(), path);
}

std::vector<Point> sample_points(const SweepSpec& spec) {
  std::vector<Point> pts;
  const size_t np = spec.parameters.size();
  if (spec.sampling == Sampling::Grid) {
    uint64_t n = 1;
    for (const Parameter& p : spec.parameters) n *= p.values.size();
    for (uint64_t i = 0; i < n; ++i) {
      Point pt;
      uint64_t r = i;
      pt.values.resize(np);
      for (size_t k = np; k-- > 0;) {  // the first parameter varies slowest
        const auto& vs = spec.parameters[k].values;
        pt.values[k] = vs[r % vs.size()];
        r /= vs.size();
      }
      pts.push_back(pt);
    }
  } else if (spec.sampling == Sampling::List) {
    for (size_t i = 0; i < spec.parameters[0].values.size(); ++i) {
      Point pt;
      for (const Parameter& p : spec.parameters) pt.values.push_back(p.values[i]);
      pts.push_back(pt);
    }
  } else {
    SplitMix64 rng(spec.sample_seed);
    const uint32_t n = spec.samples;
    auto unit = [&] { return static_cast<double>(rng.next() >> 11) * 0x1.0p-53; };  // [0, 1)
    // Latin hypercube (McKay, Beckman, Conover 1979): each parameter's range is cut into n
    // equal strata and every stratum is used by exactly one point (a random permutation).
    std::vector<std::vector<uint32_t>> perm(np, std::vector<uint32_t>(n));
    for (auto& pm : perm) {
      std::iota(pm.begin(), pm.end(), 0u);
      for (uint32_t i = n; i > 1; --i) std::swap(pm[i - 1], pm[rng.below(i)]);  // Fisher-Yates
    }
    std::set<std::vector<std::string>> seen;
    for (uint32_t i = 0; i < n; ++i) {
      Point pt;
      std::vector<std::string> key;
      for (size_t k = 0; k < np; ++k) {
        const Parameter& p = spec.parameters[k];
        const double u = spec.sampling == Sampling::Random ? unit() : (perm[k][i] + unit()) / n;
        if (p.continuous) {
          double x = p.integer ? std::min(p.max, std::floor(p.min + u * (p.max - p.min + 1)))
                               : p.min + u * (p.max - p.min);
          pt.values.push_back(number_value(x, p.integer));
        } else {
          size_t idx = std::min(p.values.size() - 1, static_cast<size_t>(u * p.values.size()));
          pt.values.push_back(p.values[idx]);
        }
        key.push_back(pt.values.back().text);
      }
      if (seen.insert(key).second) pts.push_back(pt);  // a repeated point runs once
    }
  }
  for (size_t i = 0; i < pts.size(); ++i) pts[i].id = static_cast<uint32_t>(i);
  return pts;
}

std::string point_config_yaml(const SweepSpec& spec, const Point& p) {
  // The base document is parsed once per thread (yaml-cpp's scanner dominates validating a
  // sweep's points) and copied for each point, since set_at edits it.
  thread_local std::pair<std::string, YAML::Node> base;
  if (base.first != spec.base_text || base.second.IsNull()) {
    base.second.reset(YAML::Load(spec.base_text));  // reset: Node::operator= writes through
    base.first = spec.base_text;
  }
  YAML::Node doc = YAML::Clone(base.second);
  for (size_t k = 0; k < spec.parameters.size(); ++k) {
    const Parameter& par = spec.parameters[k];
    set_at(doc, parse_path(par), 0, par, p.values[k].text, "");
  }
  YAML::Emitter out;
  out << doc;
  return out.c_str();
}

HwConfig apply_point(const SweepSpec& spec, const Point& p) {
  const std::string text = point_config_yaml(spec, p);
  try {
    // The origin is the base file, so relative paths in it (energy table) resolve as before.
    return parse_hw_config(text, spec.base);
  } catch (const ConfigError& e) {
    // The line numbers inside are of the edited copy; the spec line names the parameter whose
    // value alone breaks the base config (tried one at a time; none alone: the combination).
    SourceLocation where = spec.parameters_where;
    for (size_t k = 0; k < spec.parameters.size(); ++k) {
      SweepSpec one = spec;
      one.parameters = {spec.parameters[k]};
      Point alone{p.id, {p.values[k]}};
      try {
        parse_hw_config(point_config_yaml(one, alone), spec.base);
      } catch (const ConfigError&) {
        where = spec.parameters[k].where;
        break;
      }
    }
    throw ConfigError(where, "parameters",
                      fmt::format("point {} ({}) makes an invalid hardware config: {}", p.id,
                                  params_json(spec, p), e.what()));
  }
}

std::string params_json(const SweepSpec& spec, const Point& p) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t k = 0; k < spec.parameters.size(); ++k) {
    if (p.values[k].numeric && is_integer(p.values[k].number))
      j[spec.parameters[k].path] = static_cast<int64_t>(p.values[k].number);
    else if (p.values[k].numeric)
      j[spec.parameters[k].path] = p.values[k].number;
    else
      j[spec.parameters[k].path] = p.values[k].text;
  }
  // A spec's paths and values are bytes from the YAML file: invalid UTF-8 must not make the
  // JSON writer throw (its type_error is no savp::Error: savp sweep died on it, found by
  // fuzz_sweep_spec); it becomes U+FFFD, and apply_point reports the path as unknown.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace savp::explore
