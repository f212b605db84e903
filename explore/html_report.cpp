#include "explore/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/errors.hpp"
#include "explore/pareto.hpp"

namespace savp::explore {

namespace {

using nlohmann::json;
using ordered_json = nlohmann::ordered_json;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// JSON inside <script>: "</" would end the script element, "<!--" would open a comment.
std::string script_json(const json& j) {
  std::string s = j.dump();
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && (s[i + 1] == '/' || s[i + 1] == '!'))
      out += "\\u003c";
    else
      out += s[i];
  }
  return out;
}

// Runs first: records every window error, unhandled rejection and console.error, so the status
// line (and a headless browser reading it) sees them.
constexpr const char* kErrorCapture = R"JS(
window.savpErrors = [];
window.addEventListener('error', function (e) { window.savpErrors.push('error: ' + e.message); });
window.addEventListener('unhandledrejection', function (e) {
  window.savpErrors.push('unhandled rejection: ' + (e.reason && e.reason.message || e.reason));
});
(function () {
  var orig = console.error;
  console.error = function () {
    window.savpErrors.push('console.error: ' + Array.prototype.map.call(arguments, String).join(' '));
    return orig.apply(console, arguments);
  };
})();
)JS";

// Embeds every chart, then writes the status element once every vegaEmbed promise settled:
// data-rendered (charts whose view drew an SVG), data-charts, data-errors, and the messages.
constexpr const char* kEmbed = R"JS(
(function () {
  var charts = JSON.parse(document.getElementById('savp-charts').textContent);
  var rendered = 0;
  var jobs = charts.map(function (c, i) {
    return vegaEmbed('#chart' + i, c, {actions: false, renderer: 'svg'}).then(function (res) {
      if (document.querySelector('#chart' + i + ' svg')) rendered++;
      else window.savpErrors.push('chart ' + i + ' drew nothing');
      return res;
    }, function (err) { window.savpErrors.push('chart ' + i + ': ' + err); });
  });
  Promise.all(jobs).then(function () {
    var s = document.getElementById('savp-status');
    s.setAttribute('data-charts', String(charts.length));
    s.setAttribute('data-rendered', String(rendered));
    s.setAttribute('data-errors', String(window.savpErrors.length));
    s.setAttribute('data-done', 'yes');
    s.textContent = rendered + ' of ' + charts.length + ' charts rendered; ' +
        window.savpErrors.length + ' errors' +
        (window.savpErrors.length ? ': ' + window.savpErrors.join(' | ') : '');
  });
})();
)JS";

constexpr const char* kStyle = R"CSS(
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.05em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; }
td, th { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
td.l, th.l { text-align: left; font-family: monospace; }
#savp-status { color: #666; font-size: 0.8em; margin-top: 2em; }
)CSS";

}  // namespace

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string chart_js_dir() {
  if (const char* d = std::getenv("SAVP_JS_DIR"); d && *d) return d;
  return std::string(SAVP_SOURCE_DIR) + "/third_party/js/node_modules";
}

ChartJs load_chart_js(const std::string& dir) {
  auto get = [&](const std::string& rel) {
    const std::string p = dir + "/" + rel;
    if (!std::filesystem::is_regular_file(p))
      throw Error(fmt::format(
          "savp report needs the charting libraries Vega, Vega-Lite and vega-embed, and {} is "
          "missing: run scripts/setup.sh (it runs 'npm ci' in third_party/js), or "
          "'cd third_party/js && npm ci'; SAVP_JS_DIR may name another node_modules folder",
          p));
    return read_file(p);
  };
  return {get("vega/build/vega.min.js"), get("vega-lite/build/vega-lite.min.js"),
          get("vega-embed/build/vega-embed.min.js")};
}

bool is_sqlite_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[16] = {};
  in.read(head, sizeof head);
  return in.gcount() == 16 && std::string(head, 16) == std::string("SQLite format 3\0", 16);
}

std::string html_page(const Page& p, const ChartJs& js) {
  const std::string& title = p.title;
  const std::vector<Chart>& charts = p.charts;
  json specs = json::array();
  std::string body;
  for (size_t i = 0; i < charts.size(); ++i) {
    json spec = charts[i].spec;
    spec["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json";  // a name, never fetched
    specs.push_back(std::move(spec));
    body +=
        fmt::format("<h2>{}</h2>\n<div id=\"chart{}\"></div>\n", html_escape(charts[i].title), i);
  }
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<title>" + html_escape(title) + "</title>\n<style>" + kStyle + "</style>\n";
  page += std::string("<script>") + kErrorCapture + "</script>\n";
  // The libraries as installed (UMD builds defining window.vega, vegaLite, vegaEmbed).
  page += "<script>\n" + js.vega + "\n</script>\n";
  page += "<script>\n" + js.vega_lite + "\n</script>\n";
  page += "<script>\n" + js.vega_embed + "\n</script>\n";
  page += "</head>\n<body>\n<h1>" + html_escape(title) + "</h1>\n" + p.intro_html + body;
  page += "<div id=\"savp-status\" data-done=\"no\">charts not rendered yet</div>\n";
  page +=
      "<script type=\"application/json\" id=\"savp-charts\">" + script_json(specs) + "</script>\n";
  page += std::string("<script>") + kEmbed + "</script>\n</body>\n</html>\n";
  return page;
}

Page run_report(const std::string& path) {
  const std::string text = read_file(path);
  const json r = json::parse(text, nullptr, false);
  if (r.is_discarded() || !r.is_object())
    throw Error(path +
                ": not a JSON run report (savp run --report FILE writes one), and not a "
                "sweep database");
  const std::vector<Chart> charts = run_charts(r, path);
  std::string intro = "<p>";
  for (const char* k : {"hw", "image"})
    if (r.contains(k) && r[k].is_string())
      intro += fmt::format("{}: <b>{}</b>; ", k, html_escape(r[k].get<std::string>()));
  intro += fmt::format("{} cycles, {:.3f} us at {} MHz", r.value("cycles", 0ull),
                       r.value("latency_us", 0.0), r.value("clock_mhz", 0.0));
  if (r.contains("energy") && r["energy"].is_object())
    intro += fmt::format(", {:.3f} uJ", r["energy"].value("total_pj", 0.0) * 1e-6);
  intro += "</p>\n";
  if (!r.contains("layers"))
    intro +=
        "<p>This report has no per-layer figures (savp sim runs firmware without a "
        "network; savp run writes them).</p>\n";
  return {"savp run report: " + path, intro, charts};
}

Page sweep_report(const ResultStore& store, const SweepReportOptions& opt) {
  const SweepInfo info = store.info();
  const std::vector<std::string> figs{"latency_ms", "energy_uj", "area_mm2", "edp_uj_ms"};
  const std::vector<ResultStore::Sample> rows = store.ok_rows(figs);
  if (rows.empty())
    throw Error("database " + store.path() +
                " has no successful result yet: run the sweep (savp sweep) first");
  // The parameters, in spec order (the params JSON keeps it).
  std::vector<std::string> params;
  const ordered_json first = ordered_json::parse(rows.front().params_json);
  for (const auto& it : first.items()) params.push_back(it.key());
  if (params.empty())
    throw Error("database " + store.path() + ": its rows name no parameter (not a savp sweep?)");
  const std::string color = opt.color.empty() ? params.front() : opt.color;
  if (std::find(params.begin(), params.end(), color) == params.end()) {
    std::string all;
    for (const auto& p : params) all += (all.empty() ? "" : ", ") + p;
    throw Error(fmt::format("--color '{}': not a parameter of sweep '{}' (allowed: {})", color,
                            info.name, all));
  }
  // Each network's latency/energy front.
  std::map<std::pair<std::string, uint32_t>, bool> on_front;
  for (const auto& f : pareto_rows(store, {"latency_ms", "energy_uj"}))
    on_front[{f.network, f.point_id}] = true;
  std::vector<ScatterRow> scatter;
  for (const auto& r : rows) {
    const json p = json::parse(r.params_json);
    scatter.push_back({r.point_id, r.network, r.values[0], r.values[1], r.values[2], p.at(color),
                       r.params_json, on_front.count({r.network, r.point_id}) > 0});
  }
  std::vector<Chart> charts{pareto_chart(scatter, color)};
  // The point whose run figures are shown.
  std::string network = opt.network;
  if (network.empty()) {
    for (const auto& n : info.networks)
      if (std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return r.network == n; })) {
        network = n;
        break;
      }
  }
  const ResultStore::Sample* chosen = nullptr;
  for (const auto& r : rows) {
    if (r.network != network) continue;
    if (opt.point >= 0 ? r.point_id == static_cast<uint64_t>(opt.point)
                       : (!chosen || r.values[3] < chosen->values[3]))
      chosen = &r;
  }
  if (!chosen)
    throw Error(fmt::format("database {}: no successful row for {}network '{}' (networks: {})",
                            store.path(),
                            opt.point >= 0 ? fmt::format("point {} and ", opt.point) : "", network,
                            fmt::join(info.networks, ", ")));
  const std::string report = store.report_of(chosen->point_id, network);
  const std::string origin =
      fmt::format("{} (point {}, network {})", store.path(), chosen->point_id, network);
  const json rj = json::parse(report, nullptr, false);
  if (rj.is_discarded()) throw Error(origin + ": the stored report is not JSON");
  for (Chart& c : run_charts(rj, origin)) {
    c.title = fmt::format("Point {} on {}: {}", chosen->point_id, network, c.title);
    charts.push_back(std::move(c));
  }
  // The page's text: the sweep, the chosen point, and each network's front as a table.
  std::string intro = fmt::format(
      "<p>Sweep <b>{}</b> ({}): {} points sampled, {} successful (point, network) rows; "
      "networks: {}.</p>\n<p>Run figures below: point <b>{}</b> on <b>{}</b> ({}), "
      "config <code>{}</code>: {:.4f} ms, {:.3f} uJ, {:.3f} mm<sup>2</sup>.</p>\n",
      html_escape(info.name), html_escape(info.spec_path), info.points, rows.size(),
      html_escape(fmt::format("{}", fmt::join(info.networks, ", "))), chosen->point_id,
      html_escape(network), opt.point >= 0 ? "chosen with --point" : "lowest energy x delay",
      html_escape(chosen->params_json), chosen->values[0], chosen->values[1], chosen->values[2]);
  intro +=
      "<h2>Pareto front (latency, energy) of each network</h2>\n<table>\n<tr><th "
      "class=\"l\">network</th><th>point</th><th>latency (ms)</th><th>energy "
      "(uJ)</th><th>area (mm<sup>2</sup>)</th><th class=\"l\">config</th></tr>\n";
  for (const ScatterRow& s : scatter)
    if (s.front)
      intro += fmt::format(
          "<tr><td class=\"l\">{}</td><td>{}</td><td>{:.4f}</td><td>{:.3f}</td><td>{:.3f}</td>"
          "<td class=\"l\">{}</td></tr>\n",
          html_escape(s.network), s.point, s.latency_ms, s.energy_uj, s.area_mm2,
          html_escape(s.params));
  intro += "</table>\n";
  return {"savp sweep report: " + info.name, intro, charts};
}

}  // namespace savp::explore
