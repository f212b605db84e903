#include "platform/trace/analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "common/errors.hpp"

namespace savp::trace {

using nlohmann::json;

namespace {

enum class Pred : uint8_t { None, Token, Engine, Drain, Dispatch };

struct Slice {
  int tid = 0;
  int64_t start = 0, end = 0, stall = 0;  // ps from the run's start
  int64_t index = -1, pred_index = -1;
  Pred pred = Pred::None;
  int layer = -1;
  int wait_on = -1;  // tid
  std::string reason;
};

// Line and column of byte offset `byte` (1-based) in the file.
std::pair<uint64_t, uint64_t> line_col(const std::string& path, uint64_t byte) {
  std::ifstream in(path, std::ios::binary);
  uint64_t line = 1, col = 1, pos = 0;
  char c;
  while (pos + 1 < byte && in.get(c)) {
    ++pos;
    if (c == '\n')
      ++line, col = 1;
    else
      ++col;
  }
  return {line, col};
}

const char* pred_name(Pred p) {
  switch (p) {
    case Pred::Token:
      return "token";
    case Pred::Engine:
      return "engine";
    case Pred::Drain:
      return "drain";
    case Pred::Dispatch:
      return "dispatch";
    case Pred::None:
      break;
  }
  return "start";
}

int64_t to_ps(double us) { return static_cast<int64_t>(us * 1e6 + (us >= 0 ? 0.5 : -0.5)); }

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  std::vector<Slice> slices;
  std::map<int, std::string> threads;  // tid -> name
  std::vector<std::string> layer_names;
  json meta;

  void read() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw Error(fmt::format("{}: cannot open the timeline", path_));
    bool in_events = false, saw_events = false;
    uint64_t ordinal = 0;
    json root;
    try {
      root = json::parse(in, [&](int depth, json::parse_event_t ev, json& v) {
        if (depth == 1 && ev == json::parse_event_t::key) {
          in_events = v == "traceEvents";
          saw_events = saw_events || in_events;
          return true;
        }
        if (!in_events || depth != 2) return true;
        if (ev == json::parse_event_t::object_end) {
          event(v, ordinal++);
          return false;
        }
        if (ev == json::parse_event_t::value)
          throw Error(fmt::format("{}: traceEvents[{}] is not an object but {}", path_, ordinal++,
                                  v.dump()));
        return true;
      });
    } catch (const json::parse_error& e) {
      auto [line, col] = line_col(path_, e.byte);
      std::string what = e.what();
      if (auto p = what.find("syntax error"); p != std::string::npos) what = what.substr(p);
      throw Error(fmt::format("{}:{}:{}: not valid JSON ({}{})", path_, line, col, what,
                              in.eof() || what.find("end of input") != std::string::npos
                                  ? "; the file looks truncated"
                                  : ""));
    }
    if (!root.is_object() || !saw_events || !root["traceEvents"].is_array())
      throw Error(
          fmt::format("{}: not a trace-event file: expected a JSON object with a "
                      "\"traceEvents\" array (record one with savp run/sim --trace)",
                      path_));
    if (!root.contains("metadata") || !root["metadata"].is_object() ||
        !root["metadata"].contains("savp") || !root["metadata"]["savp"].is_object() ||
        root["metadata"]["savp"].value("format", "") != "savp-timeline")
      throw Error(
          fmt::format("{}: a trace-event file, but not a savp timeline (no "
                      "metadata.savp with format \"savp-timeline\"; record one with savp "
                      "run/sim --trace)",
                      path_));
    meta = root["metadata"]["savp"];
    for (const char* k : {"clock_mhz", "cycle_ps", "run_end_us"})
      if (!meta.contains(k) || !meta[k].is_number() || meta[k].get<double>() < 0 ||
          (std::string(k) != "run_end_us" && meta[k].get<double>() <= 0))
        throw Error(
            fmt::format("{}: metadata.savp.{} is missing or not a positive number", path_, k));
  }

 private:
  [[noreturn]] void bad(uint64_t ordinal, const std::string& what) const {
    throw Error(fmt::format("{}: traceEvents[{}]: {}", path_, ordinal, what));
  }
  double number(const json& ev, const char* key, uint64_t ordinal) const {
    auto it = ev.find(key);
    if (it == ev.end() || !it->is_number())
      bad(ordinal, fmt::format("\"{}\" is missing or not a number", key));
    return it->get<double>();
  }

  void event(const json& ev, uint64_t ordinal) {
    const std::string ph =
        ev.contains("ph") && ev["ph"].is_string() ? ev["ph"].get<std::string>() : "";
    if (ph.empty()) bad(ordinal, "no \"ph\" (event type)");
    if (ph == "M") {
      if (ev.value("name", "") == "thread_name" && ev.contains("args") && ev["args"].is_object() &&
          ev["args"].contains("name") && ev["args"]["name"].is_string())
        threads[static_cast<int>(number(ev, "tid", ordinal))] = ev["args"]["name"];
      return;
    }
    if (ph != "X" || ev.value("cat", "") != "instr") return;
    Slice s;
    s.tid = static_cast<int>(number(ev, "tid", ordinal));
    s.start = to_ps(number(ev, "ts", ordinal));
    const int64_t dur = to_ps(number(ev, "dur", ordinal));
    if (dur < 0) bad(ordinal, "negative \"dur\"");
    s.end = s.start + dur;
    auto a = ev.find("args");
    if (a == ev.end() || !a->is_object() || !a->contains("i") || !(*a)["i"].is_number_integer())
      bad(ordinal, "an instruction slice without args.i (instruction index)");
    s.index = (*a)["i"].get<int64_t>();
    if (a->contains("stall_us")) s.stall = to_ps(number(*a, "stall_us", ordinal));
    if (a->contains("pred_i") && (*a)["pred_i"].is_number_integer())
      s.pred_index = (*a)["pred_i"].get<int64_t>();
    const std::string pred = a->value("pred", "");
    s.pred = pred == "token"      ? Pred::Token
             : pred == "engine"   ? Pred::Engine
             : pred == "drain"    ? Pred::Drain
             : pred == "dispatch" ? Pred::Dispatch
                                  : Pred::None;
    if (a->contains("layer") && (*a)["layer"].is_string()) {
      const std::string name = (*a)["layer"];
      auto it = layer_ids_.find(name);
      if (it == layer_ids_.end()) {
        it = layer_ids_.emplace(name, static_cast<int>(layer_names.size())).first;
        layer_names.push_back(name);
      }
      s.layer = it->second;
    }
    if (a->contains("wait_on") && (*a)["wait_on"].is_string()) {
      const std::string w = (*a)["wait_on"];
      for (const auto& [tid, name] : threads)
        if (name == w) s.wait_on = tid;
      s.reason = a->value("reason", "");
    }
    slices.push_back(std::move(s));
  }

  std::string path_;
  std::unordered_map<std::string, int> layer_ids_;
};

}  // namespace

TimelineAnalysis analyze_timeline(const std::string& path) {
  Reader rd(path);
  rd.read();
  TimelineAnalysis a;
  a.file = path;
  const json& m = rd.meta;
  a.hw = m.value("hw", "");
  a.image = m.value("image", "");
  a.clock_mhz = m["clock_mhz"].get<double>();
  const int64_t cycle_ps = m["cycle_ps"].get<int64_t>();
  const int64_t end_ps = to_ps(m["run_end_us"].get<double>());
  auto cyc = [cycle_ps](int64_t ps) {
    return ps <= 0 ? uint64_t{0} : static_cast<uint64_t>((ps + cycle_ps / 2) / cycle_ps);
  };
  a.cycles = cyc(end_ps);
  a.end_us = static_cast<double>(end_ps) / 1e6;
  a.halted = m.value("halted", false);
  a.truncated = m.value("truncated", false);
  a.windowed = m.value("window_start_us", 0.0) > 0 ||
               (m.contains("window_end_us") && m["window_end_us"].is_number());
  std::vector<Slice>& sl = rd.slices;
  a.slices = sl.size();
  auto name_of = [&](int tid) {
    auto it = rd.threads.find(tid);
    return it == rd.threads.end() ? fmt::format("tid{}", tid) : it->second;
  };

  // Engines (tid 1 is the controller: barriers only).
  std::map<int, std::array<int64_t, 3>> eng;  // tid -> busy, stall, count
  for (const auto& [tid, name] : rd.threads)
    if (tid >= 2) eng[tid] = {0, 0, 0};
  for (const Slice& s : sl) {
    if (s.tid < 2) {
      ++a.barriers;
      continue;
    }
    auto& e = eng[s.tid];
    e[0] += s.end - s.start;
    e[1] += s.stall;
    ++e[2];
  }
  for (const auto& [tid, e] : eng) {
    EngineBreakdown b;
    b.name = name_of(tid);
    b.instructions = static_cast<uint64_t>(e[2]);
    b.busy_cycles = cyc(e[0]);
    b.stall_cycles = cyc(e[1]);
    b.idle_cycles =
        a.cycles > b.busy_cycles + b.stall_cycles ? a.cycles - b.busy_cycles - b.stall_cycles : 0;
    a.engines.push_back(b);
  }

  // Layers and stall causes.
  struct LayerAcc {
    int64_t first = INT64_MAX, last = INT64_MIN, compute = 0, cstall = 0, load = 0, store = 0,
            stall = 0;
    uint64_t n = 0;
    int chunk = -1;
    std::map<std::string, int64_t> causes;
  };
  std::vector<LayerAcc> la(rd.layer_names.size());
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<int64_t, uint64_t>> causes;
  int64_t all_stall = 0;
  for (const Slice& s : sl) {
    std::string cause;
    if (s.stall > 0 && s.tid >= 2) {
      auto& c = causes[{name_of(s.tid), s.wait_on >= 0 ? name_of(s.wait_on) : "?", s.reason}];
      c.first += s.stall;
      ++c.second;
      all_stall += s.stall;
      cause = fmt::format("{} on {} ({})", name_of(s.tid),
                          s.wait_on >= 0 ? name_of(s.wait_on) : "?", s.reason);
    }
    if (s.layer < 0) continue;
    LayerAcc& l = la[static_cast<size_t>(s.layer)];
    l.first = std::min(l.first, s.start);
    l.last = std::max(l.last, s.end);
    ++l.n;
    l.stall += s.stall;
    if (!cause.empty()) l.causes[cause] += s.stall;
    if (s.tid == 2)
      l.load += s.end - s.start;
    else if (s.tid == 3)
      l.store += s.end - s.start;
    else if (s.tid >= 4)
      l.compute += s.end - s.start, l.cstall += s.stall, l.chunk = s.tid;
  }
  a.stall_cycles = cyc(all_stall);
  for (size_t i = 0; i < la.size(); ++i) {
    const LayerAcc& l = la[i];
    LayerBreakdown b;
    b.name = rd.layer_names[i];
    b.chunk = l.chunk >= 0 ? name_of(l.chunk) : "-";
    b.instructions = l.n;
    b.cycles = l.n ? cyc(l.last - l.first) : 0;
    b.compute_busy_cycles = cyc(l.compute);
    b.compute_stall_cycles = cyc(l.cstall);
    b.load_busy_cycles = cyc(l.load);
    b.store_busy_cycles = cyc(l.store);
    b.stall_cycles = cyc(l.stall);
    b.top_cause = "-";
    int64_t best = 0;
    for (const auto& [c, ps] : l.causes)
      if (ps > best) best = ps, b.top_cause = c;
    a.layers.push_back(b);
  }
  for (const auto& [k, v] : causes)
    a.causes.push_back(
        StallCause{std::get<0>(k), std::get<1>(k), std::get<2>(k), cyc(v.first), v.second});
  std::stable_sort(a.causes.begin(), a.causes.end(),
                   [](const StallCause& x, const StallCause& y) { return x.cycles > y.cycles; });

  // Critical path, backwards from the slice that ends last.
  if (!sl.empty()) {
    std::unordered_map<int64_t, size_t> by_index;
    for (size_t i = 0; i < sl.size(); ++i) by_index[sl[i].index] = i;
    std::vector<size_t> by_end(sl.size());
    for (size_t i = 0; i < sl.size(); ++i) by_end[i] = i;
    std::sort(by_end.begin(), by_end.end(), [&](size_t x, size_t y) {
      return sl[x].end != sl[y].end ? sl[x].end < sl[y].end : sl[x].index < sl[y].index;
    });
    std::unordered_set<size_t> seen;
    size_t cur = by_end.back();
    struct Step {
      size_t s;
      Pred via;
      int64_t wait;
    };
    std::vector<Step> steps;
    for (;;) {
      seen.insert(cur);
      const Slice& s = sl[cur];
      const int64_t ready = s.start - s.stall;
      long pred = -1;
      Pred via = s.pred;
      if (s.pred_index >= 0 && s.pred != Pred::None) {
        auto it = by_index.find(s.pred_index);
        if (it != by_index.end() && !seen.count(it->second)) pred = static_cast<long>(it->second);
      } else if (s.pred == Pred::Dispatch) {
        // Whatever finished last before it became ready.
        auto it = std::upper_bound(by_end.begin(), by_end.end(), ready,
                                   [&](int64_t t, size_t x) { return t < sl[x].end; });
        while (it != by_end.begin()) {
          --it;
          if (!seen.count(*it)) {
            pred = static_cast<long>(*it);
            break;
          }
        }
      }
      if (pred < 0) {
        // Complete when it reached the run's start (the first instruction dispatched), not
        // a predecessor outside the recorded events; from the start, the wait is the time
        // before the first instruction.
        a.path_complete = s.pred == Pred::None || (s.pred == Pred::Dispatch && s.pred_index < 0);
        steps.push_back(Step{cur, Pred::None, a.path_complete ? s.start : 0});
        break;
      }
      steps.push_back(Step{cur, via, std::max<int64_t>(0, s.start - sl[pred].end)});
      cur = static_cast<size_t>(pred);
    }
    std::reverse(steps.begin(), steps.end());
    // Sums in ps, rounded to cycles once per row.
    int64_t busy_all = 0, wait_all = 0, seg_busy = 0, seg_wait = 0, lay_wait = 0;
    std::vector<std::pair<std::string, int64_t>> lay_busy;
    auto close_segment = [&] {
      if (a.path.empty()) return;
      a.path.back().busy_cycles = cyc(seg_busy);
      a.path.back().wait_cycles = cyc(seg_wait);
      seg_busy = seg_wait = 0;
    };
    auto close_layer = [&] {
      if (a.path_layers.empty()) return;
      for (const auto& [e, ps] : lay_busy)
        a.path_layers.back().busy_cycles.emplace_back(e, cyc(ps));
      a.path_layers.back().wait_cycles = cyc(lay_wait);
      lay_busy.clear();
      lay_wait = 0;
    };
    for (const Step& st : steps) {
      const Slice& s = sl[st.s];
      const std::string engine = name_of(s.tid);
      const std::string layer = s.layer >= 0 ? rd.layer_names[s.layer] : "-";
      const int64_t busy = s.end - s.start;
      busy_all += busy;
      wait_all += st.wait;
      ++a.path_instructions;
      if (a.path.empty() || a.path.back().engine != engine || a.path.back().layer != layer) {
        close_segment();
        PathSegment p;
        p.engine = engine;
        p.layer = layer;
        p.via = pred_name(st.via);
        p.first_index = static_cast<uint64_t>(s.index);
        p.start_us = static_cast<double>(s.start) / 1e6;
        a.path.push_back(p);
      }
      PathSegment& p = a.path.back();
      p.last_index = static_cast<uint64_t>(s.index);
      ++p.instructions;
      seg_busy += busy;
      seg_wait += st.wait;
      p.end_us = static_cast<double>(s.end) / 1e6;
      // Barriers belong to no layer's work: they stay with the layer before them.
      if (a.path_layers.empty() || (a.path_layers.back().layer != layer && layer != "-")) {
        close_layer();
        a.path_layers.push_back(PathLayer{layer, {}, 0, 0});
      }
      ++a.path_layers.back().instructions;
      if (busy > 0 || s.tid >= 2) {
        auto it = std::find_if(lay_busy.begin(), lay_busy.end(),
                               [&](const auto& x) { return x.first == engine; });
        if (it == lay_busy.end())
          lay_busy.emplace_back(engine, busy);
        else
          it->second += busy;
      }
      lay_wait += st.wait;
    }
    close_segment();
    close_layer();
    if (!a.path_complete && !a.path.empty()) a.path.front().via = "cut";
    a.path_busy_cycles = cyc(busy_all);
    a.path_wait_cycles = cyc(wait_all);
  }
  return a;
}

json analysis_json(const TimelineAnalysis& a) {
  json j = {{"file", a.file},         {"hw", a.hw},
            {"image", a.image},       {"clock_mhz", a.clock_mhz},
            {"cycles", a.cycles},     {"latency_us", a.end_us},
            {"halted", a.halted},     {"truncated", a.truncated},
            {"windowed", a.windowed}, {"slices", a.slices},
            {"barriers", a.barriers}, {"stall_cycles", a.stall_cycles}};
  for (const EngineBreakdown& e : a.engines)
    j["engines"].push_back({{"name", e.name},
                            {"instructions", e.instructions},
                            {"busy_cycles", e.busy_cycles},
                            {"stall_cycles", e.stall_cycles},
                            {"idle_cycles", e.idle_cycles}});
  j["layers"] = json::array();
  for (const LayerBreakdown& l : a.layers)
    j["layers"].push_back({{"name", l.name},
                           {"chunk", l.chunk},
                           {"instructions", l.instructions},
                           {"cycles", l.cycles},
                           {"compute_busy_cycles", l.compute_busy_cycles},
                           {"compute_stall_cycles", l.compute_stall_cycles},
                           {"load_busy_cycles", l.load_busy_cycles},
                           {"store_busy_cycles", l.store_busy_cycles},
                           {"stall_cycles", l.stall_cycles},
                           {"top_cause", l.top_cause}});
  j["stall_causes"] = json::array();
  for (const StallCause& c : a.causes)
    j["stall_causes"].push_back({{"engine", c.engine},
                                 {"wait_on", c.wait_on},
                                 {"reason", c.reason},
                                 {"cycles", c.cycles},
                                 {"instructions", c.count}});
  json p = {{"instructions", a.path_instructions},
            {"busy_cycles", a.path_busy_cycles},
            {"wait_cycles", a.path_wait_cycles},
            {"complete", a.path_complete},
            {"segments", json::array()}};
  for (const PathSegment& s : a.path)
    p["segments"].push_back({{"engine", s.engine},
                             {"layer", s.layer},
                             {"via", s.via},
                             {"first_index", s.first_index},
                             {"last_index", s.last_index},
                             {"instructions", s.instructions},
                             {"busy_cycles", s.busy_cycles},
                             {"wait_cycles", s.wait_cycles},
                             {"start_us", s.start_us},
                             {"end_us", s.end_us}});
  p["by_layer"] = json::array();
  for (const PathLayer& l : a.path_layers) {
    json b = json::object();
    for (const auto& [e, c] : l.busy_cycles) b[e] = c;
    p["by_layer"].push_back({{"layer", l.layer},
                             {"instructions", l.instructions},
                             {"busy_cycles", b},
                             {"wait_cycles", l.wait_cycles}});
  }
  j["critical_path"] = p;
  return j;
}

std::string analysis_text(const TimelineAnalysis& a, size_t max_path_rows) {
  auto pct = [](uint64_t x, uint64_t of) { return of ? 100.0 * x / of : 0.0; };
  std::string o = fmt::format(
      "timeline {}: platform {}, image {}, {} cycles ({:.3f} us at {} MHz), {} instruction "
      "slices, {} barriers{}{}\n",
      a.file, a.hw, a.image, a.cycles, a.end_us, a.clock_mhz, a.slices, a.barriers,
      a.halted ? "" : ", the run did not halt",
      a.truncated  ? ", TRUNCATED (size limit)"
      : a.windowed ? ", windowed"
                   : "");
  if (a.truncated || a.windowed) o += "  (figures cover only the recorded events)\n";
  o += fmt::format("\nengines\n{:<12} {:>8} {:>10} {:>10} {:>10} {:>6} {:>6} {:>6}\n", "engine",
                   "instrs", "busy", "stall", "idle", "busy%", "stall%", "idle%");
  for (const EngineBreakdown& e : a.engines)
    o += fmt::format("{:<12} {:>8} {:>10} {:>10} {:>10} {:>6.1f} {:>6.1f} {:>6.1f}\n", e.name,
                     e.instructions, e.busy_cycles, e.stall_cycles, e.idle_cycles,
                     pct(e.busy_cycles, a.cycles), pct(e.stall_cycles, a.cycles),
                     pct(e.idle_cycles, a.cycles));
  if (!a.layers.empty()) {
    o += fmt::format("\nlayers (cycles)\n{:<16} {:<8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}  {}\n",
                     "layer", "chunk", "instrs", "span", "compute", "c.stall", "load", "store",
                     "top stall cause");
    for (const LayerBreakdown& l : a.layers)
      o += fmt::format("{:<16} {:<8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}  {}\n", l.name, l.chunk,
                       l.instructions, l.cycles, l.compute_busy_cycles, l.compute_stall_cycles,
                       l.load_busy_cycles, l.store_busy_cycles, l.top_cause);
  }
  o += fmt::format(
      "\ntop stall causes ({} stall cycles in all)\n{:<12} {:<12} {:<7} {:>10} "
      "{:>6} {:>8}\n",
      a.stall_cycles, "engine", "waits on", "reason", "cycles", "share", "instrs");
  for (size_t i = 0; i < a.causes.size() && i < 10; ++i) {
    const StallCause& c = a.causes[i];
    o += fmt::format("{:<12} {:<12} {:<7} {:>10} {:>5.1f}% {:>8}\n", c.engine, c.wait_on, c.reason,
                     c.cycles, pct(c.cycles, a.stall_cycles), c.count);
  }
  o += fmt::format(
      "\ncritical path by layer: {} instructions, {} cycles executing, {} cycles "
      "between them{}\n{:<16} {:>7} {:>9}  {}\n",
      a.path_instructions, a.path_busy_cycles, a.path_wait_cycles,
      a.path_complete ? "" : " (cut: it leaves the recorded events)", "layer", "instrs", "wait",
      "cycles executing on the path, per engine");
  for (const PathLayer& l : a.path_layers) {
    std::string engines;
    for (const auto& [e, c] : l.busy_cycles) engines += fmt::format("{} {}  ", e, c);
    o += fmt::format("{:<16} {:>7} {:>9}  {}\n", l.layer, l.instructions, l.wait_cycles, engines);
  }
  o += fmt::format(
      "\ncritical path: {} instructions, {} cycles executing, {} cycles between "
      "them{}\n{:<12} {:<16} {:<8} {:>7} {:>9} {:>9} {:>12} {:>12}\n",
      a.path_instructions, a.path_busy_cycles, a.path_wait_cycles,
      a.path_complete ? "" : " (cut: it leaves the recorded events)", "engine", "layer", "via",
      "instrs", "busy", "wait", "from us", "to us");
  for (size_t i = 0; i < a.path.size() && i < max_path_rows; ++i) {
    const PathSegment& s = a.path[i];
    o += fmt::format("{:<12} {:<16} {:<8} {:>7} {:>9} {:>9} {:>12.3f} {:>12.3f}\n", s.engine,
                     s.layer, s.via, s.instructions, s.busy_cycles, s.wait_cycles, s.start_us,
                     s.end_us);
  }
  if (a.path.size() > max_path_rows)
    o += fmt::format("... {} more segments (--json lists them all)\n",
                     a.path.size() - max_path_rows);
  return o;
}

}  // namespace savp::trace
