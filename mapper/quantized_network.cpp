#include "mapper/quantized_network.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "common/splitmix64.hpp"
#include "mapper/reference_executor.hpp"

namespace savp::mapper {

namespace {

using Rng = SplitMix64;  // common/splitmix64.hpp: portable, so the weights are too

// A stream per (seed, name): FNV-1a of the name mixed with the seed. Layer names never contain
// '#', so "name#bias" cannot collide with another layer's name.
uint64_t stream_seed(uint64_t seed, const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : name) h = (h ^ ch) * 0x100000001b3ull;
  Rng mix(seed ^ h);
  return mix.next() ^ (seed * 0x9E3779B97F4A7C15ull);
}

std::vector<int32_t> random_bias(const Layer& l, uint64_t seed) {
  Rng r(stream_seed(seed, l.name + "#bias"));
  std::vector<int32_t> b(l.bias_count());
  for (int32_t& v : b) v = static_cast<int32_t>(r.range(-kBiasRange, kBiasRange));
  return b;
}

uint32_t act_bits_of(const Network& net, const std::string& name) {
  return name == kInputName ? net.input_act_bits : net.layer(name).act_bits;
}

// Adds `delta` (per output channel) to the bias and to the accumulators already computed with
// the old bias (modulo 2^32, which is exactly what recomputing them would give).
// A single-pixel output (linear, or a conv on 1x1) has one sample per channel, whose own mean
// would cancel it: there every channel is shifted by the mean over all channels instead.
void centre_channels(const Layer& l, LayerParams& p, std::vector<int32_t>& acc) {
  const size_t k = l.out_channels, pixels = acc.size() / k;
  double layer_mean = 0;
  if (pixels == 1) {
    for (size_t kk = 0; kk < k; ++kk)
      layer_mean += static_cast<double>(static_cast<int64_t>(acc[kk]) - p.bias[kk]);
    layer_mean /= static_cast<double>(k);
  }
  for (size_t kk = 0; kk < k; ++kk) {
    int64_t sum = 0;
    for (size_t px = 0; px < pixels; ++px)
      sum += static_cast<int64_t>(acc[px * k + kk]) - p.bias[kk];
    const double mean =
        pixels == 1 ? layer_mean : static_cast<double>(sum) / static_cast<double>(pixels);
    const int64_t want = std::clamp<int64_t>(
        static_cast<int64_t>(p.bias[kk]) - std::llround(mean),
        std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
    const int32_t delta = static_cast<int32_t>(static_cast<uint32_t>(want) -
                                               static_cast<uint32_t>(p.bias[kk]));
    p.bias[kk] = static_cast<int32_t>(want);
    for (size_t px = 0; px < pixels; ++px)
      acc[px * k + kk] = arith::wrap_add(acc[px * k + kk], delta);
  }
}

}  // namespace

Requant requant_for(double ratio) {
  if (!(ratio > 0) || !std::isfinite(ratio)) ratio = 1.0;
  constexpr double kLimit = 2147483648.0;  // 2^31
  int s = 62;
  // Compared in double: ratio * 2^62 can be far beyond what llround can convert.
  while (s > 0 && std::ldexp(ratio, s) >= kLimit - 0.5) --s;
  const double scaled = std::min(std::ldexp(ratio, s), kLimit - 1);
  const long long m = std::clamp<long long>(std::llround(scaled), 1,
                                            static_cast<long long>(kLimit) - 1);
  return {static_cast<int32_t>(m), s};
}

std::vector<int8_t> random_weights(const Layer& l, uint64_t seed) {
  const uint64_t n = l.weight_count();
  const int bits = static_cast<int>(l.weight_bits);
  Rng r(stream_seed(seed, l.name));
  std::vector<int8_t> w(n);
  std::vector<int> mag(n);
  const int emax = std::min(arith::max_shift_exponent(bits), kMaxDrawnShiftExponent);
  for (uint64_t i = 0; i < n; ++i) {
    if (l.op == OpKind::Shift) {
      const int sign = r.below(2) ? 1 : -1;
      const int e = static_cast<int>(r.below(static_cast<uint64_t>(emax) + 1));
      w[i] = arith::encode_shift_weight(sign, e);
      mag[i] = e;
    } else {
      // Non-zero signed ints of `bits`: draw from one fewer value and skip 0.
      int64_t v = r.range(arith::qmin(bits, false), arith::qmax(bits) - 1);
      if (v >= 0) ++v;
      w[i] = static_cast<int8_t>(v);
      mag[i] = static_cast<int>(v < 0 ? -v : v);
    }
  }
  const uint64_t zeros = static_cast<uint64_t>(std::llround(l.sparsity * static_cast<double>(n)));
  if (zeros > 0) {
    // Smallest magnitudes first; ties in the order of a random permutation.
    std::vector<uint64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    for (uint64_t i = n; i > 1; --i) std::swap(order[i - 1], order[r.below(i)]);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint64_t a, uint64_t b) { return mag[a] < mag[b]; });
    for (uint64_t i = 0; i < zeros && i < n; ++i) w[order[i]] = 0;
  }
  return w;
}

std::vector<int8_t> random_input(const Network& net, uint64_t seed) {
  Rng r(stream_seed(seed, kInputName));  // "input" is no layer's name
  const int bits = static_cast<int>(net.input_act_bits);
  std::vector<int8_t> x(net.input.elements());
  for (int8_t& v : x) v = static_cast<int8_t>(r.range(arith::qmin(bits, false), arith::qmax(bits)));
  return x;
}

QuantizedNetwork quantize(const Network& net, uint64_t seed,
                          const std::vector<int8_t>& calibration_input) {
  if (calibration_input.size() != net.input.elements())
    throw Error(fmt::format("network '{}': calibration input has {} elements, expected {} ({})",
                            net.name, calibration_input.size(), net.input.elements(),
                            net.input.str()));
  QuantizedNetwork q{net, std::vector<LayerParams>(net.layers.size())};
  std::vector<std::vector<int8_t>> outs(net.layers.size());
  std::vector<const std::vector<int8_t>*> ins;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    LayerParams& p = q.params[i];
    ins.clear();
    for (const std::string& name : l.inputs)
      ins.push_back(name == kInputName ? &calibration_input
                                       : &outs[static_cast<size_t>(net.index_of(name))]);
    const int bits = static_cast<int>(l.act_bits);
    const double top = arith::qmax(bits);
    switch (l.type) {
      case LayerType::Conv:
      case LayerType::Linear: {
        p.weights = random_weights(l, seed);
        p.bias = random_bias(l, seed);
        std::vector<int32_t> acc = layer_accumulators(l, p, ins);
        if (l.batch_norm || l.op == OpKind::Adder) centre_channels(l, p, acc);
        int64_t peak = 0;
        for (int32_t a : acc) peak = std::max<int64_t>(peak, l.relu ? a : std::llabs(a));
        if (peak == 0 && l.relu)
          for (int32_t a : acc) peak = std::max<int64_t>(peak, std::llabs(a));
        const Requant rq = requant_for(peak > 0 ? top / static_cast<double>(peak) : 1.0);
        p.multiplier = rq.multiplier;
        p.shift = rq.shift;
        outs[i].resize(acc.size());
        for (size_t j = 0; j < acc.size(); ++j)
          outs[i][j] = arith::requantize(acc[j], p.multiplier, p.shift, bits, l.relu);
        continue;
      }
      case LayerType::AvgPool:
      case LayerType::GlobalAvgPool: {
        const double window = l.type == LayerType::GlobalAvgPool
                                  ? static_cast<double>(l.in_shape.h) * l.in_shape.w
                                  : static_cast<double>(l.kernel_h) * l.kernel_w;
        const double in_top = arith::qmax(static_cast<int>(act_bits_of(net, l.inputs[0])));
        const Requant rq = requant_for(top / in_top / window);
        p.multiplier = rq.multiplier;
        p.shift = rq.shift;
        break;
      }
      case LayerType::Add: {
        const double ra = 1.0 / arith::qmax(static_cast<int>(act_bits_of(net, l.inputs[0])));
        const double rb = 1.0 / arith::qmax(static_cast<int>(act_bits_of(net, l.inputs[1])));
        const std::vector<int8_t>& a = *ins[0];
        const std::vector<int8_t>& b = *ins[1];
        double peak = 0;
        for (size_t j = 0; j < a.size(); ++j) {
          const double v = a[j] * ra + b[j] * rb;
          peak = std::max(peak, l.relu ? v : std::fabs(v));
        }
        const double c = peak > 0 ? top / peak : 1.0;
        const Requant big = requant_for(c * std::max(ra, rb));
        const double small = std::ldexp(c * std::min(ra, rb), big.shift);
        const int32_t msmall = static_cast<int32_t>(
            std::clamp<long long>(std::llround(small), 1, std::numeric_limits<int32_t>::max()));
        p.shift = big.shift;
        p.multiplier = ra >= rb ? big.multiplier : msmall;
        p.multiplier2 = ra >= rb ? msmall : big.multiplier;
        break;
      }
      case LayerType::MaxPool:
      case LayerType::Flatten:
        break;
    }
    outs[i] = run_layer(l, p, ins);
  }
  return q;
}

}  // namespace savp::mapper
