// savp report: one self-contained HTML page (no network access needed to open it) with Vega-Lite
// charts of a sweep database or of one run report (explore/report_charts.hpp).
//
// The charting libraries (Vega, Vega-Lite, vega-embed; pinned by third_party/js/package.json)
// are installed from the npm registry by scripts/setup.sh into the gitignored
// third_party/js/node_modules, and read and inlined here at report time. The page records in
// an element #savp-status how many charts rendered and every window error and console.error,
// so a headless browser can check it (tests/explore/html_report_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "explore/report_charts.hpp"
#include "explore/result_store.hpp"

namespace savp::explore {

// The three libraries' minified UMD builds.
struct ChartJs {
  std::string vega, vega_lite, vega_embed;
};

// The node_modules folder the libraries are read from: $SAVP_JS_DIR when set, else
// <source tree>/third_party/js/node_modules.
std::string chart_js_dir();
// Reads them; a missing file is a savp::Error that names it and the setup command.
ChartJs load_chart_js(const std::string& node_modules = chart_js_dir());

// A page's content: title, an HTML fragment above the charts (already escaped), the charts.
struct Page {
  std::string title, intro_html;
  std::vector<Chart> charts;
};

// The page as one self-contained HTML document, with the libraries inlined.
std::string html_page(const Page& page, const ChartJs& js);

std::string html_escape(const std::string& s);

struct SweepReportOptions {
  std::string color;    // parameter that colours the scatter ("": the sweep's first parameter)
  int64_t point = -1;   // point whose run figures are shown (-1: the lowest EDP)
  std::string network;  // its network ("": the first network with results)
};

// The page of a sweep database: the Pareto scatter, a table of each network's front, and the
// run charts of the chosen (or the best) point. Bad input throws before any library is read.
Page sweep_report(const ResultStore& store, const SweepReportOptions& opt);

// The page of one run report (savp run / savp sim --report FILE).
Page run_report(const std::string& report_path);

// True when the file starts with SQLite's header ("SQLite format 3").
bool is_sqlite_file(const std::string& path);

}  // namespace savp::explore
