// systolic_cost() against an independent register-transfer simulation of an R x C systolic
// array for each dataflow. The simulation moves values one PE per cycle with SCALE-Sim v2's
// injection skew and output drain (scalesim/compute/systolic_compute_{os,ws,is}.py), really
// computes the GEMM O[P x F] = A[P x W] * B[W x F], and counts cycles until the last output of
// each fold has left the array; folds run back to back, as in SCALE-Sim. A partial fold pads
// its unused rows / columns with zero operands (SCALE-Sim's null requests), so it still takes
// the whole array's fill and drain.
#include "common/tile_timing.hpp"

#include "common/errors.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

namespace savp {
namespace {

struct Reg {
  int64_t v = 0;
  bool valid = false;
  int64_t tag = -1;  // streamed index t, to check that psums stay aligned
};

struct RtlResult {
  uint64_t cycles = 0;
  uint64_t ifmap_reads = 0, filter_reads = 0, ofmap_writes = 0;  // real (non-padding) elements
  std::vector<int64_t> out;                                      // P x F
};

struct Gemm {
  int P = 1, F = 1, W = 1;
  std::vector<int64_t> A;  // P x W (ofmap px x window)
  std::vector<int64_t> B;  // W x F (window x filters)
};

int ceil_div(int a, int b) { return (a + b - 1) / b; }

std::vector<int64_t> reference_matmul(const Gemm& g) {
  std::vector<int64_t> o(static_cast<size_t>(g.P) * g.F, 0);
  for (int p = 0; p < g.P; ++p)
    for (int f = 0; f < g.F; ++f)
      for (int w = 0; w < g.W; ++w) o[p * g.F + f] += g.A[p * g.W + w] * g.B[w * g.F + f];
  return o;
}

// Output stationary: array row i holds ofmap pixel fr*R+i, column j holds filter fc*C+j.
// A[p][t] enters row i from the left at cycle t + i, B[t][f] enters column j from the top at
// cycle t + j; PE(i,j) accumulates in cycle t + i + j. With column_bus (SCALE-Sim v2) a PE puts
// its result on its column's output bus the cycle its last accumulate completes (the PEs of a
// column finish in distinct cycles, so one bus per column suffices). Without it (the paper's
// closed form) a column's results are captured into a shift chain once its bottom PE finishes
// and shift out of the bottom edge one per cycle.
RtlResult simulate_os(int R, int C, const Gemm& g, bool column_bus) {
  RtlResult res;
  res.out.assign(static_cast<size_t>(g.P) * g.F, 0);
  const int T = g.W;
  std::vector<bool> written(res.out.size(), false);
  for (int fc = 0; fc < ceil_div(g.F, C); ++fc) {
    for (int fr = 0; fr < ceil_div(g.P, R); ++fr) {
      std::vector<Reg> a(R * C), b(R * C), a_next(R * C), b_next(R * C);
      std::vector<int64_t> acc(R * C, 0);
      std::vector<int> count(R * C, 0);
      std::vector<std::vector<int64_t>> chain(C);  // bottom-edge drain, front = bottom row
      std::vector<int> chain_rows(C);              // array row of each chain entry
      auto emit = [&](int i, int j, int64_t v) {
        int p = fr * R + i, f = fc * C + j;
        if (p < g.P && f < g.F) {
          EXPECT_FALSE(written[p * g.F + f]);
          written[p * g.F + f] = true;
          res.out[p * g.F + f] = v;
          ++res.ofmap_writes;
        }
      };
      int outstanding = R * C;
      uint64_t local = 0;
      while (outstanding > 0) {
        std::vector<int> done_in_col(C, 0);
        std::vector<bool> col_finished(C, false);
        // Bottom-edge drain: chains loaded in earlier cycles shift one row per cycle.
        if (!column_bus) {
          for (int j = 0; j < C; ++j) {
            if (chain[j].empty()) continue;
            emit(chain_rows[j], j, chain[j].front());
            chain[j].erase(chain[j].begin());
            --chain_rows[j];
            --outstanding;
          }
        }
        for (int i = 0; i < R; ++i) {
          for (int j = 0; j < C; ++j) {
            Reg ain, bin;
            if (j == 0) {
              int64_t t = static_cast<int64_t>(local) - i;
              if (t >= 0 && t < T) {
                int p = fr * R + i;
                ain = {p < g.P ? g.A[p * g.W + t] : 0, true, t};
                if (p < g.P) ++res.ifmap_reads;
              }
            } else {
              ain = a[i * C + j - 1];
            }
            if (i == 0) {
              int64_t t = static_cast<int64_t>(local) - j;
              if (t >= 0 && t < T) {
                int f = fc * C + j;
                bin = {f < g.F ? g.B[t * g.F + f] : 0, true, t};
                if (f < g.F) ++res.filter_reads;
              }
            } else {
              bin = b[(i - 1) * C + j];
            }
            EXPECT_EQ(ain.valid, bin.valid);
            EXPECT_EQ(ain.tag, bin.tag);
            a_next[i * C + j] = ain;
            b_next[i * C + j] = bin;
            if (ain.valid && bin.valid) {
              acc[i * C + j] += ain.v * bin.v;
              if (++count[i * C + j] == T) {
                if (column_bus) {
                  EXPECT_EQ(done_in_col[j]++, 0) << "two outputs on one column bus";
                  emit(i, j, acc[i * C + j]);
                  --outstanding;
                } else if (i == R - 1) {
                  col_finished[j] = true;
                }
              }
            }
          }
        }
        for (int j = 0; j < C; ++j) {
          if (!col_finished[j]) continue;
          EXPECT_TRUE(chain[j].empty());
          for (int i = R - 1; i >= 0; --i) chain[j].push_back(acc[i * C + j]);
          chain_rows[j] = R - 1;
        }
        a.swap(a_next);
        b.swap(b_next);
        ++local;
      }
      res.cycles += local;
    }
  }
  return res;
}

// Output stationary with fold overlap (ChunkConfig::fold_overlap): every PE has a shadow
// register on its column's output chain. Folds (fc outer, fr inner, as above) start `period`
// cycles apart in one continuous run: A[p][t] of fold n enters row i at n * period + t + i.
// In the cycle a PE's last accumulate of a fold completes, its sum moves into its shadow
// register and the accumulator starts the next fold with its next operand; each cycle each
// column's output chain carries one shadow register's value out (in the cycle it was filled,
// as SCALE-Sim v2 counts an os output, when the chain is free). `conflicts` counts what a
// too-short period breaks: two folds' operands at one row / column injector in one cycle, an
// accumulator getting a new fold's operand before its last one, a sum finding its shadow
// register still full, and a sum waiting for its chain.
struct OverlapResult {
  RtlResult r;
  uint64_t conflicts = 0;
};

OverlapResult simulate_os_overlap(int R, int C, const Gemm& g, int period) {
  OverlapResult o;
  RtlResult& res = o.r;
  res.out.assign(static_cast<size_t>(g.P) * g.F, 0);
  std::vector<bool> written(res.out.size(), false);
  const int T = g.W, FR = ceil_div(g.P, R), FC = ceil_div(g.F, C), folds = FR * FC;
  struct OReg {
    int64_t v = 0;
    bool valid = false;
    int fold = -1;
    int t = -1;
  };
  struct Shadow {
    int64_t v = 0;
    bool valid = false;
    int fold = -1;
  };
  std::vector<OReg> a(R * C), b(R * C), a_next(R * C), b_next(R * C);
  std::vector<int64_t> acc(R * C, 0);
  std::vector<int> count(R * C, 0), acc_fold(R * C, -1);
  std::vector<Shadow> shadow(R * C);
  // The fold whose step t = x - n * period - lane enters `lane` at cycle x (-1: none).
  auto injected = [&](int64_t x, int lane, int& t) {
    int found = -1;
    for (int n = 0; n < folds; ++n) {
      const int64_t tt = x - static_cast<int64_t>(n) * period - lane;
      if (tt < 0 || tt >= T) continue;
      if (found >= 0) ++o.conflicts;  // two folds at one injector
      found = n;
      t = static_cast<int>(tt);
    }
    return found;
  };
  int64_t outstanding = static_cast<int64_t>(folds) * R * C;
  const int64_t limit = static_cast<int64_t>(folds) * (period + T + R + C) + 4 * (R + C + T);
  int64_t x = 0;
  for (; outstanding > 0 && x < limit; ++x) {
    for (int i = 0; i < R; ++i) {
      for (int j = 0; j < C; ++j) {
        OReg ain, bin;
        if (j == 0) {
          int t = 0;
          const int n = injected(x, i, t);
          if (n >= 0) {
            const int p = (n % FR) * R + i;
            ain = {p < g.P ? g.A[p * g.W + t] : 0, true, n, t};
            if (p < g.P) ++res.ifmap_reads;
          }
        } else {
          ain = a[i * C + j - 1];
        }
        if (i == 0) {
          int t = 0;
          const int n = injected(x, j, t);
          if (n >= 0) {
            const int f = (n / FR) * C + j;
            bin = {f < g.F ? g.B[t * g.F + f] : 0, true, n, t};
            if (f < g.F) ++res.filter_reads;
          }
        } else {
          bin = b[(i - 1) * C + j];
        }
        a_next[i * C + j] = ain;
        b_next[i * C + j] = bin;
        if (!(ain.valid && bin.valid)) continue;
        EXPECT_EQ(ain.fold, bin.fold);
        EXPECT_EQ(ain.t, bin.t);
        const int pe = i * C + j;
        if (count[pe] > 0 && acc_fold[pe] != ain.fold) {  // new fold before the old one ended
          ++o.conflicts;
          count[pe] = 0, acc[pe] = 0;
        }
        if (count[pe] == 0) acc_fold[pe] = ain.fold;
        acc[pe] += ain.v * bin.v;
        if (++count[pe] == T) {
          if (shadow[pe].valid) ++o.conflicts;  // the previous sum has not left yet
          shadow[pe] = {acc[pe], true, acc_fold[pe]};
          acc[pe] = 0, count[pe] = 0;
        }
      }
    }
    // Each column's output chain carries the oldest waiting sum out; the others wait.
    for (int j = 0; j < C; ++j) {
      int pick = -1, waiting = 0;
      for (int i = 0; i < R; ++i) {
        const Shadow& sh = shadow[i * C + j];
        if (!sh.valid) continue;
        ++waiting;
        if (pick < 0 || sh.fold < shadow[pick * C + j].fold) pick = i;
      }
      if (pick < 0) continue;
      o.conflicts += static_cast<uint64_t>(waiting - 1);
      Shadow& sh = shadow[pick * C + j];
      const int p = (sh.fold % FR) * R + pick, f = (sh.fold / FR) * C + j;
      if (p < g.P && f < g.F) {
        EXPECT_FALSE(written[p * g.F + f]);
        written[p * g.F + f] = true;
        res.out[p * g.F + f] = sh.v;
        ++res.ofmap_writes;
      }
      sh.valid = false;
      --outstanding;
    }
    a.swap(a_next);
    b.swap(b_next);
  }
  o.conflicts += static_cast<uint64_t>(outstanding);  // sums lost to a conflict never leave
  res.cycles = static_cast<uint64_t>(x);
  return o;
}

// Weight / input stationary: S (Sr x Sc) is loaded into the array from the top over R cycles
// (bottom row first, one row per cycle, no skew), then X (T x Sr) streams in from the left,
// X[t][r] entering array row i at cycle R + t + i and moving one PE right per cycle; partial
// sums move one PE down per cycle and leave the bottom of column j at cycle 2R - 1 + t + j as
// Y[t][sc] = sum_r X[t][r] * S[r][sc] (accumulated over row folds in the output buffer).
RtlResult simulate_stationary(int R, int C, int Sr, int Sc, int T,
                              const std::function<int64_t(int, int)>& S,
                              const std::function<int64_t(int, int)>& X, std::vector<int64_t>& Y,
                              uint64_t& stationary_reads, uint64_t& streamed_reads) {
  RtlResult res;
  Y.assign(static_cast<size_t>(T) * Sc, 0);
  for (int fc = 0; fc < ceil_div(Sc, C); ++fc) {
    for (int fr = 0; fr < ceil_div(Sr, R); ++fr) {
      std::vector<int64_t> w(R * C, 0), w_next(R * C, 0);
      std::vector<Reg> x(R * C), x_next(R * C), ps(R * C), ps_next(R * C);
      int outstanding = T * C;  // every column drains T psums, padded columns included
      uint64_t local = 0;
      while (outstanding > 0) {
        if (local < static_cast<uint64_t>(R)) {  // stationary load, shifting down
          int r = fr * R + (R - 1 - static_cast<int>(local));
          for (int j = 0; j < C; ++j) {
            int c = fc * C + j;
            bool real = r < Sr && c < Sc;
            w_next[j] = real ? S(r, c) : 0;
            if (real) ++stationary_reads;
            for (int i = 1; i < R; ++i) w_next[i * C + j] = w[(i - 1) * C + j];
          }
          w.swap(w_next);
          ++local;
          continue;
        }
        for (int i = 0; i < R; ++i) {
          for (int j = 0; j < C; ++j) {
            Reg xin;
            if (j == 0) {
              int64_t t = static_cast<int64_t>(local) - R - i;
              if (t >= 0 && t < T) {
                int r = fr * R + i;
                xin = {r < Sr ? X(static_cast<int>(t), r) : 0, true, t};
                if (r < Sr) ++streamed_reads;
              }
            } else {
              xin = x[i * C + j - 1];
            }
            Reg pin = i == 0 ? Reg{0, xin.valid, xin.tag} : ps[(i - 1) * C + j];
            EXPECT_EQ(pin.valid, xin.valid);
            EXPECT_EQ(pin.tag, xin.tag);
            x_next[i * C + j] = xin;
            Reg pout = pin;
            if (xin.valid) pout.v = pin.v + xin.v * w[i * C + j];
            ps_next[i * C + j] = pout;
            if (i == R - 1 && pout.valid) {  // leaves the bottom edge this cycle
              EXPECT_EQ(static_cast<int64_t>(local), 2 * R - 1 + pout.tag + j);
              int c = fc * C + j;
              if (c < Sc) {
                Y[pout.tag * Sc + c] += pout.v;
                ++res.ofmap_writes;
              }
              --outstanding;
            }
          }
        }
        x.swap(x_next);
        ps.swap(ps_next);
        ++local;
      }
      res.cycles += local;
    }
  }
  return res;
}

RtlResult simulate(int R, int C, Dataflow df, const Gemm& g) {
  if (df == Dataflow::OutputStationary) return simulate_os(R, C, g, /*column_bus=*/true);
  RtlResult res;
  std::vector<int64_t> Y;
  uint64_t stationary = 0, streamed = 0;
  res.out.assign(static_cast<size_t>(g.P) * g.F, 0);
  if (df == Dataflow::WeightStationary) {  // S = B (window x filters), X = A, Y = O
    RtlResult r = simulate_stationary(
        R, C, g.W, g.F, g.P, [&](int w, int f) { return g.B[w * g.F + f]; },
        [&](int p, int w) { return g.A[p * g.W + w]; }, Y, stationary, streamed);
    res.cycles = r.cycles;
    res.ofmap_writes = r.ofmap_writes;
    res.filter_reads = stationary;
    res.ifmap_reads = streamed;
    res.out = Y;
  } else {  // IS: S = A^T (window x px), X = B^T (filters x window), Y = O^T
    RtlResult r = simulate_stationary(
        R, C, g.W, g.P, g.F, [&](int w, int p) { return g.A[p * g.W + w]; },
        [&](int f, int w) { return g.B[w * g.F + f]; }, Y, stationary, streamed);
    res.cycles = r.cycles;
    res.ofmap_writes = r.ofmap_writes;
    res.ifmap_reads = stationary;
    res.filter_reads = streamed;
    for (int p = 0; p < g.P; ++p)
      for (int f = 0; f < g.F; ++f) res.out[p * g.F + f] = Y[f * g.P + p];
  }
  return res;
}

Gemm random_gemm(std::mt19937& rng, int P, int F, int W) {
  Gemm g{P, F, W, {}, {}};
  std::uniform_int_distribution<int> v(-9, 9);
  g.A.resize(static_cast<size_t>(P) * W);
  g.B.resize(static_cast<size_t>(W) * F);
  for (auto& x : g.A) x = v(rng);
  for (auto& x : g.B) x = v(rng);
  return g;
}

double rel_err(uint64_t model, uint64_t ref) {
  return std::abs(static_cast<double>(model) - static_cast<double>(ref)) / static_cast<double>(ref);
}

TEST(SystolicCost, HandWorked16x16) {
  // 16x16 array, 64 ofmap px, 32 filters, window 27 (3x3x3), one group.
  // os: Sr=64, Sc=32, T=27 -> ceil(64/16)*ceil(32/16) = 8 folds of 16+16+27-2 = 57 -> 456.
  //     (the paper's 2R+C+T-2 would give 73 per fold -> 584.)
  //     reads: ifmap 2*64*27 = 3456, filter 4*32*27 = 3456; writes 64*32 = 2048.
  //     utilization 64*32*27 / (456*256) = 55296 / 116736 = 0.4737
  // ws: Sr=27, Sc=32, T=64 -> 2*2 = 4 folds of 32+16+64-2 = 110 -> 440.
  //     reads: ifmap 2*64*27 = 3456, filter 27*32 = 864; writes 2*64*32 = 4096 (partials).
  // is: Sr=27, Sc=64, T=32 -> 2*4 = 8 folds of 32+16+32-2 = 78 -> 624.
  //     reads: ifmap 27*64 = 1728, filter 4*27*32 = 3456; writes 2*64*32 = 4096.
  ConvDims d{64, 32, 27, 1};
  SystolicCost os = systolic_cost(16, 16, Dataflow::OutputStationary, d);
  EXPECT_EQ(os.folds, 8u);
  EXPECT_EQ(os.cycles, 456u);
  EXPECT_EQ(os.pe_ops, 55296u);
  EXPECT_EQ(os.ifmap_reads, 3456u);
  EXPECT_EQ(os.filter_reads, 3456u);
  EXPECT_EQ(os.ofmap_writes, 2048u);
  EXPECT_NEAR(os.utilization, 55296.0 / 116736.0, 1e-12);
  SystolicCost ws = systolic_cost(16, 16, Dataflow::WeightStationary, d);
  EXPECT_EQ(ws.folds, 4u);
  EXPECT_EQ(ws.cycles, 440u);
  EXPECT_EQ(ws.ifmap_reads, 3456u);
  EXPECT_EQ(ws.filter_reads, 864u);
  EXPECT_EQ(ws.ofmap_writes, 4096u);
  SystolicCost is = systolic_cost(16, 16, Dataflow::InputStationary, d);
  EXPECT_EQ(is.folds, 8u);
  EXPECT_EQ(is.cycles, 624u);
  EXPECT_EQ(is.ifmap_reads, 1728u);
  EXPECT_EQ(is.filter_reads, 3456u);
  EXPECT_EQ(is.ofmap_writes, 4096u);
}

TEST(SystolicCost, GroupsRepeatTheGemm) {
  // Depthwise 3x3 over 24 channels on 8x8, 49 px: 24 groups of (49 px, 1 filter, window 9).
  // ws: Sr=9 -> 2 row folds, Sc=1 -> 1 col fold; fold 16+8+49-2 = 71; 24*2*71 = 3408.
  ConvDims one{49, 1, 9, 1}, dw{49, 1, 9, 24};
  for (Dataflow df :
       {Dataflow::OutputStationary, Dataflow::WeightStationary, Dataflow::InputStationary}) {
    SystolicCost a = systolic_cost(8, 8, df, one), b = systolic_cost(8, 8, df, dw);
    EXPECT_EQ(b.cycles, 24 * a.cycles);
    EXPECT_EQ(b.folds, 24 * a.folds);
    EXPECT_EQ(b.pe_ops, 24 * a.pe_ops);
    EXPECT_EQ(b.ifmap_reads, 24 * a.ifmap_reads);
    EXPECT_EQ(b.filter_reads, 24 * a.filter_reads);
    EXPECT_EQ(b.ofmap_writes, 24 * a.ofmap_writes);
    EXPECT_DOUBLE_EQ(b.utilization, a.utilization);
  }
  EXPECT_EQ(systolic_cost(8, 8, Dataflow::WeightStationary, dw).cycles, 3408u);
}

TEST(SystolicCost, EmptyAndVector) {
  EXPECT_EQ(systolic_cost(4, 4, Dataflow::OutputStationary, ConvDims{0, 3, 3, 1}).cycles, 0u);
  // 100 outputs of a 3x3 max pool on 16 lanes: ceil(100/16) = 7 groups x 9 reads = 63 cycles.
  EXPECT_EQ(vector_cycles(16, 100, 9), 63u);
  EXPECT_EQ(vector_cycles(16, 16, 2), 2u);
  EXPECT_EQ(vector_cycles(16, 0, 2), 0u);
}

// Every dataflow, many random shapes (smaller and larger than the array, partial folds, T = 1):
// the RTL simulation must compute the right GEMM and take exactly systolic_cost().cycles.
TEST(SystolicCost, MatchesRegisterTransferSimulation) {
  std::mt19937 rng(12345);
  const int arrays[][2] = {{4, 4}, {8, 4}, {4, 8}, {16, 16}, {1, 1}, {3, 5}};
  double max_err = 0.0;
  int cases = 0;
  for (Dataflow df :
       {Dataflow::OutputStationary, Dataflow::WeightStationary, Dataflow::InputStationary}) {
    for (auto& arr : arrays) {
      const int R = arr[0], C = arr[1];
      std::vector<std::array<int, 3>> shapes = {
          {1, 1, 1}, {R, C, 1}, {R + 1, C - (C > 1), 1}, {2 * R, 2 * C, 5}, {1, 3 * C + 1, 7}};
      std::uniform_int_distribution<int> dim(1, 3 * std::max(R, C) + 2);
      for (int k = 0; k < 30; ++k) shapes.push_back({dim(rng), dim(rng), dim(rng)});
      for (auto& s : shapes) {
        Gemm g = random_gemm(rng, s[0], s[1], s[2]);
        RtlResult rtl = simulate(R, C, df, g);
        ConvDims d{static_cast<uint64_t>(g.P), static_cast<uint64_t>(g.F),
                   static_cast<uint64_t>(g.W), 1};
        SystolicCost c = systolic_cost(R, C, df, d);
        SCOPED_TRACE(::testing::Message() << to_string(df) << " " << R << "x" << C << " P=" << g.P
                                          << " F=" << g.F << " W=" << g.W);
        EXPECT_EQ(rtl.out, reference_matmul(g));
        EXPECT_LE(rel_err(c.cycles, rtl.cycles), 0.05);
        EXPECT_EQ(c.cycles, rtl.cycles);
        EXPECT_EQ(c.ifmap_reads, rtl.ifmap_reads);
        EXPECT_EQ(c.filter_reads, rtl.filter_reads);
        EXPECT_EQ(c.ofmap_writes, rtl.ofmap_writes);
        max_err = std::max(max_err, rel_err(c.cycles, rtl.cycles));
        ++cases;
      }
    }
  }
  std::printf("systolic_cost vs RTL simulation: %d cases, max relative error %.4f\n", cases,
              max_err);
}

// The SCALE-Sim paper's closed form (2R + C + T - 2 per fold) for os corresponds to draining
// each column's results through the bottom edge after its last PE finishes (R more cycles per
// fold); SCALE-Sim v2's code, which systolic_cost follows, has no such drain.
TEST(SystolicCost, OsBottomEdgeDrainIsThePaperFormula) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dim(1, 20);
  for (int k = 0; k < 20; ++k) {
    const int R = 4 + k % 3, C = 3 + k % 4;
    Gemm g = random_gemm(rng, dim(rng), dim(rng), dim(rng));
    RtlResult rtl = simulate_os(R, C, g, /*column_bus=*/false);
    EXPECT_EQ(rtl.out, reference_matmul(g));
    uint64_t folds = static_cast<uint64_t>(ceil_div(g.P, R)) * ceil_div(g.F, C);
    EXPECT_EQ(rtl.cycles, folds * (2 * R + C + g.W - 2));
    ConvDims d{static_cast<uint64_t>(g.P), static_cast<uint64_t>(g.F), static_cast<uint64_t>(g.W),
               1};
    EXPECT_EQ(rtl.cycles - systolic_cost(R, C, Dataflow::OutputStationary, d).cycles, folds * R);
  }
}

TEST(SystolicCost, FoldOverlapHandWorked) {
  // The default platform's stem band: 16x16 os array, 4 output rows of 32 px = 128 px, 16
  // filters, window 3x3x3 = 27: 8 folds. Without overlap 8 * (16 + 16 + 27 - 2) = 456; with it
  // 7 * max(27, 16) + 57 = 246. A 1x1 projection band, window 16 = R: 7 * 16 + 46 = 158 (from
  // 8 * 46 = 368). Depthwise 3x3 (T = 9 < R = 16) over 4 groups of 1 fold: 3 * 16 + 39 = 87;
  // the chain, not the accumulator, paces it.
  const ConvDims stem{128, 16, 27, 1}, proj{128, 16, 16, 1}, dw{16, 1, 9, 4};
  EXPECT_EQ(systolic_cost(16, 16, Dataflow::OutputStationary, stem).cycles, 456u);
  EXPECT_EQ(systolic_cost(16, 16, Dataflow::OutputStationary, stem, true).cycles, 246u);
  EXPECT_EQ(systolic_cost(16, 16, Dataflow::OutputStationary, proj, true).cycles, 158u);
  EXPECT_EQ(systolic_cost(16, 16, Dataflow::OutputStationary, dw, true).cycles, 87u);
  // One fold: nothing to overlap.
  const ConvDims one{16, 16, 27, 1};
  EXPECT_EQ(systolic_cost(16, 16, Dataflow::OutputStationary, one, true).cycles,
            systolic_cost(16, 16, Dataflow::OutputStationary, one).cycles);
  // Reads and writes do not change.
  const SystolicCost a = systolic_cost(16, 16, Dataflow::OutputStationary, stem),
                     b = systolic_cost(16, 16, Dataflow::OutputStationary, stem, true);
  EXPECT_EQ(a.folds, b.folds);
  EXPECT_EQ(a.ifmap_reads, b.ifmap_reads);
  EXPECT_EQ(a.filter_reads, b.filter_reads);
  EXPECT_EQ(a.ofmap_writes, b.ofmap_writes);
  EXPECT_NEAR(b.utilization, 128.0 * 16 * 27 / (246.0 * 256), 1e-12);
  // The chunk overload reads the config; ws / is have no shadow register.
  ChunkConfig cc;
  cc.rows = cc.cols = 16;
  cc.fold_overlap = true;
  EXPECT_EQ(systolic_cost(cc, stem).cycles, 246u);
  EXPECT_THROW(systolic_cost(16, 16, Dataflow::WeightStationary, stem, true), Error);
}

// The register-level array with shadow registers, folds started max(T, R) apart, computes the
// GEMM with no conflict and takes exactly systolic_cost(..., fold_overlap).cycles; one cycle
// less between folds breaks it (so the period is the shortest the hardware allows).
TEST(SystolicCost, FoldOverlapMatchesRegisterTransferSimulation) {
  std::mt19937 rng(2024);
  const int arrays[][2] = {{4, 4}, {8, 4}, {4, 8}, {16, 16}, {1, 1}, {3, 5}};
  int cases = 0, multi_fold = 0;
  for (auto& arr : arrays) {
    const int R = arr[0], C = arr[1];
    std::vector<std::array<int, 3>> shapes = {{1, 1, 1},      {R, C, 1},      {2 * R, 2 * C, 5},
                                              {3 * R, C, R},  {2 * R + 1, C + 1, 2 * R + 3},
                                              {1, 3 * C + 1, 7}};
    std::uniform_int_distribution<int> dim(1, 3 * std::max(R, C) + 2);
    for (int k = 0; k < 20; ++k) shapes.push_back({dim(rng), dim(rng), dim(rng)});
    for (auto& s : shapes) {
      Gemm g = random_gemm(rng, s[0], s[1], s[2]);
      const ConvDims d{static_cast<uint64_t>(g.P), static_cast<uint64_t>(g.F),
                       static_cast<uint64_t>(g.W), 1};
      const SystolicCost c = systolic_cost(R, C, Dataflow::OutputStationary, d, true);
      const int period = std::max(g.W, R);
      SCOPED_TRACE(::testing::Message() << R << "x" << C << " P=" << g.P << " F=" << g.F
                                        << " W=" << g.W);
      const OverlapResult o = simulate_os_overlap(R, C, g, period);
      EXPECT_EQ(o.conflicts, 0u);
      EXPECT_EQ(o.r.out, reference_matmul(g));
      EXPECT_EQ(c.cycles, o.r.cycles);
      EXPECT_EQ(c.ifmap_reads, o.r.ifmap_reads);
      EXPECT_EQ(c.filter_reads, o.r.filter_reads);
      EXPECT_EQ(c.ofmap_writes, o.r.ofmap_writes);
      // Back to back with no overlap (period = a whole fold) the same array takes the old count.
      const OverlapResult serial = simulate_os_overlap(R, C, g, R + C + g.W - 2);
      EXPECT_EQ(serial.conflicts, 0u);
      EXPECT_EQ(serial.r.cycles, systolic_cost(R, C, Dataflow::OutputStationary, d).cycles);
      if (c.folds > 1 && period > 1) {
        ++multi_fold;
        if (R + C > 2) {  // a 1x1 array has no fill or drain to overlap
          EXPECT_LT(c.cycles, serial.r.cycles);
        }
        EXPECT_GT(simulate_os_overlap(R, C, g, period - 1).conflicts, 0u);
      }
      ++cases;
    }
  }
  EXPECT_GT(multi_fold, 50);
  std::printf("fold overlap vs RTL simulation: %d cases, %d with several folds\n", cases,
              multi_fold);
}

}  // namespace
}  // namespace savp
