#include "nas/search/cost_table.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/file_io.hpp"

namespace savp::nas::search {

namespace {
constexpr const char* kFormat = "savp-nas-cost-table";
constexpr int kVersion = 1;
constexpr double kUnrunnableCost = 1e12;  // an entry that cannot run: the softmax avoids it

const BlockChoice& choice_of(const Layout& layout, const Candidate& c, uint32_t b) {
  return layout.block_choices(b)[c.genes[layout.op_gene(b)]];
}
}  // namespace

double CostTable::estimate_cycles(const Layout& layout, const Candidate& c) const {
  double s = fixed_cycles;
  for (const BlockSlot& b : layout.blocks()) {
    const CostEntry& e = blocks[b.index][c.genes[layout.op_gene(b.index)]];
    s += e.ok ? e.cycles : kUnrunnableCost;
  }
  return s;
}

double CostTable::estimate_energy_uj(const Layout& layout, const Candidate& c) const {
  double s = fixed_energy_uj;
  for (const BlockSlot& b : layout.blocks()) {
    const CostEntry& e = blocks[b.index][c.genes[layout.op_gene(b.index)]];
    s += e.ok ? e.energy_uj : kUnrunnableCost;
  }
  return s;
}

CostTable measure_cost_table(const Layout& layout, PlatformEvaluator& ev, const HwConfig& hw) {
  const SearchSpace& s = layout.space();
  CostTable t;
  t.space = s.name;
  t.space_hash = s.hash;
  t.hardware = hw.name;
  t.hardware_hash = PlatformEvaluator::hardware_hash(hw);
  t.clock_mhz = hw.clock_mhz;
  size_t most = 0;
  for (const BlockSlot& b : layout.blocks()) {
    most = std::max(most, layout.block_choices(b.index).size());
    t.blocks.emplace_back();
    for (const BlockChoice& ch : layout.block_choices(b.index))
      t.blocks.back().push_back({ch.label(), !ch.skip ? false : true, 0, 0});
  }
  std::vector<std::vector<bool>> seen(t.blocks.size());
  for (size_t b = 0; b < t.blocks.size(); ++b) seen[b].assign(t.blocks[b].size(), false);
  double fixed_c = 0, fixed_e = 0;
  uint64_t fixed_n = 0;
  for (size_t j = 0; j < most; ++j) {
    Candidate c;
    c.genes.assign(layout.genes().size(), 0);
    for (const BlockSlot& b : layout.blocks())
      if (j < layout.block_choices(b.index).size()) c.genes[layout.op_gene(b.index)] = j;
    for (size_t g = 0; g < layout.genes().size(); ++g)  // the highest bit level, no sparsity
      if (layout.genes()[g].kind == GeneKind::BlockBits) c.genes[g] = s.bit_levels() - 1;
    const mapper::Network net = decode_network(layout, c);
    const HwMeasurement m = ev.evaluate(net, hw, /*layers=*/true);
    ++t.runs;
    double blocks_c = 0, blocks_e = 0;
    for (const BlockSlot& b : layout.blocks()) {
      const BlockChoice& ch = choice_of(layout, c, b.index);
      const uint32_t k = c.genes[layout.op_gene(b.index)];
      if (ch.skip) {
        seen[b.index][k] = true;
        continue;
      }
      double bc = 0, be = 0;
      const std::string prefix = fmt::format("b{}_", b.index);
      for (const auto& [name, cyc] : m.layer_cycles)
        if (name.rfind(prefix, 0) == 0) {
          bc += cyc;
          be += m.layer_energy_uj.at(name);
        }
      blocks_c += bc;
      blocks_e += be;
      if (seen[b.index][k]) continue;
      seen[b.index][k] = true;
      CostEntry& e = t.blocks[b.index][k];
      e.ok = m.ok;
      e.cycles = bc;
      e.energy_uj = be;
    }
    if (m.ok) {
      fixed_c += m.cycles - blocks_c;
      fixed_e += m.energy_uj - blocks_e;
      ++fixed_n;
    }
  }
  if (fixed_n == 0)
    throw Error(
        fmt::format("cost table: no calibration network of '{}' runs on '{}'", s.name, hw.name));
  t.fixed_cycles = fixed_c / fixed_n;
  t.fixed_energy_uj = fixed_e / fixed_n;
  return t;
}

std::string CostTable::to_json() const {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["space"] = space;
  j["space_hash"] = space_hash;
  j["hardware"] = hardware;
  j["hardware_hash"] = hardware_hash;
  j["clock_mhz"] = clock_mhz;
  j["runs"] = runs;
  j["fixed"] = {{"cycles", fixed_cycles}, {"energy_uj", fixed_energy_uj}};
  j["blocks"] = nlohmann::ordered_json::array();
  for (size_t b = 0; b < blocks.size(); ++b) {
    nlohmann::ordered_json cs = nlohmann::ordered_json::array();
    for (const CostEntry& e : blocks[b])
      cs.push_back({{"label", e.label},
                    {"ok", e.ok},
                    {"cycles", e.cycles},
                    {"latency_ms", e.cycles / (clock_mhz * 1000.0)},
                    {"energy_uj", e.energy_uj}});
    j["blocks"].push_back({{"block", b}, {"choices", cs}});
  }
  return j.dump(1) + "\n";
}

CostTable CostTable::from_json(const std::string& text, const std::string& origin,
                               const Layout& layout) {
  auto bad = [&](const std::string& why) {
    return Error(fmt::format("bad cost table '{}': {}", origin, why));
  };
  CostTable t;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object() || j.value("format", "") != kFormat) throw bad("not a savp cost table");
    if (j.at("version").get<int>() != kVersion)
      throw bad("unknown version " + j.at("version").dump());
    t.space = j.at("space").get<std::string>();
    t.space_hash = j.at("space_hash").get<std::string>();
    if (t.space_hash != layout.space().hash)
      throw bad(fmt::format("made for search space '{}' (hash {}), not '{}' (hash {})", t.space,
                            t.space_hash, layout.space().name, layout.space().hash));
    t.hardware = j.at("hardware").get<std::string>();
    t.hardware_hash = j.at("hardware_hash").get<std::string>();
    t.clock_mhz = j.at("clock_mhz").get<double>();
    t.runs = j.at("runs").get<uint64_t>();
    t.fixed_cycles = j.at("fixed").at("cycles").get<double>();
    t.fixed_energy_uj = j.at("fixed").at("energy_uj").get<double>();
    const auto& bs = j.at("blocks");
    if (bs.size() != layout.blocks().size())
      throw bad(fmt::format("{} blocks, the space has {}", bs.size(), layout.blocks().size()));
    for (size_t b = 0; b < bs.size(); ++b) {
      const auto& cs = bs[b].at("choices");
      if (cs.size() != layout.block_choices(b).size())
        throw bad(fmt::format("block {} has {} choices, the space {}", b, cs.size(),
                              layout.block_choices(b).size()));
      t.blocks.emplace_back();
      for (const auto& c : cs)
        t.blocks.back().push_back({c.at("label").get<std::string>(), c.at("ok").get<bool>(),
                                   c.at("cycles").get<double>(), c.at("energy_uj").get<double>()});
    }
  } catch (const nlohmann::json::exception& e) {
    throw bad(e.what());
  }
  return t;
}

void save_cost_table(const CostTable& t, const std::string& path) {
  write_file_atomic(path, t.to_json(), "cost table");
}

CostTable load_cost_table(const std::string& path, const Layout& layout) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read the cost table '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return CostTable::from_json(ss.str(), path, layout);
}

}  // namespace savp::nas::search
