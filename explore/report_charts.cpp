#include "explore/report_charts.hpp"

#include <fmt/format.h>

#include "common/errors.hpp"

namespace savp::explore {

namespace {

using nlohmann::json;

// The field `key` of `j` (at `where` in the report), of the JSON type `want` checks.
const json& need(const json& j, const std::string& key, const std::string& where,
                 const std::string& origin, bool (json::*want)() const noexcept, const char* type) {
  if (!j.is_object() || !j.contains(key))
    throw Error(
        fmt::format("{}: field '{}{}': missing (a savp run report, as savp run --report "
                    "writes it, has it)",
                    origin, where.empty() ? "" : where + ".", key));
  const json& v = j.at(key);
  if (!(v.*want)())
    throw Error(fmt::format("{}: field '{}{}': expected {}, got {}", origin,
                            where.empty() ? "" : where + ".", key, type, v.type_name()));
  return v;
}

double num(const json& j, const std::string& key, const std::string& where,
           const std::string& origin) {
  return need(j, key, where, origin, &json::is_number, "a number").get<double>();
}

std::string str(const json& j, const std::string& key, const std::string& where,
                const std::string& origin) {
  return need(j, key, where, origin, &json::is_string, "a string").get<std::string>();
}

const json& arr(const json& j, const std::string& key, const std::string& where,
                const std::string& origin) {
  return need(j, key, where, origin, &json::is_array, "an array");
}

json quantitative(const std::string& field, const std::string& title) {
  return {{"field", field}, {"type", "quantitative"}, {"title", title}};
}

json nominal(const std::string& field, const std::string& title, bool keep_order = false) {
  json e = {{"field", field}, {"type", "nominal"}, {"title", title}};
  if (keep_order) e["sort"] = nullptr;  // data order (layers in program order)
  return e;
}

// A bar chart of `values` (rows of x, part, value): bars along x, stacked by part.
json stacked_bars(json values, const json& x, const json& y, const json& color, bool normalize,
                  int width) {
  json yy = y;
  if (normalize) yy["stack"] = "normalize";
  return {{"data", {{"values", std::move(values)}}},
          {"width", width},
          {"height", 240},
          {"mark", {{"type", "bar"}, {"tooltip", true}}},
          {"encoding", {{"x", x}, {"y", yy}, {"color", color}}}};
}

}  // namespace

std::vector<Chart> run_charts(const json& r, const std::string& origin) {
  std::vector<Chart> charts;
  const double clock_mhz = num(r, "clock_mhz", "", origin);
  if (!(clock_mhz > 0)) throw Error(origin + ": field 'clock_mhz': must be greater than 0");
  // Per-layer figures: savp run writes them; a savp sim report (firmware without a network)
  // has none, and its page shows the other charts.
  if (r.contains("layers")) {
    json parts = json::array(), shares = json::array(), energy = json::array();
    double total_cycles = 0, total_pj = 0;
    for (const json& l : arr(r, "layers", "", origin)) {
      total_cycles += num(l, "cycles", "layers[]", origin);
      total_pj += num(l, "energy_pj", "layers[]", origin);
    }
    for (const json& l : r.at("layers")) {
      const std::string name = str(l, "name", "layers[]", origin);
      const double cycles = num(l, "cycles", "layers[]", origin);
      const double compute = std::min(cycles, num(l, "compute_cycles", "layers[]", origin));
      const double stall = std::min(cycles - compute, num(l, "stall_cycles", "layers[]", origin));
      const double pj = num(l, "energy_pj", "layers[]", origin);
      const std::string chunk = str(l, "chunk", "layers[]", origin);
      const double us = 1.0 / clock_mhz;  // one cycle, in microseconds
      parts.push_back({{"layer", name}, {"part", "compute"}, {"us", compute * us}});
      parts.push_back({{"layer", name}, {"part", "stall"}, {"us", stall * us}});
      parts.push_back(
          {{"layer", name}, {"part", "other"}, {"us", (cycles - compute - stall) * us}});
      if (total_cycles > 0)
        shares.push_back(
            {{"layer", name}, {"figure", "latency"}, {"share", cycles / total_cycles}});
      if (total_pj > 0)
        shares.push_back({{"layer", name}, {"figure", "energy"}, {"share", pj / total_pj}});
      energy.push_back({{"layer", name},
                        {"chunk", chunk.empty() ? std::string("-") : chunk},
                        {"uj", pj * 1e-6}});
    }
    charts.push_back(
        {"Per-layer latency (us): compute, stall and other time of each layer",
         stacked_bars(parts, nominal("layer", "layer", true), quantitative("us", "latency (us)"),
                      nominal("part", "time"), false, 640)});
    // Horizontal bars: the share (x) stacks, one bar per figure (y).
    json share =
        stacked_bars(shares, quantitative("share", "share of the total"),
                     nominal("figure", "figure"), nominal("layer", "layer", true), false, 640);
    share["encoding"]["x"]["stack"] = "normalize";
    share["encoding"]["x"]["axis"] = {{"format", "%"}};
    share["height"] = 90;
    share["encoding"]["order"] = {{"field", "layer_order"}, {"type", "quantitative"}};
    share["transform"] =
        json::array({{{"window", json::array({{{"op", "row_number"}, {"as", "layer_order"}}})},
                      {"groupby", json::array({"figure"})}}});
    share["encoding"]["color"]["legend"] = {{"columns", 4}, {"symbolLimit", 60}};
    charts.push_back({"Each layer's share of the latency and of the energy (stacked)", share});
    charts.push_back(
        {"Per-layer energy (uJ), by the chunk that ran the layer",
         stacked_bars(energy, nominal("layer", "layer", true), quantitative("uj", "energy (uJ)"),
                      nominal("chunk", "chunk"), false, 640)});
  }
  // Engines: busy / stall / idle share of the run.
  json eng = json::array();
  for (const json& e : arr(r, "engines", "", origin)) {
    const std::string name = str(e, "name", "engines[]", origin);
    const std::string kind = str(e, "kind", "engines[]", origin);
    for (const char* part : {"busy", "stall", "idle"})
      eng.push_back({{"engine", name + " (" + kind + ")"},
                     {"state", part},
                     {"cycles", num(e, std::string(part) + "_cycles", "engines[]", origin)}});
  }
  charts.push_back({"Per-engine utilization: busy, stall and idle share of the run's cycles",
                    stacked_bars(eng, nominal("engine", "engine", true),
                                 quantitative("cycles", "share of the cycles"),
                                 {{"field", "state"},
                                  {"type", "nominal"},
                                  {"title", "state"},
                                  {"sort", json::array({"busy", "stall", "idle"})}},
                                 true, 420)});
  // DRAM bandwidth: achieved against the standard's peak.
  const json& d = need(r, "dram", "", origin, &json::is_object, "an object");
  const std::string preset = str(d, "preset", "dram", origin);
  json bw =
      json::array({{{"measure", "achieved"}, {"gbps", num(d, "bandwidth_gbps", "dram", origin)}},
                   {{"measure", "peak (" + preset + ")"},
                    {"gbps", num(d, "peak_bandwidth_gbps", "dram", origin)}}});
  json bw_spec =
      stacked_bars(bw, quantitative("gbps", "bandwidth (GB/s)"), nominal("measure", "", true),
                   nominal("measure", "measure", true), false, 420);
  bw_spec["height"] = 80;
  charts.push_back({fmt::format("DRAM bandwidth (GB/s): {} read, {} written bytes",
                                static_cast<uint64_t>(num(d, "read_bytes", "dram", origin)),
                                static_cast<uint64_t>(num(d, "write_bytes", "dram", origin))),
                    bw_spec});
  // Row-buffer outcomes per bank.
  json rows = json::array();
  int bank = 0;
  for (const json& b : arr(d, "banks", "dram", origin)) {
    for (const char* o : {"hits", "misses", "conflicts"})
      rows.push_back(
          {{"bank", bank}, {"outcome", o}, {"count", num(b, o, "dram.banks[]", origin)}});
    ++bank;
  }
  charts.push_back({fmt::format("DRAM row buffer per bank: {} hits, {} misses, {} conflicts in all",
                                static_cast<uint64_t>(num(d, "row_hits", "dram", origin)),
                                static_cast<uint64_t>(num(d, "row_misses", "dram", origin)),
                                static_cast<uint64_t>(num(d, "row_conflicts", "dram", origin))),
                    stacked_bars(rows, {{"field", "bank"}, {"type", "ordinal"}, {"title", "bank"}},
                                 quantitative("count", "accesses"),
                                 {{"field", "outcome"},
                                  {"type", "nominal"},
                                  {"title", "row buffer"},
                                  {"sort", json::array({"hits", "misses", "conflicts"})}},
                                 false, 420)});
  return charts;
}

Chart pareto_chart(const std::vector<ScatterRow>& rows, const std::string& color_param) {
  json values = json::array();
  bool numeric = true;
  for (const ScatterRow& r : rows) numeric = numeric && r.color.is_number();
  for (const ScatterRow& r : rows)
    values.push_back(
        {{"point", r.point},
         {"network", r.network},
         {"latency_ms", r.latency_ms},
         {"energy_uj", r.energy_uj},
         {"area_mm2", r.area_mm2},
         {"color_value",
          numeric ? r.color
                  : json(r.color.is_string() ? r.color.get<std::string>() : r.color.dump())},
         {"config", r.params},
         {"front", r.front}});
  const json x = {{"field", "latency_ms"},
                  {"type", "quantitative"},
                  {"title", "latency (ms)"},
                  {"scale", {{"zero", false}}}};
  const json y = {{"field", "energy_uj"},
                  {"type", "quantitative"},
                  {"title", "energy (uJ)"},
                  {"scale", {{"zero", false}}}};
  json color = {{"field", "color_value"},
                {"type", numeric ? "quantitative" : "nominal"},
                {"title", color_param}};
  if (numeric) color["scale"] = {{"scheme", "viridis"}};
  const json tooltip = json::array({{{"field", "point"}, {"type", "quantitative"}},
                                    {{"field", "network"}, {"type", "nominal"}},
                                    {{"field", "latency_ms"}, {"type", "quantitative"}},
                                    {{"field", "energy_uj"}, {"type", "quantitative"}},
                                    {{"field", "area_mm2"}, {"type", "quantitative"}},
                                    {{"field", "front"}, {"type", "nominal"}},
                                    {{"field", "config"}, {"type", "nominal"}}});
  json points = {
      {"mark", {{"type", "point"}, {"filled", true}, {"size", 50}}},
      {"encoding",
       {{"x", x},
        {"y", y},
        {"color", color},
        {"opacity", {{"condition", {{"test", "datum.front"}, {"value", 1}}}, {"value", 0.45}}},
        {"tooltip", tooltip}}}};
  json line = {
      {"mark", {{"type", "line"}, {"color", "#444"}, {"strokeDash", {4, 3}}}},
      {"transform", json::array({{{"filter", "datum.front"}}})},
      {"encoding",
       {{"x", x}, {"y", y}, {"order", {{"field", "latency_ms"}, {"type", "quantitative"}}}}}};
  json spec = {{"data", {{"values", std::move(values)}}},
               {"facet", {{"field", "network"}, {"type", "nominal"}, {"title", "network"}}},
               {"columns", 2},
               {"spec", {{"width", 420}, {"height", 300}, {"layer", json::array({points, line})}}},
               {"resolve", {{"scale", {{"x", "independent"}, {"y", "independent"}}}}}};
  return {"Pareto scatter: latency vs energy per network, coloured by " + color_param +
              " (the dashed line joins the front; hover a point for its config)",
          spec};
}

}  // namespace savp::explore
