// Command rules of a DRAM standard: the start-to-start spacings between commands that the
// timing model (dram_timing.hpp) enforces, the command-bus length of each command and the
// delay from a column command to its data. DRAMSys keeps one timing checker per standard
// (controller/checker/Checker<STD>.cpp) and the command lengths in its MemSpec<STD>; this is
// the same split: the standard's formulas live here, the numbers come from DramConfig::timing.
//
// Two rule sets:
//  - JEDEC DDR (DDR3, DDR4, HBM2 and any other standard): every command holds the command bus
//    one tCK; spacings are the JEDEC parameters themselves (DRAMSys CheckerDDR4:
//    tWRPRE = WL + BL/2 + tWR, tWRRD = WL + BL/2 + tWTR, REF after PREA tRP, ACT after REF tRFC).
//  - LPDDR4 (JESD209-4, DRAMSys CheckerLPDDR4 / MemSpecLPDDR4): ACT, RD and WR are 4-cycle
//    commands and PRE and REF 2-cycle ones on the command bus. JESD209-4 measures a timing
//    parameter between the commands' last clock edges, so between commands of different
//    lengths DRAMSys adds or subtracts the difference (PRE -> ACT tRPpb - 2 tCK, ACT -> PRE
//    tRAS + 2 tCK, REF -> ACT tRFCab - 2 tCK, ACT -> REF tRCpb + 2 tCK); write-to-read and
//    write-to-precharge carry JESD209-4's extra tCK (tWRRD = WL + 1 + BL/2 + tWTR, tWRPRE =
//    WL + BL/2 + 1 + tWR + 2 tCK) and read-to-precharge is tRTP + BL/2 - 6 tCK; REF waits tRPab
//    after the all-bank precharge; read data ends RL + tDQSCK + BL/2 + 3 tCK after RD, write
//    data WL + tDQSS + tDQS2DQ + BL/2 + 3 tCK after WR (MemSpecLPDDR4::getIntervalOnDataStrobe;
//    the 3 tCK are the rest of the 4-cycle command).
#pragma once

#include <cstdint>

#include "common/hw_config.hpp"

namespace savp::dram {

// All in tCK.
struct CommandRules {
  // Command-bus cycles of each command (DRAMSys MemSpec::getCommandLength).
  uint32_t act_len = 1, pre_len = 1, cas_len = 1, ref_len = 1;
  uint32_t act_to_col = 0;                  // tRCD
  uint32_t act_to_pre = 0;                  // same bank (tRAS)
  uint32_t pre_to_act = 0;                  // same bank (tRP)
  uint32_t act_to_act_bank = 0;             // same bank (tRC)
  uint32_t rd_to_pre = 0;                   // same bank (tRTP)
  uint32_t wr_to_pre = 0;                   // same bank, from the WR command (WL + BL/2 + tWR)
  uint32_t wr_to_rd_s = 0, wr_to_rd_l = 0;  // other / same bank group, from the WR command
  uint32_t rd_to_wr = 0;                    // tRTW
  uint32_t ccd_s = 0, ccd_l = 0, rrd_s = 0, rrd_l = 0, faw = 0;
  uint32_t prea_to_ref = 0;  // all-bank precharge -> REF (tRPab)
  uint32_t pre_to_ref = 0;   // a bank's last PRE -> REF (tRP)
  uint32_t act_to_ref = 0;   // a bank's last ACT -> REF (tRC)
  uint32_t ref_to_act = 0;   // tRFC
  uint32_t refi = 0;
  uint32_t rd_data = 0;  // RD -> first read data beat (RL + tDQSCK + command tail)
  uint32_t wr_data = 0;  // WR -> first write data beat (WL + tDQSS + tDQS2DQ + command tail)
  uint32_t burst = 0;    // data-bus cycles of one burst (BL / data rate)
};

// The rules of cfg.standard ("LPDDR4": the LPDDR4 set; anything else: JEDEC DDR).
CommandRules command_rules(const DramConfig& cfg);

}  // namespace savp::dram
