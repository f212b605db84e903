#include "mapper/allocate.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <tuple>

#include "common/errors.hpp"
#include "common/yaml_util.hpp"
#include "mapper/cost_model.hpp"
#include "mapper/fallback.hpp"

namespace savp::mapper {

namespace fs = std::filesystem;

namespace {

// The loader's bound on rows and cols (common/hw_config_load.cpp kMaxArrayDim).
constexpr uint32_t kMaxArrayDim = 4096;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void check_options(const AllocateOptions& opt) {
  if (opt.pe_budget == 0)
    throw Error("savp allocate: the PE budget must be a positive number of PEs (got 0)");
  if (!std::isfinite(opt.area_budget_mm2) || opt.area_budget_mm2 < 0)
    throw Error(
        fmt::format("savp allocate: the area budget must be a positive number of mm^2 "
                    "(got {})",
                    opt.area_budget_mm2));
  if (opt.area_budget_mm2 > 0 && !opt.area_mm2)
    throw Error("savp allocate: an area budget needs the platform's area model");
  if (opt.max_aspect == 0) throw Error("savp allocate: max_aspect must be at least 1");
  if (opt.row_dims.empty() || opt.col_dims.empty())
    throw Error("savp allocate: no candidate row or column sizes given");
  std::vector<uint32_t> dims = opt.row_dims;
  dims.insert(dims.end(), opt.col_dims.begin(), opt.col_dims.end());
  for (uint32_t d : dims)
    if (d == 0 || d > kMaxArrayDim)
      throw Error(
          fmt::format("savp allocate: array dimension {} is outside 1..{}", d, kMaxArrayDim));
}

HwConfig with_shape(HwConfig hw, size_t chunk, const ArrayShape& s) {
  hw.chunks[chunk].rows = s.rows;
  hw.chunks[chunk].cols = s.cols;
  return hw;
}

// Lexicographic objective: bottleneck, then total cycles, then PEs.
using Key = std::tuple<uint64_t, uint64_t, uint64_t>;

}  // namespace

std::string ArrayShape::str() const { return fmt::format("{}x{}", rows, cols); }

std::vector<ArrayShape> candidate_shapes(const ChunkConfig& c, const HwConfig& hw,
                                         const AllocateOptions& opt) {
  std::vector<ArrayShape> out;
  for (uint32_t r : opt.row_dims)
    for (uint32_t k : opt.col_dims) {
      if (std::find(out.begin(), out.end(), ArrayShape{r, k}) != out.end()) continue;
      const uint64_t lo = std::min(r, k), hi = std::max(r, k);
      if (hi > lo * opt.max_aspect) continue;
      // The loader's buffer rules: one operand row in the ibuf, wbuf and global buffer, the
      // int32 accumulators in the obuf.
      if (4 * hi > c.ibuf.capacity_bytes || 4 * hi > c.wbuf.capacity_bytes ||
          4 * hi > hw.global_buffer.capacity_bytes || 4 * lo * hi > c.obuf.capacity_bytes)
        continue;
      out.push_back({r, k});
    }
  std::sort(out.begin(), out.end(), [](const ArrayShape& a, const ArrayShape& b) {
    return std::make_tuple(a.pes(), a.rows) < std::make_tuple(b.pes(), b.rows);
  });
  return out;
}

QuantizedNetwork mapping_network(const Network& net, const HwConfig& hw, uint64_t seed) {
  QuantizedNetwork q{net, std::vector<LayerParams>(net.layers.size())};
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    LayerParams& p = q.params[i];
    if (l.has_weights()) {
      p.weights.assign(l.weight_count(), 0);
      p.bias.assign(l.bias_count(), 0);
    }
    p.multiplier = 1;
    p.multiplier2 = l.type == LayerType::Add ? 1 : 0;
  }
  // Compressed weights (issue 8) are stored at their true size, which depends on the values.
  bool compresses = false;
  for (const ChunkConfig& cc : hw.chunks) compresses = compresses || cc.decompressor.present();
  if (needs_fallback(q, hw) || compresses)
    for (size_t i = 0; i < net.layers.size(); ++i)
      if (net.layers[i].has_weights()) q.params[i].weights = random_weights(net.layers[i], seed);
  return q;
}

ChunkLoad chunk_load(const QuantizedNetwork& q, const HwConfig& hw, const MapOptions& opt) {
  const std::vector<int8_t> input(q.net.input.elements(), 0);
  const MappedNetwork m = generate(q, hw, input, opt);
  const std::vector<LayerPrediction> pred = predict(m, q, hw);
  ChunkLoad load;
  load.cycles.assign(hw.chunks.size(), 0);
  load.layers.resize(hw.chunks.size());
  load.pe_ops.assign(hw.chunks.size(), 0);
  load.vector_ops.assign(hw.chunks.size(), 0);
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const int c = m.layers[i].chunk;
    if (c < 0) continue;  // flatten: no code
    const size_t ci = static_cast<size_t>(c);
    load.cycles[ci] += pred[i].predicted_cycles;
    load.layers[ci].push_back(m.layers[i].layer);
    (q.net.layers[i].has_weights() ? load.pe_ops : load.vector_ops)[ci] += pred[i].pe_ops;
  }
  return load;
}

namespace {

// The search state: the kept chunks, their candidates and what is known of their costs.
struct Search {
  const QuantizedNetwork& q;
  const AllocateOptions& opt;
  HwConfig reduced;  // the input config with the unused chunks dropped
  std::vector<ChunkCandidates> chunks;
  std::vector<uint64_t> pe_ops, vector_ops;  // per kept chunk (shape-independent)
  size_t mappings = 0, combinations = 0;
  bool bounds_hold = true;

  uint64_t bound(size_t i, const ArrayShape& s) const {
    return ceil_div(pe_ops[i], s.pes()) + ceil_div(vector_ops[i], s.cols);
  }
  static uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

  void record(ShapeCost& sc, uint64_t cycles) {
    sc.feasible = true;
    sc.cycles = cycles;
    if (cycles < sc.lower_bound) bounds_hold = false;
  }

  // Maps pick[i] (an index into chunks[i].shapes, or -1: leave the chunk at its input shape).
  void map(const std::vector<int>& pick) {
    HwConfig cfg = reduced;
    for (size_t i = 0; i < pick.size(); ++i)
      if (pick[i] >= 0) cfg = with_shape(cfg, i, chunks[i].shapes[pick[i]].shape);
    for (size_t i = 0; i < pick.size(); ++i)
      if (pick[i] >= 0) chunks[i].shapes[pick[i]].mapped = true;
    ++mappings;
    try {
      const ChunkLoad l = chunk_load(q, cfg, opt.map);
      for (size_t i = 0; i < pick.size(); ++i)
        if (pick[i] >= 0) record(chunks[i].shapes[pick[i]], l.cycles[i]);
      return;
    } catch (const Error&) {
    }
    // Chunk by chunk, the others at their input shapes (which map).
    for (size_t i = 0; i < pick.size(); ++i) {
      if (pick[i] < 0) continue;
      ShapeCost& sc = chunks[i].shapes[pick[i]];
      ++mappings;
      try {
        record(sc, chunk_load(q, with_shape(reduced, i, sc.shape), opt.map).cycles[i]);
      } catch (const Error& e) {
        sc.why = e.what();
      }
    }
  }

  // The best combination within the budgets; `cost(i, s)` gives a shape's cycles, or nullopt
  // when it is not a choice. Returns the picks (empty if none) and sets `key`.
  template <typename Cost>
  std::vector<int> best(Cost cost, Key& key, bool count = false) {
    const size_t n = chunks.size();
    std::vector<uint64_t> rest_min(n + 1, 0);  // smallest PEs of chunks i..n-1
    for (size_t i = n; i-- > 0;) {
      uint64_t m = std::numeric_limits<uint64_t>::max() / 4;
      for (size_t s = 0; s < chunks[i].shapes.size(); ++s)
        if (cost(i, s)) m = std::min(m, chunks[i].shapes[s].shape.pes());
      rest_min[i] = rest_min[i + 1] + m;
    }
    key = Key{std::numeric_limits<uint64_t>::max(), 0, 0};
    std::vector<int> pick(n), out;
    // Depth first; shapes are in increasing PE order, so one over the budget ends the loop.
    std::function<void(size_t, uint64_t, uint64_t, uint64_t)> dfs =
        [&](size_t i, uint64_t pes, uint64_t worst, uint64_t total) {
          if (i == n) {
            if (count) ++combinations;
            const Key k{worst, total, pes};
            if (!(k < key)) return;
            if (opt.area_budget_mm2 > 0) {
              HwConfig cfg = reduced;
              for (size_t j = 0; j < n; ++j)
                cfg = with_shape(cfg, j, chunks[j].shapes[pick[j]].shape);
              if (opt.area_mm2(cfg) > opt.area_budget_mm2) return;
            }
            key = k;
            out = pick;
            return;
          }
          for (size_t s = 0; s < chunks[i].shapes.size(); ++s) {
            const uint64_t p = chunks[i].shapes[s].shape.pes();
            if (pes + p + rest_min[i + 1] > opt.pe_budget) break;
            const std::optional<uint64_t> c = cost(i, s);
            if (!c) continue;
            const uint64_t w = std::max(worst, *c);
            if (w > std::get<0>(key)) continue;  // cannot beat the bottleneck found
            pick[i] = static_cast<int>(s);
            dfs(i + 1, pes + p, w, total + *c);
          }
        };
    dfs(0, 0, 0, 0);
    return out;
  }

  std::vector<int> best_mapped(Key& key, bool count = false) {
    return best(
        [&](size_t i, size_t s) -> std::optional<uint64_t> {
          const ShapeCost& sc = chunks[i].shapes[s];
          if (!sc.feasible) return std::nullopt;
          return sc.cycles;
        },
        key, count);
  }
};

}  // namespace

Allocation allocate(const Network& net, const HwConfig& hw, const AllocateOptions& opt) {
  check_options(opt);
  const QuantizedNetwork q = mapping_network(net, hw, opt.seed);
  Search st{q, opt, hw, {}, {}, {}};
  // The placement: the input config as given (its mapping errors are the user's to see).
  const ChunkLoad in = chunk_load(q, hw, opt.map);
  ++st.mappings;
  Allocation a;
  st.reduced.chunks.clear();
  for (size_t c = 0; c < hw.chunks.size(); ++c) {
    const ChunkConfig& cc = hw.chunks[c];
    if (in.layers[c].empty()) {
      a.dropped.push_back(cc.name);
      continue;
    }
    ChunkCandidates k;
    k.input_index = static_cast<int>(c);
    k.name = cc.name;
    k.kind = cc.kind;
    k.input_shape = {cc.rows, cc.cols};
    k.layers = in.layers[c];
    st.reduced.chunks.push_back(cc);
    st.pe_ops.push_back(in.pe_ops[c]);
    st.vector_ops.push_back(in.vector_ops[c]);
    a.input_pes += k.input_shape.pes();
    a.input_bottleneck_cycles = std::max(a.input_bottleneck_cycles, in.cycles[c]);
    st.chunks.push_back(std::move(k));
    // The bound must hold at the input shape too.
    if (in.cycles[c] < st.bound(st.chunks.size() - 1, st.chunks.back().input_shape))
      st.bounds_hold = false;
  }
  const size_t n = st.chunks.size();
  if (n == 0)
    throw Error(fmt::format("savp allocate: network '{}' places no layer on a chunk", net.name));

  // Candidates per chunk and the smallest budget that holds the smallest arrays.
  std::vector<std::vector<ArrayShape>> cands(n);
  uint64_t min_total = 0;
  std::vector<std::string> mins;
  for (size_t i = 0; i < n; ++i) {
    const ChunkConfig& cc = st.reduced.chunks[i];
    cands[i] = candidate_shapes(cc, hw, opt);
    if (cands[i].empty())
      throw Error(fmt::format(
          "savp allocate: chunk '{}': no candidate array shape fits its buffers (obuf {} bytes "
          "must hold 4 * rows * cols, ibuf / wbuf {} / {} bytes 4 * max(rows, cols))",
          cc.name, cc.obuf.capacity_bytes, cc.ibuf.capacity_bytes, cc.wbuf.capacity_bytes));
    min_total += cands[i].front().pes();
    mins.push_back(fmt::format("{} ({}) {}", cc.name, to_string(cc.kind), cands[i].front().str()));
  }
  if (opt.pe_budget < min_total)
    throw Error(fmt::format(
        "savp allocate: a PE budget of {} is too small: network '{}' uses {} chunk(s), whose "
        "smallest arrays need {} PEs ({}); give --pe-budget {} or more",
        opt.pe_budget, net.name, n, min_total, join(mins), min_total));
  if (opt.area_budget_mm2 > 0) {
    HwConfig smallest = st.reduced;
    for (size_t i = 0; i < n; ++i) smallest = with_shape(smallest, i, cands[i][0]);
    const double area = opt.area_mm2(smallest);
    if (area > opt.area_budget_mm2)
      throw Error(fmt::format(
          "savp allocate: an area budget of {:.3f} mm^2 is too small: with the smallest arrays "
          "({}) and the buffers of '{}', the platform takes {:.3f} mm^2",
          opt.area_budget_mm2, join(mins), hw.name, area));
  }
  // A chunk's shape can use the budget the other chunks' smallest arrays leave.
  for (size_t i = 0; i < n; ++i) {
    const uint64_t limit = opt.pe_budget - (min_total - cands[i].front().pes());
    for (const ArrayShape& s : cands[i])
      if (s.pes() <= limit) st.chunks[i].shapes.push_back({s, st.bound(i, s), false, false, 0, ""});
  }

  // Branch and bound (allocate.hpp). The first mapping: the combination best by the bounds.
  Key key;
  if (opt.prune && st.bounds_hold) {
    const std::vector<int> guess = st.best(
        [&](size_t i, size_t s) -> std::optional<uint64_t> {
          return st.chunks[i].shapes[s].lower_bound;
        },
        key);
    if (!guess.empty()) st.map(guess);
  }
  for (;;) {
    uint64_t limit = std::numeric_limits<uint64_t>::max();
    if (opt.prune && st.bounds_hold) {
      st.best_mapped(key);
      limit = std::get<0>(key);
    }
    // Next: per chunk, its unmapped shape with the smallest bound (largest array) <= limit.
    std::vector<int> pick(n, -1);
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      int b = -1;
      for (size_t s = 0; s < st.chunks[i].shapes.size(); ++s) {
        const ShapeCost& sc = st.chunks[i].shapes[s];
        if (sc.mapped || sc.lower_bound > limit) continue;
        if (b < 0 || sc.lower_bound < st.chunks[i].shapes[b].lower_bound) b = static_cast<int>(s);
      }
      pick[i] = b;
      any = any || b >= 0;
    }
    if (!any) break;
    st.map(pick);
  }
  const std::vector<int> chosen = st.best_mapped(key, true);
  if (chosen.empty())
    throw Error(
        fmt::format("savp allocate: no combination of array shapes maps '{}' within a "
                    "budget of {} PEs{}",
                    net.name, opt.pe_budget,
                    opt.area_budget_mm2 > 0 ? fmt::format(" and {:.3f} mm^2", opt.area_budget_mm2)
                                            : std::string()));

  a.hw = st.reduced;
  for (size_t i = 0; i < n; ++i) a.hw = with_shape(a.hw, i, st.chunks[i].shapes[chosen[i]].shape);
  // The reported costs come from mapping the chosen config itself.
  const ChunkLoad l = chunk_load(q, a.hw, opt.map);
  for (size_t i = 0; i < n; ++i) {
    ChunkAllocation c;
    c.name = a.hw.chunks[i].name;
    c.kind = a.hw.chunks[i].kind;
    c.shape = {a.hw.chunks[i].rows, a.hw.chunks[i].cols};
    c.layers = l.layers[i];
    c.cycles = l.cycles[i];
    a.bottleneck_cycles = std::max(a.bottleneck_cycles, c.cycles);
    a.total_cycles += c.cycles;
    a.pes += c.shape.pes();
    a.chunks.push_back(std::move(c));
  }
  if (opt.area_mm2) a.area_mm2 = opt.area_mm2(a.hw);
  for (const ChunkCandidates& c : st.chunks) {
    a.shapes += c.shapes.size();
    for (const ShapeCost& s : c.shapes) a.shapes_mapped += s.mapped ? 1 : 0;
  }
  a.candidates = std::move(st.chunks);
  a.mappings = st.mappings + 1;
  a.combinations = st.combinations;
  return a;
}

std::string allocation_yaml(const Allocation& a, const std::string& input_hw_path,
                            const std::string& name, const std::string& header,
                            const std::string& out_dir) {
  YAML::Node doc = YAML::Clone(yaml::load_file(input_hw_path).node());
  YAML::Node in_chunks = doc["chunks"];
  YAML::Node chunks(YAML::NodeType::Sequence);
  for (const ChunkConfig& c : a.hw.chunks) {
    YAML::Node found;
    for (size_t i = 0; i < in_chunks.size(); ++i)
      if (in_chunks[i]["name"] && in_chunks[i]["name"].as<std::string>() == c.name)
        found = in_chunks[i];
    if (!found)
      throw Error(fmt::format("savp allocate: chunk '{}' is not in '{}'", c.name, input_hw_path));
    found["rows"] = c.rows;
    found["cols"] = c.cols;
    chunks.push_back(found);
  }
  doc["chunks"] = chunks;
  doc["name"] = name;
  if (!a.hw.energy_table.empty()) {
    const fs::path et = fs::absolute(a.hw.energy_table).lexically_normal();
    std::string p = et.string();
    if (!out_dir.empty()) {
      const fs::path rel = et.lexically_relative(fs::absolute(out_dir).lexically_normal());
      if (!rel.empty()) p = rel.string();
    }
    doc["energy_table"] = p;
  }
  YAML::Emitter out;
  out << doc;
  if (!out.good()) throw Error("savp allocate: cannot emit the config: " + out.GetLastError());
  std::string text;
  size_t pos = 0;
  while (pos <= header.size() && !header.empty()) {
    size_t nl = header.find('\n', pos);
    if (nl == std::string::npos) nl = header.size();
    text += "# " + header.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
  return text + out.c_str() + "\n";
}

void write_hw_yaml(const std::string& yaml_text, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw Error(fmt::format("savp allocate: cannot write '{}'", path));
    f << yaml_text;
    if (!f.flush()) {
      std::remove(tmp.c_str());
      throw Error(fmt::format("savp allocate: cannot write '{}'", path));
    }
  }
  try {
    (void)load_hw_config(tmp);
  } catch (const Error& e) {
    std::remove(tmp.c_str());
    throw Error(
        fmt::format("savp allocate: the config for '{}' does not load: {}", path, e.what()));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(fmt::format("savp allocate: cannot write '{}'", path));
  }
}

}  // namespace savp::mapper
