// Loading and validation of the hardware configuration (common/hw_config.hpp), the one place
// where configs/hw/*.yaml and configs/dram/*.yaml become HwConfig (STYLE.md habit 3).
//
// Schema: YAML keys are the struct member names. Required: chunks (each with name, kind, rows,
// cols, ibuf, wbuf, obuf; each buffer with capacity_bytes), global_buffer, dram.preset.
// Everything else is optional and keeps the struct default. A chunk's weight_bits defaults to
// [8] for mult/adder and [4] for shift (the struct's [8] is not a valid shift width).
// The DRAM preset file gives every organization and timing member; the hw config's
// dram.organization / dram.timing / page_policy / address_mapping override single values.
// Every rule failure is a ConfigError naming file:line:column, the dotted field and what is
// allowed; values coming from a preset are reported at their line in the preset file.
// `fallback:` maps an operator kind to the chunk kind that runs it when the platform has no
// chunk of that kind; the only exact pair is `shift: mult` (common/hw_config.hpp, Fallback).
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "common/hw_config.hpp"
#include "common/yaml_util.hpp"

#ifndef SAVP_SOURCE_DIR
#define SAVP_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;

namespace savp {

namespace {

using yaml::Map;
using yaml::Value;

// Limits from the platform's address map and ISA. They are repeated here because common/ must
// not depend on firmware/ (firmware links common):
//  - firmware/address_map.hpp: a chunk buffer window is kWbufOffset - kIbufOffset = 1 GiB,
//    and DRAM occupies [0, kGlbBase) = 64 GiB.
//  - firmware/isa.hpp: kMaxChunks = kMaxEngines (16) - the DMA load and store engines = 14.
constexpr uint64_t kSramWindowBytes = uint64_t{1} << 30;
constexpr uint64_t kDramWindowBytes = uint64_t{64} << 30;
constexpr size_t kMaxChunks = 14;
constexpr uint32_t kMaxArrayDim = 4096;
constexpr uint32_t kMaxCount = 1000000;  // generic sanity bound for cycle counts and depths

const std::vector<std::string> kKinds{"mult", "shift", "adder"};  // OpKind order
const std::vector<std::string> kDataflows{"ws", "os", "is"};      // Dataflow order
const std::vector<std::string> kPagePolicies{"open", "closed"};   // PagePolicy order
const std::vector<std::string> kDramSchedulers{"frfcfs", "fcfs"};  // DramScheduler order
const std::vector<std::string> kMappingFields{"ro", "ra", "bg", "ba", "co", "ch"};

bool is_pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

std::string num(uint64_t v) { return std::to_string(v); }

// Supported weight widths per operator kind (DESIGN.md chunk table; common/arith.hpp formats).
// mult / adder: signed int weights; shift: sign + exponent (DeepShift-Q style).
std::vector<uint32_t> allowed_weight_bits(OpKind k) {
  if (k == OpKind::Shift) return {2, 3, 4, 5, 6};
  return {2, 4, 8};
}

std::string list_u32(const std::vector<uint32_t>& v) {
  std::vector<std::string> s;
  for (uint32_t x : v) s.push_back(num(x));
  return yaml::join(s);
}

uint32_t read_pow2(const Value& v, uint32_t lo, uint32_t hi) {
  uint32_t x = v.as_uint32(lo, hi);
  if (!is_pow2(x))
    v.fail(num(x) + " is not a power of two", "powers of two in " + num(lo) + ".." + num(hi));
  return x;
}

// ---- SRAM -----------------------------------------------------------------------------------

// `min_bytes` / `min_reason`: the smallest useful buffer, e.g. one row of the array's operands.
void read_sram(const Value& v, SramConfig& s, uint64_t min_bytes, const std::string& min_reason) {
  Map m = v.as_map();
  m.check_keys({"capacity_bytes", "banks", "port_width_bytes", "read_latency_cycles",
                "write_latency_cycles"});
  Value cap = m.at("capacity_bytes");
  s.capacity_bytes = cap.as_uint();
  if (s.capacity_bytes == 0)
    cap.fail("capacity must be greater than 0", "1.." + num(kSramWindowBytes));
  if (s.capacity_bytes > kSramWindowBytes)
    cap.fail("capacity " + num(s.capacity_bytes) +
                 " exceeds the 1 GiB address window of one on-chip buffer",
             "1.." + num(kSramWindowBytes));
  m.read("banks", s.banks, 1, 1024);
  if (auto p = m.find("port_width_bytes")) s.port_width_bytes = read_pow2(*p, 1, 4096);
  m.read("read_latency_cycles", s.read_latency_cycles, 0, kMaxCount);
  m.read("write_latency_cycles", s.write_latency_cycles, 0, kMaxCount);
  const uint64_t stripe = uint64_t{s.banks} * s.port_width_bytes;
  if (s.capacity_bytes % stripe != 0)
    cap.fail("capacity " + num(s.capacity_bytes) +
                 " is not a multiple of banks * port_width_bytes = " + num(stripe),
             "multiples of " + num(stripe));
  if (s.capacity_bytes < min_bytes)
    cap.fail("capacity " + num(s.capacity_bytes) + " is too small: " + min_reason +
                 " needs at least " + num(min_bytes) + " bytes",
             ">= " + num(min_bytes));
}

// ---- chunks ---------------------------------------------------------------------------------

// `decompressor: {formats: [packed, bitmask], packed_bits: [2, 4, 8], weights_per_cycle: 16,
// latency_cycles: 2}` (formats and packed_bits required, at least one each).
void read_decompressor(const Value& v, DecompressorConfig& d) {
  Map m = v.as_map();
  m.check_keys({"formats", "packed_bits", "weights_per_cycle", "latency_cycles"});
  static const std::vector<std::string> kFormats{"packed", "bitmask"};
  Value fv = m.at("formats");
  std::vector<Value> fs = fv.is_sequence() ? fv.as_seq() : std::vector<Value>{fv};
  if (fs.empty()) fv.fail("at least one compressed format is required", yaml::join(kFormats));
  for (const Value& e : fs) {
    bool& on = e.as_choice(kFormats) == 0 ? d.packed : d.bitmask;
    if (on) e.fail("format '" + e.as_string() + "' is listed twice");
    on = true;
  }
  Value bv = m.at("packed_bits");
  std::vector<Value> bs = bv.is_sequence() ? bv.as_seq() : std::vector<Value>{bv};
  if (bs.empty()) bv.fail("at least one packed width is required", "2..8");
  for (const Value& e : bs) {
    uint32_t b = e.as_uint32(2, 8);
    if (d.supports_bits(b)) e.fail("packed width " + num(b) + " is listed twice");
    d.packed_bits.push_back(b);
  }
  std::sort(d.packed_bits.begin(), d.packed_bits.end());
  m.read("weights_per_cycle", d.weights_per_cycle, 1, 4096);
  m.read("latency_cycles", d.latency_cycles, 0, 1024);
}

ChunkConfig read_chunk(const Value& v) {
  Map m = v.as_map();
  m.check_keys({"name", "kind", "rows", "cols", "dataflow", "fold_overlap", "weight_bits", "ibuf",
                "wbuf", "obuf", "decompressor"});
  ChunkConfig c;
  Value name = m.at("name");
  c.name = name.as_string();
  if (!is_plain_name(c.name))
    name.fail("chunk name '" + c.name + "' is not a plain name", "letters, digits, '_', '-', '.'");
  c.kind = static_cast<OpKind>(m.at("kind").as_choice(kKinds));
  c.rows = m.at("rows").as_uint32(1, kMaxArrayDim);
  c.cols = m.at("cols").as_uint32(1, kMaxArrayDim);
  if (auto d = m.find("dataflow")) c.dataflow = static_cast<Dataflow>(d->as_choice(kDataflows));
  if (auto fo = m.find("fold_overlap")) {
    c.fold_overlap = fo->as_bool();
    // The shadow accumulator holds a finished output; ws / is arrays hold no outputs in the PEs.
    if (c.fold_overlap && c.dataflow != Dataflow::OutputStationary)
      fo->fail(std::string("fold_overlap needs an output-stationary array, not dataflow ") +
                   to_string(c.dataflow),
               "false, or dataflow: os");
  }

  const std::vector<uint32_t> allowed = allowed_weight_bits(c.kind);
  c.weight_bits = {c.kind == OpKind::Shift ? 4u : 8u};
  if (auto wb = m.find("weight_bits")) {
    std::vector<Value> elems = wb->is_sequence() ? wb->as_seq() : std::vector<Value>{*wb};
    if (elems.empty()) wb->fail("at least one weight width is required", list_u32(allowed));
    c.weight_bits.clear();
    for (const Value& e : elems) {
      uint32_t b = e.as_uint32(1, 64);
      if (std::find(allowed.begin(), allowed.end(), b) == allowed.end())
        e.fail(num(b) + "-bit weights are not supported by a " + to_string(c.kind) + " chunk",
               list_u32(allowed));
      if (std::find(c.weight_bits.begin(), c.weight_bits.end(), b) != c.weight_bits.end())
        e.fail("weight width " + num(b) + " is listed twice");
      c.weight_bits.push_back(b);
    }
  }

  const std::string shape = num(c.rows) + "x" + num(c.cols);
  const uint64_t row_bytes = 4 * uint64_t{std::max(c.rows, c.cols)};
  const std::string row_reason =
      "one row of operands of a " + shape + " array (4 * max(rows, cols))";
  read_sram(m.at("ibuf"), c.ibuf, row_bytes, row_reason);
  read_sram(m.at("wbuf"), c.wbuf, row_bytes, row_reason);
  read_sram(m.at("obuf"), c.obuf, 4 * uint64_t{c.rows} * c.cols,
            "the int32 accumulators of a " + shape + " array (4 * rows * cols)");
  if (auto d = m.find("decompressor")) read_decompressor(*d, c.decompressor);
  return c;
}

// ---- DRAM -----------------------------------------------------------------------------------

struct U32Field {
  const char* name;
  uint32_t lo, hi;
  bool pow2;
};

// Where each DRAM field got its value (preset file or hw config), for cross-field messages.
using Origins = std::map<std::string, Value>;

void read_org(const Map& m, DramOrganization& o, bool all_required, Origins& where) {
  struct F {
    U32Field f;
    uint32_t DramOrganization::*member;
  };
  static const F fields[] = {
      {{"channels", 1, 64, true}, &DramOrganization::channels},
      {{"ranks", 1, 16, true}, &DramOrganization::ranks},
      {{"bank_groups", 1, 16, true}, &DramOrganization::bank_groups},
      {{"banks_per_group", 1, 64, true}, &DramOrganization::banks_per_group},
      {{"rows", 1, 1u << 20, true}, &DramOrganization::rows},
      {{"columns", 1, 1u << 16, true}, &DramOrganization::columns},
      {{"bus_width_bits", 8, 1024, true}, &DramOrganization::bus_width_bits},
      {{"data_rate", 1, 8, true}, &DramOrganization::data_rate},
  };
  std::vector<std::string> keys;
  for (const F& f : fields) keys.push_back(f.f.name);
  m.check_keys(keys);
  for (const F& f : fields) {
    std::optional<Value> v = all_required ? m.at(f.f.name) : m.find(f.f.name);
    if (!v) continue;
    o.*f.member = read_pow2(*v, f.f.lo, f.f.hi);
    where.insert_or_assign(f.f.name, *v);
  }
}

void read_timing(const Map& m, DramTiming& t, bool all_required, Origins& where) {
  // Timings of 0 are impossible for the clock, the burst and the core row/column cycle
  // (a JEDEC device always needs >= 1 tCK); the others may legitimately be 0.
  struct F {
    U32Field f;
    uint32_t DramTiming::*member;
  };
  static const F fields[] = {
      {{"burst_length", 1, 256, false}, &DramTiming::burst_length},
      {{"cl", 1, kMaxCount, false}, &DramTiming::cl},
      {{"cwl", 0, kMaxCount, false}, &DramTiming::cwl},
      {{"trcd", 1, kMaxCount, false}, &DramTiming::trcd},
      {{"trp", 1, kMaxCount, false}, &DramTiming::trp},
      {{"tras", 1, kMaxCount, false}, &DramTiming::tras},
      {{"tccd_s", 0, kMaxCount, false}, &DramTiming::tccd_s},
      {{"tccd_l", 0, kMaxCount, false}, &DramTiming::tccd_l},
      {{"trrd_s", 0, kMaxCount, false}, &DramTiming::trrd_s},
      {{"trrd_l", 0, kMaxCount, false}, &DramTiming::trrd_l},
      {{"tfaw", 0, kMaxCount, false}, &DramTiming::tfaw},
      {{"twr", 0, kMaxCount, false}, &DramTiming::twr},
      {{"twtr_s", 0, kMaxCount, false}, &DramTiming::twtr_s},
      {{"twtr_l", 0, kMaxCount, false}, &DramTiming::twtr_l},
      {{"trtp", 0, kMaxCount, false}, &DramTiming::trtp},
      {{"trtw", 0, kMaxCount, false}, &DramTiming::trtw},
      {{"trefi", 1, 100 * kMaxCount, false}, &DramTiming::trefi},
      {{"trfc", 1, kMaxCount, false}, &DramTiming::trfc},
      {{"trpab", 0, kMaxCount, false}, &DramTiming::trpab},
      {{"tdqsck", 0, kMaxCount, false}, &DramTiming::tdqsck},
      {{"tdqss", 0, kMaxCount, false}, &DramTiming::tdqss},
      {{"tdqs2dq", 0, kMaxCount, false}, &DramTiming::tdqs2dq},
  };
  std::vector<std::string> keys{"tck_ns"};
  for (const F& f : fields) keys.push_back(f.f.name);
  m.check_keys(keys);
  if (std::optional<Value> v = all_required ? m.at("tck_ns") : m.find("tck_ns")) {
    t.tck_ns = v->as_positive_double();
    where.insert_or_assign("tck_ns", *v);
  }
  // Parameters only some standards have (LPDDR4's tRPab and strobe delays) may be left out of
  // a preset; they default to 0 (tRPab: tRP).
  const auto optional_in_preset = [](const char* name) {
    const std::string n = name;
    return n == "trpab" || n == "tdqsck" || n == "tdqss" || n == "tdqs2dq";
  };
  for (const F& f : fields) {
    std::optional<Value> v =
        all_required && !optional_in_preset(f.f.name) ? m.at(f.f.name) : m.find(f.f.name);
    if (!v) continue;
    t.*f.member = v->as_uint32(f.f.lo, f.f.hi);
    where.insert_or_assign(f.f.name, *v);
  }
}

std::vector<std::string> read_mapping(const Value& v) {
  const std::string allowed = "a permutation of " + yaml::join(kMappingFields);
  std::vector<std::string> out;
  for (const Value& e : v.as_seq()) {
    const std::string f = kMappingFields[e.as_choice(kMappingFields)];
    if (std::find(out.begin(), out.end(), f) != out.end())
      e.fail("address field '" + f + "' appears twice", allowed);
    out.push_back(f);
  }
  for (const std::string& f : kMappingFields)
    if (std::find(out.begin(), out.end(), f) == out.end())
      v.fail("address field '" + f + "' is missing", allowed);
  return out;
}

// Directories holding DRAM presets, in lookup order.
std::vector<fs::path> preset_dirs(const std::string& config_dir, const std::string& preset_dir) {
  if (!preset_dir.empty()) return {fs::path(preset_dir)};
  std::vector<fs::path> dirs;
  if (!config_dir.empty()) dirs.push_back(fs::path(config_dir) / ".." / "dram");
  dirs.push_back(fs::path(SAVP_SOURCE_DIR) / "configs" / "dram");
  return dirs;
}

std::string available_presets(const std::vector<fs::path>& dirs) {
  std::set<std::string> names;
  for (const fs::path& d : dirs) {
    std::error_code ec;
    for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".yaml") names.insert(it->path().stem().string());
  }
  if (names.empty()) return "(no presets found)";
  return yaml::join(std::vector<std::string>(names.begin(), names.end()));
}

// A preset file, parsed once per thread while its text stays the same: a sweep validates
// hundreds of configs naming the same preset, and yaml-cpp's scanner is most of that time. The
// parsed document is only read (const access), so sharing it between configs is safe.
Value load_preset_file(const std::string& path) {
  thread_local std::map<std::string, std::pair<std::string, Value>> cache;
  std::string text = yaml::read_file(path);
  auto it = cache.find(path);
  if (it != cache.end() && it->second.first == text) return it->second.second;
  Value v = yaml::parse(text, path);
  cache.insert_or_assign(path, std::make_pair(std::move(text), v));
  return v;
}

void load_preset(const Value& preset_v, const std::vector<fs::path>& dirs, DramConfig& d,
                 Origins& where) {
  d.preset = preset_v.as_string();
  fs::path file;
  if (is_plain_name(d.preset)) {
    for (const fs::path& dir : dirs) {
      std::error_code ec;
      fs::path p = dir / (d.preset + ".yaml");
      if (fs::is_regular_file(p, ec)) {
        file = p;
        break;
      }
    }
  }
  if (file.empty()) {
    std::vector<std::string> looked;
    for (const fs::path& dir : dirs) looked.push_back(dir.lexically_normal().string());
    preset_v.fail("unknown DRAM preset '" + d.preset + "' (looked in " + yaml::join(looked) + ")",
                  available_presets(dirs));
  }
  Map pm = load_preset_file(file.lexically_normal().string()).as_map();
  pm.check_keys({"standard", "organization", "timing", "page_policy", "address_mapping"});
  Value standard = pm.at("standard");
  if (standard.as_string().empty()) standard.fail("the DRAM standard must not be empty");
  d.standard = standard.as_string();
  read_org(pm.at("organization").as_map(), d.org, true, where);
  read_timing(pm.at("timing").as_map(), d.timing, true, where);
  if (auto p = pm.find("page_policy"))
    d.page_policy = static_cast<PagePolicy>(p->as_choice(kPagePolicies));
  if (auto a = pm.find("address_mapping")) d.address_mapping = read_mapping(*a);
}

void read_dram(const Value& v, const std::vector<fs::path>& dirs, DramConfig& d) {
  Map m = v.as_map();
  m.check_keys({"preset", "organization", "timing", "page_policy", "address_mapping",
                "scheduler_queue_depth", "scheduler", "request_buffer_size"});
  Origins where;
  Value preset_v = m.at("preset");
  load_preset(preset_v, dirs, d, where);
  Value cap_where = preset_v;
  if (auto o = m.find("organization")) {
    read_org(o->as_map(), d.org, false, where);
    cap_where = *o;
  }
  if (auto t = m.find("timing")) read_timing(t->as_map(), d.timing, false, where);
  if (auto p = m.find("page_policy"))
    d.page_policy = static_cast<PagePolicy>(p->as_choice(kPagePolicies));
  if (auto a = m.find("address_mapping")) d.address_mapping = read_mapping(*a);
  m.read("scheduler_queue_depth", d.scheduler_queue_depth, 1, 4096);
  d.scheduler = DramScheduler::FrFcfs;  // DRAMSys's default
  if (auto s = m.find("scheduler"))
    d.scheduler = static_cast<DramScheduler>(s->as_choice(kDramSchedulers));
  m.read("request_buffer_size", d.request_buffer_size, 1, 4096);

  // Cross-field rules, reported where the later of the two values was given.
  const DramTiming& t = d.timing;
  if (t.trfc >= t.trefi)
    where.at("trfc").fail("tRFC (" + num(t.trfc) + ") must be shorter than tREFI (" + num(t.trefi) +
                              "), or the device would only refresh",
                          "< " + num(t.trefi));
  const long double cap = static_cast<long double>(d.org.channels) * d.org.ranks *
                          d.org.bank_groups * d.org.banks_per_group * d.org.rows * d.org.columns *
                          (d.org.bus_width_bits / 8);
  if (cap > static_cast<long double>(kDramWindowBytes))
    cap_where.fail("DRAM capacity of " + num(static_cast<uint64_t>(cap / (1ull << 20))) +
                       " MiB exceeds the 64 GiB DRAM address window (DRAM ends where the "
                       "global buffer window starts)",
                   "<= " + num(kDramWindowBytes) + " bytes");
}

// ---- energy table path ----------------------------------------------------------------------

// Resolves a relative path against the config's folder, then the source tree (as given, and as
// if the config lived in configs/hw/). Returns "" if no candidate exists.
std::string resolve_energy_table(const std::string& p, const std::string& config_dir,
                                 std::vector<std::string>& looked) {
  std::vector<fs::path> cands;
  if (fs::path(p).is_absolute()) {
    cands.push_back(p);
  } else {
    if (!config_dir.empty()) cands.push_back(fs::path(config_dir) / p);
    cands.push_back(fs::path(SAVP_SOURCE_DIR) / p);
    cands.push_back(fs::path(SAVP_SOURCE_DIR) / "configs" / "hw" / p);
  }
  for (const fs::path& c : cands) {
    std::error_code ec;
    looked.push_back(c.lexically_normal().string());
    if (fs::is_regular_file(c, ec)) {
      fs::path r = fs::weakly_canonical(c, ec);
      return (ec ? c.lexically_normal() : r).string();
    }
  }
  return "";
}

// ---- top level ------------------------------------------------------------------------------

HwConfig parse_root(const Value& root, const std::string& origin, const std::string& config_dir,
                    const std::string& preset_dir) {
  Map m = root.as_map();
  m.check_keys({"name", "clock_mhz", "chunks", "fallback", "global_buffer", "dram",
                "interconnect", "dma", "controller", "simulation", "energy_table",
                "technology_nm"});
  HwConfig cfg;
  cfg.source_file = origin;
  cfg.name = fs::path(origin).stem().string();
  if (auto n = m.find("name")) {
    cfg.name = n->as_string();
    if (!is_plain_name(cfg.name))
      n->fail("config name '" + cfg.name + "' is not a plain name",
              "letters, digits, '_', '-', '.'");
  }
  m.read_positive("clock_mhz", cfg.clock_mhz);
  m.read_positive("technology_nm", cfg.technology_nm);

  Value chunks_v = m.at("chunks");
  std::vector<Value> chunks = chunks_v.as_seq();
  if (chunks.empty())
    chunks_v.fail("at least one chunk is required", "1.." + num(kMaxChunks) + " chunks");
  if (chunks.size() > kMaxChunks)
    chunks_v.fail(num(chunks.size()) + " chunks given, but the ISA addresses at most " +
                      num(kMaxChunks) + " (16 engines minus the DMA load and store queues)",
                  "1.." + num(kMaxChunks) + " chunks");
  uint32_t widest = 1;
  std::map<std::string, Value> names;
  for (const Value& cv : chunks) {
    cfg.chunks.push_back(read_chunk(cv));
    const ChunkConfig& c = cfg.chunks.back();
    Value name_v = cv.as_map().at("name");
    auto prev = names.find(c.name);
    if (prev != names.end())
      name_v.fail("duplicate chunk name '" + c.name + "' (first used at " +
                      prev->second.location().str() + ")",
                  "unique names");
    names.emplace(c.name, name_v);
    widest = std::max({widest, c.rows, c.cols});
  }
  if (auto v = m.find("fallback")) {
    const Map fm = v->as_map();
    for (const auto& [key, val] : fm.entries()) {
      Fallback f;
      f.from = static_cast<OpKind>(key.as_choice(kKinds));
      f.to = static_cast<OpKind>(val.as_choice(kKinds));
      if (!(f.from == OpKind::Shift && f.to == OpKind::Mult))
        val.fail(std::string("no exact fallback runs ") + to_string(f.from) + " layers on a " +
                     to_string(f.to) + " chunk",
                 "shift: mult (a multiplier computes x * (+-2^e) exactly)");
      cfg.fallbacks.push_back(f);
    }
  }
  read_sram(m.at("global_buffer"), cfg.global_buffer, 4 * uint64_t{widest},
            "one row of operands of the widest chunk array (4 * " + num(widest) + ")");

  read_dram(m.at("dram"), preset_dirs(config_dir, preset_dir), cfg.dram);

  if (auto v = m.find("interconnect")) {
    Map ic = v->as_map();
    ic.check_keys({"width_bytes", "latency_cycles"});
    ic.read("width_bytes", cfg.interconnect.width_bytes, 1, 4096);
    ic.read("latency_cycles", cfg.interconnect.latency_cycles, 0, kMaxCount);
  }
  if (auto v = m.find("dma")) {
    Map dm = v->as_map();
    dm.check_keys({"burst_bytes", "max_outstanding", "setup_cycles"});
    if (auto b = dm.find("burst_bytes")) cfg.dma.burst_bytes = read_pow2(*b, 1, 1u << 20);
    dm.read("max_outstanding", cfg.dma.max_outstanding, 1, 4096);
    dm.read("setup_cycles", cfg.dma.setup_cycles, 0, kMaxCount);
  }
  if (auto v = m.find("controller")) {
    Map cm = v->as_map();
    cm.check_keys({"fetch_block_instrs", "queue_depth", "dispatch_cycles"});
    cm.read("fetch_block_instrs", cfg.controller.fetch_block_instrs, 1, 65536);
    cm.read("queue_depth", cfg.controller.queue_depth, 1, 65536);
    cm.read("dispatch_cycles", cfg.controller.dispatch_cycles, 0, kMaxCount);
  }
  if (auto v = m.find("simulation")) {
    Map sm = v->as_map();
    sm.check_keys({"quantum_ns", "functional"});
    sm.read_positive("quantum_ns", cfg.simulation.quantum_ns);
    sm.read("functional", cfg.simulation.functional);
  }

  std::vector<std::string> looked;
  if (auto e = m.find("energy_table")) {
    const std::string p = e->as_string();
    cfg.energy_table = resolve_energy_table(p, config_dir, looked);
    if (cfg.energy_table.empty())
      e->fail("energy table '" + p + "' not found (looked at " + yaml::join(looked) + ")",
              "a path relative to the config's folder or the source tree");
  } else {
    // Not given: the shipped 45 nm table if it can be found, else none.
    cfg.energy_table = resolve_energy_table("../energy/45nm.yaml", config_dir, looked);
  }
  return cfg;
}

}  // namespace

HwConfig load_hw_config(const std::string& path) {
  Value root = yaml::load_file(path);
  std::string dir = fs::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return parse_root(root, path, dir, "");
}

HwConfig parse_hw_config(const std::string& yaml_text, const std::string& origin,
                         const std::string& preset_dir) {
  Value root = yaml::parse(yaml_text, origin);
  return parse_root(root, origin, fs::path(origin).parent_path().string(), preset_dir);
}

}  // namespace savp
