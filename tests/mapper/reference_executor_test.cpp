// The reference executor (mapper/reference_executor.hpp): tiny networks per layer type and
// operator kind whose outputs are worked out by hand in the comments (padding with an adder
// kernel, stride 2, groups, depthwise, linear after a global pool, residual add, requantization
// rounding and saturation), a cross-check against a naive loop nest on random networks, and the
// size-mismatch errors.
#include "mapper/reference_executor.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::mapper {
namespace {

using Bytes = std::vector<int8_t>;

// A network from YAML with every layer's parameters zero / empty (the tests fill them in).
QuantizedNetwork make(const std::string& yaml) {
  QuantizedNetwork q;
  q.net = parse_network(yaml, "test.yaml");
  q.params.resize(q.net.layers.size());
  return q;
}

LayerParams conv_params(Bytes w, std::vector<int32_t> b, int32_t m = 1, int s = 0) {
  LayerParams p;
  p.weights = std::move(w);
  p.bias = std::move(b);
  p.multiplier = m;
  p.shift = s;
  return p;
}

LayerParams requant(int32_t m, int s, int32_t m2 = 0) {
  LayerParams p;
  p.multiplier = m;
  p.multiplier2 = m2;
  p.shift = s;
  return p;
}

// ---- conv, mult: 2x2 kernel, no padding, requant rounding -------------------------------------
// input 3x3x1 [[1,2,3],[4,5,6],[7,8,9]], weights [[1,0],[-1,2]], bias 10:
//   (0,0): 1*1 + 2*0 + 4*-1 + 5*2 = 7  -> 17;   (0,1): 2 + 0 - 5 + 12 = 9  -> 19
//   (1,0): 4 + 0 - 7 + 16 = 13 -> 23;            (1,1): 5 + 0 - 8 + 18 = 15 -> 25
// M = 1, S = 1 (halve, round half up): (17+1)>>1 = 9, (19+1)>>1 = 10, 12, 13.
TEST(ReferenceExecutor, ConvMultByHand) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 3, w: 3, c: 1}\nlayers:\n"
      "  - {name: c, type: conv, op: mult, out_channels: 1, kernel: 2}\n");
  q.params[0] = conv_params({1, 0, -1, 2}, {10}, 1, 1);
  auto out = run_reference(q, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(out[0], (Bytes{9, 10, 12, 13}));
  // With bias -20 and ReLU: 7-20 = -13 -> 0, -11 -> 0, -7 -> 0, -5 -> 0; bias -10: -3,-1,3,5.
  q.net.layers[0].relu = true;
  q.params[0] = conv_params({1, 0, -1, 2}, {-10}, 1, 0);
  EXPECT_EQ(run_reference(q, {1, 2, 3, 4, 5, 6, 7, 8, 9})[0], (Bytes{0, 0, 3, 5}));
}

// ---- conv, adder: 3x3 kernel, padding 1, stride 2 --------------------------------------------
// input 3x3x1 [[1,2,3],[4,5,6],[7,8,9]]; weights W = [[1,-2,3],[4,2,5],[-1,3,0]]; output 2x2
// ((3 + 2 - 3) / 2 + 1 = 2). A padded position is x = 0, so it adds -|w|.
//   (0,0): window rows -1..1, cols -1..1. padded: row ky0 (1+2+3) + col kx0 of ky1,ky2 (4+1)
//          -> -11; in bounds: (1,1) -|1-2| = -1, (1,2) -|2-5| = -3, (2,1) -|4-3| = -1,
//          (2,2) -|5-0| = -5 -> -10. Sum -21.
//   (0,1): rows -1..1, cols 1..3. padded: ky0 (6) + kx2 of ky1,ky2 (5+0) -> -11; in bounds:
//          (1,0) -|2-4| = -2, (1,1) -|3-2| = -1, (2,0) -|5+1| = -6, (2,1) -|6-3| = -3 -> -12.
//          Sum -23.
//   (1,0): rows 1..3, cols -1..1. padded: ky2 (1+3+0) + kx0 of ky0,ky1 (1+4) -> -9; in
//          bounds: (0,1) -|4+2| = -6, (0,2) -|5-3| = -2, (1,1) -|7-2| = -5, (1,2) -|8-5| = -3
//          -> -16. Sum -25.
//   (1,1): rows 1..3, cols 1..3. padded: ky2 (4) + kx2 of ky0,ky1 (3+5) -> -12; in bounds:
//          (0,0) -|5-1| = -4, (0,1) -|6+2| = -8, (1,0) -|8-4| = -4, (1,1) -|9-2| = -7 -> -23.
//          Sum -35.
// bias 30, M = 1, S = 0: 9, 7, 5, -5.
TEST(ReferenceExecutor, AdderConvPaddingStride2ByHand) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 3, w: 3, c: 1}\nlayers:\n"
      "  - {name: c, type: conv, op: adder, out_channels: 1, kernel: 3, stride: 2, padding: 1}\n");
  q.params[0] = conv_params({1, -2, 3, 4, 2, 5, -1, 3, 0}, {30});
  EXPECT_EQ(run_reference(q, {1, 2, 3, 4, 5, 6, 7, 8, 9})[0], (Bytes{9, 7, 5, -5}));
}

// Mult with the same padding: padded positions add 0. Weights all 1 -> window sums of in-bounds
// elements: (0,0) 1+2+4+5 = 12, (0,1) 2+3+5+6 = 16, (1,0) 4+5+7+8 = 24, (1,1) 5+6+8+9 = 28.
TEST(ReferenceExecutor, MultConvPaddingAddsZero) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 3, w: 3, c: 1}\nlayers:\n"
      "  - {name: c, type: conv, op: mult, out_channels: 1, kernel: 3, stride: 2, padding: 1}\n");
  q.params[0] = conv_params(Bytes(9, 1), {0});
  EXPECT_EQ(run_reference(q, {1, 2, 3, 4, 5, 6, 7, 8, 9})[0], (Bytes{12, 16, 24, 28}));
}

// ---- conv, shift: pointwise, 2 -> 2 channels, 6-bit outputs (saturation) ----------------------
// input 1x2x2: pixel0 (3, -2), pixel1 (-5, 7). 4-bit shift weights (sign + exponent, e <= 6):
// k0 = [+2^1 (byte 2), -2^0 (byte -1)], k1 = [0 (byte 0), +2^3 (byte 4)]; bias [1, -1].
//   pixel0: k0 = 3*2 + (-2)*(-1) + 1 = 9;      k1 = 0 + (-2)*8 - 1 = -17
//   pixel1: k0 = -5*2 + 7*(-1) + 1 = -16;      k1 = 0 + 7*8 - 1 = 55
// M = 3, S = 2 (x 0.75, round half up), 6-bit range [-32, 31]:
//   9*3 = 27 -> (27+2)>>2 = 7;  -17*3 = -51 -> (-49)>>2 = -13;  -16*3 = -48 -> (-46)>>2 = -12;
//   55*3 = 165 -> (167)>>2 = 41 -> saturates to 31.
TEST(ReferenceExecutor, ShiftPointwiseByHand) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 1, w: 2, c: 2}\nlayers:\n"
      "  - {name: c, type: conv, op: shift, weight_bits: 4, act_bits: 6, out_channels: 2, "
      "kernel: 1}\n");
  q.params[0] = conv_params({2, -1, 0, 4}, {1, -1}, 3, 2);
  EXPECT_EQ(run_reference(q, {3, -2, -5, 7})[0], (Bytes{7, -13, -12, 31}));
}

// ---- grouped conv: 4 -> 4 channels, 2 groups --------------------------------------------------
// input 1x1x4 [1, 2, 3, 4]; weights [k][c/groups = 2]: k0 [1, 1], k1 [1, -1] (group 0 reads
// c0, c1 = 1, 2), k2 [2, 0], k3 [0, -3] (group 1 reads c2, c3 = 3, 4).
//   k0 = 3, k1 = -1, k2 = 6, k3 = -12.
TEST(ReferenceExecutor, GroupedConvByHand) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 1, w: 1, c: 4}\nlayers:\n"
      "  - {name: c, type: conv, op: mult, out_channels: 4, kernel: 1, groups: 2}\n");
  q.params[0] = conv_params({1, 1, 1, -1, 2, 0, 0, -3}, {0, 0, 0, 0});
  EXPECT_EQ(run_reference(q, {1, 2, 3, 4})[0], (Bytes{3, -1, 6, -12}));
}

// ---- depthwise: 2x2 kernel over 2x2x2, ReLU ----------------------------------------------------
// input HWC: (0,0) = (1, 10), (0,1) = (2, 20), (1,0) = (3, 30), (1,1) = (4, 40).
// weights [c][kh][kw]: c0 [1, 2, 3, 4], c1 [1, 0, 0, -1]; bias [0, 5].
//   c0 = 1 + 4 + 9 + 16 = 30;  c1 = 10 - 40 + 5 = -25 -> ReLU 0.
TEST(ReferenceExecutor, DepthwiseByHand) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 2, w: 2, c: 2}\nlayers:\n"
      "  - {name: c, type: conv, op: mult, out_channels: 2, kernel: 2, groups: depthwise, "
      "relu: true}\n");
  q.params[0] = conv_params({1, 2, 3, 4, 1, 0, 0, -1}, {0, 5});
  EXPECT_EQ(run_reference(q, {1, 10, 2, 20, 3, 30, 4, 40})[0], (Bytes{30, 0}));
}

// Depthwise adder with padding 1, 3x3 kernel, 1x1x2 input (5, -3): one in-bounds tap (centre).
// c0 weights all 2: 8 padded taps -> -16, centre -|5-2| = -3 -> -19.
// c1 weights all -1: 8 padded taps -> -8, centre -|-3+1| = -2 -> -10.
TEST(ReferenceExecutor, DepthwiseAdderPaddingByHand) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 1, w: 1, c: 2}\nlayers:\n"
      "  - {name: c, type: conv, op: adder, out_channels: 2, kernel: 3, padding: 1, "
      "groups: depthwise}\n");
  Bytes w(18, 2);
  std::fill(w.begin() + 9, w.end(), -1);
  q.params[0] = conv_params(w, {0, 0});
  EXPECT_EQ(run_reference(q, {5, -3})[0], (Bytes{-19, -10}));
}

// ---- maxpool with padding: padded positions are skipped (not 0) ------------------------------
// input 3x3 all negative [[-1,-2,-3],[-4,-5,-6],[-7,-8,-9]], kernel 2, stride 2, padding 1:
//   (0,0): only (0,0) -> -1;  (0,1): (0,1), (0,2) -> -2;  (1,0): (1,0), (2,0) -> -4;
//   (1,1): -5, -6, -8, -9 -> -5.   (Counting padding as 0 would give 0 everywhere.)
TEST(ReferenceExecutor, MaxPoolPaddingByHand) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 3, w: 3, c: 1}\nlayers:\n"
      "  - {name: p, type: maxpool, kernel: 2, stride: 2, padding: 1}\n");
  EXPECT_EQ(run_reference(q, {-1, -2, -3, -4, -5, -6, -7, -8, -9})[0], (Bytes{-1, -2, -4, -5}));
}

// ---- avgpool with padding: in-bounds sum, requantized ----------------------------------------
// input 2x2 [[1,2],[3,5]], kernel 2, stride 1, padding 1 -> 3x3 of in-bounds sums:
//   [1, 3, 2; 4, 11, 7; 3, 8, 5]; M = 1, S = 2 ((v+2)>>2):
//   [0, 1, 1; 1, 3, 2; 1, 2, 1].
TEST(ReferenceExecutor, AvgPoolPaddingByHand) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 2, w: 2, c: 1}\nlayers:\n"
      "  - {name: p, type: avgpool, kernel: 2, stride: 1, padding: 1}\n");
  q.params[0] = requant(1, 2);
  EXPECT_EQ(run_reference(q, {1, 2, 3, 5})[0], (Bytes{0, 1, 1, 1, 3, 2, 1, 2, 1}));
}

// ---- global avgpool -> linear (mult) ----------------------------------------------------------
// input 2x2x2 pixels (c0, c1): (1,-1), (2,-3), (3,5), (6,7). Sums c0 = 12, c1 = 8; M = 1, S = 2:
//   (12+2)>>2 = 3, (8+2)>>2 = 2.
// linear 2 -> 3, weights [out][in]: [1, 1], [2, -1], [-3, 0]; bias [0, 1, 2]:
//   o0 = 3 + 2 = 5;  o1 = 6 - 2 + 1 = 5;  o2 = -9 + 2 = -7.
TEST(ReferenceExecutor, GlobalAvgPoolThenLinearByHand) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 2, w: 2, c: 2}\nlayers:\n"
      "  - {name: gap, type: global_avgpool}\n"
      "  - {name: fc, type: linear, op: mult, out_features: 3}\n");
  q.params[0] = requant(1, 2);
  q.params[1] = conv_params({1, 1, 2, -1, -3, 0}, {0, 1, 2});
  auto out = run_reference(q, {1, -1, 2, -3, 3, 5, 6, 7});
  EXPECT_EQ(out[0], (Bytes{3, 2}));
  EXPECT_EQ(out[1], (Bytes{5, 5, -7}));
}

// ---- linear (adder) on a non-vector input: flattened in HWC order -----------------------------
// input 1x2x2: pixel0 (1, 2), pixel1 (3, 4) -> flattened [1, 2, 3, 4].
//   o0: weights [0, 2, 5, 4]: -(1 + 0 + 2 + 0) = -3, bias 10 -> 7.
//   o1: weights [1, 1, 1, 1]: -(0 + 1 + 2 + 3) = -6, bias 0 -> -6.
// The flatten layer in front changes nothing.
TEST(ReferenceExecutor, AdderLinearFlattensHwcByHand) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 1, w: 2, c: 2}\nlayers:\n"
      "  - {name: fc, type: linear, op: adder, out_features: 2}\n");
  q.params[0] = conv_params({0, 2, 5, 4, 1, 1, 1, 1}, {10, 0});
  EXPECT_EQ(run_reference(q, {1, 2, 3, 4})[0], (Bytes{7, -6}));

  QuantizedNetwork f = make(
      "name: t\ninput: {h: 1, w: 2, c: 2}\nlayers:\n"
      "  - {name: flat, type: flatten}\n"
      "  - {name: fc, type: linear, op: adder, out_features: 2}\n");
  f.params[1] = q.params[0];
  auto out = run_reference(f, {1, 2, 3, 4});
  EXPECT_EQ(out[0], (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(out[1], (Bytes{7, -6}));
}

// ---- residual add ------------------------------------------------------------------------------
// input 1x2x1 [4, -6]; a = conv 1x1 mult, weight 3, bias 1: [13, -17].
// add(a, input), Ma = 1, Mb = 2, S = 1: a + 2b = [21, -29] -> (21+1)>>1 = 11, (-28)>>1 = -14;
// with ReLU: [11, 0].
TEST(ReferenceExecutor, ResidualAddByHand) {
  const std::string yaml =
      "name: t\ninput: {h: 1, w: 2, c: 1}\nlayers:\n"
      "  - {name: a, type: conv, op: mult, out_channels: 1, kernel: 1}\n"
      "  - {name: sum, type: add, inputs: [a, input], relu: RELU}\n";
  for (bool relu : {false, true}) {
    std::string y = yaml;
    y.replace(y.find("RELU"), 4, relu ? "true" : "false");
    QuantizedNetwork q = make(y);
    q.params[0] = conv_params({3}, {1});
    q.params[1] = requant(1, 1, 2);
    auto out = run_reference(q, {4, -6});
    EXPECT_EQ(out[0], (Bytes{13, -17}));
    EXPECT_EQ(out[1], relu ? (Bytes{11, 0}) : (Bytes{11, -14}));
  }
}

// Accumulators wrap modulo 2^32 as the hardware adder does: bias INT32_MAX plus 1*1 wraps to
// INT32_MIN, which requantizes (M = 1, S = 0) to the bottom rail.
TEST(ReferenceExecutor, AccumulatorWraps) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 1, w: 1, c: 1}\nlayers:\n"
      "  - {name: c, type: conv, op: mult, out_channels: 1, kernel: 1}\n");
  q.params[0] = conv_params({1}, {std::numeric_limits<int32_t>::max()});
  EXPECT_EQ(run_reference(q, {1})[0], (Bytes{-128}));
}

// ---- a naive loop nest (arith::pe_accumulate per term, explicit index math) on random layers
// of every kind, with quantize's calibrated parameters --------------------------------------------
int8_t naive_in(const Bytes& x, const Shape& s, int64_t y, int64_t xx, int64_t c) {
  if (y < 0 || xx < 0 || y >= s.h || xx >= s.w) return 0;
  return x[static_cast<size_t>((y * s.w + xx) * s.c + c)];
}

Bytes naive_conv(const Layer& l, const LayerParams& p, const Bytes& x) {
  Bytes out(l.out_shape.elements());
  const int64_t cg = l.in_shape.c / l.groups, kg = l.out_channels / l.groups;
  for (int64_t oy = 0; oy < l.out_shape.h; ++oy)
    for (int64_t ox = 0; ox < l.out_shape.w; ++ox)
      for (int64_t k = 0; k < l.out_channels; ++k) {
        int32_t acc = p.bias[k];
        const int64_t g = k / kg;
        for (int64_t ky = 0; ky < l.kernel_h; ++ky)
          for (int64_t kx = 0; kx < l.kernel_w; ++kx)
            for (int64_t c = 0; c < cg; ++c) {
              const int8_t v = naive_in(x, l.in_shape, oy * l.stride_h - l.pad_h + ky,
                                        ox * l.stride_w - l.pad_w + kx, g * cg + c);
              const int8_t w = p.weights[((k * l.kernel_h + ky) * l.kernel_w + kx) * cg + c];
              acc = arith::pe_accumulate(l.op, acc, v, w);
            }
        out[(oy * l.out_shape.w + ox) * l.out_channels + k] =
            arith::requantize(acc, p.multiplier, p.shift, l.act_bits, l.relu);
      }
  return out;
}

TEST(ReferenceExecutor, MatchesNaiveLoopNest) {
  for (const char* op : {"mult", "shift", "adder"}) {
    SCOPED_TRACE(op);
    const std::string o = op;
    const Network net = parse_network(
        "name: t\ninput: {h: 9, w: 7, c: 6}\n"
        "defaults: {batch_norm: true}\nlayers:\n"
        "  - {name: a, type: conv, op: " + o + ", out_channels: 4, kernel: [3, 2], "
        "stride: [2, 1], padding: [1, 1], groups: 2, relu: true}\n"
        "  - {name: b, type: conv, op: " + o + ", out_channels: 8, kernel: 3, "
        "padding: 2, stride: 2, groups: depthwise, act_bits: 6}\n"
        "  - {name: c, type: conv, op: " + o + ", out_channels: 5, kernel: 1, "
        "sparsity: 0.4}\n",
        "t.yaml");
    const QuantizedNetwork q = quantize(net, 7, random_input(net, 3));
    const Bytes x = random_input(q.net, 11);
    auto out = run_reference(q, x);
    const Bytes* in = &x;
    for (size_t i = 0; i < q.net.layers.size(); ++i) {
      SCOPED_TRACE(q.net.layers[i].name);
      EXPECT_EQ(out[i], naive_conv(q.net.layers[i], q.params[i], *in));
      in = &out[i];
    }
  }
}

// ---- errors name the layer and the sizes -------------------------------------------------------
TEST(ReferenceExecutor, SizeMismatchNamesLayer) {
  QuantizedNetwork q = make(
      "name: t\ninput: {h: 3, w: 3, c: 2}\nlayers:\n"
      "  - {name: conv1, type: conv, op: mult, out_channels: 4, kernel: 3}\n"
      "  - {name: fc, type: linear, op: mult, out_features: 2}\n");
  q.params[0] = conv_params(Bytes(72, 1), std::vector<int32_t>(4), 1, 0);
  q.params[1] = conv_params(Bytes(8, 1), std::vector<int32_t>(2), 1, 0);
  const Bytes x(18, 1);
  EXPECT_NO_THROW(run_reference(q, x));
  auto expect_error = [&](const QuantizedNetwork& bad, const Bytes& in,
                          std::vector<std::string> parts) {
    try {
      run_reference(bad, in);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      for (const std::string& s : parts)
        EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what() << " / " << s;
    }
  };
  QuantizedNetwork b = q;
  b.params[0].weights.resize(70);
  expect_error(b, x, {"conv1", "70 weights", "72"});
  b = q;
  b.params[1].bias.resize(3);
  expect_error(b, x, {"fc", "3 biases", "has 2"});
  b = q;
  b.params[1].weights[5] = -128;  // fine for 8 bits
  EXPECT_NO_THROW(run_reference(b, x));
  b.net.layers[1].weight_bits = 4;
  expect_error(b, x, {"fc", "weight 5 = -128", "4-bit"});
  b = q;
  b.params.pop_back();
  expect_error(b, x, {"1 layer parameter sets", "2 layers"});
  expect_error(q, Bytes(17), {"input has 17 elements", "18", "3x3x2"});
  b = q;
  b.params[1].shift = 63;
  expect_error(b, x, {"fc", "shift 63"});
  // A maxpool given weights.
  QuantizedNetwork m = make(
      "name: t\ninput: {h: 2, w: 2, c: 1}\nlayers:\n  - {name: mp, type: maxpool, kernel: 2}\n");
  m.params[0].weights = {1};
  expect_error(m, Bytes(4), {"mp", "has none"});
  // Shift weights beyond the width's exponent: 3 bits allow e <= 2 (bytes -3..3).
  QuantizedNetwork s = make(
      "name: t\ninput: {h: 1, w: 1, c: 1}\nlayers:\n"
      "  - {name: sh, type: conv, op: shift, weight_bits: 3, out_channels: 1, kernel: 1}\n");
  s.params[0] = conv_params({3}, {0});
  EXPECT_NO_THROW(run_reference(s, {1}));
  s.params[0].weights = {-4};
  expect_error(s, {1}, {"sh", "weight 0 = -4", "3-bit shift"});
}

}  // namespace
}  // namespace savp::mapper
