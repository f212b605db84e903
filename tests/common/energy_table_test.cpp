// Energy table: the shipped 45 nm table, interpolation against hand-computed numbers, DRAM
// families, and strict loading (common/energy_table.cpp).
#include "common/energy_table.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/common/config_test_util.hpp"

namespace savp {
namespace {

using testutil::expect_config_error;

const char* kTable = SAVP_SOURCE_DIR "/configs/energy/45nm.yaml";

class EnergyTableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { table_ = new EnergyTable(load_energy_table(kTable)); }
  static void TearDownTestSuite() {
    delete table_;
    table_ = nullptr;
  }
  static EnergyTable* table_;
};
EnergyTable* EnergyTableTest::table_ = nullptr;

TEST_F(EnergyTableTest, ListedPeOps) {
  const EnergyTable& t = *table_;
  EXPECT_EQ(t.source_file, kTable);
  EXPECT_DOUBLE_EQ(t.technology_nm, 45.0);
  // 8 bits: Horowitz int8 mult 0.2 / ShiftAddNet 8-bit shift 0.024 / 2 x int8 add 0.03,
  // each + int32 add 0.1.
  EXPECT_DOUBLE_EQ(t.pe_op(OpKind::Mult, 8), 0.3);
  EXPECT_DOUBLE_EQ(t.pe_op(OpKind::Shift, 8), 0.124);
  EXPECT_DOUBLE_EQ(t.pe_op(OpKind::Adder, 8), 0.16);
  EXPECT_DOUBLE_EQ(t.pe_op(OpKind::Mult, 4), 0.15);    // 0.2 * (4/8)^2 + 0.1
  EXPECT_DOUBLE_EQ(t.pe_op(OpKind::Shift, 2), 0.106);  // 0.024 * 2/8 + 0.1
  EXPECT_DOUBLE_EQ(t.pe_op(OpKind::Adder, 4), 0.13);   // 0.06 * 4/8 + 0.1
  // Shift is the cheapest PE at every width; adder beats mult at 4 and 8 bits (at 2 bits the
  // quadratic multiplier, 0.0125 pJ, is below subtract + abs, 0.015 pJ).
  for (int b : {2, 4, 8}) EXPECT_LT(t.pe_op(OpKind::Shift, b), t.pe_op(OpKind::Mult, b)) << b;
  for (int b : {4, 8}) EXPECT_LT(t.pe_op(OpKind::Adder, b), t.pe_op(OpKind::Mult, b)) << b;
}

TEST_F(EnergyTableTest, PeOpInterpolation) {
  const EnergyTable& t = *table_;
  // Linear between listed widths: mult 6 bits = (0.15 + 0.3) / 2 = 0.225;
  // shift 6 = (0.112 + 0.124) / 2 = 0.118; mult 3 = (0.1125 + 0.15) / 2 = 0.13125;
  // shift 5 = 0.112 + (0.124 - 0.112) / 4 = 0.115.
  EXPECT_NEAR(t.pe_op(OpKind::Mult, 6), 0.225, 1e-12);
  EXPECT_NEAR(t.pe_op(OpKind::Shift, 6), 0.118, 1e-12);
  EXPECT_NEAR(t.pe_op(OpKind::Mult, 3), 0.13125, 1e-12);
  EXPECT_NEAR(t.pe_op(OpKind::Shift, 5), 0.115, 1e-12);
  // Clamped at the ends.
  EXPECT_DOUBLE_EQ(t.pe_op(OpKind::Mult, 1), 0.1125);
  EXPECT_DOUBLE_EQ(t.pe_op(OpKind::Mult, 16), 0.3);
}

TEST_F(EnergyTableTest, PeArea) {
  const EnergyTable& t = *table_;
  // 282 + 137 + 48 * 4.522 = 636.056; interpolated 6 bits: (388.38 + 636.056) / 2 = 512.218.
  EXPECT_DOUBLE_EQ(t.pe_area(OpKind::Mult, 8), 636.056);
  EXPECT_NEAR(t.pe_area(OpKind::Mult, 6), 512.218, 1e-9);
  EXPECT_LT(t.pe_area(OpKind::Shift, 8), t.pe_area(OpKind::Adder, 8));
  EXPECT_LT(t.pe_area(OpKind::Adder, 8), t.pe_area(OpKind::Mult, 8));
}

TEST_F(EnergyTableTest, FoldOverlapRegister) {
  const EnergyTable& t = *table_;
  // 32 * (DFF_X1 4.522 + a 2:1 mux bit of 3 NAND2 x 0.798) = 32 * 6.916 = 221.312 um^2;
  // one output into the shadow register ~ an int32 add, 0.1 pJ.
  EXPECT_DOUBLE_EQ(t.fold_overlap_pe_area_um2, 221.312);
  EXPECT_DOUBLE_EQ(t.fold_overlap_pj_per_output, 0.1);
}

TEST_F(EnergyTableTest, SramAccessLogLinear) {
  const EnergyTable& t = *table_;
  EXPECT_EQ(t.sram_ref_access_bytes, 8u);
  // Listed points, 8-byte accesses: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ (Horowitz).
  EXPECT_DOUBLE_EQ(t.sram_access(8192, 8), 10.0);
  EXPECT_DOUBLE_EQ(t.sram_access(32768, 8), 20.0);
  EXPECT_DOUBLE_EQ(t.sram_access(1 << 20, 8), 100.0);
  // 16 KB: halfway in log2 between 8 KB and 32 KB: 15 pJ.
  EXPECT_NEAR(t.sram_access(16384, 8), 15.0, 1e-9);
  // 64 KB: log2 = 16, one fifth of the way from 2^15 (20 pJ) to 2^20 (100 pJ): 36 pJ per
  // 8 bytes, so a 16-byte access is 72 pJ and a 4-byte one 18 pJ.
  EXPECT_NEAR(t.sram_access(65536, 16), 72.0, 1e-9);
  EXPECT_NEAR(t.sram_access(65536, 4), 18.0, 1e-9);
  // 512 KB: 20 + 80 * 4/5 = 84 pJ.
  EXPECT_NEAR(t.sram_access(512 * 1024, 8), 84.0, 1e-9);
  // Clamped outside the listed capacities.
  EXPECT_DOUBLE_EQ(t.sram_access(1024, 8), 10.0);
  EXPECT_DOUBLE_EQ(t.sram_access(uint64_t{4} << 20, 8), 100.0);
}

TEST_F(EnergyTableTest, SramArea) {
  const EnergyTable& t = *table_;
  EXPECT_DOUBLE_EQ(t.sram_area(8192), 45351.0);
  // 16 KB: linear between 8 KB (45351) and 32 KB (151170): 45351 + 105819 / 3 = 80624.
  EXPECT_NEAR(t.sram_area(16384), 80624.0, 1e-6);
  // Outside: the nearest point's area per byte.
  EXPECT_NEAR(t.sram_area(4096), 45351.0 / 2, 1e-9);
  EXPECT_NEAR(t.sram_area(uint64_t{2} << 20), 2 * 4146369.0, 1e-6);
}

TEST_F(EnergyTableTest, DramFamilies) {
  const EnergyTable& t = *table_;
  EXPECT_DOUBLE_EQ(t.dram_bit("hbm2"), 3.9);
  EXPECT_DOUBLE_EQ(t.dram_bit("ddr4"), 13.0);
  EXPECT_DOUBLE_EQ(t.dram_activate("ddr4"), 3326.0);
  EXPECT_LT(t.dram_bit("hbm2"), t.dram_bit("lpddr4"));
  EXPECT_LT(t.dram_bit("lpddr4"), t.dram_bit("ddr4"));
  try {
    t.dram_bit("gddr6");
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "dram.pj_per_bit");
    EXPECT_NE(std::string(e.what()).find("allowed: ddr3, ddr4, hbm2, lpddr4"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(t.dram_activate("gddr6"), ConfigError);
  // Every shipped DRAM preset has energies.
  for (const auto& f : std::filesystem::directory_iterator(SAVP_SOURCE_DIR "/configs/dram")) {
    if (f.path().extension() != ".yaml") continue;
    const std::string fam = dram_family(f.path().stem().string());
    EXPECT_NO_THROW(t.dram_bit(fam)) << fam;
    EXPECT_NO_THROW(t.dram_activate(fam)) << fam;
  }
}

TEST(DramFamily, LowerCasePrefix) {
  EXPECT_EQ(dram_family("LPDDR4-3200"), "lpddr4");
  EXPECT_EQ(dram_family("DDR4-2400"), "ddr4");
  EXPECT_EQ(dram_family("HBM2"), "hbm2");
  EXPECT_EQ(dram_family("DDR3-1600-x"), "ddr3");
}

// ---- strict loading -------------------------------------------------------------------------

// A minimal complete table; lines are numbered for the error tests.
const std::string kMini =
    "technology_nm: 45\n"                                                // 1
    "pe_op_pj:\n"                                                        // 2
    "  mult: {8: 0.3}\n"                                                 // 3
    "  shift: {8: 0.124}\n"                                              // 4
    "  adder: {8: 0.16}\n"                                               // 5
    "vector_op_pj: 0.1\n"                                                // 6
    "sram:\n"                                                            // 7
    "  ref_access_bytes: 8\n"                                            // 8
    "  access_pj: {8192: 10}\n"                                          // 9
    "  area_um2: {8192: 45351}\n"                                        // 10
    "  leakage_mw_per_kib: 0.005\n"                                      // 11
    "dram:\n"                                                            // 12
    "  pj_per_bit: {ddr4: 13.0}\n"                                       // 13
    "  activate_pj: {ddr4: 3326}\n"                                      // 14
    "interconnect_pj_per_byte: 1.3\n"                                    // 15
    "pe_area_um2: {mult: {8: 636}, shift: {8: 400}, adder: {8: 426}}\n"  // 16
    "pe_leakage_mw_per_mm2: 17.5\n"                                      // 17
    "controller_area_um2: 120524\n"                                      // 18
    "controller_pj_per_instr: 160\n";                                    // 19

void expect_table_error(const std::string& text, int line, const std::string& token,
                        const std::string& field, const std::string& message) {
  testutil::TempDir dir("energy");
  const std::string path = dir.write("t.yaml", text);
  try {
    load_energy_table(path);
    ADD_FAILURE() << "no error for " << field;
  } catch (const ConfigError& e) {
    expect_config_error(e, path, line, testutil::column_of(text, line, token), field, message);
  }
}

TEST(EnergyTableLoad, MinimalTableLoads) {
  testutil::TempDir dir("energy");
  EnergyTable t = load_energy_table(dir.write("t.yaml", kMini));
  EXPECT_DOUBLE_EQ(t.pe_op(OpKind::Shift, 4), 0.124);  // one point: constant
  EXPECT_DOUBLE_EQ(t.sram_access(1 << 20, 16), 20.0);
  EXPECT_DOUBLE_EQ(t.controller_pj_per_instr, 160.0);
  EXPECT_DOUBLE_EQ(t.fold_overlap_pe_area_um2, 0.0);  // optional: absent prices nothing
  EXPECT_DOUBLE_EQ(t.fold_overlap_pj_per_output, 0.0);
  EnergyTable f = load_energy_table(
      dir.write("f.yaml", kMini + "fold_overlap: {pe_area_um2: 221.3, pj_per_output: 0.1}\n"));
  EXPECT_DOUBLE_EQ(f.fold_overlap_pe_area_um2, 221.3);
  EXPECT_DOUBLE_EQ(f.fold_overlap_pj_per_output, 0.1);
}

TEST(EnergyTableLoad, StrictErrors) {
  using testutil::replace_line;
  expect_table_error(replace_line(kMini, 6, "vector_opj: 0.1"), 6, "vector_opj", "vector_opj",
                     "unknown field 'vector_opj'");
  expect_table_error(replace_line(kMini, 3, "  mult: {eight: 0.3}"), 3, "eight",
                     "pe_op_pj.mult.eight", "expected an unsigned integer, got 'eight'");
  expect_table_error(replace_line(kMini, 3, "  mult: {8: -0.3}"), 3, "-0.3", "pe_op_pj.mult.8",
                     "greater than 0");
  expect_table_error(replace_line(kMini, 4, "  shift: {8: 0.1, 0x8: 0.2}"), 4, "0x8",
                     "pe_op_pj.shift.0x8", "listed twice");
  expect_table_error(replace_line(kMini, 5, "  div: {8: 0.16}"), 5, "div", "pe_op_pj.div",
                     "allowed: mult, shift, adder");
  expect_table_error(replace_line(kMini, 9, "  access_pj: {}"), 9, "{}", "sram.access_pj",
                     "at least one capacity");
  expect_table_error(replace_line(kMini, 13, "  pj_per_bit: {DDR4: 13.0}"), 13, "DDR4",
                     "dram.pj_per_bit.DDR4", "lower-case");
  expect_table_error(replace_line(kMini, 17, "pe_leakage_mw_per_mm2: lots"), 17, "lots",
                     "pe_leakage_mw_per_mm2", "expected a finite number, got 'lots'");
  expect_table_error(kMini + "fold_overlap: {pe_area_um2: 221.3}\n", 20, "{pe_area",
                     "fold_overlap.pj_per_output", "missing required field");
  // A missing section is reported at the document (line 1, column 1).
  expect_table_error(replace_line(kMini, 19, ""), 1, "technology_nm", "controller_pj_per_instr",
                     "missing required field");
  EXPECT_THROW(load_energy_table("/nonexistent/table.yaml"), ConfigError);
}

}  // namespace
}  // namespace savp
