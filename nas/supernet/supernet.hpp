// The supernet (issue 4, part C; NASA / ShiftAddNAS one-shot weight sharing) over a search
// space's skeleton (nas/search/search_space.hpp). Sampling a subnet = a candidate's choice vector
// (nas/search/candidate.hpp); its network is decode_network(candidate) and it runs through the
// QAT network's own forward (nas/quant/qat_net.hpp, forward_with) with weights taken from the
// supernet's tensors, so a sampled subnet is, operation for operation, the standalone QatNet
// with the inherited weights, and it exports bit-exact as part A's QatNet does.
//
// What is shared, per searchable block b (b{b}_...):
//  - channel sharing across expansions and kernel sharing across kernel sizes: ONE expand
//    tensor [Cin*e_max, Cin, 1, 1], ONE depthwise tensor [Cin*e_max, 1, k_max, k_max] and ONE
//    project tensor [Cout, Cin*e_max, 1, 1]; expansion e uses the first Cin*e hidden channels
//    (expand rows, depthwise rows, project columns), kernel k the centre k x k window;
//  - heterogeneous sharing across operator kinds (ShiftAddNAS): mult layers use the shared
//    tensor as is (Gaussian-like), shift layers use shift_map(w) (then DeepShift-Q rounds it to
//    sign * 2^e in QatNet: the exponent), adder layers adder_map(w), each map a learned
//    piecewise-linear function (weight_map.hpp) whose KL term (kl_loss) pulls the mapped weights
//    toward a Laplacian;
//  - batch norm: per (block, role, kind) a layer-wide gamma and per-channel beta (sliced like
//    the channels); running statistics and output ranges are per subnet: a training step uses
//    the batch's, and an evaluated subnet is recalibrated on training batches (recalibrate()).
//  - bit widths and sparsity (issue 8): a candidate's weight-bit genes set its layers'
//    weight_bits (QatNet's quantization-aware forward quantizes to them); its sparsity genes
//    prune each of its block layers' weights by magnitude to the layer's target on every path
//    (mask recomputed from the current weights; subnet() carries the masks).
// The stem, head and classifier are shared by every candidate.
//
// Adder layers' weight gradients get AdderNet's adaptive learning rate (eq. 7, nas/ops) through
// a hook on the mapped tensor, before they flow into the map and the shared tensor.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/hw_config.hpp"
#include "mapper/network.hpp"
#include "nas/data/fashion_mnist.hpp"
#include "nas/quant/qat_net.hpp"
#include "nas/search/candidate.hpp"
#include "nas/search/search_space.hpp"
#include "nas/supernet/weight_map.hpp"

namespace savp::nas::supernet {

using Override = quant::QatNetImpl::LayerOverride;

// A sampled path: its network and, per layer, the supernet tensors it runs with.
struct Path {
  mapper::Network net;
  std::vector<Override> ov;
};

class SupernetImpl : public torch::nn::Module {
 public:
  // Shared weights Kaiming-uniform (bound 1 / sqrt(fan_in) of the largest choice) from `seed`.
  SupernetImpl(const search::SearchSpace& space, uint64_t seed, double adder_eta = 0.1);

  const search::SearchSpace& space() const { return space_; }
  const search::Layout& layout() const { return layout_; }

  // The path of candidate c. `gates` (empty, or one per block; undefined entries allowed)
  // multiply each block's project output (the differentiable mode's straight-through gates).
  Path path(const search::Candidate& c, const std::vector<torch::Tensor>& gates = {});
  // The training forward of candidate c's path (training mode: batch statistics and ranges).
  torch::Tensor forward(const torch::Tensor& x, const search::Candidate& c,
                        const std::vector<torch::Tensor>& gates = {});
  // A standalone QatNet of c with the inherited weights copied in (running statistics and
  // ranges not yet set: recalibrate() it, or train it).
  quant::QatNet subnet(const search::Candidate& c);

  // Sum over blocks, roles and mapped kinds of laplace_kl(map(shared tensor)).
  torch::Tensor kl_loss();
  // The mapped weights of one block tensor (tests): role "expand" | "dw" | "project".
  torch::Tensor mapped(uint32_t block, const std::string& role, OpKind kind);
  torch::Tensor shared(uint32_t block, const std::string& role) const;
  PiecewiseLinearMap weight_map(uint32_t block, const std::string& role, OpKind kind) const;

  // The parameters that train when `kinds` train (progressive pretraining): the shared block
  // tensors with mult or shift (their native, Gaussian form; with adder when the space has
  // neither), each kind's batch-norm affine and map, and stem / head / classifier by their op.
  std::vector<torch::Tensor> parameters_for(const std::vector<OpKind>& kinds) const;

 private:
  struct Role {
    torch::Tensor weight;                         // shared
    std::map<OpKind, torch::Tensor> gamma, beta;  // per kind
    std::map<OpKind, PiecewiseLinearMap> maps;    // shift, adder
  };
  struct Fixed {  // stem, head, fc
    OpKind op = OpKind::Mult;
    torch::Tensor weight, gamma, beta, bias;
  };
  Override block_layer(uint32_t b, const std::string& role, const search::BlockChoice& ch,
                       const torch::Tensor& gate);
  torch::Tensor kind_weight(Role& r, OpKind kind, const torch::Tensor& w);

  search::SearchSpace space_;
  search::Layout layout_{space_};
  double adder_eta_;
  uint32_t k_max_ = 0, e_max_ = 0;
  std::vector<std::map<std::string, Role>> blocks_;
  std::map<std::string, Fixed> fixed_;
};
TORCH_MODULE(Supernet);

// A candidate whose block operators are drawn (uniformly among a block's choices) from `kinds`
// or skip; every other gene uniform. `kinds` empty: all choices.
search::Candidate sample_candidate(const search::Layout& layout, const std::vector<OpKind>& kinds,
                                   uint64_t& rng_state);

// BN recalibration of a subnet: `batches` training-mode forwards without gradients over the
// first images of `d`, running statistics and ranges as cumulative averages; then eval mode.
void recalibrate(quant::QatNet& net, const data::Dataset& d, int64_t batch, int batches);

// Throws savp::Error when the space's input / classes do not fit Fashion-MNIST.
void check_fits_dataset(const search::SearchSpace& space, const data::Dataset& d);

}  // namespace savp::nas::supernet
