#include "nas/quant/int_inference.hpp"

#include <fmt/format.h>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "nas/data/fashion_mnist.hpp"
#include "nas/ops/ops.hpp"

namespace savp::nas::quant {

namespace F = torch::nn::functional;
using mapper::Layer;
using mapper::LayerType;

namespace {

// arith::wrap_add's int32 of an exact int64 sum.
torch::Tensor wrap_int32(const torch::Tensor& v) {
  const int64_t two31 = int64_t{1} << 31;
  return torch::remainder(v + two31, int64_t{1} << 32) - two31;
}

// arith::round_shift then arith::saturate, on int64.
torch::Tensor round_sat(const torch::Tensor& v, int shift, int bits, bool relu) {
  torch::Tensor r = v;
  if (shift > 0)
    r = torch::div(v + (int64_t{1} << (shift - 1)), int64_t{1} << shift, "floor");
  return r.clamp(arith::qmin(bits, relu), arith::qmax(bits));
}

// The layer's weights as float64 [k, c/g, kh, kw] (conv) or [out, in] (linear) of their
// integer values (shift: sign * 2^e).
torch::Tensor weight_values(const Layer& l, const mapper::LayerParams& p) {
  std::vector<double> v(p.weights.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (l.op == OpKind::Shift) {
      const arith::ShiftWeight s = arith::decode_shift_weight(p.weights[i]);
      v[i] = s.sign * std::ldexp(1.0, s.exponent);
    } else {
      v[i] = p.weights[i];
    }
  }
  torch::Tensor w = torch::tensor(v, torch::kFloat64);
  if (l.type == LayerType::Linear)
    return w.view({static_cast<int64_t>(l.out_channels), static_cast<int64_t>(l.in_shape.elements())});
  return w.view({static_cast<int64_t>(l.out_channels), static_cast<int64_t>(l.kernel_h),
                 static_cast<int64_t>(l.kernel_w), static_cast<int64_t>(l.in_shape.c / l.groups)})
      .permute({0, 3, 1, 2})
      .contiguous();
}

torch::Tensor flatten_hwc(const torch::Tensor& x) {
  return x.permute({0, 2, 3, 1}).reshape({x.size(0), -1, 1, 1});
}

}  // namespace

std::vector<torch::Tensor> int_forward(const mapper::QuantizedNetwork& q, const torch::Tensor& input) {
  torch::NoGradGuard ng;
  const mapper::Network& net = q.net;
  if (input.dim() != 4 || input.size(1) != net.input.c || input.size(2) != net.input.h ||
      input.size(3) != net.input.w)
    throw Error(fmt::format("network '{}': input of shape {} does not fit {} (h x w x c; NCHW "
                            "expected)",
                            net.name, fmt::join(input.sizes(), "x"), net.input.str()));
  if (q.params.size() != net.layers.size())
    throw Error(fmt::format("network '{}': {} parameter sets for {} layers", net.name,
                            q.params.size(), net.layers.size()));
  const torch::Tensor x = input.to(torch::kInt64);
  const size_t n = net.layers.size();
  std::vector<torch::Tensor> outs(n);
  auto get = [&](const std::string& name) -> const torch::Tensor& {
    return name == mapper::kInputName ? x : outs[static_cast<size_t>(net.index_of(name))];
  };
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = net.layers[i];
    const mapper::LayerParams& p = q.params[i];
    const torch::Tensor& in = get(l.inputs[0]);
    const int bits = static_cast<int>(l.act_bits);
    const int64_t kh = l.kernel_h, kw = l.kernel_w, sh = l.stride_h, sw = l.stride_w,
                  ph = l.pad_h, pw = l.pad_w;
    torch::Tensor y;
    switch (l.type) {
      case LayerType::Conv:
      case LayerType::Linear: {
        const torch::Tensor w = weight_values(l, p);
        const torch::Tensor xd = in.to(torch::kFloat64);
        torch::Tensor acc;
        if (l.type == LayerType::Conv) {
          if (l.op == OpKind::Adder) {
            if (sh != sw || ph != pw)
              throw Error(fmt::format("layer '{}': adder convs take one stride and padding", l.name));
            acc = ops::adder_conv2d(xd, w, sh, ph, l.groups);
          } else {
            acc = F::conv2d(xd, w, F::Conv2dFuncOptions().stride({sh, sw}).padding({ph, pw}).groups(l.groups));
          }
        } else {
          const torch::Tensor v = flatten_hwc(xd).flatten(1);
          acc = l.op == OpKind::Adder ? ops::adder_linear(v, w) : torch::mm(v, w.t());
          acc = acc.view({acc.size(0), acc.size(1), 1, 1});
        }
        torch::Tensor bias = torch::tensor(std::vector<int64_t>(p.bias.begin(), p.bias.end()),
                                           torch::kInt64);
        torch::Tensor a = wrap_int32(acc.to(torch::kInt64) + bias.view({1, -1, 1, 1}));
        y = round_sat(a * int64_t{p.multiplier}, p.shift, bits, l.relu);
        break;
      }
      case LayerType::AvgPool:
      case LayerType::GlobalAvgPool: {
        torch::Tensor sum;
        if (l.type == LayerType::GlobalAvgPool)
          sum = in.sum({2, 3}, true);
        else
          sum = F::avg_pool2d(in.to(torch::kFloat64),
                              F::AvgPool2dFuncOptions({kh, kw}).stride({sh, sw}).padding({ph, pw})
                                  .count_include_pad(true).divisor_override(1))
                    .to(torch::kInt64);
        y = round_sat(wrap_int32(sum) * int64_t{p.multiplier}, p.shift, bits, false);
        break;
      }
      case LayerType::MaxPool:
        y = F::max_pool2d(in.to(torch::kFloat64),
                          F::MaxPool2dFuncOptions({kh, kw}).stride({sh, sw}).padding({ph, pw}))
                .to(torch::kInt64)
                .clamp(arith::qmin(bits, false), arith::qmax(bits));
        break;
      case LayerType::Add:
        y = round_sat(in * int64_t{p.multiplier} + get(l.inputs[1]) * int64_t{p.multiplier2},
                      p.shift, bits, l.relu);
        break;
      case LayerType::Flatten:
        y = flatten_hwc(in);
        break;
    }
    outs[i] = y.contiguous();
  }
  return outs;
}

torch::Tensor input_ints(const mapper::Network& net, const uint8_t* pixels, int64_t n) {
  const int bits = static_cast<int>(net.input_act_bits);
  const int64_t h = net.input.h, w = net.input.w, c = net.input.c;
  torch::Tensor t = torch::empty({n, h, w, c}, torch::kInt64);
  int64_t* d = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < n * h * w * c; ++i) d[i] = data::quantize_pixel(pixels[i], bits);
  return t.permute({0, 3, 1, 2}).contiguous();
}

std::vector<int> argmax_first(const torch::Tensor& logits) {
  const torch::Tensor l = logits.reshape({logits.size(0), -1}).to(torch::kInt64).contiguous();
  const auto a = l.accessor<int64_t, 2>();
  std::vector<int> r(static_cast<size_t>(l.size(0)));
  for (int64_t i = 0; i < l.size(0); ++i) {
    int best = 0;
    for (int64_t k = 1; k < l.size(1); ++k)
      if (a[i][k] > a[i][best]) best = static_cast<int>(k);
    r[static_cast<size_t>(i)] = best;
  }
  return r;
}

std::vector<int8_t> sample_hwc(const torch::Tensor& out, int64_t n) {
  const torch::Tensor s = out[n].permute({1, 2, 0}).contiguous().to(torch::kInt64);
  std::vector<int8_t> r(static_cast<size_t>(s.numel()));
  const int64_t* d = s.data_ptr<int64_t>();
  for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<int8_t>(d[i]);
  return r;
}

}  // namespace savp::nas::quant
