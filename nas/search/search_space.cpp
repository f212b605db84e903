#include "nas/search/search_space.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/yaml_util.hpp"
#include "mapper/codegen.hpp"
#include "mapper/network.hpp"

namespace savp::nas::search {

namespace fs = std::filesystem;
using yaml::Map;
using yaml::Value;

namespace {

const std::vector<std::string> kOpNames{"mult", "shift", "adder"};

OpKind op_of(const Value& v) { return static_cast<OpKind>(v.as_choice(kOpNames)); }

std::vector<OpKind> op_list(const Value& v, bool allow_empty) {
  std::vector<OpKind> out;
  for (const Value& e : v.as_seq()) {
    OpKind k = op_of(e);
    if (std::find(out.begin(), out.end(), k) != out.end())
      e.fail("operator kind listed twice", "each of mult, shift, adder at most once");
    out.push_back(k);
  }
  if (out.empty() && !allow_empty) v.fail("an empty list", "at least one of mult, shift, adder");
  return out;
}

std::vector<uint32_t> uint_choices(const Value& v, const std::vector<uint32_t>& allowed,
                                   const std::string& allowed_text) {
  std::vector<uint32_t> out;
  for (const Value& e : v.as_seq()) {
    const uint32_t x = e.as_uint32();
    if (std::find(allowed.begin(), allowed.end(), x) == allowed.end())
      e.fail(fmt::format("{} is not a choice the skeleton supports", x), allowed_text);
    if (std::find(out.begin(), out.end(), x) != out.end()) e.fail("listed twice", allowed_text);
    out.push_back(x);
  }
  if (out.empty()) v.fail("an empty choice list", allowed_text);
  return out;
}


void parse_skeleton(const Value& v, SearchSpace& s) {
  Map m = v.as_map();
  m.check_keys({"stem", "stages", "head", "act_bits", "batch_norm"});
  if (auto st = m.find("stem")) {
    Map sm = st->as_map();
    sm.check_keys({"channels", "kernel", "stride", "op"});
    sm.read("channels", s.stem_channels, 1, 4096);
    sm.read("kernel", s.stem_kernel, 1, 7);
    if (s.stem_kernel % 2 == 0) sm.at("kernel").fail("an even kernel", "an odd kernel 1..7");
    sm.read("stride", s.stem_stride, 1, 2);
    if (auto o = sm.find("op")) s.stem_op = op_of(*o);
  }
  const Value stages = m.at("stages");
  for (const Value& e : stages.as_seq()) {
    Map em = e.as_map();
    em.check_keys({"channels", "stride", "blocks"});
    Stage st;
    st.where = e.location();
    st.channels = em.at("channels").as_uint32(1, 4096);
    st.stride = em.at("stride").as_uint32(1, 2);
    st.blocks = em.at("blocks").as_uint32(1, 16);
    s.stages.push_back(st);
  }
  if (s.stages.empty()) stages.fail("no stage", "at least one {channels, stride, blocks}");
  if (auto h = m.find("head")) {
    Map hm = h->as_map();
    hm.check_keys({"channels", "op"});
    hm.read("channels", s.head_channels, 0, 8192);
    if (auto o = hm.find("op")) s.head_op = op_of(*o);
  }
  if (auto a = m.find("act_bits")) {
    s.act_bits = a->as_uint32();
    if (s.act_bits != 8) a->fail("unsupported activation width", "8");
  }
  m.read("batch_norm", s.batch_norm);
}

void parse_choices(const Value& v, SearchSpace& s) {
  Map m = v.as_map();
  m.check_keys({"ops", "kernels", "expansions", "skip", "weight_bits", "sparsity"});
  if (auto o = m.find("ops")) s.ops = op_list(*o, false);
  if (auto k = m.find("kernels")) s.kernels = uint_choices(*k, {1, 3, 5, 7}, "1, 3, 5, 7");
  if (auto e = m.find("expansions"))
    s.expansions = uint_choices(*e, {1, 2, 3, 4, 6, 8}, "1, 2, 3, 4, 6, 8");
  m.read("skip", s.skip);
  if (auto wb = m.find("weight_bits")) {
    Map wm = wb->as_map();
    wm.check_keys(kOpNames);
    size_t levels = 0;
    std::optional<Value> first;
    for (size_t k = 0; k < 3; ++k) {
      auto lv = wm.find(kOpNames[k]);
      if (!lv) continue;
      const auto supported = mapper::supported_weight_bits(static_cast<OpKind>(k));
      std::vector<std::string> names;
      for (uint32_t b : supported) names.push_back(std::to_string(b));
      std::vector<uint32_t> bits;
      for (const Value& e : lv->as_seq()) {
        const uint32_t b = e.as_uint32();
        if (std::find(supported.begin(), supported.end(), b) == supported.end())
          e.fail(fmt::format("{} weights cannot be {} bits", kOpNames[k], b), yaml::join(names));
        bits.push_back(b);
      }
      if (bits.empty()) lv->fail("an empty list", "at least one level");
      if (first && bits.size() != levels)
        lv->fail(fmt::format("{} levels here, {} for {}: every kind needs the same number of "
                             "levels (a block's bit gene picks a level)",
                             bits.size(), levels, first->path()),
                 fmt::format("{} widths", levels));
      if (!first) first = *lv;
      levels = bits.size();
      s.weight_bits[k] = bits;
    }
    // Kinds not listed keep their default width at every level.
    for (size_t k = 0; k < 3; ++k)
      if (s.weight_bits[k].size() != levels)
        s.weight_bits[k] = std::vector<uint32_t>(levels, s.weight_bits[k][0]);
  }
  if (auto sp = m.find("sparsity")) {
    s.sparsity.clear();
    for (const Value& e : sp->as_seq()) {
      const double x = e.as_double();
      if (x < 0 || x >= 1) e.fail(fmt::format("sparsity {} outside [0, 1)", x), "0 <= s < 1");
      s.sparsity.push_back(x);
    }
    if (s.sparsity.empty()) sp->fail("an empty list", "at least one fraction in [0, 1)");
  }
}

void parse_training(const Value& v, TrainingSpec& t) {
  Map m = v.as_map();
  m.check_keys(
      {"epochs", "batch_size", "lr", "momentum", "weight_decay", "validation_images", "phases"});
  m.read("batch_size", t.batch_size, 1, 65536);
  m.read_positive("lr", t.lr);
  if (auto mo = m.find("momentum")) {
    t.momentum = mo->as_double_min(0);
    if (t.momentum >= 1) mo->fail("momentum must be below 1", "0 <= momentum < 1");
  }
  if (auto wd = m.find("weight_decay")) t.weight_decay = wd->as_double_min(0);
  m.read("validation_images", t.validation_images, 1, 59999);
  uint32_t sum = 0;
  const Value phases = m.at("phases");
  for (const Value& p : phases.as_seq()) {
    Map pm = p.as_map();
    pm.check_keys({"train", "frozen", "epochs"});
    TrainingPhase ph;
    ph.train = op_list(pm.at("train"), false);
    if (auto f = pm.find("frozen")) {
      ph.frozen = op_list(*f, true);
      for (OpKind k : ph.frozen)
        if (std::find(ph.train.begin(), ph.train.end(), k) != ph.train.end())
          f->fail(fmt::format("'{}' both trains and is frozen", to_string(k)),
                  "kinds not in 'train'");
    }
    ph.epochs = pm.at("epochs").as_uint32(1, 10000);
    sum += ph.epochs;
    t.phases.push_back(ph);
  }
  if (t.phases.empty()) phases.fail("no phase", "at least one {train, frozen, epochs}");
  t.epochs = sum;
  if (auto e = m.find("epochs")) {
    const uint32_t total = e->as_uint32(1, 100000);
    if (total != sum)
      e->fail(fmt::format("epochs {} but the phases add up to {}", total, sum),
              fmt::format("{} (or leave it out)", sum));
  }
}

void parse_search(const Value& v, SearchSettings& s) {
  Map m = v.as_map();
  m.check_keys({"mode", "population", "generations", "seed", "objectives", "crossover_prob",
                "mutation_prob", "mapper_objective", "constraints", "surrogate", "differentiable",
                "best_accuracy_tolerance"});
  if (auto md = m.find("mode"))
    s.mode = static_cast<SearchMode>(md->as_choice({"nsga2", "surrogate", "differentiable"}));
  m.read("population", s.population, 4, 100000);
  if (s.population % 2) m.at("population").fail("an odd population", "an even number >= 4");
  m.read("generations", s.generations, 1, 100000);
  m.read("seed", s.seed);
  if (auto o = m.find("objectives")) {
    s.objectives.clear();
    const std::vector<std::string> names{"accuracy", "latency_ms", "energy_uj", "weight_bytes"};
    for (const Value& e : o->as_seq()) {
      auto obj = static_cast<Objective>(e.as_choice(names));
      if (std::find(s.objectives.begin(), s.objectives.end(), obj) != s.objectives.end())
        e.fail("objective listed twice", yaml::join(names));
      s.objectives.push_back(obj);
    }
    if (s.objectives.size() < 2)
      o->fail("a multi-objective search needs two objectives or more", yaml::join(names));
  }
  auto prob = [&](const char* key, double& out) {
    if (auto p = m.find(key)) {
      out = p->as_double_min(0);
      if (out > 1) p->fail("a probability above 1", "0..1");
    }
  };
  prob("crossover_prob", s.crossover_prob);
  prob("mutation_prob", s.mutation_prob);
  prob("best_accuracy_tolerance", s.best_accuracy_tolerance);
  if (auto mo = m.find("mapper_objective")) {
    mo->as_choice({"latency", "energy", "edp"});
    s.mapper_objective = mo->as_string();
  }
  if (auto c = m.find("constraints")) {
    Map cm = c->as_map();
    cm.check_keys({"max_weight_bytes", "max_latency_ms", "max_energy_uj", "min_accuracy"});
    cm.read_positive("max_weight_bytes", s.max_weight_bytes);
    cm.read_positive("max_latency_ms", s.max_latency_ms);
    cm.read_positive("max_energy_uj", s.max_energy_uj);
    if (auto a = cm.find("min_accuracy")) {
      s.min_accuracy = a->as_double_min(0);
      if (s.min_accuracy > 1) a->fail("accuracy is a fraction", "0..1");
    }
  }
  if (auto su = m.find("surrogate")) {
    Map sm = su->as_map();
    sm.check_keys({"screen_factor", "predict_accuracy"});
    sm.read("screen_factor", s.screen_factor, 1, 1000);
    sm.read("predict_accuracy", s.surrogate_accuracy);
  }
  if (auto d = m.find("differentiable")) {
    Map dm = d->as_map();
    dm.check_keys({"tau_start", "tau_end", "hw_loss_weight"});
    dm.read_positive("tau_start", s.gumbel_tau_start);
    dm.read_positive("tau_end", s.gumbel_tau_end);
    if (auto w = dm.find("hw_loss_weight")) s.hw_loss_weight = w->as_double_min(0);
    if (s.gumbel_tau_end > s.gumbel_tau_start)
      d->fail("tau_end above tau_start: the temperature anneals downwards", "tau_end <= tau_start");
  }
}

void parse_hardware(const Value& v, const std::string& dir, HardwareSpec& h) {
  Map m = v.as_map();
  m.check_keys({"config", "parameters"});
  const Value cfg = m.at("config");
  h.config = yaml::resolve_file(cfg, dir);
  h.config_text = yaml::read_text(h.config, cfg);
  try {
    parse_hw_config(h.config_text, h.config);
  } catch (const ConfigError& e) {
    cfg.fail(std::string("the hardware config is invalid: ") + e.what());
  }
  if (auto ps = m.find("parameters")) {
    h.parameters_where = ps->location();
    for (const Value& p : ps->as_seq()) {
      Map pm = p.as_map();
      pm.check_keys({"path", "values"});
      explore::Parameter par;
      par.where = p.location();
      par.path = pm.at("path").as_string();
      const Value vals = pm.at("values");
      std::set<std::string> seen;
      for (const Value& e : vals.as_seq()) {
        if (!e.is_scalar() || e.text().empty())
          e.fail("expected a number or a name, got " + e.describe());
        explore::ParamValue pv;
        pv.text = e.text();
        char* end = nullptr;
        const double d = std::strtod(pv.text.c_str(), &end);
        if (end && *end == '\0') {
          pv.numeric = true;
          pv.number = d;
        }
        if (!seen.insert(pv.text).second) e.fail("value listed twice");
        par.values.push_back(pv);
      }
      if (par.values.empty()) vals.fail("an empty value list", "at least one value");
      h.parameters.push_back(par);
    }
    // Every value must make a valid config on its own (the others at their first value):
    // a bad path or value fails here, at the parameter's line, not mid-search.
    const explore::SweepSpec sw = h.as_sweep();
    for (size_t k = 0; k < h.parameters.size(); ++k)
      for (const explore::ParamValue& pv : h.parameters[k].values) {
        explore::Point pt;
        for (const explore::Parameter& q : h.parameters) pt.values.push_back(q.values[0]);
        pt.values[k] = pv;
        explore::apply_point(sw, pt);
      }
  }
}

void parse_baselines(const Value& v, const SearchSpace& s, BaselineSpec& b) {
  Map m = v.as_map();
  m.check_keys({"ops", "kernel", "expansion"});
  if (auto o = m.find("ops")) b.ops = op_list(*o, true);
  if (auto k = m.find("kernel")) {
    b.kernel = k->as_uint32();
    if (std::find(s.kernels.begin(), s.kernels.end(), b.kernel) == s.kernels.end())
      k->fail("not one of the space's kernels", "a value of choices.kernels");
  }
  if (auto e = m.find("expansion")) {
    b.expansion = e->as_uint32();
    if (std::find(s.expansions.begin(), s.expansions.end(), b.expansion) == s.expansions.end())
      e->fail("not one of the space's expansions", "a value of choices.expansions");
  }
  for (OpKind k : b.ops)
    if (std::find(s.ops.begin(), s.ops.end(), k) == s.ops.end())
      m.at("ops").fail(fmt::format("'{}' is not in choices.ops", to_string(k)),
                       "kinds of choices.ops");
}

}  // namespace

void apply_overrides(SearchSpace& s, double max_weight_bytes, bool no_compression) {
  uint64_t h = std::stoull(s.hash, nullptr, 16);
  if (max_weight_bytes >= 0) {
    s.search.max_weight_bytes = max_weight_bytes;
    h = fnv1a64(h, fmt::format("max_weight_bytes={}", max_weight_bytes));
  }
  if (no_compression) {
    for (auto& levels : s.weight_bits) levels = {*std::max_element(levels.begin(), levels.end())};
    s.sparsity = {0.0};
    h = fnv1a64(h, "no_compression");
  }
  s.hash = fmt::format("{:016x}", h);
}

uint64_t fnv1a64(uint64_t h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return (h ^ 0xff) * 0x100000001b3ull;
}

const char* to_string(SearchMode m) {
  switch (m) {
    case SearchMode::Nsga2:
      return "nsga2";
    case SearchMode::Surrogate:
      return "surrogate";
    case SearchMode::Differentiable:
      return "differentiable";
  }
  return "?";
}

const char* to_string(Objective o) {
  switch (o) {
    case Objective::Accuracy:
      return "accuracy";
    case Objective::Latency:
      return "latency_ms";
    case Objective::Energy:
      return "energy_uj";
    case Objective::WeightBytes:
      return "weight_bytes";
  }
  return "?";
}

explore::SweepSpec HardwareSpec::as_sweep() const {
  explore::SweepSpec sw;
  sw.file = config;
  sw.base = config;
  sw.base_text = config_text;
  sw.parameters = parameters;
  sw.parameters_where = parameters_where;
  return sw;
}

uint32_t SearchSpace::blocks() const {
  uint32_t n = 0;
  for (const Stage& s : stages) n += s.blocks;
  return n;
}

SearchSpace parse_search_space(const std::string& text, const std::string& origin) {
  SearchSpace s;
  s.file = origin;
  s.text = text;
  s.name = fs::path(origin).stem().string();
  std::string dir = fs::path(origin).parent_path().string();
  if (dir.empty()) dir = ".";
  Value root = yaml::parse(text, origin);
  Map m = root.as_map();
  m.check_keys({"name", "input", "classes", "skeleton", "choices", "training", "search", "hardware",
                "baselines"});
  m.read("name", s.name);
  if (auto in = m.find("input")) {
    Map im = in->as_map();
    im.check_keys({"h", "w", "c"});
    s.input_h = im.at("h").as_uint32(1, 4096);
    s.input_w = im.at("w").as_uint32(1, 4096);
    s.input_c = im.at("c").as_uint32(1, 4096);
  }
  m.read("classes", s.classes, 2, 100000);
  parse_skeleton(m.at("skeleton"), s);
  if (auto c = m.find("choices")) parse_choices(*c, s);
  parse_training(m.at("training"), s.training);
  if (auto se = m.find("search")) parse_search(*se, s.search);
  parse_hardware(m.at("hardware"), dir, s.hardware);
  if (auto b = m.find("baselines")) {
    parse_baselines(*b, s, s.baselines);
  } else {
    s.baselines.ops = s.ops;
    s.baselines.kernel = s.kernels[0];
    s.baselines.expansion = s.expansions.back();
  }
  // Shapes: each stride-2 step halves the side (rounding up, padding k/2); at least 1x1.
  uint32_t h = (s.input_h + s.stem_stride - 1) / s.stem_stride;
  for (const Stage& st : s.stages) {
    if (h == 1 && st.stride == 2)
      throw ConfigError(st.where, "skeleton.stages", "a stride-2 stage on a 1x1 feature map",
                        "fewer stride-2 stages");
    h = (h + st.stride - 1) / st.stride;
  }
  uint64_t hash = fnv1a64(kFnvBasis, text);
  hash = fnv1a64(hash, s.hardware.config_text);
  s.hash = fmt::format("{:016x}", hash);
  return s;
}

SearchSpace load_search_space(const std::string& path) {
  yaml::load_file(path);  // a clear error when unreadable or not YAML
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_search_space(ss.str(), path);
}

}  // namespace savp::nas::search
