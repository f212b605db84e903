// The quantization-aware network (issue 4, "Quantization-aware training that follows the shared
// integer arithmetic"): a torch::nn::Module built from a mapper::Network whose forward is
// fake-quantized so that to_quantized() gives exactly the integers the platform computes
// (common/arith.hpp). Tensors are NCHW; a vector (flatten / linear output) is [N, n, 1, 1] in
// the IR's HWC flattening order.
//
// Every activation tensor t has one real scale s_t (real = int * s_t, zero point 0):
//  - the network input: s = 1 / qmax(input act_bits) (nas/data: q = round(p / 255 * qmax));
//  - conv / linear / add outputs: s = range / qmax(act_bits), range an exponential moving average
//    (momentum kRangeMomentum) of the batch's largest output (ReLU: largest positive, else
//    largest |y|), updated in training;
//  - avgpool / global_avgpool: s = s_in * qmax(in bits) / qmax(out bits) (the real range kept);
//  - maxpool / flatten: s = s_in.
//
// conv / linear (op kind per layer; acc = the real accumulator, acc / s_acc is an integer):
//  - mult: w_int = round(w / s_w) in the signed weight_bits range, s_w = max|w| / qmax(bits)
//    (one scale per layer: LayerParams has one multiplier), s_acc = s_x * s_w;
//  - shift (DeepShift-Q, nas/ops shift_q_weight): w -> sign * 2^e, e in [p_min, p_max],
//    p_max = round(log2 max|w|), p_min = p_max - arith::max_shift_exponent(bits); the integer
//    weight is sign * 2^(e - p_min) (arith's sign + exponent byte), s_acc = s_x * 2^p_min;
//  - adder: x and w on ONE scale, the input's: w_int = round(w / s_x) in the weight range (arith
//    computes -|x - w| on the raw integers), s_acc = s_x.
//  - batch norm (folded): one scheme for all three kinds, since a per-channel scale cannot be
//    folded into adder or shift weights and LayerParams has one multiplier per layer: the
//    channel MEAN is per channel, the VARIANCE is pooled over the layer, the affine is a
//    layer-wide scale |gamma| and a per-channel shift beta:
//        y = g * (acc + b_c),  g = |gamma| / sqrt(var + eps),  b_c = -mean_c + beta_c / g.
//    Training uses the batch's statistics and updates running ones (momentum kBnMomentum,
//    started at the first training batch's statistics);
//    eval uses the running ones. Without batch norm: g = 1, b_c = a learned bias.
//  - the bias is fake-quantized to the accumulator grid: b_int = round(b_c / s_acc), and the
//    output y_int = sat(round(g * s_acc / s_out * (acc_int + b_int))) with the ReLU clamp:
//    export turns g * s_acc / s_out into (M, S) (mapper::requant_for).
//  - sparsity (issue 8): a layer with `sparsity` s > 0 holds a 0/1 mask buffer (l<i>_mask, in
//    checkpoints) multiplied into its weight before quantization, so pruned weights are exact
//    zeros in the forward, in to_quantized() and hence in the exported weights (mult / adder: 0;
//    shift: the zero code). prune(f) sets each mask to magnitude pruning at f * s of the layer's
//    weights: exactly round(f * s * count) zeros, the smallest |w| first (pruned weights, being
//    zero, stay pruned while f grows: the trainer's gradual schedule), and zeroes the pruned
//    weights themselves; apply_masks() re-zeroes them after an optimizer step (momentum and
//    weight decay would otherwise revive them).
// add: y = a + b, y_int = sat(round(a_int * s_a / s_y + b_int * s_b / s_y)): (Ma, Mb, S) with a
//    common S. Rounding is half up everywhere (floor(v + 0.5), as arith::round_shift), with
//    straight-through gradients.
//
// The float forward approximates the integer network (M / 2^S is a rounded ratio, float32
// accumulators); the LibTorch integer inference (int_inference.hpp) runs the exported integers
// exactly, and that is the accuracy export reports.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "mapper/network.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::nas::quant {

inline constexpr double kRangeMomentum = 0.1;
inline constexpr double kBnMomentum = 0.1;
inline constexpr double kBnEps = 1e-5;

class QatNetImpl : public torch::nn::Module {
 public:
  // Weights drawn from `seed`: Kaiming-uniform as torch's conv / linear default (adder layers
  // too: their weights then start within the range of unit-scale activations).
  QatNetImpl(const mapper::Network& net, uint64_t seed);

  // x: [N, C, H, W] real inputs on the input grid (int / qmax); returns the logits [N, classes]
  // (the last layer's real output).
  torch::Tensor forward(const torch::Tensor& x);

  // Tensors that replace layer i's own parameters in forward_with (undefined: the layer's
  // own). The supernet (nas/supernet/) runs a sampled path through this forward with weights
  // derived from its shared tensors, so gradients reach those and the path's arithmetic is
  // exactly the standalone QatNet's. `gate` (a scalar, value 1) multiplies the layer's output
  // before its fake quantization: the straight-through Gumbel gate of the differentiable search.
  struct LayerOverride {
    torch::Tensor weight, gamma, beta, bias, gate;
  };
  torch::Tensor forward_with(const torch::Tensor& x, const std::vector<LayerOverride>& ov);

  // Momenta of the batch-norm running statistics and the output-range EMA (default
  // kBnMomentum, kRangeMomentum). BN recalibration sets 1 / (t + 1) for batch t: the
  // cumulative average over the calibration batches.
  void set_momenta(double bn, double range) {
    bn_momentum_ = bn;
    range_momentum_ = range;
  }

  const mapper::Network& network() const { return net_; }
  // The weight parameters of adder layers (the trainer applies AdderNet's adaptive lr to them).
  std::vector<torch::Tensor> adder_weights() const;

  // Magnitude pruning of every layer with sparsity s > 0 to f * s (f in [0, 1]; the rule above).
  void prune(double f);
  // Re-zeroes the pruned weights (after an optimizer step). No-op for dense networks.
  void apply_masks();
  // Whether any layer has a sparsity target (and so a mask).
  bool sparse() const;
  // Zero weights of layer i after its mask (tests, export checks): the weight tensor's zeros.
  int64_t zero_weights(size_t i) const;

  // The integer network (eval-mode statistics; the module must have run at least one forward
  // in training mode so every range is set, else savp::Error names the layer).
  mapper::QuantizedNetwork to_quantized() const;

 private:
  struct LayerState {
    torch::Tensor weight, bias, gamma, beta;  // parameters (undefined where unused)
    torch::Tensor running_mean, running_var;  // batch norm buffers
    torch::Tensor range;                      // output range EMA (0 = not yet seen)
    torch::Tensor mask;                       // sparsity > 0: 1 kept, 0 pruned
  };
  struct Quantized {  // one conv / linear layer's weights on their grid
    torch::Tensor wq;   // real values
    double s_w = 1.0;   // weight scale (shift: 2^p_min)
  };
  Quantized quantize_weight(size_t i, const torch::Tensor& w, double s_x) const;
  // Layer i's output scale from its range / its inputs' scales (`scales` holds layers < i).
  double out_scale(size_t i, const std::vector<double>& scales) const;
  double scale_of(const std::string& input, const std::vector<double>& scales) const;

  mapper::Network net_;
  std::vector<LayerState> st_;
  double bn_momentum_ = kBnMomentum, range_momentum_ = kRangeMomentum;
};
TORCH_MODULE(QatNet);

// A 0/1 mask of w's shape with exactly round(sparsity * numel) zeros at the smallest |w| (ties:
// torch's sort order; deterministic for a given tensor). sparsity 0: all ones.
torch::Tensor magnitude_mask(const torch::Tensor& w, double sparsity);

// The network input for a batch of uint8 images ([N, H*W*C] bytes, or a Dataset range): the
// input rule of nas/data as reals int / qmax, [N, C, H, W].
torch::Tensor input_tensor(const mapper::Network& net, const uint8_t* pixels, int64_t n);

}  // namespace savp::nas::quant
