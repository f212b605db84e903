#include "mapper/reference_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "common/arith.hpp"
#include "common/errors.hpp"

namespace savp::mapper {

namespace {

std::string layer_desc(const Layer& l) {
  return fmt::format("layer '{}' ({}{}{})", l.name, to_string(l.type),
                     l.has_weights() ? ", " : "", l.has_weights() ? to_string(l.op) : "");
}

size_t expected_inputs(const Layer& l) { return l.type == LayerType::Add ? 2 : 1; }

// Conv (grouped, depthwise) and linear: every output pixel gathers each group's zero-padded
// window into a patch laid out [ky][kx][c/groups] like one filter, then each filter of the
// group is one pe_accumulate chain starting at its bias. Linear is a 1x1 "conv" over its
// flattened input. K is a constant so pe_term's switch folds away.
template <OpKind K>
void conv_acc(const Layer& l, const LayerParams& p, const int8_t* in, int32_t* acc) {
  const bool linear = l.type == LayerType::Linear;
  const int64_t ih = linear ? 1 : l.in_shape.h, iw = linear ? 1 : l.in_shape.w;
  const int64_t c = linear ? static_cast<int64_t>(l.in_shape.elements()) : l.in_shape.c;
  const int64_t kh = linear ? 1 : l.kernel_h, kw = linear ? 1 : l.kernel_w;
  const int64_t sh = linear ? 1 : l.stride_h, sw = linear ? 1 : l.stride_w;
  const int64_t ph = linear ? 0 : l.pad_h, pw = linear ? 0 : l.pad_w;
  const int64_t oh = l.out_shape.h, ow = l.out_shape.w, k = l.out_channels;
  const int64_t groups = linear ? 1 : l.groups;
  const int64_t cg = c / groups, kg = k / groups, window = kh * kw * cg;
  std::vector<int8_t> patch(static_cast<size_t>(window));
  for (int64_t oy = 0; oy < oh; ++oy) {
    for (int64_t ox = 0; ox < ow; ++ox) {
      int32_t* out = acc + (oy * ow + ox) * k;
      for (int64_t g = 0; g < groups; ++g) {
        int8_t* dst = patch.data();
        for (int64_t ky = 0; ky < kh; ++ky) {
          const int64_t iy = oy * sh - ph + ky;
          for (int64_t kx = 0; kx < kw; ++kx, dst += cg) {
            const int64_t ix = ox * sw - pw + kx;
            if (iy < 0 || iy >= ih || ix < 0 || ix >= iw)
              std::memset(dst, 0, static_cast<size_t>(cg));  // padding: x = 0
            else
              std::memcpy(dst, in + (iy * iw + ix) * c + g * cg, static_cast<size_t>(cg));
          }
        }
        for (int64_t kk = g * kg; kk < (g + 1) * kg; ++kk) {
          const int8_t* w = p.weights.data() + kk * window;
          int32_t a = p.bias[static_cast<size_t>(kk)];
          for (int64_t i = 0; i < window; ++i) a = arith::pe_accumulate(K, a, patch[i], w[i]);
          out[kk] = a;
        }
      }
    }
  }
}

// Window sums (avgpool, global_avgpool) or maxima (maxpool) over in-bounds elements only.
template <bool kMax>
void pool(const Layer& l, const int8_t* in, int32_t* r) {
  const bool global = l.type == LayerType::GlobalAvgPool;
  const int64_t ih = l.in_shape.h, iw = l.in_shape.w, c = l.in_shape.c;
  const int64_t kh = global ? ih : l.kernel_h, kw = global ? iw : l.kernel_w;
  const int64_t sh = global ? 1 : l.stride_h, sw = global ? 1 : l.stride_w;
  const int64_t ph = global ? 0 : l.pad_h, pw = global ? 0 : l.pad_w;
  const int64_t oh = l.out_shape.h, ow = l.out_shape.w;
  for (int64_t oy = 0; oy < oh; ++oy) {
    for (int64_t ox = 0; ox < ow; ++ox) {
      int32_t* o = r + (oy * ow + ox) * c;
      std::fill(o, o + c, kMax ? std::numeric_limits<int32_t>::min() : 0);
      for (int64_t ky = 0; ky < kh; ++ky) {
        const int64_t iy = oy * sh - ph + ky;
        if (iy < 0 || iy >= ih) continue;
        for (int64_t kx = 0; kx < kw; ++kx) {
          const int64_t ix = ox * sw - pw + kx;
          if (ix < 0 || ix >= iw) continue;
          const int8_t* x = in + (iy * iw + ix) * c;
          for (int64_t cc = 0; cc < c; ++cc) o[cc] = kMax ? std::max<int32_t>(o[cc], x[cc])
                                                          : o[cc] + x[cc];
        }
      }
    }
  }
}

void check_inputs(const Layer& l, const std::vector<const std::vector<int8_t>*>& inputs) {
  if (inputs.size() != expected_inputs(l))
    throw Error(fmt::format("{}: {} inputs given, the layer takes {}", layer_desc(l),
                            inputs.size(), expected_inputs(l)));
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i] == nullptr || inputs[i]->size() != l.in_shape.elements())
      throw Error(fmt::format("{}: input {} ('{}') has {} elements, expected {} ({})",
                              layer_desc(l), i, i < l.inputs.size() ? l.inputs[i] : "?",
                              inputs[i] ? inputs[i]->size() : 0, l.in_shape.elements(),
                              l.in_shape.str()));
}

}  // namespace

void check_params(const Layer& l, const LayerParams& p) {
  if (l.has_weights()) {
    if (p.weights.size() != l.weight_count())
      throw Error(fmt::format("{}: {} weights given, the layer has {}", layer_desc(l),
                              p.weights.size(), l.weight_count()));
    if (p.bias.size() != l.bias_count())
      throw Error(fmt::format("{}: {} biases given, the layer has {}", layer_desc(l),
                              p.bias.size(), l.bias_count()));
    const int bits = static_cast<int>(l.weight_bits);
    for (size_t i = 0; i < p.weights.size(); ++i) {
      const int8_t w = p.weights[i];
      bool ok;
      if (l.op == OpKind::Shift)
        ok = arith::decode_shift_weight(w).exponent <= arith::max_shift_exponent(bits);
      else
        ok = w >= arith::qmin(bits, false) && w <= arith::qmax(bits);
      if (!ok)
        throw Error(fmt::format("{}: weight {} = {} is not a valid {}-bit {} weight",
                                layer_desc(l), i, static_cast<int>(w), bits, to_string(l.op)));
    }
  } else if (!p.weights.empty() || !p.bias.empty()) {
    throw Error(fmt::format("{}: {} weights and {} biases given, the layer has none",
                            layer_desc(l), p.weights.size(), p.bias.size()));
  }
  if (p.multiplier < 0 || p.multiplier2 < 0 || p.shift < 0 || p.shift > 62)
    throw Error(fmt::format(
        "{}: requantization (multiplier {}, multiplier2 {}, shift {}) out of range "
        "(multipliers in [0, 2^31), shift in [0, 62])",
        layer_desc(l), p.multiplier, p.multiplier2, p.shift));
}

std::vector<int32_t> layer_accumulators(const Layer& l, const LayerParams& p,
                                        const std::vector<const std::vector<int8_t>*>& inputs) {
  check_inputs(l, inputs);
  std::vector<int32_t> acc(l.out_shape.elements());
  const int8_t* in = inputs[0]->data();
  switch (l.type) {
    case LayerType::Conv:
    case LayerType::Linear:
      check_params(l, p);
      switch (l.op) {
        case OpKind::Mult:
          conv_acc<OpKind::Mult>(l, p, in, acc.data());
          break;
        case OpKind::Shift:
          conv_acc<OpKind::Shift>(l, p, in, acc.data());
          break;
        case OpKind::Adder:
          conv_acc<OpKind::Adder>(l, p, in, acc.data());
          break;
      }
      break;
    case LayerType::AvgPool:
    case LayerType::GlobalAvgPool:
      pool<false>(l, in, acc.data());
      break;
    case LayerType::MaxPool:
      pool<true>(l, in, acc.data());
      break;
    default:
      throw Error(fmt::format("{}: has no accumulators", layer_desc(l)));
  }
  return acc;
}

std::vector<int8_t> run_layer(const Layer& l, const LayerParams& p,
                              const std::vector<const std::vector<int8_t>*>& inputs) {
  check_inputs(l, inputs);
  const int bits = static_cast<int>(l.act_bits);
  std::vector<int8_t> out(l.out_shape.elements());
  switch (l.type) {
    case LayerType::Conv:
    case LayerType::Linear:
    case LayerType::AvgPool:
    case LayerType::GlobalAvgPool: {
      const std::vector<int32_t> acc = layer_accumulators(l, p, inputs);
      const bool relu = l.has_weights() && l.relu;  // pools requantize without ReLU
      for (size_t i = 0; i < acc.size(); ++i)
        out[i] = arith::requantize(acc[i], p.multiplier, p.shift, bits, relu);
      break;
    }
    case LayerType::MaxPool: {
      const std::vector<int32_t> m = layer_accumulators(l, p, inputs);
      for (size_t i = 0; i < m.size(); ++i) out[i] = arith::saturate(m[i], bits, false);
      break;
    }
    case LayerType::Add: {
      const std::vector<int8_t>& a = *inputs[0];
      const std::vector<int8_t>& b = *inputs[1];
      for (size_t i = 0; i < out.size(); ++i)
        out[i] = arith::residual_add(a[i], b[i], p.multiplier, p.multiplier2, p.shift, bits,
                                     l.relu);
      break;
    }
    case LayerType::Flatten:
      out = *inputs[0];
      break;
  }
  return out;
}

std::vector<std::vector<int8_t>> run_reference(const QuantizedNetwork& q,
                                               const std::vector<int8_t>& input) {
  const Network& net = q.net;
  if (q.params.size() != net.layers.size())
    throw Error(fmt::format("network '{}': {} layer parameter sets given, the network has {} layers",
                            net.name, q.params.size(), net.layers.size()));
  if (input.size() != net.input.elements())
    throw Error(fmt::format("network '{}': input has {} elements, expected {} ({})", net.name,
                            input.size(), net.input.elements(), net.input.str()));
  for (size_t i = 0; i < net.layers.size(); ++i) check_params(net.layers[i], q.params[i]);
  std::vector<std::vector<int8_t>> outs(net.layers.size());
  std::vector<const std::vector<int8_t>*> ins;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    ins.clear();
    for (const std::string& name : l.inputs) {
      if (name == kInputName) {
        ins.push_back(&input);
        continue;
      }
      const int j = net.index_of(name);
      if (j < 0 || static_cast<size_t>(j) >= i)
        throw Error(fmt::format("{}: input '{}' is not an earlier layer", layer_desc(l), name));
      ins.push_back(&outs[static_cast<size_t>(j)]);
    }
    outs[i] = run_layer(l, q.params[i], ins);
  }
  return outs;
}

}  // namespace savp::mapper
