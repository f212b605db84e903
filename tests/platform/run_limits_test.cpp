// Runaway runs and late failures (issue 6): the wall-clock limit stops a run that would take
// too long, with the limit and the engines' states in the message; a limit that is not reached
// changes nothing; an energy table that can't price the platform's DRAM fails before the run.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/errors.hpp"
#include "firmware/assembler.hpp"
#include "tests/platform/platform_test_util.hpp"

namespace savp {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

// 500 convs of 37.7 M MACs on chunk0 (~74 M cycles): seconds of wall time when functional.
fw::Image long_image() { return fw::assemble_file(kSrc + "/tests/bad_inputs/sim_long_run.s"); }
fw::Image conv_image() { return fw::assemble_file(kSrc + "/firmware/examples/conv_mult.s"); }

TEST(RunLimits, WallClockLimitStopsARunawayRunAndThePlatformStaysUsable) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  const RunResult before = p.run(conv_image());

  RunOptions o;
  o.max_wall_s = 0.2;
  const auto t0 = std::chrono::steady_clock::now();
  test::expect_run_error<SimulationError>(
      p, long_image(), {"wall-clock limit of 0.2 s reached before HALT", "engine states", "mult0"},
      o);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Stopped after the limit, not at the end of the run: one slice of 100 quanta past 0.2 s,
  // plus the conv in flight (loose bounds: machines under load).
  EXPECT_GE(s, 0.2);

  // The next run on the same platform is unaffected by the stopped one.
  const RunResult after = p.run(conv_image());
  EXPECT_EQ(after.cycles, before.cycles);
  EXPECT_EQ(after.outputs, before.outputs);
}

TEST(RunLimits, AWallClockLimitThatIsNotReachedChangesNothing) {
  // With a limit the kernel runs in slices of simulated time; the simulation must be the same
  // as one sc_start to the end: same cycles, DRAM behaviour and outputs.
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  const fw::Image img = fw::assemble_file(kSrc + "/firmware/examples/double_buffer.s");
  const RunResult plain = p.run(img);
  RunOptions o;
  o.max_wall_s = 1000;
  const RunResult sliced = p.run(img, o);
  EXPECT_EQ(sliced.cycles, plain.cycles);
  EXPECT_EQ(sliced.dram.activates, plain.dram.activates);
  EXPECT_EQ(sliced.dram.row_hits, plain.dram.row_hits);
  EXPECT_EQ(sliced.dram.refreshes, plain.dram.refreshes);
  EXPECT_DOUBLE_EQ(sliced.energy.total_pj, plain.energy.total_pj);
  EXPECT_EQ(sliced.outputs, plain.outputs);
  ASSERT_EQ(sliced.engines.size(), plain.engines.size());
  for (size_t e = 0; e < plain.engines.size(); ++e) {
    EXPECT_EQ(sliced.engines[e].busy_cycles, plain.engines[e].busy_cycles) << e;
    EXPECT_EQ(sliced.engines[e].stall_cycles, plain.engines[e].stall_cycles) << e;
  }
}

TEST(RunLimits, SimulatedTimeLimitNamesTheLimit) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  RunOptions o;
  o.max_sim_time_us = 200;  // the first conv alone takes ~296 us at 500 MHz
  test::expect_run_error<SimulationError>(
      p, long_image(), {"simulated time limit of 200 us reached before HALT", "engine states"}, o);
}

// Regression: a table without the platform's DRAM family used to pass `savp validate` and fail
// only when the energy was computed, after the whole simulation.
TEST(RunLimits, EnergyTableWithoutThePlatformsDramFamilyFailsBeforeTheRun) {
  HwConfig hw = test::default_hw();  // LPDDR4-3200
  EnergyTable et = test::default_energy(hw);
  et.dram_pj_per_bit.erase("lpddr4");
  try {
    Platform p(hw, et);
    ADD_FAILURE() << "expected the platform to reject the energy table";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no energy per bit for DRAM family 'lpddr4'"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace savp
