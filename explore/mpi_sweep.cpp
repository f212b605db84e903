#include "explore/mpi_sweep.hpp"

#include <fmt/format.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <list>
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

// How often a rank that waits for a message looks again (us). Waiting by MPI_Probe (or in a
// blocking MPI_Send / MPI_Recv of a large message) would spin a core that rank 0 or another
// rank on the same machine needs for simulation.
constexpr unsigned kPollUs = 1000;

struct MpiSession {
  MpiSession() { MPI_Init(nullptr, nullptr); }
  ~MpiSession() { MPI_Finalize(); }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

// Messages this rank has handed to MPI_Isend and MPI has not finished sending. A result is
// larger than OpenMPI's eager limit (a few KB on shared memory), so a blocking MPI_Send would
// wait, spinning a core, until the other rank posts the receive, which rank 0 does only between
// points of its own: a rank's whole point time. Sending without blocking lets the rank go on
// with its next point; every MPI call between points moves the pending sends along.
class Outbox {
 public:
  void send(std::string body, int tag) {
    out_.push_back({std::move(body), MPI_REQUEST_NULL});
    Out& o = out_.back();  // a std::list element never moves, so o.body stays put
    MPI_Isend(o.body.data(), static_cast<int>(o.body.size()), MPI_CHAR, 0, tag, MPI_COMM_WORLD,
              &o.req);
  }
  // Progresses the pending sends and forgets the finished ones.
  void progress() {
    for (auto it = out_.begin(); it != out_.end();) {
      int done = 0;
      MPI_Test(&it->req, &done, MPI_STATUS_IGNORE);
      it = done ? out_.erase(it) : std::next(it);
    }
  }
  // Waits (without spinning) until every pending send has finished.
  void drain() {
    for (progress(); !out_.empty(); progress()) usleep(kPollUs);
  }

 private:
  struct Out {
    std::string body;
    MPI_Request req;
  };
  std::list<Out> out_;
};

// Waits for a message from `source` with `tag`, calling `idle` between probes.
template <typename Idle>
MPI_Status wait_for(int source, int tag, Idle idle) {
  MPI_Status st{};
  for (;;) {
    int flag = 0;
    MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, &st);
    if (flag) return st;
    idle();
    usleep(kPollUs);
  }
}

// Messages rank 0 has matched (MPI_Improbe) and is receiving (MPI_Imrecv) without blocking:
// the rest of a large message arrives only as its sender, busy with a point, makes progress.
class Inbox {
 public:
  struct Message {
    int source = 0;
    int tag = 0;
    std::string body;
  };
  // Matches every message that has arrived and starts receiving it.
  void accept() {
    for (;;) {
      int flag = 0;
      MPI_Message msg = MPI_MESSAGE_NULL;
      MPI_Status st{};
      MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &msg, &st);
      if (!flag) return;
      int n = 0;
      MPI_Get_count(&st, MPI_CHAR, &n);
      in_.push_back({{st.MPI_SOURCE, st.MPI_TAG, std::string(static_cast<size_t>(n), '\0')},
                     MPI_REQUEST_NULL});
      In& i = in_.back();
      MPI_Imrecv(i.msg.body.data(), n, MPI_CHAR, &msg, &i.req);
    }
  }
  // Messages received completely since the last call, in the order they were matched.
  std::vector<Message> take_complete() {
    accept();
    std::vector<Message> done;
    for (auto it = in_.begin(); it != in_.end();) {
      int flag = 0;
      MPI_Test(&it->req, &flag, MPI_STATUS_IGNORE);
      if (!flag) {
        ++it;
        continue;
      }
      done.push_back(std::move(it->msg));
      it = in_.erase(it);
    }
    return done;
  }

 private:
  struct In {
    Message msg;
    MPI_Request req;
  };
  std::list<In> in_;
};

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
  Outbox outbox;
  for (;;) {
    wait_for(0, kWork, [&] { outbox.progress(); });
    int idx = -1;
    MPI_Recv(&idx, 1, MPI_INT, 0, kWork, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (idx < 0) break;
    if (failed) {
      outbox.send(std::string(), kSkip);
      continue;
    }
    try {
      const Planned& p = plan.at(static_cast<size_t>(idx));
      outbox.send(rows_to_json(runner.run(p.point, p.hw)), kRows);
    } catch (const std::exception& e) {
      failed = true;
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      outbox.send(fmt::format("rank {} (pid {}): {}", rank, getpid(), e.what()), kFail);
    }
    outbox.progress();
  }
  // Rank 0 stops a rank only once it has every answer the rank owed, so this returns at once.
  outbox.drain();
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
  auto handle = [&](const Inbox::Message& m) {
    const int r = m.source;
    --held[r];
    --outstanding;
    if (m.tag == kRows && error.empty()) {
      try {
        store_rows(rows_from_json(m.body));
      } catch (const std::exception& e) {
        fail(e.what());
      }
    } else if (m.tag == kFail) {
      fail(m.body);
    }
    deal(r);
  };
  Inbox inbox;
  // Handles what has arrived; true if anything had.
  auto poll = [&]() {
    bool any = false;
    for (std::vector<Inbox::Message> done; !(done = inbox.take_complete()).empty(); any = true)
      for (const Inbox::Message& m : done) handle(m);
    return any;
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
    if (!poll()) usleep(kPollUs);
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
    Prepared prep = prepare_sweep(spec, sum);
    plan = std::move(prep.plan);
    runner = std::move(prep.runner);
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
