// savp report: the chart specs of a run report by hand (report_charts), the command's errors,
// and both pages rendered in headless Chromium: every chart drew, no console error, a
// screenshot kept in the build folder. The rendering test skips only when chromium or the
// JavaScript packages (scripts/setup.sh) are missing.
#include "explore/html_report.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "common/errors.hpp"
#include "explore/report_charts.hpp"
#include "sweep_process_util.hpp"

namespace {

namespace fs = std::filesystem;
using namespace savp_test;
using nlohmann::json;

// A run report with two layers and two DRAM banks, figures chosen by hand.
json small_report() {
  return json::parse(R"({
    "clock_mhz": 500, "cycles": 1000, "latency_us": 2.0,
    "energy": {"total_pj": 4000000},
    "engines": [{"name": "mult0", "kind": "mult", "busy_cycles": 600, "stall_cycles": 100,
                 "idle_cycles": 300}],
    "dram": {"preset": "LPDDR4-3200", "bandwidth_gbps": 2.5, "peak_bandwidth_gbps": 12.8,
             "read_bytes": 4096, "write_bytes": 1024, "row_hits": 7, "row_misses": 2,
             "row_conflicts": 1,
             "banks": [{"hits": 5, "misses": 1, "conflicts": 0},
                       {"hits": 2, "misses": 1, "conflicts": 1}]},
    "layers": [{"name": "conv1", "chunk": "mult0", "cycles": 750, "compute_cycles": 500,
                "stall_cycles": 200, "energy_pj": 3000000},
               {"name": "fc", "chunk": "mult0", "cycles": 250, "compute_cycles": 250,
                "stall_cycles": 0, "energy_pj": 1000000}]})");
}

TEST(ReportCharts, RunChartsCarryTheReportsFigures) {
  const std::vector<savp::explore::Chart> c = savp::explore::run_charts(small_report(), "r.json");
  ASSERT_EQ(c.size(), 6u);  // layer latency, shares, layer energy, engines, bandwidth, row buffer
  // conv1: 750 cycles at 500 MHz = 1.5 us: 1.0 us compute, 0.4 us stall, 0.1 us other.
  const json& parts = c[0].spec["data"]["values"];
  ASSERT_EQ(parts.size(), 6u);
  EXPECT_EQ(parts[0]["layer"], "conv1");
  EXPECT_DOUBLE_EQ(parts[0]["us"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(parts[1]["us"].get<double>(), 0.4);
  EXPECT_NEAR(parts[2]["us"].get<double>(), 0.1, 1e-12);
  // Shares: conv1 is 750/1000 of the latency and 3/4 of the energy.
  const json& shares = c[1].spec["data"]["values"];
  EXPECT_DOUBLE_EQ(shares[0]["share"].get<double>(), 0.75);
  EXPECT_EQ(shares[1]["figure"], "energy");
  EXPECT_DOUBLE_EQ(shares[1]["share"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(c[2].spec["data"]["values"][1]["uj"].get<double>(), 1.0);
  // Engine states stacked to the run: 600 busy, 100 stall, 300 idle.
  EXPECT_EQ(c[3].spec["data"]["values"][1]["cycles"], 100);
  EXPECT_EQ(c[3].spec["encoding"]["y"]["stack"], "normalize");
  EXPECT_DOUBLE_EQ(c[4].spec["data"]["values"][1]["gbps"].get<double>(), 12.8);
  EXPECT_NE(c[5].title.find("7 hits, 2 misses, 1 conflicts"), std::string::npos) << c[5].title;
  EXPECT_EQ(c[5].spec["data"]["values"][5]["count"], 1);  // bank 1 conflicts
}

TEST(ReportCharts, AMissingFieldIsNamed) {
  json r = small_report();
  r["dram"].erase("banks");
  try {
    savp::explore::run_charts(r, "r.json");
    FAIL();
  } catch (const savp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("r.json: field 'dram.banks': missing"), std::string::npos)
        << e.what();
  }
  r = small_report();
  r["layers"][1]["cycles"] = "many";
  try {
    savp::explore::run_charts(r, "r.json");
    FAIL();
  } catch (const savp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("field 'layers[].cycles': expected a number, got string"),
              std::string::npos)
        << e.what();
  }
}

TEST(ReportCharts, ParetoScatterMarksTheFrontAndColours) {
  std::vector<savp::explore::ScatterRow> rows{
      {0, "n", 1.0, 5.0, 2.0, json(250), R"({"clock_mhz":250})", true},
      {1, "n", 2.0, 6.0, 2.0, json(500), R"({"clock_mhz":500})", false}};
  const savp::explore::Chart c = savp::explore::pareto_chart(rows, "clock_mhz");
  EXPECT_EQ(c.spec["spec"]["layer"][0]["encoding"]["color"]["type"], "quantitative");
  EXPECT_EQ(c.spec["spec"]["layer"][0]["encoding"]["color"]["title"], "clock_mhz");
  EXPECT_EQ(c.spec["data"]["values"][1]["front"], false);
  EXPECT_EQ(c.spec["data"]["values"][0]["config"], R"({"clock_mhz":250})");
  rows[0].color = "DDR4";  // a preset name: nominal colours
  EXPECT_EQ(savp::explore::pareto_chart(rows, "dram.preset")
                .spec["spec"]["layer"][0]["encoding"]["color"]["type"],
            "nominal");
}

TEST(ReportCommand, MissingJavaScriptSaysWhichSetupInstallsIt) {
  const fs::path dir = fs::temp_directory_path() / "savp_report_nojs";
  fs::create_directories(dir);
  const std::string rep = (dir / "r.json").string(), html = (dir / "r.html").string();
  std::ofstream(rep) << small_report().dump();
  int st = 0;
  const std::string out =
      run_savp("report " + rep + " -o " + html, &st, "SAVP_JS_DIR=" + dir.string() + " ");
  EXPECT_EQ(st, 1) << out;
  EXPECT_NE(out.find("run scripts/setup.sh"), std::string::npos) << out;
  EXPECT_NE(out.find("vega/build/vega.min.js is missing"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(html));
  fs::remove_all(dir);
}

// ---- Rendering in headless Chromium --------------------------------------------------------

class Render : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v chromium > /dev/null 2>&1") != 0)
      GTEST_SKIP() << "chromium is not installed (Debian 'chromium': scripts/setup.sh)";
    if (!fs::exists(savp::explore::chart_js_dir() + "/vega-embed/build/vega-embed.min.js"))
      GTEST_SKIP() << "the JavaScript packages are not installed in "
                   << savp::explore::chart_js_dir() << " (scripts/setup.sh runs npm ci)";
    dir_ = fs::temp_directory_path() / "savp_report_render";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Renders `html` and returns the #savp-status element's attributes and text; keeps a
  // screenshot at `png`.
  std::string render(const std::string& html, const std::string& png) {
    const std::string flags =
        "chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
        "--user-data-dir=" +
        (dir_ / "profile").string() + " --virtual-time-budget=30000 --window-size=1400,4000 ";
    const std::string dom = (dir_ / "dom.html").string();
    std::system((flags + "--dump-dom file://" + html + " > " + dom + " 2> /dev/null").c_str());
    std::system((flags + "--screenshot=" + png + " file://" + html + " > /dev/null 2>&1").c_str());
    const std::string d = slurp(dom);
    std::smatch m;
    if (!std::regex_search(d, m, std::regex(R"(<div id="savp-status"[^>]*>[^<]*</div>)")))
      return "no status element in the rendered DOM (" + std::to_string(d.size()) + " bytes)";
    return m.str();
  }
  static void expect_all_rendered(const std::string& status, int charts) {
    const std::string n = std::to_string(charts);
    EXPECT_NE(status.find("data-done=\"yes\""), std::string::npos) << status;
    EXPECT_NE(status.find("data-charts=\"" + n + "\""), std::string::npos) << status;
    EXPECT_NE(status.find("data-rendered=\"" + n + "\""), std::string::npos) << status;
    EXPECT_NE(status.find("data-errors=\"0\""), std::string::npos) << status;
  }
  fs::path dir_;
};

TEST_F(Render, SweepAndRunReportsDrawEveryChartWithoutConsoleErrors) {
  const std::string spec = (dir_ / "spec.yaml").string(), db = (dir_ / "s.db").string(),
                    rep = (dir_ / "r.json").string();
  std::ofstream(spec) << clock_spec("report-test", 6);
  int st = 0;
  std::string out = run_savp("sweep " + spec + " --db " + db + " -j 2", &st);
  ASSERT_EQ(st, 0) << out;
  out = run_savp("run --hw " + kSrc + "/configs/hw/default.yaml --net " + kSrc +
                     "/configs/nets/fmnist-hybrid.yaml --timing-only --report " + rep,
                 &st);
  ASSERT_EQ(st, 0) << out;
  const std::string sweep_html = (dir_ / "sweep.html").string(),
                    run_html = (dir_ / "run.html").string();
  out = run_savp("report " + db + " -o " + sweep_html + " --color clock_mhz", &st);
  ASSERT_EQ(st, 0) << out;
  out = run_savp("report " + rep + " -o " + run_html, &st);
  ASSERT_EQ(st, 0) << out;
  // Self-contained: no script or stylesheet from elsewhere.
  for (const std::string& h : {sweep_html, run_html}) {
    const std::string page = slurp(h);
    EXPECT_EQ(page.find("<script src"), std::string::npos);
    EXPECT_EQ(page.find("<link"), std::string::npos);
  }
  const std::string bin = SAVP_BINARY_DIR;
  // Sweep: the scatter and the six run charts of the best point.
  expect_all_rendered(render(sweep_html, bin + "/report_sweep.png"), 7);
  expect_all_rendered(render(run_html, bin + "/report_run.png"), 6);
  EXPECT_GT(fs::file_size(bin + "/report_sweep.png"), 10000u);
  EXPECT_GT(fs::file_size(bin + "/report_run.png"), 10000u);
  // The sweep page names the lowest-EDP point and colours by the chosen parameter.
  EXPECT_NE(slurp(sweep_html).find("lowest energy x delay"), std::string::npos);
  // A bad --color lists the parameters.
  out = run_savp("report " + db + " -o " + sweep_html + ".x --color clokc", &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_NE(out.find("--color 'clokc': not a parameter of sweep 'report-test' (allowed: "
                     "clock_mhz)"),
            std::string::npos)
      << out;
}

}  // namespace
