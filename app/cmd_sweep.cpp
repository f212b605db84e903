// savp sweep: run a design-space sweep into a SQLite database (issue 7; explore/).
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "explore/sweep_driver.hpp"
#include "explore/sweep_spec.hpp"

namespace savp::app {

Action add_sweep(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "sweep",
      "Run a design-space sweep (configs/sweeps/*.yaml) into a SQLite database; rerun "
      "the same command to resume");
  struct Opts {
    std::string spec, db;
    unsigned jobs = 1;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("spec", o->spec, "sweep specification (configs/sweeps/*.yaml)")->required();
  sub->add_option("--db", o->db, "SQLite database of the results (created when absent)")
      ->required();
  sub->add_option("-j,--jobs", o->jobs, "worker processes (one SystemC kernel each)")
      ->check(CLI::Range(1u, 1024u));
  return [o] {
    const explore::SweepSpec spec = explore::load_sweep_spec(o->spec);
    explore::SweepOptions opt;
    opt.db = o->db;
    opt.jobs = o->jobs;
    opt.progress = isatty(STDOUT_FILENO) == 1;
    const explore::SweepSummary s = explore::run_sweep(spec, opt, std::cout);
    const uint64_t nets = spec.networks.size();
    std::cout << fmt::format(
        "sweep {}: {} points sampled ({}), {} rejected by the constraints, {} already in the "
        "database, {} run now x {} networks in {:.2f} s ({:.2f} points/s, {} jobs){}\n",
        spec.name, s.sampled, explore::to_string(spec.sampling), s.rejected, s.already_done, s.ran,
        nets, s.seconds, s.seconds > 0 ? s.ran / s.seconds : 0.0, o->jobs,
        s.failed_rows
            ? fmt::format("; {} (point, network) rows infeasible (status 'error')", s.failed_rows)
            : std::string());
    std::cout << "results: " << o->db << "\n";
    return 0;
  };
}

}  // namespace savp::app
