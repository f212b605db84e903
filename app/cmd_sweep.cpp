// savp sweep: run a design-space sweep into a SQLite database (issue 7; explore/).
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "common/errors.hpp"
#include "explore/mpi_sweep.hpp"
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
    double lock_wait_s = explore::kDefaultLockWaitS;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("spec", o->spec, "sweep specification (configs/sweeps/*.yaml)")->required();
  sub->add_option("--db", o->db, "SQLite database of the results (created when absent)")
      ->required();
  sub->add_option("-j,--jobs", o->jobs, "worker processes (one SystemC kernel each)")
      ->check(CLI::Range(1u, 1024u));
  sub->add_option("--lock-wait", o->lock_wait_s,
                  "seconds to wait for a database another process keeps locked, then stop "
                  "(default 60; what is stored stays)")
      ->check(CLI::Range(0.0, 86400.0));
  sub->footer(
      "Under mpirun (mpirun -np N savp sweep SPEC --db DB) the points are distributed across "
      "the ranks; rank 0 writes the database.");
  return [o] {
    explore::SweepSpec spec;
    try {
      spec = explore::load_sweep_spec(o->spec);
    } catch (const Error&) {
      // Under mpirun every rank reads the same spec: rank 0 alone says what is wrong with it.
      const char* r = std::getenv("OMPI_COMM_WORLD_RANK");
      if (explore::under_mpirun() && r && std::string(r) != "0") return 1;
      throw;
    }
    explore::SweepOptions opt;
    opt.db = o->db;
    opt.jobs = o->jobs;
    opt.progress = isatty(STDOUT_FILENO) == 1;
    opt.lock_wait_s = o->lock_wait_s;
    explore::SweepSummary s;
    if (explore::under_mpirun()) {
#ifdef SAVP_WITH_MPI
      s = explore::run_sweep_mpi(spec, opt, std::cout);
      if (!s.root) return 0;  // rank 0 reports
#else
      throw Error(
          "savp sweep runs under mpirun (OMPI_COMM_WORLD_SIZE is set), but this savp was built "
          "without MPI: install libopenmpi-dev (scripts/setup.sh) and rebuild, or run it "
          "without mpirun (-j N for worker processes)");
#endif
    } else {
      s = explore::run_sweep(spec, opt, std::cout);
    }
    const uint64_t nets = spec.networks.size();
    std::cout << fmt::format(
        "sweep {}: {} points sampled ({}), {} rejected by the constraints, {} already in the "
        "database, {} run now x {} networks in {:.2f} s ({:.2f} points/s, {}){}\n",
        spec.name, s.sampled, explore::to_string(spec.sampling), s.rejected, s.already_done, s.ran,
        nets, s.seconds, s.seconds > 0 ? s.ran / s.seconds : 0.0,
        s.ranks ? fmt::format("{} MPI ranks", s.ranks) : fmt::format("{} jobs", o->jobs),
        s.failed_rows
            ? fmt::format("; {} (point, network) rows infeasible (status 'error')", s.failed_rows)
            : std::string());
    std::cout << "results: " << o->db << "\n";
    return 0;
  };
}

}  // namespace savp::app
