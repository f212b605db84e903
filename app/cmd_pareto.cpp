// savp pareto: the non-dominated points of a sweep database (issue 7; explore/pareto.hpp).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "common/errors.hpp"
#include "explore/pareto.hpp"
#include "explore/result_store.hpp"

namespace savp::app {

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
}  // namespace

Action add_pareto(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "pareto", "Print the non-dominated points of a sweep database (every figure minimised)");
  struct Opts {
    std::string db, x = "latency_ms", y = "energy_uj", z, csv, network;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("db", o->db, "sweep database (savp sweep --db)")->required();
  sub->add_option("--x", o->x, "first figure (a results column, e.g. latency_ms)");
  sub->add_option("--y", o->y, "second figure (e.g. energy_uj, area_mm2)");
  sub->add_option("--z", o->z, "optional third figure");
  sub->add_option("--network", o->network,
                  "only this network's rows (default: a front per network)");
  sub->add_option("--csv", o->csv, "also write the front here as CSV");
  return [o] {
    std::vector<std::string> figs{o->x, o->y};
    if (!o->z.empty()) figs.push_back(o->z);
    const explore::ResultStore store = explore::ResultStore::open_readonly(o->db);
    const std::vector<explore::ResultStore::Sample> front =
        explore::pareto_rows(store, figs, o->network);
    std::string header = fmt::format("{:<18} {:>6}", "network", "point");
    for (const auto& f : figs) header += fmt::format(" {:>14}", f);
    std::cout << header << "  parameters\n";
    for (const auto& r : front) {
      std::string line = fmt::format("{:<18} {:>6}", r.network, r.point_id);
      for (double v : r.values) line += fmt::format(" {:>14.6g}", v);
      std::cout << line << "  " << r.params_json << "\n";
    }
    std::cout << fmt::format("{} non-dominated rows (minimising {})\n", front.size(),
                             fmt::join(figs, ", "));
    if (!o->csv.empty()) {
      // Written to a temporary name and renamed, so a failure leaves no half-written file.
      const std::string tmp = o->csv + ".tmp";
      {
        std::ofstream out(tmp);
        if (!out) throw Error("cannot write " + o->csv);
        out << "network,point_id";
        for (const auto& f : figs) out << "," << f;
        out << ",params\n";
        for (const auto& r : front) {
          out << csv_field(r.network) << "," << r.point_id;
          for (double v : r.values) out << "," << fmt::format("{}", v);
          out << "," << csv_field(r.params_json) << "\n";
        }
        if (!out.flush()) throw Error("cannot write " + o->csv);
      }
      std::filesystem::rename(tmp, o->csv);
      std::cout << "csv: " << o->csv << "\n";
    }
    return 0;
  };
}

}  // namespace savp::app
