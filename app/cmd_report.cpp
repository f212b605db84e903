// savp report: a self-contained HTML page of a sweep database or of one run report (issue 7;
// explore/html_report.hpp).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "explore/html_report.hpp"
#include "explore/result_store.hpp"

namespace savp::app {

Action add_report(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "report",
      "Write one self-contained HTML page (opens with no network) of a sweep database "
      "(Pareto scatter, the best or a chosen point's per-layer, engine and DRAM figures) or of "
      "a run report (savp run --report)");
  struct Opts {
    std::string input, out, color, network;
    int64_t point = -1;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("input", o->input, "sweep database (savp sweep --db) or run report JSON")
      ->required();
  sub->add_option("-o,--out", o->out, "HTML file to write")->required();
  sub->add_option("--color", o->color,
                  "sweep: the parameter that colours the Pareto scatter (default: the first)");
  sub->add_option("--point", o->point,
                  "sweep: the point whose run figures are shown (default: lowest energy x delay)")
      ->check(CLI::Range(int64_t{0}, int64_t{4294967295}));
  sub->add_option("--network", o->network,
                  "sweep: that point's network (default: the sweep's first)");
  return [o] {
    if (!std::filesystem::is_regular_file(o->input))
      throw Error(o->input + ": no such file (a sweep database or a run report JSON)");
    // The page's content first (bad input is reported as such), then the libraries: without
    // them nothing is written.
    explore::Page page;
    if (explore::is_sqlite_file(o->input)) {
      const explore::ResultStore store = explore::ResultStore::open_readonly(o->input);
      explore::SweepReportOptions opt;
      opt.color = o->color;
      opt.point = o->point;
      opt.network = o->network;
      page = explore::sweep_report(store, opt);
    } else {
      if (!o->color.empty() || o->point >= 0 || !o->network.empty())
        throw Error("--color, --point and --network apply to a sweep database; " + o->input +
                    " is a run report");
      page = explore::run_report(o->input);
    }
    const std::string html = explore::html_page(page, explore::load_chart_js());
    write_file_atomic(o->out, html, "HTML report");
    std::cout << fmt::format("report: {} ({} KB, self-contained)\n", o->out, html.size() / 1024);
    return 0;
  };
}

}  // namespace savp::app
