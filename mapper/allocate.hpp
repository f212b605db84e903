// Chunk allocation (issue 3, "Mapping": `savp allocate`, the auto-mapper side of NASA's
// chunk-based accelerator): for a network and a PE budget (and optionally an area budget), the
// PE array shape (rows x cols) of every chunk the network uses, so that the chunk pipeline is
// balanced.
//
// The objective. In NASA's chunk-based pipeline every chunk processes the layers placed on it,
// the chunks work concurrently over a batch, and the throughput is set by the slowest chunk.
// So the allocation minimises the largest per-chunk sum of predicted layer cycles (the
// bottleneck); ties go to the smaller total of cycles over all chunks, then to fewer PEs.
//
// Which chunks. Placement is the code generator's (mapper/codegen.hpp): a conv / linear layer
// runs on the first chunk of its operator kind (or of its fallback kind), pools and residual
// adds on chunk 0's vector unit; those layers count on the chunk they run on. The input config
// is mapped once to learn the placement. Chunks that get no layer are dropped from the result:
// a minimal array there would spend PEs and area (and the budget) on a chunk the firmware never
// uses; this covers the kinds the network does not use and the second and later chunks of a
// kind (the allocator sizes one array per kind: PEs given to a second identical chunk, which
// the code generator would split layers across, are PEs the first chunk could have; one
// larger array is the balanced design it searches for). Dropping unused chunks keeps every layer's
// placement (the first chunk of each used kind and chunk 0, if it is used, stay first), so the
// result runs the same mapping with other array shapes.
//
// Candidates. Every kept chunk keeps its dataflow, weight widths and buffers; its rows come from
// `row_dims` (powers of two and 1.5x powers of two by default, for a finer step in PEs) and its
// cols from `col_dims` (powers of two: the code generator blocks output channels in whole array
// columns and channel counts are powers of two, so e.g. a 48-column array leaves columns idle;
// the tiling search also takes ~100x longer on ResNet-50 with 16x48 than with 16x64), with an
// aspect ratio of at most `max_aspect`, an obuf that holds the array's int32 accumulators
// (4 * rows * cols bytes) and ibuf, wbuf and global buffer that hold one operand row
// (4 * max(rows, cols)): the loader's rules (common/hw_config_load.cpp). A shape is also left
// out when the PE budget minus the smallest arrays of the other kept chunks cannot hold it.
//
// Costs. A layer's predicted cycles are the analytical cost model's (mapper::generate, then
// mapper::predict: the mapping the platform runs). A layer's mapping and cost depend only on
// its own chunk's config (plus the shared DMA / DRAM / interconnect parameters), so the cost of
// a (chunk, shape) pair is computed at most once, and one mapping evaluates a shape for every
// kept chunk at the same time (each chunk at its own candidate). A mapping that fails is
// retried chunk by chunk (the others at their input shapes), so one chunk's failure does not
// hide the others' costs; a shape that does not map is not a candidate.
//
// Search (exact branch and bound): a chunk's predicted cycles at rows x cols are at least
// sum(PE ops of its conv / linear layers) / (rows * cols) + sum(vector ops of its pools and
// adds) / cols, since its computes run one after the other and a COMPUTE takes at least its
// ops over the PEs (or lanes) that do them. First the combination that minimises these bounds'
// bottleneck is mapped; the best combination of mapped shapes gives an upper bound B on the
// optimal bottleneck; a shape whose lower bound exceeds B cannot be in the optimum, so only the
// shapes with bound <= B are mapped (largest arrays first, B tightening as they come in). The
// combination search then enumerates every combination of mapped shapes within the budgets.
// Every mapped cost is checked against its bound; should one ever be below it (a cost model
// that no longer satisfies the argument), pruning stops and every candidate is mapped.
// `prune = false` maps every candidate (for tests). The chosen config is mapped once more and
// its costs are the ones reported.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
#include "mapper/network.hpp"

namespace savp::mapper {

struct ArrayShape {
  uint32_t rows = 0;
  uint32_t cols = 0;
  uint64_t pes() const { return uint64_t{rows} * cols; }
  std::string str() const;  // "16x32"
  bool operator==(const ArrayShape& o) const { return rows == o.rows && cols == o.cols; }
  bool operator!=(const ArrayShape& o) const { return !(*this == o); }
};

struct AllocateOptions {
  uint64_t pe_budget = 0;        // PEs over all kept chunks; > 0
  double area_budget_mm2 = 0.0;  // 0: no area budget
  // The platform's area model (platform_area(hw, table).total_mm2 in the app); required with an
  // area budget, optional otherwise (the result's area_mm2 stays 0 without it). The mapper
  // cannot depend on platform/ (DESIGN.md layout), so the caller passes it in.
  std::function<double(const HwConfig&)> area_mm2;
  // Row and column sizes (rules above).
  std::vector<uint32_t> row_dims{4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256};
  std::vector<uint32_t> col_dims{4, 8, 16, 32, 64, 128, 256};
  uint32_t max_aspect = 4;  // max(rows, cols) / min(rows, cols)
  MapOptions map;           // passed to generate (objective of the tiling search)
  uint64_t seed = 1;        // weights for the mapping (savp run's default seed)
  bool prune = true;        // branch and bound (above); false: map every candidate
};

// The predicted cost of one chunk at one candidate shape.
struct ShapeCost {
  ArrayShape shape;
  uint64_t lower_bound = 0;  // the cycle bound of the search (above)
  bool mapped = false;
  bool feasible = false;  // mapped without error
  uint64_t cycles = 0;    // sum of the predicted cycles of the chunk's layers
  std::string why;        // when not feasible: the mapping error
};

// A chunk that runs layers, with its candidates.
struct ChunkCandidates {
  int input_index = -1;  // index in the input config
  std::string name;
  OpKind kind = OpKind::Mult;
  ArrayShape input_shape;           // its shape in the input config
  std::vector<std::string> layers;  // the layers placed on it
  std::vector<ShapeCost> shapes;    // in increasing PE order
};

struct ChunkAllocation {
  std::string name;
  OpKind kind = OpKind::Mult;
  ArrayShape shape;
  std::vector<std::string> layers;
  uint64_t cycles = 0;  // predicted, summed over its layers, on the chosen config
};

struct Allocation {
  HwConfig hw;                          // the chosen config (the reduced one, new shapes)
  std::vector<ChunkAllocation> chunks;  // like hw.chunks
  std::vector<std::string> dropped;
  uint64_t bottleneck_cycles = 0;  // the largest chunk's cycles
  uint64_t total_cycles = 0;       // summed over the chunks
  uint64_t pes = 0;
  double area_mm2 = 0.0;  // with AllocateOptions::area_mm2, else 0
  uint64_t input_pes = 0, input_bottleneck_cycles = 0;
  // The candidates of every chunk, with their costs where mapped (in increasing PE order).
  std::vector<ChunkCandidates> candidates;
  size_t shapes = 0, shapes_mapped = 0;  // (chunk, shape) candidates, and those mapped
  size_t mappings = 0;      // generate + predict calls, the first and the final one included
  size_t combinations = 0;  // shape combinations within the PE budget that were compared
};

// The candidate shapes of one chunk (rules above), before the budget.
std::vector<ArrayShape> candidate_shapes(const ChunkConfig& c, const HwConfig& hw,
                                         const AllocateOptions& opt);

// The chosen allocation (objective above), with its costs from a final mapping. Throws
// savp::Error for a non-positive budget, a budget below the smallest arrays of the chunks the
// network uses (naming that minimum), and every error mapping the input config gives (e.g. a
// layer whose kind has no chunk).
Allocation allocate(const Network& net, const HwConfig& hw, const AllocateOptions& opt);

// Per-chunk sums of predicted cycles (indexed like hw.chunks) and the layers of q.net
// mapped on `hw`: what the search minimises, from one generate + predict.
struct ChunkLoad {
  std::vector<uint64_t> cycles;
  std::vector<std::vector<std::string>> layers;
  // PE ops of its conv / linear layers and vector ops of its pools and adds (shape-independent;
  // the search's bound).
  std::vector<uint64_t> pe_ops, vector_ops;
};
ChunkLoad chunk_load(const QuantizedNetwork& q, const HwConfig& hw, const MapOptions& opt = {});

// A quantized network for mapping only: zero biases, unit requantization, and zero weights,
// except when `hw` needs an operator-kind fallback (mapper/fallback.hpp), whose converted
// weight width depends on the weights, or when a chunk has a weight decompressor (the stored
// size of compressed weights depends on their values): then the weights quantize() draws from
// `seed`. The instruction stream, and so every predicted cycle, does not depend on the values
// otherwise; this skips drawing ResNet-50's 25 M weights and quantize()'s calibration run.
QuantizedNetwork mapping_network(const Network& net, const HwConfig& hw, uint64_t seed);

// The allocation as a hardware config: the YAML document of `input_hw_path` with the dropped
// chunks removed, the kept chunks' rows and cols replaced and `name` set to `name`, under a
// comment header (each line prefixed with "# "). The energy table is written as the input
// config resolved it, relative to `out_dir` (absolute when out_dir is empty).
std::string allocation_yaml(const Allocation& a, const std::string& input_hw_path,
                            const std::string& name, const std::string& header,
                            const std::string& out_dir);

// Writes `yaml` to `path` atomically (a temporary file in the same folder, renamed), after
// checking that it loads as a hardware config from there; throws savp::Error otherwise.
void write_hw_yaml(const std::string& yaml, const std::string& path);

}  // namespace savp::mapper
