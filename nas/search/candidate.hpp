// A candidate of a search space: one choice index per gene. Genes, in order: per searchable
// block its operator choice (an index into block_choices(): operator kind x kernel x
// expansion, then skip where the block keeps its shape), then per block its weight-bit level
// and its sparsity (only when the space offers more than one), then per hardware co-design
// parameter the index of its value. A candidate is (network choices, hardware choices).
//
// Decoding builds a mapper::Network of MBConv blocks (MobileNetV2: 1x1 expand conv with ReLU,
// kxk depthwise conv with ReLU carrying the stride, 1x1 linear projection; expansion 1 drops
// the expand conv; a residual add when the block has stride 1 and equal channels). A block's
// operator kind applies to all its convs, depthwise included: the code generator maps
// depthwise convs on every chunk kind (mapper/codegen: TileKind::Depthwise for mult, shift and
// adder chunks); adds and pools run on the vector unit of chunk 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/hw_config.hpp"
#include "mapper/network.hpp"
#include "nas/search/search_space.hpp"

namespace savp::nas::search {

// One choice of a block's operator gene.
struct BlockChoice {
  bool skip = false;
  OpKind op = OpKind::Mult;
  uint32_t kernel = 3;
  uint32_t expansion = 1;
  std::string label() const;  // "mult_k3_e6", "skip"
};

enum class GeneKind { BlockOp, BlockBits, BlockSparsity, Hardware };

struct Gene {
  GeneKind kind = GeneKind::BlockOp;
  uint32_t block = 0;  // BlockOp / BlockBits / BlockSparsity: the block; Hardware: parameter
  uint32_t choices = 1;
  std::string name;  // "b3.op", "b3.bits", "b3.sparsity", "hw.chunks[shift0].cols"
};

// A searchable block's place in the skeleton.
struct BlockSlot {
  uint32_t index = 0;  // 0-based over all stages
  uint32_t stage = 0;
  uint32_t in_channels = 0, out_channels = 0, stride = 1;
  uint32_t in_h = 0, in_w = 0;
  bool identity_ok = false;  // stride 1 and equal channels: skip and residual allowed
};

class Layout {
 public:
  explicit Layout(const SearchSpace& space);
  const SearchSpace& space() const { return *space_; }
  const std::vector<Gene>& genes() const { return genes_; }
  const std::vector<BlockSlot>& blocks() const { return blocks_; }
  // The operator choices of block b (skip last, when allowed there).
  const std::vector<BlockChoice>& block_choices(uint32_t b) const { return choices_[b]; }
  // Gene index of block b's op / bits / sparsity (-1 when the space has no such gene).
  int op_gene(uint32_t b) const { return op_gene_[b]; }
  int bits_gene(uint32_t b) const { return bits_gene_[b]; }
  int sparsity_gene(uint32_t b) const { return sparsity_gene_[b]; }
  int hw_gene(uint32_t p) const { return hw_gene0_ < 0 ? -1 : hw_gene0_ + static_cast<int>(p); }
  // log10 of the number of candidates (the product of the genes' choice counts).
  double log10_size() const;

 private:
  const SearchSpace* space_;
  std::vector<Gene> genes_;
  std::vector<BlockSlot> blocks_;
  std::vector<std::vector<BlockChoice>> choices_;
  std::vector<int> op_gene_, bits_gene_, sparsity_gene_;
  int hw_gene0_ = -1;
};

struct Candidate {
  std::vector<uint32_t> genes;
  bool operator==(const Candidate& o) const { return genes == o.genes; }
  bool operator<(const Candidate& o) const { return genes < o.genes; }
  // A stable 64-bit hash of the genes (FNV-1a over their decimal text), as 16 hex digits.
  std::string hash() const;
  std::string str() const;  // "3,0,17,2"
};

// Throws savp::Error when the genes do not fit the layout (count or an index out of range),
// e.g. from a checkpoint of another space.
void check_candidate(const Layout& layout, const Candidate& c);

// The network of a candidate (hardware genes do not change it), finalized. Its name is
// "<space>-<hash>" unless `name` is given.
mapper::Network decode_network(const Layout& layout, const Candidate& c,
                               const std::string& name = "");
// The same network as network YAML (configs/nets/README.md) that mapper::parse_network reads
// back to an identical network; a comment header lists the candidate's choices.
std::string network_yaml(const Layout& layout, const Candidate& c, const std::string& name = "");
// Any finalized network as network YAML (layers in order, every field explicit).
std::string network_to_yaml(const mapper::Network& net, const std::string& header_comment = "");

// The hardware config of a candidate (its hardware genes applied to the base config with
// explore::apply_point); the base config when the space has no hardware parameters.
HwConfig decode_hardware(const Layout& layout, const Candidate& c);
// {"chunks[shift0].cols": 16, ...} for the candidate's hardware genes ("{}" when none).
std::string hardware_params_json(const Layout& layout, const Candidate& c);

// Compressed weight storage in bytes (UDC-style): per conv / linear layer, the nonzero weights
// at their bit width, plus a 1-bit-per-weight occupancy bitmap when the layer is sparse, plus
// 4-byte biases; each layer rounded up to whole bytes. An estimate without the per-tile stream
// headers: the search's weight_bytes is the mapper's measurement (evaluator.hpp); this one
// screens surrogate offspring and stands in for networks the hardware cannot run.
uint64_t compressed_weight_bytes(const mapper::Network& net);

// The all-`op` baseline of the same skeleton: every block op / kernel / expansion of `b`, the
// highest bit level, the first sparsity, the first value of every hardware parameter.
Candidate baseline_candidate(const Layout& layout, OpKind op);
// A uniformly random candidate.
Candidate random_candidate(const Layout& layout, uint64_t& rng_state);

}  // namespace savp::nas::search
