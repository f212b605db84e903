#include "nas/quant/qat_net.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "nas/data/fashion_mnist.hpp"
#include "nas/ops/ops.hpp"

namespace savp::nas::quant {

namespace F = torch::nn::functional;
using mapper::Layer;
using mapper::LayerType;

namespace {

int64_t in_features(const Layer& l) { return static_cast<int64_t>(l.in_shape.elements()); }

// NCHW -> [N, H*W*C, 1, 1] in the IR's HWC order (flatten, and linear's input).
torch::Tensor flatten_hwc(const torch::Tensor& x) {
  return x.permute({0, 2, 3, 1}).reshape({x.size(0), -1, 1, 1});
}

// round half up to the integer grid of `scale`, clamped to [lo, hi], back to reals (STE).
torch::Tensor fake_quant(const torch::Tensor& y, double scale, double lo, double hi) {
  return ops::round_ste(y / scale).clamp(lo, hi) * scale;
}

double round_half_up(double v) { return std::floor(v + 0.5); }

}  // namespace

QatNetImpl::QatNetImpl(const mapper::Network& net, uint64_t seed) : net_(net) {
  torch::manual_seed(seed);
  st_.resize(net_.layers.size());
  for (size_t i = 0; i < net_.layers.size(); ++i) {
    const Layer& l = net_.layers[i];
    LayerState& s = st_[i];
    const std::string p = fmt::format("l{}_", i);
    if (l.has_weights()) {
      const int64_t k = l.out_channels;
      torch::Tensor w;
      int64_t fan_in;
      if (l.type == LayerType::Conv) {
        const int64_t cg = l.in_shape.c / l.groups;
        w = torch::empty({k, cg, static_cast<int64_t>(l.kernel_h), static_cast<int64_t>(l.kernel_w)});
        fan_in = cg * l.kernel_h * l.kernel_w;
      } else {
        w = torch::empty({k, in_features(l)});
        fan_in = in_features(l);
      }
      // Kaiming uniform with a = sqrt(5) (torch's conv / linear default): bound 1 / sqrt(fan_in).
      const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
      w.uniform_(-bound, bound);
      s.weight = register_parameter(p + "weight", w);
      if (l.batch_norm) {
        s.gamma = register_parameter(p + "gamma", torch::ones({1}));
        s.beta = register_parameter(p + "beta", torch::zeros({k}));
        s.running_mean = register_buffer(p + "running_mean", torch::zeros({k}));
        s.running_var = register_buffer(p + "running_var", torch::ones({1}));
      } else {
        s.bias = register_parameter(p + "bias", torch::zeros({k}));
      }
    }
    if (l.has_weights() && l.sparsity > 0)
      s.mask = register_buffer(p + "mask", torch::ones_like(s.weight));
    if (l.has_weights() || l.type == LayerType::Add)
      s.range = register_buffer(p + "range", torch::zeros({1}, torch::kFloat64));
  }
}

std::vector<torch::Tensor> QatNetImpl::adder_weights() const {
  std::vector<torch::Tensor> r;
  for (size_t i = 0; i < net_.layers.size(); ++i)
    if (net_.layers[i].has_weights() && net_.layers[i].op == OpKind::Adder)
      r.push_back(st_[i].weight);
  return r;
}

torch::Tensor magnitude_mask(const torch::Tensor& w, double sparsity) {
  torch::NoGradGuard ng;
  torch::Tensor m = torch::ones_like(w);
  const int64_t n = w.numel();
  const auto k = static_cast<int64_t>(std::llround(sparsity * static_cast<double>(n)));
  if (k <= 0) return m;
  const torch::Tensor idx = std::get<1>(w.detach().abs().flatten().topk(std::min(k, n), 0, false));
  m.view({-1}).index_fill_(0, idx, 0.0);
  return m;
}

void QatNetImpl::prune(double f) {
  torch::NoGradGuard ng;
  f = std::clamp(f, 0.0, 1.0);
  for (size_t i = 0; i < net_.layers.size(); ++i) {
    LayerState& s = st_[i];
    if (!s.mask.defined()) continue;
    // Pruned weights are zero (apply_masks), so they are the smallest and stay pruned.
    s.mask.copy_(magnitude_mask(s.weight * s.mask, f * net_.layers[i].sparsity));
    s.weight.mul_(s.mask);
  }
}

void QatNetImpl::apply_masks() {
  torch::NoGradGuard ng;
  for (LayerState& s : st_)
    if (s.mask.defined()) s.weight.mul_(s.mask);
}

bool QatNetImpl::sparse() const {
  for (const LayerState& s : st_)
    if (s.mask.defined()) return true;
  return false;
}

int64_t QatNetImpl::zero_weights(size_t i) const {
  const LayerState& s = st_.at(i);
  if (!s.weight.defined()) return 0;
  const torch::Tensor w = s.mask.defined() ? s.weight * s.mask : s.weight;
  return w.eq(0).sum().item<int64_t>();
}

double QatNetImpl::scale_of(const std::string& input, const std::vector<double>& scales) const {
  if (input == mapper::kInputName)
    return 1.0 / arith::qmax(static_cast<int>(net_.input_act_bits));
  return scales[static_cast<size_t>(net_.index_of(input))];
}

double QatNetImpl::out_scale(size_t i, const std::vector<double>& scales) const {
  const Layer& l = net_.layers[i];
  const double s_in = scale_of(l.inputs[0], scales);
  switch (l.type) {
    case LayerType::MaxPool:
    case LayerType::Flatten:
      return s_in;
    case LayerType::AvgPool:
    case LayerType::GlobalAvgPool: {
      const int in_bits = l.inputs[0] == mapper::kInputName
                              ? static_cast<int>(net_.input_act_bits)
                              : static_cast<int>(net_.layer(l.inputs[0]).act_bits);
      return s_in * arith::qmax(in_bits) / arith::qmax(static_cast<int>(l.act_bits));
    }
    default: {
      const double r = st_[i].range.item<double>();
      if (!(r > 0))
        throw Error(fmt::format("layer '{}': its output range is not calibrated yet (run the "
                                "network in training mode on some data first)",
                                l.name));
      return r / arith::qmax(static_cast<int>(l.act_bits));
    }
  }
}

QatNetImpl::Quantized QatNetImpl::quantize_weight(size_t i, const torch::Tensor& w,
                                                  double s_x) const {
  const Layer& l = net_.layers[i];
  const int bits = static_cast<int>(l.weight_bits);
  const double lo = arith::qmin(bits, false), hi = arith::qmax(bits);
  Quantized q;
  const double wmax = w.detach().abs().max().item<double>();
  switch (l.op) {
    case OpKind::Mult:
      q.s_w = wmax > 0 ? wmax / hi : 1.0;
      q.wq = fake_quant(w, q.s_w, lo, hi);
      break;
    case OpKind::Shift: {
      const double pmax = wmax > 0 ? round_half_up(std::log2(wmax)) : 0.0;
      const double pmin = pmax - arith::max_shift_exponent(bits);
      q.s_w = std::pow(2.0, pmin);
      q.wq = ops::shift_q_weight(w, pmin, pmax);
      break;
    }
    case OpKind::Adder:
      q.s_w = s_x;
      q.wq = fake_quant(w, s_x, lo, hi);
      break;
  }
  return q;
}

torch::Tensor QatNetImpl::forward(const torch::Tensor& x) { return forward_with(x, {}); }

torch::Tensor QatNetImpl::forward_with(const torch::Tensor& x,
                                       const std::vector<LayerOverride>& ov) {
  const size_t n = net_.layers.size();
  if (!ov.empty() && ov.size() != n)
    throw Error(fmt::format("network '{}': {} layer overrides for {} layers", net_.name,
                            ov.size(), n));
  auto pick = [&](size_t i, torch::Tensor LayerOverride::*f, const torch::Tensor& own) {
    return ov.empty() || !(ov[i].*f).defined() ? own : ov[i].*f;
  };
  std::vector<torch::Tensor> outs(n);
  std::vector<double> scales(n, 0.0);
  auto input = [&](const std::string& name) -> const torch::Tensor& {
    return name == mapper::kInputName ? x : outs[static_cast<size_t>(net_.index_of(name))];
  };
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = net_.layers[i];
    LayerState& s = st_[i];
    const torch::Tensor& in = input(l.inputs[0]);
    const double s_x = scale_of(l.inputs[0], scales);
    const int bits = static_cast<int>(l.act_bits);
    torch::Tensor y;
    switch (l.type) {
      case LayerType::Conv:
      case LayerType::Linear: {
        // Own weights through the pruning mask; an override (the supernet's) comes pruned.
        const torch::Tensor own = s.mask.defined() ? s.weight * s.mask : s.weight;
        const Quantized q = quantize_weight(i, pick(i, &LayerOverride::weight, own), s_x);
        torch::Tensor acc;
        if (l.type == LayerType::Conv) {
          const auto stride = static_cast<int64_t>(l.stride_h);
          const auto pad = static_cast<int64_t>(l.pad_h);
          if (l.op == OpKind::Adder) {
            if (l.stride_h != l.stride_w || l.pad_h != l.pad_w)
              throw Error(fmt::format("layer '{}': adder convs take one stride and one padding "
                                      "for both axes (got stride [{}, {}], padding [{}, {}])",
                                      l.name, l.stride_h, l.stride_w, l.pad_h, l.pad_w));
            acc = ops::adder_conv2d(in, q.wq, stride, pad, l.groups);
          } else {
            acc = F::conv2d(in, q.wq,
                            F::Conv2dFuncOptions().stride({static_cast<int64_t>(l.stride_h),
                                                           static_cast<int64_t>(l.stride_w)})
                                .padding({pad, static_cast<int64_t>(l.pad_w)})
                                .groups(l.groups));
          }
        } else {
          const torch::Tensor v = flatten_hwc(in).flatten(1);
          acc = l.op == OpKind::Adder ? ops::adder_linear(v, q.wq) : F::linear(v, q.wq);
          acc = acc.view({acc.size(0), acc.size(1), 1, 1});
        }
        const double s_acc = l.op == OpKind::Adder ? s_x : s_x * q.s_w;  // adder: x, w on one scale
        torch::Tensor g, b;
        if (l.batch_norm) {
          torch::Tensor mean, var;
          if (is_training()) {
            mean = acc.mean({0, 2, 3});
            var = (acc - mean.view({1, -1, 1, 1})).pow(2).mean().view({1});
            torch::NoGradGuard ng;
            if (s.range.item<double>() <= 0) {
              // The first training batch: start the running statistics there, not at (0, 1):
              // adder accumulators have means far from 0, and a short calibration would
              // otherwise leave the eval-mode statistics off by a multiple of the spread.
              s.running_mean.copy_(mean.detach());
              s.running_var.copy_(var.detach());
            } else {
              s.running_mean.mul_(1 - bn_momentum_).add_(bn_momentum_ * mean.detach());
              s.running_var.mul_(1 - bn_momentum_).add_(bn_momentum_ * var.detach());
            }
          } else {
            mean = s.running_mean;
            var = s.running_var;
          }
          g = pick(i, &LayerOverride::gamma, s.gamma).abs() / torch::sqrt(var + kBnEps);
          b = -mean + pick(i, &LayerOverride::beta, s.beta) / g;
        } else {
          g = torch::ones({1}, acc.options());
          b = pick(i, &LayerOverride::bias, s.bias);
        }
        // The bias on the accumulator grid (the int32 bias the export writes).
        const torch::Tensor bq = ops::round_ste(b / s_acc) * s_acc;
        y = g.view({1, -1, 1, 1}) * (acc + bq.view({1, -1, 1, 1}));
        break;
      }
      case LayerType::Add:
        y = in + input(l.inputs[1]);
        break;
      case LayerType::MaxPool:
        y = F::max_pool2d(in, F::MaxPool2dFuncOptions({static_cast<int64_t>(l.kernel_h),
                                                       static_cast<int64_t>(l.kernel_w)})
                                  .stride({static_cast<int64_t>(l.stride_h),
                                           static_cast<int64_t>(l.stride_w)})
                                  .padding({static_cast<int64_t>(l.pad_h),
                                            static_cast<int64_t>(l.pad_w)}));
        break;
      case LayerType::AvgPool:
        y = F::avg_pool2d(in, F::AvgPool2dFuncOptions({static_cast<int64_t>(l.kernel_h),
                                                       static_cast<int64_t>(l.kernel_w)})
                                  .stride({static_cast<int64_t>(l.stride_h),
                                           static_cast<int64_t>(l.stride_w)})
                                  .padding({static_cast<int64_t>(l.pad_h),
                                            static_cast<int64_t>(l.pad_w)})
                                  .count_include_pad(true));
        break;
      case LayerType::GlobalAvgPool:
        y = in.mean({2, 3}, true);
        break;
      case LayerType::Flatten:
        y = flatten_hwc(in);
        break;
    }
    if (!ov.empty() && ov[i].gate.defined()) y = y * ov[i].gate;
    const bool relu = (l.has_weights() || l.type == LayerType::Add) && l.relu;
    if (relu) y = torch::relu(y);
    if (s.range.defined() && is_training()) {
      torch::NoGradGuard ng;
      const double peak = (relu ? y.max() : y.abs().max()).item<double>();
      const double r = s.range.item<double>();
      s.range.fill_(r > 0 ? (1 - range_momentum_) * r + range_momentum_ * peak
                          : std::max(peak, 1e-6));
    }
    scales[i] = out_scale(i, scales);
    if (l.type != LayerType::MaxPool && l.type != LayerType::Flatten)
      y = fake_quant(y, scales[i], arith::qmin(bits, relu), arith::qmax(bits));
    outs[i] = y;
  }
  return outs.back().flatten(1);
}

mapper::QuantizedNetwork QatNetImpl::to_quantized() const {
  torch::NoGradGuard ng;
  mapper::QuantizedNetwork q;
  q.net = net_;
  const size_t n = net_.layers.size();
  q.params.resize(n);
  std::vector<double> scales(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = net_.layers[i];
    const LayerState& s = st_[i];
    mapper::LayerParams& p = q.params[i];
    scales[i] = out_scale(i, scales);
    const double s_x = scale_of(l.inputs[0], scales);
    const double s_y = scales[i];
    if (l.has_weights()) {
      const Quantized qw = quantize_weight(i, s.mask.defined() ? s.weight * s.mask : s.weight, s_x);
      const double s_acc = l.op == OpKind::Adder ? s_x : s_x * qw.s_w;
      // Weights to the IR layout: conv [k][kh][kw][c/g] (torch: [k][c/g][kh][kw]); linear [o][i].
      torch::Tensor wi = (qw.wq / qw.s_w).to(torch::kFloat64);
      if (l.type == LayerType::Conv) wi = wi.permute({0, 2, 3, 1});
      wi = wi.contiguous().flatten();
      p.weights.resize(static_cast<size_t>(wi.numel()));
      const double* wv = wi.data_ptr<double>();
      for (size_t k = 0; k < p.weights.size(); ++k) {
        const double v = round_half_up(wv[k]);
        if (l.op == OpKind::Shift) {
          // v = sign * 2^e (or 0): the sign + exponent byte.
          const int e = v == 0 ? 0 : static_cast<int>(std::lround(std::log2(std::fabs(v))));
          p.weights[k] = arith::encode_shift_weight(v > 0 ? 1 : (v < 0 ? -1 : 0), e);
        } else {
          p.weights[k] = static_cast<int8_t>(v);
        }
      }
      double g = 1.0;
      torch::Tensor b;
      if (l.batch_norm) {
        g = s.gamma.abs().item<double>() / std::sqrt(s.running_var.item<double>() + kBnEps);
        b = -s.running_mean + s.beta / g;
      } else {
        b = s.bias;
      }
      const torch::Tensor bd = b.to(torch::kFloat64).contiguous();
      p.bias.resize(static_cast<size_t>(bd.numel()));
      for (size_t k = 0; k < p.bias.size(); ++k) {
        const double v = round_half_up(bd.data_ptr<double>()[k] / s_acc);
        p.bias[k] = static_cast<int32_t>(std::clamp<double>(
            v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
      }
      const mapper::Requant rq = mapper::requant_for(g * s_acc / s_y);
      p.multiplier = rq.multiplier;
      p.shift = rq.shift;
    } else if (l.type == LayerType::AvgPool || l.type == LayerType::GlobalAvgPool) {
      const double window = l.type == LayerType::GlobalAvgPool
                                ? static_cast<double>(l.in_shape.h) * l.in_shape.w
                                : static_cast<double>(l.kernel_h) * l.kernel_w;
      const mapper::Requant rq = mapper::requant_for(s_x / s_y / window);
      p.multiplier = rq.multiplier;
      p.shift = rq.shift;
    } else if (l.type == LayerType::Add) {
      // One S for both operands: the smaller of the two ratios' own shifts, so both M < 2^31.
      const double ra = s_x / s_y, rb = scale_of(l.inputs[1], scales) / s_y;
      const int shift = std::min(mapper::requant_for(ra).shift, mapper::requant_for(rb).shift);
      const double two_s = std::ldexp(1.0, shift);
      p.multiplier = static_cast<int32_t>(round_half_up(ra * two_s));
      p.multiplier2 = static_cast<int32_t>(round_half_up(rb * two_s));
      p.shift = shift;
    }
  }
  return q;
}

torch::Tensor input_tensor(const mapper::Network& net, const uint8_t* pixels, int64_t n) {
  const int bits = static_cast<int>(net.input_act_bits);
  const int64_t h = net.input.h, w = net.input.w, c = net.input.c;
  torch::Tensor t = torch::empty({n, h, w, c}, torch::kFloat32);
  float* d = t.data_ptr<float>();
  const double qmax = arith::qmax(bits);
  for (int64_t i = 0; i < n * h * w * c; ++i)
    d[i] = static_cast<float>(data::quantize_pixel(pixels[i], bits) / qmax);
  return t.permute({0, 3, 1, 2}).contiguous();
}

}  // namespace savp::nas::quant
