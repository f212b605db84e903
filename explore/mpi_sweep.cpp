#include "explore/mpi_sweep.hpp"

#include <fmt/format.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "explore/point_runner.hpp"
#include "explore/result_store.hpp"

namespace savp::explore {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// Message tags. kWork (0 -> rank): one int, a plan index, or -1 for "no more work".
// kRows (rank -> 0): a point's rows as JSON. kFail (rank -> 0): an error message; the rank
// runs nothing more and answers each point it still holds with kSkip (an empty message).
enum Tag : int { kWork = 1, kRows = 2, kFail = 3, kSkip = 4 };

// How often a rank that waits for a message looks again (us). Waiting by MPI_Probe would
// spin a core that rank 0 or another rank on the same machine needs for simulation.
constexpr unsigned kPollUs = 1000;

struct MpiSession {
  MpiSession() { MPI_Init(nullptr, nullptr); }
  ~MpiSession() { MPI_Finalize(); }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

MPI_Status wait_for(int source, int tag) {
  MPI_Status st{};
  for (;;) {
    int flag = 0;
    MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &st);
    if (flag) return st;
    usleep(kPollUs);
  }
}

std::string recv_bytes(const MPI_Status& st) {
  int n = 0;
  MPI_Get_count(&st, MPI_CHAR, &n);
  std::string s(static_cast<size_t>(n), '\0');
  MPI_Recv(s.data(), n, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return s;
}

void send_bytes(const std::string& s, int tag) {
  MPI_Send(s.data(), static_cast<int>(s.size()), MPI_CHAR, 0, tag, MPI_COMM_WORLD);
}

void send_work(int rank, int idx) { MPI_Send(&idx, 1, MPI_INT, rank, kWork, MPI_COMM_WORLD); }

std::string rows_to_json(const std::vector<ResultRow>& rows) {
  json a = json::array();
  for (const ResultRow& r : rows)
    a.push_back({{"point", r.point_id},
                 {"network", r.network},
                 {"ok", r.ok},
                 {"error", r.error},
                 {"params", r.params_json},
                 {"config", r.config_json},
                 {"report", r.report_json},
                 {"values", r.values}});
  return a.dump();
}

std::vector<ResultRow> rows_from_json(const std::string& s) {
  std::vector<ResultRow> rows;
  for (const json& j : json::parse(s)) {
    ResultRow r;
    r.point_id = j.at("point").get<uint32_t>();
    r.network = j.at("network").get<std::string>();
    r.ok = j.at("ok").get<bool>();
    r.error = j.at("error").get<std::string>();
    r.params_json = j.at("params").get<std::string>();
    r.config_json = j.at("config").get<std::string>();
    r.report_json = j.at("report").get<std::string>();
    r.values = j.at("values").get<std::map<std::string, double>>();
    rows.push_back(std::move(r));
  }
  return rows;
}

// A rank other than 0: runs the points it is given until told to stop.
void worker(const std::vector<Planned>& plan, PointRunner& runner) {
  bool failed = false;
  for (;;) {
    wait_for(0, kWork);
    int idx = -1;
    MPI_Recv(&idx, 1, MPI_INT, 0, kWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (idx < 0) return;
    if (failed) {
      MPI_Send(nullptr, 0, MPI_CHAR, 0, kSkip, MPI_COMM_WORLD);
      continue;
    }
    try {
      const Planned& p = plan.at(static_cast<size_t>(idx));
      send_bytes(rows_to_json(runner.run(p.point, p.hw)), kRows);
    } catch (const std::exception& e) {
      failed = true;
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      send_bytes(fmt::format("rank {} (pid {}): {}", rank, getpid(), e.what()), kFail);
    }
  }
}

// Rank 0: deals out the pending points, runs some itself between messages, stores every row.
void root(const std::vector<Planned>& plan, PointRunner& runner, ResultStore& store,
          const std::vector<uint32_t>& pending, int ranks, SweepSummary& sum,
          SweepProgress& progress) {
  std::deque<uint32_t> queue(pending.begin(), pending.end());
  std::vector<int> held(static_cast<size_t>(ranks), 0);
  std::vector<bool> stopped(static_cast<size_t>(ranks), false);
  std::string error;  // the first failure; once set, nothing new is dealt out
  int outstanding = 0;
  auto deal = [&](int r) {
    while (error.empty() && !queue.empty() && held[r] < kMpiLookahead) {
      send_work(r, static_cast<int>(queue.front()));
      queue.pop_front();
      ++held[r];
      ++outstanding;
    }
    if ((queue.empty() || !error.empty()) && held[r] == 0 && !stopped[r]) {
      send_work(r, -1);
      stopped[r] = true;
    }
  };
  auto store_rows = [&](const std::vector<ResultRow>& rows) {
    store.write_point(rows);
    sum.failed_rows += count_failed(rows);
    progress.step(++sum.ran);
  };
  auto fail = [&](const std::string& e) {
    if (error.empty()) error = e;
    queue.clear();
  };
  // Handles one message from a rank.
  auto handle = [&](const MPI_Status& st) {
    const int r = st.MPI_SOURCE;
    const std::string body = recv_bytes(st);
    --held[r];
    --outstanding;
    if (st.MPI_TAG == kRows && error.empty()) {
      try {
        store_rows(rows_from_json(body));
      } catch (const std::exception& e) {
        fail(e.what());
      }
    } else if (st.MPI_TAG == kFail) {
      fail(body);
    }
    deal(r);
  };
  auto poll = [&]() {
    for (;;) {
      int flag = 0;
      MPI_Status st{};
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
      if (!flag) return;
      handle(st);
    }
  };
  for (int r = 1; r < ranks; ++r) deal(r);
  for (;;) {
    poll();
    if (error.empty() && !queue.empty()) {
      const uint32_t idx = queue.front();
      queue.pop_front();
      try {
        store_rows(runner.run(plan[idx].point, plan[idx].hw));
      } catch (const std::exception& e) {
        fail(fmt::format("rank 0 (pid {}): {}", getpid(), e.what()));
      }
      continue;
    }
    if (outstanding == 0) break;
    handle(wait_for(MPI_ANY_SOURCE, MPI_ANY_TAG));
  }
  for (int r = 1; r < ranks; ++r) deal(r);  // every rank is stopped by now
  if (!error.empty()) {
    progress.finish();
    throw Error(fmt::format(
        "savp sweep (MPI, {} ranks): {}; {} of {} points are stored, {} are not: rerun the same "
        "command to finish them",
        ranks, error, sum.already_done + sum.ran, plan.size(), pending.size() - sum.ran));
  }
}

}  // namespace

SweepSummary run_sweep_mpi(const SweepSpec& spec, const SweepOptions& opt, std::ostream& out) {
  if (opt.jobs != 1)
    throw Error(
        "savp sweep: -j cannot be combined with mpirun (each MPI rank is one worker process): "
        "start more ranks instead");
  MpiSession mpi;
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  SweepSummary sum;
  sum.root = rank == 0;
  sum.ranks = static_cast<unsigned>(ranks);
  // 1. Every rank prepares the same plan and loads the networks; rank 0 also opens the
  // database. All ranks learn whether every rank is ready before any point runs.
  std::vector<Planned> plan;
  std::unique_ptr<PointRunner> runner;
  std::unique_ptr<ResultStore> store;
  std::vector<uint32_t> pending;
  std::string error;
  try {
    plan = plan_sweep(spec, sum);
    runner = std::make_unique<PointRunner>(spec);
    if (rank == 0) {
      const SweepInfo info{spec.hash, spec.name,   spec.file,
                           spec.text, sum.sampled, runner->network_names()};
      store =
          std::make_unique<ResultStore>(ResultStore::open_for_sweep(opt.db, info, opt.lock_wait_s));
      pending = pending_points(store->completed_points(spec.networks.size()), plan, sum);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  int ok = error.empty() ? 1 : 0, all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (!all_ok) {
    // Rank 0 reports a bad input all ranks share once; a failure of one other rank alone (a
    // file that rank cannot read) is printed by that rank.
    int root_ok = ok;
    MPI_Bcast(&root_ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0) {
      if (!error.empty()) throw Error(error);
      throw Error(fmt::format(
          "savp sweep (MPI, {} ranks): another rank could not prepare the sweep (its message "
          "is above): nothing was run",
          ranks));
    }
    if (ok == 0 && root_ok == 1)
      std::cerr << fmt::format("savp: error: rank {} of the sweep: {}\n", rank, error);
    sum.root = false;
    return sum;
  }
  // 2. Run.
  if (rank != 0) {
    worker(plan, *runner);
    return sum;
  }
  SweepProgress progress(out, opt.progress, pending.size());
  const auto t0 = Clock::now();
  root(plan, *runner, *store, pending, ranks, sum, progress);
  progress.finish();
  sum.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return sum;
}

}  // namespace savp::explore
