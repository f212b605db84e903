#include "explore/sweep_driver.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <iostream>
#include <limits>
#include <thread>

#include "explore/point_runner.hpp"
#include "explore/result_store.hpp"
#include "platform/energy_model.hpp"

namespace savp::explore {

using Clock = std::chrono::steady_clock;

SweepProgress::SweepProgress(std::ostream& out, bool on, uint64_t total)
    : out_(out), on_(on), total_(total), start_(Clock::now()) {}

void SweepProgress::step(uint64_t done) {
  done_ = done;
  const auto now = Clock::now();
  if (!on_ || (now - last_ < std::chrono::milliseconds(200) && done_ < total_)) return;
  last_ = now;
  const double s = std::chrono::duration<double>(now - start_).count();
  const double rate = s > 0 ? done_ / s : 0;
  const std::string eta = rate > 0 ? fmt::format("ETA {:.0f} s", (total_ - done_) / rate) : "ETA -";
  out_ << fmt::format("\r{}/{} points  {:.2f} points/s  {}   ", done_, total_, rate, eta)
       << std::flush;
}

void SweepProgress::finish() {
  if (on_ && total_ > 0) out_ << "\n";
}

uint64_t count_failed(const std::vector<ResultRow>& rows) {
  return static_cast<uint64_t>(
      std::count_if(rows.begin(), rows.end(), [](const ResultRow& r) { return !r.ok; }));
}

namespace {

// A done message from a worker: the point and how many of its rows failed. 8 bytes, below
// PIPE_BUF, so messages of several workers never interleave.
struct DoneMsg {
  uint32_t point;
  uint32_t failed;
};

void write_all(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = ::write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      throw Error(std::string("sweep worker: pipe write failed: ") + std::strerror(errno));
    c += w;
    n -= static_cast<size_t>(w);
  }
}

// A worker process: takes point indices (4 bytes each) from the work pipe until it closes,
// runs each, stores its rows, and reports it on the done pipe.
[[noreturn]] void worker_main(const SweepSpec& spec, const std::vector<Planned>& plan,
                              PointRunner& runner, const SweepOptions& opt, const SweepInfo& info,
                              int work_fd, int done_fd, pid_t parent) {
  // A worker dies with the sweep (kill -9 of `savp sweep` must not leave workers writing).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(3);
  int status = 0;
  try {
    ResultStore store = ResultStore::open_for_sweep(opt.db, info, opt.lock_wait_s);
    for (;;) {
      uint32_t idx = 0;
      ssize_t r = ::read(work_fd, &idx, sizeof idx);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) break;  // no more work
      if (r != sizeof idx) throw Error("sweep worker: short read on the work pipe");
      const Planned& p = plan.at(idx);
      const std::vector<ResultRow> rows = runner.run(p.point, p.hw);
      store.write_point(rows);
      DoneMsg m{p.point.id, static_cast<uint32_t>(count_failed(rows))};
      write_all(done_fd, &m, sizeof m);
    }
  } catch (const std::exception& e) {
    std::cerr << fmt::format("savp: error: sweep {} worker {}: {}\n", spec.name, getpid(),
                             e.what());
    status = 1;
  }
  std::cerr.flush();
  std::cout.flush();
  _exit(status);  // not exit(): the parent's atexit handlers and static objects are not ours
}

}  // namespace

std::vector<Planned> plan_sweep(const SweepSpec& spec, SweepSummary& sum) {
  const std::vector<Point> points = sample_points(spec);
  sum.sampled = points.size();
  std::vector<Planned> plan;
  std::map<std::string, EnergyTable> tables;
  std::vector<std::pair<double, double>> seen(
      spec.constraints.size(),
      {std::numeric_limits<double>::max(), -std::numeric_limits<double>::max()});
  for (const Point& p : points) {
    HwConfig hw = apply_point(spec, p);
    auto it = tables.find(hw.energy_table);
    if (it == tables.end())
      it = tables.emplace(hw.energy_table, load_energy_table(hw.energy_table)).first;
    const double area = platform_area(hw, it->second).total_mm2;
    bool keep = true;
    for (size_t c = 0; c < spec.constraints.size(); ++c) {
      const double f = point_figure(hw, area, spec.constraints[c].field);
      seen[c] = {std::min(seen[c].first, f), std::max(seen[c].second, f)};
      keep = keep && spec.constraints[c].holds(f);
    }
    if (keep)
      plan.push_back({p, std::move(hw)});
    else
      ++sum.rejected;
  }
  if (plan.empty()) {
    std::string why;
    for (size_t c = 0; c < spec.constraints.size(); ++c)
      why += fmt::format("; '{}' at {} ({} ranges {:g}..{:g})", spec.constraints[c].text,
                         spec.constraints[c].where.str(), spec.constraints[c].field, seen[c].first,
                         seen[c].second);
    throw Error(fmt::format("{}: the constraints reject all {} points{}: nothing to run", spec.file,
                            points.size(), why));
  }
  return plan;
}

Prepared prepare_sweep(const SweepSpec& spec, SweepSummary& sum) {
  Prepared out;
  std::exception_ptr runner_error;
  std::thread nets([&] {
    try {
      out.runner = std::make_unique<PointRunner>(spec);
    } catch (...) {
      runner_error = std::current_exception();
    }
  });
  try {
    out.plan = plan_sweep(spec, sum);
  } catch (...) {
    nets.join();
    throw;
  }
  nets.join();
  if (runner_error) std::rethrow_exception(runner_error);
  return out;
}

std::vector<uint32_t> pending_points(const std::set<uint32_t>& done,
                                     const std::vector<Planned>& plan, SweepSummary& sum) {
  std::vector<uint32_t> pending;
  for (uint32_t i = 0; i < plan.size(); ++i) {
    if (done.count(plan[i].point.id))
      ++sum.already_done;
    else
      pending.push_back(i);
  }
  return pending;
}

SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& opt, std::ostream& out) {
  SweepSummary sum;
  if (opt.jobs == 0) throw Error("savp sweep: -j must be at least 1");
  // 1. Sample and validate every point before anything runs or is written, and 2. load and
  // quantize the networks once (before any fork, so workers share them).
  Prepared prep = prepare_sweep(spec, sum);
  const std::vector<Planned>& plan = prep.plan;
  PointRunner& runner = *prep.runner;
  const SweepInfo info{spec.hash, spec.name,   spec.file,
                       spec.text, sum.sampled, runner.network_names()};
  // 3. What the database already holds.
  std::vector<uint32_t> pending;  // indices into plan
  {
    ResultStore store = ResultStore::open_for_sweep(opt.db, info, opt.lock_wait_s);
    pending = pending_points(store.completed_points(spec.networks.size()), plan, sum);
  }  // closed: a SQLite connection must not cross a fork
  SweepProgress progress(out, opt.progress, pending.size());
  const auto t0 = Clock::now();
  const unsigned jobs = static_cast<unsigned>(std::min<size_t>(opt.jobs, pending.size()));
  if (jobs <= 1) {
    ResultStore store = ResultStore::open_for_sweep(opt.db, info, opt.lock_wait_s);
    for (uint32_t idx : pending) {
      const std::vector<ResultRow> rows = runner.run(plan[idx].point, plan[idx].hw);
      store.write_point(rows);
      sum.failed_rows += count_failed(rows);
      progress.step(++sum.ran);
    }
  } else {
    // Worker processes by fork() without exec: this process has elaborated no SystemC kernel,
    // started no thread and holds no SQLite connection at this point, so a child starts
    // clean, and it inherits the validated plan and the quantized networks instead of
    // re-reading them. Each worker elaborates its own platforms (one SystemC kernel per
    // process, DESIGN.md "Scale") and opens its own connection. Points are handed out over a
    // pipe as workers become free (points differ a lot in cost), so the pool balances itself.
    int work[2], done[2];
    if (pipe(work) != 0 || pipe(done) != 0)
      throw Error(std::string("savp sweep: pipe: ") + std::strerror(errno));
    std::cout.flush();
    std::cerr.flush();
    // A write to the work pipe after every worker died must fail with EPIPE, not kill us.
    struct sigaction ign {
    }, old_pipe{};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);
    const pid_t self = getpid();
    std::vector<pid_t> kids;
    for (unsigned w = 0; w < jobs; ++w) {
      pid_t pid = fork();
      if (pid < 0) throw Error(std::string("savp sweep: fork: ") + std::strerror(errno));
      if (pid == 0) {
        close(work[1]);
        close(done[0]);
        worker_main(spec, plan, runner, opt, info, work[0], done[1], self);
      }
      kids.push_back(pid);
    }
    close(work[0]);
    close(done[1]);
    fcntl(work[1], F_SETFL, fcntl(work[1], F_GETFL) | O_NONBLOCK);
    std::vector<char> queue(pending.size() * sizeof(uint32_t));
    std::memcpy(queue.data(), pending.data(), queue.size());
    size_t queued_bytes = 0;
    std::string partial;
    for (;;) {
      pollfd fds[2] = {{done[0], POLLIN, 0}, {work[1], POLLOUT, 0}};
      const int nfds = work[1] >= 0 ? 2 : 1;
      if (poll(fds, nfds, 1000) < 0 && errno != EINTR)
        throw Error(std::string("savp sweep: poll: ") + std::strerror(errno));
      if (nfds == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t w = ::write(work[1], queue.data() + queued_bytes, queue.size() - queued_bytes);
        if (w > 0) queued_bytes += static_cast<size_t>(w);
        if (queued_bytes == queue.size() || (w < 0 && errno == EPIPE)) {
          close(work[1]);  // EOF: workers stop when the queue is empty
          work[1] = -1;
        }
      }
      if (fds[0].revents & (POLLIN | POLLHUP)) {
        char buf[512];
        ssize_t r = ::read(done[0], buf, sizeof buf);
        if (r == 0) break;  // every worker has exited
        if (r > 0) {
          partial.append(buf, static_cast<size_t>(r));
          while (partial.size() >= sizeof(DoneMsg)) {
            DoneMsg m;
            std::memcpy(&m, partial.data(), sizeof m);
            partial.erase(0, sizeof m);
            sum.failed_rows += m.failed;
            progress.step(++sum.ran);
          }
        }
      }
    }
    if (work[1] >= 0) close(work[1]);
    close(done[0]);
    int failed_workers = 0;
    for (pid_t k : kids) {
      int st = 0;
      while (waitpid(k, &st, 0) < 0 && errno == EINTR) {
      }
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ++failed_workers;
    }
    sigaction(SIGPIPE, &old_pipe, nullptr);
    progress.finish();
    sum.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (failed_workers > 0 || sum.ran < pending.size())
      throw Error(fmt::format(
          "savp sweep: {} of {} worker processes failed; {} of {} points are "
          "stored, {} are not: rerun the same command to finish them",
          failed_workers, jobs, sum.already_done + sum.ran, plan.size(), pending.size() - sum.ran));
    return sum;
  }
  progress.finish();
  sum.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return sum;
}

}  // namespace savp::explore
