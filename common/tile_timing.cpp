// Systolic compute timing, matched to SCALE-Sim v2 (github.com/scalesim-project/scale-sim-v2,
// scalesim/compute/systolic_compute_{os,ws,is}.py, create_*_demand_mat()).
//
// SCALE-Sim v2 builds, per fold (fc over ceil(Sc/C), fr over ceil(Sr/R)), three demand matrices
// with one line per cycle; the layer's compute cycles are the number of lines (the memory model
// scalesim/memory/double_buffered_scratchpad_mem.py, service_memory_requests(), walks them one
// line per cycle and only adds stalls, which do not exist with operands on chip). Its
// skew_matrix(rows x cols) returns rows + cols - 1 lines. A partial fold is padded with null
// requests to the full R x C array, so every fold costs the whole array's fill and drain.
//
//   os (systolic_compute_os.py): ifmap = T stream lines + (C - 1) drain lines, skewed over R
//      rows -> T + C - 1 + R - 1 lines; filter and ofmap demands agree (T + R - 1 lines skewed
//      over C; T - 1 prefix + R output lines skewed over C).         fold = R + C + T - 2
//   ws (systolic_compute_ws.py): ifmap = R weight-load lines + T + (C - 1), skewed over R;
//      filter = R load lines + (R + C + T - 2) lines, no skew; ofmap = (2R - 1) + T lines skewed
//      over C.                                                        fold = 2R + C + T - 2
//   is (systolic_compute_is.py): mirror of ws with the ifmap stationary.  fold = 2R + C + T - 2
//
//   cycles = groups * ceil(Sr/R) * ceil(Sc/C) * fold
//
// That is the paper's tau = (2R + C + T - 2) * ceil(Sr/R) * ceil(Sc/C) (Samajdar et al.,
// ISPASS 2020, eq. 1-2) for ws and is. For os the v2 code has no separate R-cycle drain: an
// output leaves its PE's column in the cycle its last accumulate completes (one output per
// column per cycle, ofmap demand lines T - 1 .. T + R + C - 3), so a fold is R cycles shorter
// than the paper's closed form. We follow the code.
//
// v2 reports "Total Cycles" as the 0-based cycle of the last ofmap line (one less than the number
// of lines) in the newest service_memory_requests(); we return the number of cycles.
//
// Reads and writes follow the same demand matrices (ifmap_reads / filter_reads / ofmap_writes
// counters of those files), counting real (non-null) requests:
//   os: ifmap  = ceil(Sc/C) * Sr * T   (each fold streams its rows' T operands)
//       filter = ceil(Sr/R) * Sc * T
//       ofmap  = Sr * Sc               (each output once; v2 also adds R + C per fold through a
//                                       stray `+=` line, which we do not copy)
//   ws: ifmap  = ceil(Sc/C) * T * Sr,  filter = Sr * Sc,  ofmap = ceil(Sr/R) * T * Sc (partials)
//   is: ifmap  = Sr * Sc,  filter = ceil(Sc/C) * Sr * T,  ofmap = ceil(Sr/R) * Sc * T (partials)
// all times `groups`.
//
// Fold overlap (os only, not in SCALE-Sim): with a shadow register per PE, PE(i,j) of fold n+1
// may take its first operand the cycle after its last one of fold n, so folds can start T
// cycles apart; the column's output chain carries one output per cycle and a fold puts R
// outputs on it in R consecutive cycles (rows finish one cycle apart, by the skew), so folds
// must also start at least R cycles apart. Started max(T, R) apart, fold n + 1's outputs follow
// fold n's on every chain without a gap or a collision, and the tile's last output leaves
// (folds - 1) * max(T, R) + R + C + T - 2 cycles after its first operand entered. Reads and
// writes do not change. tests/common/tile_timing_test.cpp checks both against a register-level
// simulation with the shadow registers.
#include "common/tile_timing.hpp"

#include <algorithm>
#include <string>

#include "common/errors.hpp"

namespace savp {

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

SystolicCost systolic_cost(uint32_t rows, uint32_t cols, Dataflow df, const ConvDims& d,
                           bool fold_overlap) {
  if (rows == 0 || cols == 0) throw Error("systolic_cost: PE array with zero rows or columns");
  if (fold_overlap && df != Dataflow::OutputStationary)
    throw Error(std::string("systolic_cost: fold overlap needs an output-stationary array, not ") +
                to_string(df));
  SystolicCost c;
  if (d.ofmap_px == 0 || d.filters == 0 || d.window == 0 || d.groups == 0) return c;

  const uint64_t R = rows, C = cols;
  uint64_t sr = 0, sc = 0, t = 0;
  switch (df) {
    case Dataflow::OutputStationary:
      sr = d.ofmap_px, sc = d.filters, t = d.window;
      break;
    case Dataflow::WeightStationary:
      sr = d.window, sc = d.filters, t = d.ofmap_px;
      break;
    case Dataflow::InputStationary:
      sr = d.window, sc = d.ofmap_px, t = d.filters;
      break;
  }
  const uint64_t row_folds = ceil_div(sr, R);
  const uint64_t col_folds = ceil_div(sc, C);
  const uint64_t fold_cycles = df == Dataflow::OutputStationary ? R + C + t - 2 : 2 * R + C + t - 2;

  c.folds = d.groups * row_folds * col_folds;
  c.cycles = fold_overlap ? (c.folds - 1) * std::max(t, R) + fold_cycles : c.folds * fold_cycles;
  c.pe_ops = d.groups * d.ofmap_px * d.filters * d.window;
  switch (df) {
    case Dataflow::OutputStationary:
      c.ifmap_reads = col_folds * sr * t;
      c.filter_reads = row_folds * sc * t;
      c.ofmap_writes = sr * sc;
      break;
    case Dataflow::WeightStationary:
      c.ifmap_reads = col_folds * t * sr;
      c.filter_reads = sr * sc;
      c.ofmap_writes = row_folds * t * sc;
      break;
    case Dataflow::InputStationary:
      c.ifmap_reads = sr * sc;
      c.filter_reads = col_folds * sr * t;
      c.ofmap_writes = row_folds * sc * t;
      break;
  }
  c.ifmap_reads *= d.groups;
  c.filter_reads *= d.groups;
  c.ofmap_writes *= d.groups;
  c.utilization =
      static_cast<double>(c.pe_ops) / (static_cast<double>(c.cycles) * static_cast<double>(R * C));
  return c;
}

SystolicCost systolic_cost(const ChunkConfig& chunk, const ConvDims& d) {
  return systolic_cost(chunk.rows, chunk.cols, chunk.dataflow, d, chunk.fold_overlap);
}

// Each lane produces one output element and reads one operand per cycle, so `lanes` outputs
// take `reads_per_elem` cycles (a SIMD unit over channels; SCALE-Sim has no vector unit).
uint64_t vector_cycles(uint32_t lanes, uint64_t out_elems, uint64_t reads_per_elem) {
  if (lanes == 0) throw Error("vector_cycles: vector unit with zero lanes");
  return ceil_div(out_elems, lanes) * reads_per_elem;
}

DecompressCost decompress_cost(const DecompressorConfig& d, uint64_t compute_cycles,
                               uint64_t weight_reads) {
  DecompressCost c;
  const uint64_t wpc = d.weights_per_cycle == 0 ? 1 : d.weights_per_cycle;
  c.decode_cycles = (weight_reads + wpc - 1) / wpc;
  c.cycles = std::max(compute_cycles, c.decode_cycles) + d.latency_cycles;
  c.stall_cycles = c.cycles - compute_cycles;
  return c;
}

}  // namespace savp
