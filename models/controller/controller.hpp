// The controller: fetches the firmware over TLM (blocks of `fetch_block_instrs`, the next
// block prefetched while the current one dispatches), decodes and validates each
// instruction, and dispatches it to its engine's queue (`queue_depth` entries). One thread
// per engine pops its queue, waits for the instruction's dependency tokens, runs it and
// pushes its tokens. Engines are temporally decoupled: each keeps its own local time and
// synchronises with the kernel only when it runs a quantum ahead or must wait for another
// engine; tokens carry the time they were signalled, so a waiting engine starts no earlier.
//
// Faults (a bad instruction, an address outside every region, an operand outside a buffer)
// stop the run with the instruction address and every engine's state; so does a deadlock
// (no engine can make progress before HALT), detected when the kernel runs out of events.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "common/hw_config.hpp"
#include "firmware/isa.hpp"
#include "models/controller/engine.hpp"

namespace savp::models {

struct EngineStats {
  uint64_t instructions = 0;
  sc_core::sc_time busy = sc_core::SC_ZERO_TIME;   // executing
  sc_core::sc_time stall = sc_core::SC_ZERO_TIME;  // instruction ready but waiting on tokens
  sc_core::sc_time last_finish = sc_core::SC_ZERO_TIME;
};

struct ControllerStats {
  uint64_t instructions = 0;  // dispatched
  uint64_t fetch_transactions = 0;
  uint64_t barriers = 0;
  sc_core::sc_time dispatch_stall = sc_core::SC_ZERO_TIME;  // waiting for a full queue
};

// Observer of each executed instruction, for traces:
// (engine, pc, instruction, ready time, start time, finish time).
using InstrObserver = std::function<void(int, uint64_t, const isa::Instruction&, sc_core::sc_time,
                                         sc_core::sc_time, sc_core::sc_time)>;

class Controller : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Controller> fetch;

  SC_HAS_PROCESS(Controller);
  Controller(sc_core::sc_module_name name, const ControllerConfig& cfg, sc_core::sc_time cycle,
             sc_core::sc_time quantum, std::vector<Engine*> engines);

  // Arms a run of `num_instrs` instructions at `code_base`; starts at the next sc_start().
  // A non-zero `time_limit` faults the run once any engine's (decoupled) time passes
  // start + time_limit: the limit is on simulated time, which can run ahead of the kernel's.
  void start(uint64_t code_base, uint64_t num_instrs,
             sc_core::sc_time time_limit = sc_core::SC_ZERO_TIME);
  // After sc_start() returned: what happened.
  enum class Outcome { Halted, Fault, Deadlock, NotStarted };
  Outcome outcome() const;
  const std::string& fault_message() const { return fault_; }
  std::string engine_states() const;
  // Releases every thread blocked in a failed run so the platform can run again.
  void abort_run();
  bool aborting() const { return aborting_; }

  sc_core::sc_time start_time() const { return run_start_; }
  sc_core::sc_time end_time() const { return run_end_; }
  const ControllerStats& stats() const { return stats_; }
  const std::vector<EngineStats>& engine_stats() const { return estats_; }
  void set_observer(InstrObserver obs) { observer_ = std::move(obs); }

 private:
  struct Queued {
    isa::Instruction in;
    uint64_t pc;
    sc_core::sc_time dispatched;
  };
  struct EngineState {
    std::deque<Queued> queue;
    sc_core::sc_time local;  // the engine's own time
    bool busy = false;
    int waiting_on = -1;     // engine whose token it waits for, or -1
    uint64_t pc = 0;         // address of the instruction it runs or waits with
    sc_core::sc_event wake;  // a token arrived, or the queue got an instruction
    sc_core::sc_time slot_freed;
  };
  struct Token {
    sc_core::sc_time at;
  };

  void fetch_thread();
  void engine_thread(int e);
  void fail(const std::string& what, uint64_t pc, int engine);
  sc_core::sc_time fetch_block(uint64_t addr, uint32_t count, sc_core::sc_time at,
                               std::vector<uint8_t>& dst);
  bool all_idle() const;
  void sync_to(sc_core::sc_time t);
  bool past_deadline(sc_core::sc_time t, uint64_t pc, int engine);

  ControllerConfig cfg_;
  sc_core::sc_time cycle_;
  sc_core::sc_time quantum_;
  std::vector<Engine*> engines_;
  std::vector<EngineState> es_;
  std::vector<EngineStats> estats_;
  std::vector<std::deque<Token>> channels_;  // [src * engines + dst]
  sc_core::sc_event start_event_, space_event_, idle_event_;

  uint64_t code_base_ = 0, num_instrs_ = 0, ctrl_pc_ = 0;
  bool armed_ = false, halted_ = false, aborting_ = false, started_ = false;
  std::string fault_;
  std::string ctrl_state_ = "idle";
  sc_core::sc_time run_start_, run_end_;
  sc_core::sc_time time_limit_, deadline_;
  ControllerStats stats_;
  InstrObserver observer_;
  tlm::tlm_generic_payload trans_;
  // The instruction blocks being dispatched and prefetched. They are members, not locals of
  // fetch_thread, because a deadlocked run leaves the threads blocked in wait() for good (no
  // event will ever resume them), and SystemC frees a thread's coroutine stack without
  // unwinding it when the process is destroyed: anything a thread owns on its stack across a
  // wait() would leak once per failed run. So no thread of this class holds an owning local
  // (a container, a string) across a wait(); what it keeps there is plain data.
  std::vector<uint8_t> fetch_cur_, fetch_next_;
};

}  // namespace savp::models
