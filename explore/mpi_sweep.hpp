// A sweep distributed over MPI ranks (`mpirun -np N savp sweep SPEC --db DB`; OpenMPI).
//
// Every rank samples and validates the same plan and loads the networks itself (the plan is
// deterministic, explore/sweep_driver.hpp). Rank 0 alone owns the SQLite database: it finds
// the points still missing, deals them out dynamically (each other rank holds up to
// kMpiLookahead points, so it never waits for rank 0 while rank 0 computes points of its own),
// and stores each point's rows in one transaction as they come back. A rank that dies takes
// the job down (mpirun's default), but only whole points were ever stored, so rerunning the
// same command finishes the missing points, exactly like a killed `-j N` sweep.
//
// Built only when CMake finds MPI (SAVP_WITH_MPI); a plain `savp sweep` never initialises MPI.
#pragma once

#include <cstdlib>
#include <iosfwd>

#include "explore/sweep_driver.hpp"

namespace savp::explore {

// True when this process was started by OpenMPI's mpirun/mpiexec (it sets
// OMPI_COMM_WORLD_SIZE in every rank's environment).
inline bool under_mpirun() { return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr; }

#ifdef SAVP_WITH_MPI
// Points every non-root rank holds at a time (one running, the rest queued).
constexpr int kMpiLookahead = 3;

// Runs the sweep across the ranks of MPI_COMM_WORLD (initialises and finalises MPI). On rank 0
// it returns the summary (root = true); on the others a summary with root = false, after rank
// 0 finished. Throws savp::Error on rank 0 for bad input, a database error or a failed rank.
SweepSummary run_sweep_mpi(const SweepSpec& spec, const SweepOptions& opt, std::ostream& out);
#endif

}  // namespace savp::explore
