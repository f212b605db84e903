// Controller (models/controller): dispatch, dependency tokens, barriers, HALT, queue depth,
// instruction fetch and the fault/deadlock paths, with fake engines of fixed duration that
// log when they start, and the firmware encoded (isa::encode) into a test memory bound to
// the fetch socket. Timing rules (controller.cpp), with a 2 ns cycle and 1 dispatch cycle:
// the fetch thread's time t starts at the run start (after the first block is fetched) and
// each instruction is dispatched at t += 2 ns; an engine starts an instruction at
// max(its own finish time, dispatch time, the signal time of each token it waits for);
// BARRIER and HALT move t to the latest engine finish; HALT's t is the run's end time.
#include "models/controller/controller.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/errors.hpp"
#include "harness.hpp"
#include "models/base/kernel_context.hpp"

// LeakSanitizer is part of ASan on Linux (GCC: __SANITIZE_ADDRESS__, clang: __has_feature).
#if defined(__SANITIZE_ADDRESS__)
#define SAVP_TEST_HAS_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SAVP_TEST_HAS_LSAN 1
#endif
#endif
#ifndef SAVP_TEST_HAS_LSAN
#define SAVP_TEST_HAS_LSAN 0
#endif
#if SAVP_TEST_HAS_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace savp::models {
namespace {

using isa::Instruction;
using isa::Opcode;
using sc_core::sc_time;
using test::ns;
using test::TestMemory;

constexpr uint64_t kBase = 0x1000;  // where the firmware lies in the code memory
constexpr int kLoad = isa::kEngineLoad, kStore = isa::kEngineStore;
const int kChunk0 = isa::chunk_engine(0);
uint32_t bit(int engine) { return 1u << engine; }

// An engine that takes `duration` per instruction and logs each one by its tag (the src
// field of a LOAD/STORE, the in field of a COMPUTE), with the kernel time it ran at.
class FakeEngine : public Engine {
 public:
  struct Run {
    uint64_t tag;
    sc_time start, finish, kernel;
  };
  std::vector<Run> runs;
  sc_time duration;
  uint64_t fail_tag = ~uint64_t{0};  // execute() throws on this tag

  FakeEngine(std::string label, sc_time d) : duration(d), label_(std::move(label)) {}
  std::string engine_label() const override { return label_; }
  sc_time execute(const Instruction& in, sc_time start) override {
    uint64_t tag = in.opcode() == Opcode::Compute ? in.get(isa::kInAddr) : in.get(isa::kSrcAddr);
    if (tag == fail_tag) throw SimulationError("fake engine fault");
    runs.push_back(Run{tag, start, start + duration, sc_core::sc_time_stamp()});
    return start + duration;
  }

 private:
  std::string label_;
};

Instruction tokens(Instruction in, uint32_t wait, uint32_t signal) {
  in.set(isa::kWaitMask, wait);
  in.set(isa::kSignalMask, signal);
  return in;
}
Instruction load(uint64_t tag, uint32_t wait = 0, uint32_t signal = 0) {
  return tokens(isa::make_dma(Opcode::Load, tag, 0, 1, 1, 0, 0), wait, signal);
}
Instruction store(uint64_t tag, uint32_t wait = 0, uint32_t signal = 0) {
  return tokens(isa::make_dma(Opcode::Store, tag, 0, 1, 1, 0, 0), wait, signal);
}
// The smallest valid COMPUTE: an Add of one element on chunk 0.
Instruction compute(uint64_t tag, uint32_t wait = 0, uint32_t signal = 0) {
  Instruction in;
  in.set(isa::kOpcode, static_cast<uint64_t>(Opcode::Compute));
  in.set(isa::kEngine, static_cast<uint64_t>(kChunk0));
  in.set(isa::kComputeOp, static_cast<uint64_t>(isa::ComputeOp::Add));
  in.set(isa::kK, 1), in.set(isa::kOh, 1), in.set(isa::kOw, 1), in.set(isa::kOBits, 8);
  in.set(isa::kInAddr, tag);
  return tokens(in, wait, signal);
}
Instruction sync(Opcode op, int engine = 0) { return isa::make_sync(op, engine); }

ControllerConfig controller_config(uint32_t queue_depth = 32) {
  ControllerConfig c;
  c.fetch_block_instrs = 4;
  c.queue_depth = queue_depth;
  c.dispatch_cycles = 1;
  return c;
}

// Engines: load 100 ns, store 50 ns, chunk0 30 ns per instruction. Quantum 1 us.
struct Bench {
  FakeEngine load{"fake_load", ns(100)}, store{"fake_store", ns(50)}, chunk{"fake_chunk0", ns(30)};
  TestMemory code;
  Controller ctrl;
  explicit Bench(ControllerConfig cfg = controller_config(), sc_time fetch_latency = ns(0))
      : code("code", 0x2000, fetch_latency),
        ctrl("ctrl", cfg, ns(2), ns(1000), {&load, &store, &chunk}) {
    ctrl.fetch.bind(code.in);
  }
  void run(const std::vector<Instruction>& prog, uint64_t base = kBase) {
    std::vector<uint8_t> bytes(prog.size() * isa::kInstrBytes);
    for (size_t i = 0; i < prog.size(); ++i) isa::encode(prog[i], &bytes[i * isa::kInstrBytes]);
    code.load(base, bytes.data(), bytes.size());
    ctrl.start(base, prog.size());
    sc_core::sc_start();
  }
};

TEST(Controller, TokensOrderEngines) {
  fresh_kernel_context();
  Bench b;
  struct Obs {
    int engine;
    uint64_t pc;
    sc_time ready, start, finish;
  };
  std::vector<Obs> obs;
  b.ctrl.set_observer([&](int e, uint64_t pc, const Instruction&, sc_time r, sc_time s, sc_time f) {
    obs.push_back(Obs{e, pc, r, s, f});
  });
  b.run({load(1, 0, bit(kChunk0)), compute(2, bit(kLoad), bit(kStore)), store(3, bit(kChunk0)),
         sync(Opcode::Halt)});
  ASSERT_EQ(b.ctrl.outcome(), Controller::Outcome::Halted);
  // Dispatched at 2, 4, 6 ns. LOAD runs [2, 102); COMPUTE waits for its token: [102, 132);
  // STORE waits for COMPUTE's: [132, 182). HALT (t = 8 ns) waits for all: end 182 ns.
  ASSERT_EQ(b.load.runs.size(), 1u);
  ASSERT_EQ(b.chunk.runs.size(), 1u);
  ASSERT_EQ(b.store.runs.size(), 1u);
  EXPECT_EQ(b.load.runs[0].start, ns(2));
  EXPECT_EQ(b.chunk.runs[0].start, ns(102));
  EXPECT_EQ(b.store.runs[0].start, ns(132));
  EXPECT_EQ(b.ctrl.start_time(), ns(0));
  EXPECT_EQ(b.ctrl.end_time(), ns(182));
  // Stall = start - ready: chunk 102 - 4 = 98 ns, store 132 - 6 = 126 ns.
  const auto& es = b.ctrl.engine_stats();
  EXPECT_EQ(es[kLoad].stall, ns(0));
  EXPECT_EQ(es[kChunk0].stall, ns(98));
  EXPECT_EQ(es[kStore].stall, ns(126));
  EXPECT_EQ(es[kChunk0].busy, ns(30));
  EXPECT_EQ(es[kStore].last_finish, ns(182));
  ASSERT_EQ(obs.size(), 3u);
  EXPECT_EQ(obs[1].engine, kChunk0);
  EXPECT_EQ(obs[1].pc, kBase + 64);
  EXPECT_EQ(obs[1].ready, ns(4));
  EXPECT_EQ(obs[1].start, ns(102));
  EXPECT_EQ(obs[1].finish, ns(132));
  EXPECT_EQ(b.ctrl.stats().instructions, 4u);  // HALT included
  EXPECT_EQ(b.ctrl.stats().fetch_transactions, 1u);
}

TEST(Controller, DecoupledEnginesOverlap) {
  fresh_kernel_context();
  Bench b;
  b.run({load(1), store(2), load(3), sync(Opcode::Halt)});
  ASSERT_EQ(b.ctrl.outcome(), Controller::Outcome::Halted);
  // LOAD [2, 102) and STORE [4, 54) overlap; the second LOAD waits for its engine: [102, 202).
  ASSERT_EQ(b.load.runs.size(), 2u);
  EXPECT_EQ(b.load.runs[0].start, ns(2));
  EXPECT_EQ(b.store.runs[0].start, ns(4));
  EXPECT_EQ(b.load.runs[1].start, ns(102));
  EXPECT_EQ(b.ctrl.end_time(), ns(202));  // the last finish, not 100 + 50 + 100 + ...
}

TEST(Controller, BarrierWaitsForEverything) {
  fresh_kernel_context();
  Bench b;
  b.run({load(1), sync(Opcode::Barrier), store(2), sync(Opcode::Halt)});
  ASSERT_EQ(b.ctrl.outcome(), Controller::Outcome::Halted);
  // LOAD [2, 102); BARRIER (t = 4) moves t to 102; STORE is dispatched at 104 ns (it would
  // have started at 6 ns without the barrier) and runs [104, 154); HALT at 106 -> 154 ns.
  EXPECT_EQ(b.store.runs.at(0).start, ns(104));
  EXPECT_EQ(b.ctrl.end_time(), ns(154));
  EXPECT_EQ(b.ctrl.stats().barriers, 1u);
}

// LOAD x3 then STORE then HALT, with a queue of `depth` entries per engine.
struct DepthRun {
  std::vector<sc_time> loads;
  sc_time store, end, stall;
};
DepthRun run_with_depth(uint32_t depth) {
  fresh_kernel_context();
  Bench b(controller_config(depth));
  b.run({load(1), load(2), load(3), store(4), sync(Opcode::Halt)});
  EXPECT_EQ(b.ctrl.outcome(), Controller::Outcome::Halted);
  DepthRun r;
  for (const auto& run : b.load.runs) r.loads.push_back(run.start);
  r.store = b.store.runs.at(0).start;
  r.end = b.ctrl.end_time();
  r.stall = b.ctrl.stats().dispatch_stall;
  return r;
}

TEST(Controller, QueueDepthLimitsDispatch) {
  // Depth 1: LOAD 1 is popped at once and runs [2, 102); LOAD 2 (dispatched at 4 ns) waits in
  // the queue; LOAD 3 (t = 6 ns) finds the queue full and is dispatched when LOAD 2 leaves
  // it at 102 ns (a 96 ns stall); so STORE is dispatched at 104 ns instead of 8 ns.
  DepthRun shallow = run_with_depth(1);
  EXPECT_EQ(shallow.loads, (std::vector<sc_time>{ns(2), ns(102), ns(202)}));
  EXPECT_EQ(shallow.store, ns(104));
  EXPECT_EQ(shallow.stall, ns(96));
  EXPECT_EQ(shallow.end, ns(302));
  // Depth 32: every instruction is dispatched at once, 2 ns apart.
  DepthRun deep = run_with_depth(32);
  EXPECT_EQ(deep.loads, shallow.loads);
  EXPECT_EQ(deep.store, ns(8));
  EXPECT_EQ(deep.stall, ns(0));
  EXPECT_EQ(deep.end, ns(302));
}

TEST(Controller, FetchLatencyDelaysDispatchAndTheNextBlockIsPrefetched) {
  fresh_kernel_context();
  Bench b(controller_config(), ns(20));  // every fetch transaction takes 20 ns
  // Blocks of 4. Block 0 arrives at 20 ns; block 1 is requested then and arrives at 40 ns.
  // Dispatch: 22, 24, 26, 28 ns, then t = max(28, 40) = 40 -> 42, 44 ns.
  b.run({store(1), sync(Opcode::Nop, kChunk0), sync(Opcode::Nop, kChunk0),
         sync(Opcode::Nop, kChunk0), load(2), sync(Opcode::Halt)});
  ASSERT_EQ(b.ctrl.outcome(), Controller::Outcome::Halted);
  EXPECT_EQ(b.store.runs.at(0).start, ns(22));  // [22, 72)
  EXPECT_EQ(b.load.runs.at(0).start, ns(42));   // [42, 142)
  EXPECT_EQ(b.ctrl.end_time(), ns(142));
  EXPECT_EQ(b.ctrl.stats().fetch_transactions, 2u);
  ASSERT_EQ(b.code.log.size(), 2u);
  EXPECT_EQ(b.code.log[0].addr, kBase);
  EXPECT_EQ(b.code.log[0].len, 4u * 64u);
  EXPECT_EQ(b.code.log[1].addr, kBase + 4 * 64);
  EXPECT_EQ(b.code.log[1].len, 2u * 64u);  // only what is left
  EXPECT_EQ(b.code.log[1].arrival, ns(20));
  // NOPs take no time and never reach the engine, but count as its instructions.
  EXPECT_TRUE(b.chunk.runs.empty());
  EXPECT_EQ(b.ctrl.engine_stats()[kChunk0].instructions, 3u);
}

TEST(Controller, InvalidInstructionFaultsWithItsAddress) {
  fresh_kernel_context();
  Bench b;
  Instruction bad;
  bad.words[0] = 7;  // opcode 7 does not exist
  b.run({load(1), bad, load(2), sync(Opcode::Halt)});
  EXPECT_EQ(b.ctrl.outcome(), Controller::Outcome::Fault);
  const std::string& msg = b.ctrl.fault_message();
  EXPECT_NE(msg.find("instruction 0x1040 (controller)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown opcode 7"), std::string::npos) << msg;
  // Nothing after the bad instruction was dispatched. (Whether LOAD 1 ran before the fault
  // stopped the engines depends on how far the engines lag the fetch thread, so not checked.)
  for (const auto& run : b.load.runs) EXPECT_NE(run.tag, 2u);
}

TEST(Controller, EngineFaultNamesTheEngineAndTheInstruction) {
  fresh_kernel_context();
  Bench b;
  b.load.fail_tag = 0xBAD;
  b.run({load(1), load(0xBAD), sync(Opcode::Halt)});
  EXPECT_EQ(b.ctrl.outcome(), Controller::Outcome::Fault);
  EXPECT_EQ(b.ctrl.fault_message(),
            "firmware fault at instruction 0x1040 (fake_load): fake engine fault");
}

TEST(Controller, FetchOutsideTheCodeMemoryFaults) {
  fresh_kernel_context();
  Bench b;
  b.ctrl.start(0x3000, 2);  // the code memory is 0x2000 bytes
  sc_core::sc_start();
  EXPECT_EQ(b.ctrl.outcome(), Controller::Outcome::Fault);
  const std::string& msg = b.ctrl.fault_message();
  EXPECT_NE(msg.find("instruction 0x3000"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fetch of 128 bytes at 0x3000 failed"), std::string::npos) << msg;
}

TEST(Controller, NeverSignalledWaitIsADeadlockNamingTheWaitingEngine) {
  fresh_kernel_context();
  Bench b;
  b.run({store(1, bit(kChunk0)), sync(Opcode::Halt)});  // chunk0 never signals
  EXPECT_EQ(b.ctrl.outcome(), Controller::Outcome::Deadlock);
  EXPECT_TRUE(b.ctrl.fault_message().empty());
  EXPECT_TRUE(b.store.runs.empty());
  const std::string states = b.ctrl.engine_states();
  EXPECT_NE(states.find("fake_store (store): waiting for a token from fake_chunk0 at "
                        "instruction 0x1000"),
            std::string::npos)
      << states;
  EXPECT_NE(states.find("controller: halt: waiting for the engines to drain at instruction "
                        "0x1040"),
            std::string::npos)
      << states;
}

// A deadlocked run leaves the threads blocked in wait() for good, and SystemC frees their
// (mmap'ed, never scanned by LeakSanitizer) coroutine stacks without unwinding them. The fetch
// thread once kept its instruction blocks in locals there, so every deadlock leaked them
// (LeakSanitizer: the vectors Controller::fetch_block filled). The check runs right after the
// controller is gone; in the sanitizer suite (scripts/sanitize.sh) it would report the leak.
TEST(Controller, ADeadlockedControllerLeaksNothing) {
#if SAVP_TEST_HAS_LSAN
  fresh_kernel_context();
  {
    Bench b;
    b.run({store(1, bit(kChunk0)), sync(Opcode::Halt)});
    ASSERT_EQ(b.ctrl.outcome(), Controller::Outcome::Deadlock);
  }
  // LeakSanitizer scans the stack ASan believes this thread is on: the main one again.
  resync_main_stack();
  EXPECT_EQ(__lsan_do_recoverable_leak_check(), 0) << "see the leak report above";
#else
  GTEST_SKIP() << "needs LeakSanitizer: scripts/sanitize.sh -R Controller";
#endif
}

TEST(Controller, MissingHaltFaultsAfterTheLastInstruction) {
  fresh_kernel_context();
  Bench b;
  b.run({load(1), load(2)});
  EXPECT_EQ(b.ctrl.outcome(), Controller::Outcome::Fault);
  const std::string& msg = b.ctrl.fault_message();
  // The address after the last instruction: 0x1000 + 2 * 64.
  EXPECT_NE(msg.find("instruction 0x1080"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ran past the last of the 2 instructions without HALT"), std::string::npos)
      << msg;
}

TEST(Controller, AbortRunLetsASecondRunSucceed) {
  fresh_kernel_context();
  Bench b;
  b.run({store(1, bit(kChunk0)), sync(Opcode::Halt)});
  ASSERT_EQ(b.ctrl.outcome(), Controller::Outcome::Deadlock);
  // The kernel ran out of events at T = 2 ns today (the fetch thread's sync after dispatching
  // the STORE at 2 ns); with engines a quantum ahead of the kernel it would be 0 ns.
  const sc_time T = sc_core::sc_time_stamp();
  EXPECT_LE(T, ns(2));
  b.ctrl.abort_run();
  if (sc_core::sc_pending_activity()) sc_core::sc_start();  // blocked threads unwind
  EXPECT_EQ(sc_core::sc_time_stamp(), T);                   // unwinding takes no time
  b.run({load(7), sync(Opcode::Halt)}, 0x1800);
  ASSERT_EQ(b.ctrl.outcome(), Controller::Outcome::Halted);
  // The new run starts at T: LOAD dispatched at T + 2 ns runs 100 ns; HALT -> T + 102 ns.
  EXPECT_EQ(b.ctrl.start_time(), T);
  EXPECT_EQ(b.ctrl.end_time(), T + ns(102));
  ASSERT_EQ(b.load.runs.size(), 1u);
  EXPECT_EQ(b.load.runs[0].tag, 7u);
  EXPECT_TRUE(b.store.runs.empty());  // the aborted STORE never ran
  EXPECT_EQ(b.ctrl.engine_stats()[kStore].instructions, 0u);
}

// Engines are temporally decoupled: they synchronise with the kernel only when they run a
// quantum ahead. (A regression test: sync_to() once built a tlm_quantumkeeper without
// reset(), whose next sync point is 0, so every instruction waited for the kernel.) Three
// 10 ns LOADs within one 1000 ns quantum all run at kernel time 0.
TEST(Controller, EnginesRunAheadOfTheKernelWithinAQuantum) {
  fresh_kernel_context();
  Bench b;
  b.load.duration = ns(10);
  b.run({load(1), load(2), load(3), sync(Opcode::Halt)});
  ASSERT_EQ(b.ctrl.outcome(), Controller::Outcome::Halted);
  ASSERT_EQ(b.load.runs.size(), 3u);
  EXPECT_EQ(b.ctrl.end_time(), ns(32));  // holds either way: [2, 12), [12, 22), [22, 32)
  for (int i = 1; i < 3; ++i)
    EXPECT_LT(b.load.runs[i].kernel, b.load.runs[i].start) << i;  // actual: equal
}

}  // namespace
}  // namespace savp::models
