#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "models/controller/controller.hpp"

#include <fmt/format.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <algorithm>

#include "common/errors.hpp"

namespace savp::models {

using sc_core::sc_time;

Controller::Controller(sc_core::sc_module_name name, const ControllerConfig& cfg, sc_time cycle,
                       sc_time quantum, std::vector<Engine*> engines)
    : sc_core::sc_module(name),
      fetch("fetch"),
      cfg_(cfg),
      cycle_(cycle),
      quantum_(quantum),
      engines_(std::move(engines)),
      es_(engines_.size()),
      estats_(engines_.size()),
      channels_(engines_.size() * engines_.size()) {
  tlm_utils::tlm_quantumkeeper::set_global_quantum(quantum_);
  // Engines run the chunk kernels and the DRAM timing on their thread stacks: give them room
  // (SystemC's default coroutine stack is 64 KiB).
  constexpr std::size_t kThreadStackBytes = 1 << 20;
  SC_THREAD(fetch_thread);
  set_stack_size(kThreadStackBytes);
  for (size_t e = 0; e < engines_.size(); ++e) {
    sc_core::sc_spawn_options opts;
    opts.set_stack_size(kThreadStackBytes);
    sc_core::sc_spawn([this, e] { engine_thread(static_cast<int>(e)); },
                      sc_core::sc_gen_unique_name("engine"), &opts);
  }
}

void Controller::start(uint64_t code_base, uint64_t num_instrs, sc_time time_limit) {
  code_base_ = code_base;
  num_instrs_ = num_instrs;
  run_start_ = std::max(sc_core::sc_time_stamp(), run_end_);
  run_end_ = run_start_;
  time_limit_ = time_limit;
  deadline_ = time_limit > sc_core::SC_ZERO_TIME ? run_start_ + time_limit : sc_core::sc_max_time();
  for (auto& s : es_) {
    s.queue.clear();
    s.local = run_start_;
    s.busy = false;
    s.waiting_on = -1;
    s.pc = 0;
    s.slot_freed = run_start_;
  }
  for (auto& c : channels_) c.clear();
  std::fill(estats_.begin(), estats_.end(), EngineStats{});
  stats_ = ControllerStats{};
  halted_ = false;
  aborting_ = false;
  fault_.clear();
  ctrl_pc_ = code_base;
  ctrl_state_ = "fetching";
  started_ = true;
  armed_ = true;
  start_event_.notify(sc_core::SC_ZERO_TIME);
}

Controller::Outcome Controller::outcome() const {
  if (!started_) return Outcome::NotStarted;
  if (halted_) return Outcome::Halted;
  if (!fault_.empty()) return Outcome::Fault;
  return Outcome::Deadlock;
}

void Controller::abort_run() {
  aborting_ = true;
  armed_ = false;
  for (auto& s : es_) {
    s.queue.clear();
    s.wake.notify(sc_core::SC_ZERO_TIME);
  }
  for (auto& c : channels_) c.clear();
  space_event_.notify(sc_core::SC_ZERO_TIME);
  idle_event_.notify(sc_core::SC_ZERO_TIME);
}

bool Controller::all_idle() const {
  for (const auto& s : es_)
    if (s.busy || !s.queue.empty()) return false;
  return true;
}

void Controller::fail(const std::string& what, uint64_t pc, int engine) {
  if (fault_.empty()) {
    std::string where = engine >= 0 ? engines_[engine]->engine_label() : std::string("controller");
    fault_ = fmt::format("firmware fault at instruction {:#x} ({}): {}", pc, where, what);
  }
  aborting_ = true;
  for (auto& s : es_) s.wake.notify(sc_core::SC_ZERO_TIME);
  space_event_.notify(sc_core::SC_ZERO_TIME);
  idle_event_.notify(sc_core::SC_ZERO_TIME);
}

bool Controller::past_deadline(sc_time t, uint64_t pc, int engine) {
  if (t <= deadline_) return false;
  fail(fmt::format("simulated time limit of {} reached before HALT", time_limit_.to_string()), pc,
       engine);
  return true;
}

// Keeps a thread within one quantum of the kernel (tlm_quantumkeeper semantics): it yields
// only when its local time passes the next quantum boundary.
void Controller::sync_to(sc_time t) {
  tlm_utils::tlm_quantumkeeper qk;
  qk.reset();  // the next sync point is the quantum boundary after the kernel's time
  sc_time now = sc_core::sc_time_stamp();
  qk.set(t > now ? t - now : sc_core::SC_ZERO_TIME);
  if (qk.need_sync()) qk.sync();
}

sc_time Controller::fetch_block(uint64_t addr, uint32_t count, sc_time at,
                                std::vector<uint8_t>& dst) {
  dst.resize(static_cast<size_t>(count) * isa::kInstrBytes);
  sc_time now = sc_core::sc_time_stamp();
  sc_time delay = at > now ? at - now : sc_core::SC_ZERO_TIME;
  trans_.set_command(tlm::TLM_READ_COMMAND);
  trans_.set_address(addr);
  trans_.set_data_ptr(dst.data());
  trans_.set_data_length(static_cast<unsigned>(dst.size()));
  trans_.set_streaming_width(static_cast<unsigned>(dst.size()));
  trans_.set_byte_enable_ptr(nullptr);
  trans_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  fetch->b_transport(trans_, delay);
  ++stats_.fetch_transactions;
  if (trans_.get_response_status() != tlm::TLM_OK_RESPONSE)
    throw SimulationError(fmt::format("instruction fetch of {} bytes at {:#x} failed: {}",
                                      dst.size(), addr, trans_.get_response_string()));
  return now + delay;
}

void Controller::fetch_thread() {
  // The initialization phase runs the processes in an unspecified order, so on the first run
  // (start() called before sc_start) some engine threads would not yet wait on their wake
  // events when the first instructions are dispatched, and that run would interleave the
  // engines differently from every later run of the same image. One delta lets every engine
  // thread reach its wait first, so the first run starts from the state every later run does.
  wait(sc_core::SC_ZERO_TIME);
  for (;;) {
    while (!armed_) wait(start_event_);
    armed_ = false;
    const uint32_t block = cfg_.fetch_block_instrs;
    const int num_chunks = static_cast<int>(engines_.size()) - isa::kFirstChunkEngine;
    std::vector<uint8_t>& cur = fetch_cur_;  // members, not locals: see controller.hpp
    std::vector<uint8_t>& next = fetch_next_;
    sc_time t = run_start_, next_ready;
    try {
      next_ready = fetch_block(code_base_, static_cast<uint32_t>(std::min<uint64_t>(block, num_instrs_)),
                               t, next);
    } catch (const Error& ex) {
      fail(ex.what(), code_base_, -1);
      continue;
    }
    for (uint64_t i = 0;; ++i) {
      if (aborting_) break;
      ctrl_pc_ = code_base_ + i * isa::kInstrBytes;
      if (i == num_instrs_) {
        fail(fmt::format("ran past the last of the {} instructions without HALT", num_instrs_),
             ctrl_pc_, -1);
        break;
      }
      if (i % block == 0) {
        std::swap(cur, next);
        t = std::max(t, next_ready);
        uint64_t nb = i + block;
        if (nb < num_instrs_) {
          try {
            next_ready = fetch_block(code_base_ + nb * isa::kInstrBytes,
                                     static_cast<uint32_t>(std::min<uint64_t>(block, num_instrs_ - nb)),
                                     t, next);
          } catch (const Error& ex) {
            fail(ex.what(), code_base_ + nb * isa::kInstrBytes, -1);
            break;
          }
        }
      }
      isa::Instruction in = isa::decode(&cur[(i % block) * isa::kInstrBytes]);
      if (std::string err = isa::validate(in, num_chunks); !err.empty()) {
        fail(err, ctrl_pc_, -1);
        break;
      }
      t += cycle_ * static_cast<double>(cfg_.dispatch_cycles);
      if (past_deadline(t, ctrl_pc_, -1)) break;
      ++stats_.instructions;
      isa::Opcode op = in.opcode();
      if (op == isa::Opcode::Barrier || op == isa::Opcode::Halt) {
        ctrl_state_ = op == isa::Opcode::Halt ? "halt: waiting for the engines to drain"
                                              : "barrier: waiting for the engines to drain";
        while (!aborting_ && !all_idle()) wait(idle_event_);
        if (aborting_) break;
        for (const auto& s : es_) t = std::max(t, s.local);
        for (auto& s : es_) s.local = std::max(s.local, t);  // a barrier orders everything
        if (op == isa::Opcode::Halt) {
          run_end_ = t;
          halted_ = true;
          ctrl_state_ = "halted";
          break;
        }
        ++stats_.barriers;
        ctrl_state_ = "dispatching";
        continue;
      }
      int e = in.engine();
      EngineState& s = es_[e];
      if (s.queue.size() >= cfg_.queue_depth) {
        ctrl_state_ = fmt::format("dispatch: {} queue full", engines_[e]->engine_label());
        sc_time blocked_at = t;
        while (!aborting_ && s.queue.size() >= cfg_.queue_depth) wait(space_event_);
        if (aborting_) break;
        t = std::max(t, s.slot_freed);
        stats_.dispatch_stall += t - blocked_at;
        ctrl_state_ = "dispatching";
      }
      s.queue.push_back(Queued{in, ctrl_pc_, t});
      s.wake.notify();
      sync_to(t);
    }
  }
}

void Controller::engine_thread(int e) {
  EngineState& s = es_[e];
  const int n = static_cast<int>(engines_.size());
  for (;;) {
    while (aborting_ || s.queue.empty()) wait(s.wake);
    Queued q = s.queue.front();
    s.busy = true;
    s.pc = q.pc;
    const sc_time ready = std::max(s.local, q.dispatched);
    sc_time t = ready;
    bool ok = true;
    const uint32_t wait_mask = q.in.wait_mask();
    for (int src = 0; src < n && ok; ++src) {
      if (!(wait_mask >> src & 1)) continue;
      auto& ch = channels_[src * n + e];
      while (ch.empty() && !aborting_) {
        s.waiting_on = src;
        wait(s.wake);
      }
      s.waiting_on = -1;
      if (aborting_) {
        ok = false;
        break;
      }
      t = std::max(t, ch.front().at);
      ch.pop_front();
    }
    if (!ok) {
      s.busy = false;
      continue;
    }
    s.queue.pop_front();
    s.slot_freed = t;
    space_event_.notify();
    sc_time finish;
    if (q.in.opcode() == isa::Opcode::Nop) {
      finish = t;
    } else {
      try {
        finish = engines_[e]->execute(q.in, t);
      } catch (const Error& ex) {
        s.busy = false;
        fail(ex.what(), q.pc, e);
        continue;
      }
    }
    if (past_deadline(finish, q.pc, e)) {
      s.busy = false;
      continue;
    }
    EngineStats& st = estats_[e];
    ++st.instructions;
    st.busy += finish - t;
    st.stall += t - ready;
    st.last_finish = finish;
    if (observer_) observer_(e, q.pc, q.in, ready, t, finish);
    s.local = finish;
    const uint32_t signal_mask = q.in.signal_mask();
    for (int dst = 0; dst < n; ++dst) {
      if (!(signal_mask >> dst & 1)) continue;
      channels_[e * n + dst].push_back(Token{finish});
      es_[dst].wake.notify();
    }
    s.busy = false;
    if (s.queue.empty()) idle_event_.notify();
    sync_to(s.local);
  }
}

std::string Controller::engine_states() const {
  std::string out = fmt::format("  controller: {} at instruction {:#x}\n", ctrl_state_, ctrl_pc_);
  const int n = static_cast<int>(engines_.size());
  for (int e = 0; e < n; ++e) {
    const EngineState& s = es_[e];
    std::string state = "idle";
    if (s.waiting_on >= 0)
      state = fmt::format("waiting for a token from {} at instruction {:#x}",
                          engines_[s.waiting_on]->engine_label(), s.pc);
    else if (s.busy)
      state = fmt::format("busy at instruction {:#x}", s.pc);
    out += fmt::format("  {} ({}): {}, {} queued, {} executed, local time {}\n",
                       engines_[e]->engine_label(), isa::engine_name(e), state, s.queue.size(),
                       estats_[e].instructions, s.local.to_string());
  }
  for (int src = 0; src < n; ++src)
    for (int dst = 0; dst < n; ++dst)
      if (!channels_[src * n + dst].empty())
        out += fmt::format("  tokens {} -> {}: {}\n", engines_[src]->engine_label(),
                           engines_[dst]->engine_label(), channels_[src * n + dst].size());
  return out;
}

}  // namespace savp::models
