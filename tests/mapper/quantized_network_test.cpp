// Parameters of a quantized network (mapper/quantized_network.hpp): deterministic weights
// (same seed -> same bytes; other layers and their order do not matter), valid shift weights,
// exact sparsity, the (M, S) choice, and calibration that keeps the shipped hybrid networks'
// activations unsaturated and non-trivial. Also times the reference executor on
// resnet20-hybrid.
#include "mapper/quantized_network.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <set>
#include <string>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "mapper/reference_executor.hpp"

namespace savp::mapper {
namespace {

const std::string kNets = std::string(SAVP_SOURCE_DIR) + "/configs/nets/";

bool same_params(const LayerParams& a, const LayerParams& b) {
  return a.weights == b.weights && a.bias == b.bias && a.multiplier == b.multiplier &&
         a.multiplier2 == b.multiplier2 && a.shift == b.shift;
}

TEST(Quantize, SameSeedSameBytes) {
  const Network net = load_network(kNets + "resnet20-hybrid.yaml");
  const auto x = random_input(net, 1);
  EXPECT_EQ(x, random_input(net, 1));
  EXPECT_NE(x, random_input(net, 2));
  const QuantizedNetwork a = quantize(net, 42, x);
  const QuantizedNetwork b = quantize(net, 42, x);
  ASSERT_EQ(a.params.size(), net.layers.size());
  for (size_t i = 0; i < a.params.size(); ++i) EXPECT_TRUE(same_params(a.params[i], b.params[i]));
  EXPECT_EQ(run_reference(a, x), run_reference(b, x));
  const QuantizedNetwork c = quantize(net, 43, x);
  EXPECT_NE(a.params[0].weights, c.params[0].weights);
}

// Weights and random biases depend on (seed, layer name) only: inserting a layer, or listing
// two branches in the other order, leaves the others' bytes as they are. (No batch norm, so the
// bias is not centred on data; mult layers, so no adder centring.)
TEST(Quantize, LayersAreIndependentOfEachOther) {
  const Network a = parse_network(
      "name: a\ninput: {h: 6, w: 6, c: 3}\nlayers:\n"
      "  - {name: c1, type: conv, out_channels: 8, kernel: 3, padding: 1}\n"
      "  - {name: c2, type: conv, out_channels: 8, kernel: 3, padding: 1}\n"
      "  - {name: fc, type: linear, out_features: 4}\n",
      "a.yaml");
  const Network b = parse_network(
      "name: b\ninput: {h: 6, w: 6, c: 3}\nlayers:\n"
      "  - {name: c1, type: conv, out_channels: 8, kernel: 3, padding: 1}\n"
      "  - {name: extra, type: conv, out_channels: 8, kernel: 3, padding: 1}\n"
      "  - {name: c2, type: conv, inputs: extra, out_channels: 8, kernel: 3, padding: 1}\n"
      "  - {name: fc, type: linear, out_features: 4}\n",
      "b.yaml");
  const QuantizedNetwork qa = quantize(a, 5, random_input(a, 9));
  const QuantizedNetwork qb = quantize(b, 5, random_input(b, 9));
  for (const char* name : {"c1", "c2", "fc"}) {
    SCOPED_TRACE(name);
    const LayerParams& pa = qa.params[a.index_of(name)];
    const LayerParams& pb = qb.params[b.index_of(name)];
    EXPECT_EQ(pa.weights, pb.weights);
    EXPECT_EQ(pa.bias, pb.bias);
  }
  // Two branches in either order.
  const char* kBranches =
      "name: t\ninput: {h: 4, w: 4, c: 2}\nlayers:\n"
      "  - {name: FIRST, type: conv, inputs: input, out_channels: 4, kernel: 3, padding: 1}\n"
      "  - {name: SECOND, type: conv, inputs: input, out_channels: 4, kernel: 3, padding: 1}\n"
      "  - {name: sum, type: add, inputs: [p, q]}\n";
  auto with = [&](const std::string& first, const std::string& second) {
    std::string y = kBranches;
    y.replace(y.find("FIRST"), 5, first);
    y.replace(y.find("SECOND"), 6, second);
    return parse_network(y, "t.yaml");
  };
  const Network pq = with("p", "q"), qp = with("q", "p");
  const QuantizedNetwork x = quantize(pq, 5, random_input(pq, 1));
  const QuantizedNetwork y = quantize(qp, 5, random_input(qp, 1));
  for (const char* name : {"p", "q", "sum"})
    EXPECT_TRUE(same_params(x.params[pq.index_of(name)], y.params[qp.index_of(name)])) << name;
  EXPECT_EQ(run_reference(x, random_input(pq, 2)).back(),
            run_reference(y, random_input(qp, 2)).back());
}

Layer weight_layer(OpKind op, uint32_t bits, double sparsity, uint32_t c = 16, uint32_t k = 32) {
  Layer l;
  l.name = "w";
  l.type = LayerType::Conv;
  l.op = op;
  l.weight_bits = bits;
  l.sparsity = sparsity;
  l.kernel_h = l.kernel_w = 3;
  l.in_shape = {8, 8, c};
  l.out_channels = k;
  return l;
}

TEST(Quantize, ShiftWeightsAreValid) {
  for (uint32_t bits = 2; bits <= 6; ++bits) {
    SCOPED_TRACE(bits);
    const auto w = random_weights(weight_layer(OpKind::Shift, bits, 0.0), 3);
    ASSERT_EQ(w.size(), 9u * 16 * 32);
    const int emax = std::min(arith::max_shift_exponent(static_cast<int>(bits)),
                              kMaxDrawnShiftExponent);
    std::set<int> exps, signs;
    for (int8_t v : w) {
      const arith::ShiftWeight s = arith::decode_shift_weight(v);
      EXPECT_NE(s.sign, 0);  // dense: no zeros
      EXPECT_LE(s.exponent, arith::max_shift_exponent(static_cast<int>(bits)));
      EXPECT_EQ(arith::encode_shift_weight(s.sign, s.exponent), v);
      exps.insert(s.exponent);
      signs.insert(s.sign);
    }
    EXPECT_EQ(static_cast<int>(exps.size()), emax + 1);  // every exponent drawn
    EXPECT_EQ(signs.size(), 2u);
  }
}

TEST(Quantize, MultAdderWeightsFillTheRange) {
  for (OpKind op : {OpKind::Mult, OpKind::Adder})
    for (uint32_t bits : {2u, 4u, 8u}) {
      SCOPED_TRACE(std::string(to_string(op)) + " " + std::to_string(bits));
      const auto w = random_weights(weight_layer(op, bits, 0.0), 3);
      int lo = 127, hi = -128;
      for (int8_t v : w) {
        EXPECT_NE(v, 0);
        lo = std::min<int>(lo, v), hi = std::max<int>(hi, v);
      }
      EXPECT_EQ(lo, arith::qmin(static_cast<int>(bits), false));
      EXPECT_EQ(hi, arith::qmax(static_cast<int>(bits)));
    }
}

// Exactly round(sparsity * n) zeros, the smallest magnitudes, and the surviving weights are the
// dense draw's.
TEST(Quantize, SparsityIsExactMagnitudePruning) {
  for (OpKind op : {OpKind::Mult, OpKind::Shift, OpKind::Adder})
    for (double sp : {0.1, 0.3333, 0.5, 0.9}) {
      SCOPED_TRACE(std::string(to_string(op)) + " " + std::to_string(sp));
      const uint32_t bits = op == OpKind::Shift ? 5 : 8;
      const Layer l = weight_layer(op, bits, sp, 5, 7);  // 315 weights: round matters
      const auto dense = random_weights(weight_layer(op, bits, 0.0, 5, 7), 3);
      const auto w = random_weights(l, 3);
      ASSERT_EQ(w.size(), 315u);
      const size_t want = static_cast<size_t>(std::llround(sp * 315));
      size_t zeros = 0;
      int max_pruned = -1, min_kept = 1000;
      auto mag = [&](int8_t v) {
        return op == OpKind::Shift ? arith::decode_shift_weight(v).exponent : std::abs(v);
      };
      for (size_t i = 0; i < w.size(); ++i) {
        if (w[i] == 0) {
          ++zeros;
          max_pruned = std::max(max_pruned, mag(dense[i]));
        } else {
          EXPECT_EQ(w[i], dense[i]);
          min_kept = std::min(min_kept, mag(w[i]));
        }
      }
      EXPECT_EQ(zeros, want);
      EXPECT_LE(max_pruned, min_kept);
      EXPECT_EQ(random_weights(l, 3), w);  // ties broken the same way every time
    }
}

TEST(Quantize, RequantFor) {
  const Requant a = requant_for(1.0 / 64);
  EXPECT_EQ(std::ldexp(static_cast<double>(a.multiplier), -a.shift), 1.0 / 64);
  EXPECT_GE(a.multiplier, 1 << 30);  // as much precision as fits
  const Requant b = requant_for(1.0 / 49);
  EXPECT_NEAR(std::ldexp(static_cast<double>(b.multiplier), -b.shift) * 49, 1.0, 1e-8);
  const Requant c = requant_for(127.0 / 3e9);  // a large accumulator: S stops at 62
  EXPECT_LE(c.shift, 62);
  EXPECT_NEAR(std::ldexp(static_cast<double>(c.multiplier), -c.shift) / (127.0 / 3e9), 1.0, 1e-6);
  const Requant d = requant_for(1e12);  // nothing fits: the largest multiplier, no shift
  EXPECT_EQ(d.shift, 0);
  EXPECT_EQ(d.multiplier, std::numeric_limits<int32_t>::max());
  const Requant e = requant_for(1e-30);  // below the finest step: the smallest multiplier
  EXPECT_EQ(e.shift, 62);
  EXPECT_EQ(e.multiplier, 1);
}

TEST(Quantize, CalibrationInputSizeChecked) {
  const Network net = load_network(kNets + "fmnist-hybrid.yaml");
  try {
    quantize(net, 1, std::vector<int8_t>(100));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("100 elements, expected 784 (28x28x1)"),
              std::string::npos)
        << e.what();
  }
}

// Per layer: the share of outputs at the top rail (and the bottom one without ReLU) and the share
// of non-zero outputs.
struct Stats {
  double rails = 0, nonzero = 0;
};
Stats stats_of(const Layer& l, const std::vector<int8_t>& y) {
  const int bits = static_cast<int>(l.act_bits);
  const bool relu = l.relu && l.type != LayerType::MaxPool;
  size_t rails = 0, nz = 0;
  for (int8_t v : y) {
    rails += v == arith::qmax(bits) || (!relu && v == arith::qmin(bits, false));
    nz += v != 0;
  }
  return {static_cast<double>(rails) / y.size(), static_cast<double>(nz) / y.size()};
}

void check_calibration(const std::string& file) {
  SCOPED_TRACE(file);
  const Network net = load_network(kNets + file);
  const auto calib = random_input(net, 1);
  const QuantizedNetwork q = quantize(net, 7, calib);
  const auto other = random_input(net, 2);  // an input calibration did not see
  for (const auto* input : {&calib, &other}) {
    const auto outs = run_reference(q, *input);
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const Layer& l = net.layers[i];
      SCOPED_TRACE(l.name);
      const Stats s = stats_of(l, outs[i]);
      // The calibration input's peak maps to the top of the range, so it saturates nothing
      // (one element of slack for rounding at the peak). An unseen input may exceed the peak;
      // on large outputs that stays rare, while a 10-class FC's share is meaningless.
      if (input == &calib) {
        EXPECT_LT(s.rails, 0.05 + 1.0 / outs[i].size());
      } else if (outs[i].size() >= 100) {
        EXPECT_LT(s.rails, 0.05);
      }
      EXPECT_GT(s.nonzero, l.relu ? 0.05 : 0.2);
    }
  }
  // avgpool: M / 2^S ~= 1 / window; add: equal bits -> equal multipliers.
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const LayerParams& p = q.params[i];
    if (l.type == LayerType::GlobalAvgPool) {
      EXPECT_NEAR(std::ldexp(static_cast<double>(p.multiplier), -p.shift) * l.in_shape.h *
                      l.in_shape.w,
                  1.0, 1e-8);
    }
    if (l.type == LayerType::Add) {
      EXPECT_EQ(p.multiplier, p.multiplier2) << l.name;
    }
  }
}

TEST(Quantize, CalibrationFmnistHybrid) { check_calibration("fmnist-hybrid.yaml"); }
TEST(Quantize, CalibrationResnet20Hybrid) { check_calibration("resnet20-hybrid.yaml"); }

// The other shipped networks but ResNet-50 quantize and run with sane outputs too.
TEST(Quantize, CalibrationOtherShippedNetworks) {
  for (const char* f : {"fmnist-mult.yaml", "fmnist-shift.yaml", "fmnist-adder.yaml",
                        "resnet20-mult.yaml", "resnet20-shift.yaml", "resnet20-adder.yaml",
                        "mbconv-fbnet.yaml"})
    check_calibration(f);
}

// The reference executor's speed on resnet20-hybrid (40.8 M MACs), printed for BENCHMARKS.md.
TEST(Quantize, ReferenceExecutorTimeResnet20Hybrid) {
  const Network net = load_network(kNets + "resnet20-hybrid.yaml");
  const auto x = random_input(net, 1);
  auto t0 = std::chrono::steady_clock::now();
  const QuantizedNetwork q = quantize(net, 7, x);
  auto t1 = std::chrono::steady_clock::now();
  double best = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    auto a = std::chrono::steady_clock::now();
    const auto outs = run_reference(q, x);
    auto b = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(b - a).count());
    ASSERT_EQ(outs.size(), net.layers.size());
  }
  std::cout << "  resnet20-hybrid: quantize " << std::chrono::duration<double>(t1 - t0).count()
            << " s, run_reference " << best << " s (best of 3)\n";
#ifdef NDEBUG
  EXPECT_LT(best, 1.0);
#endif
}

}  // namespace
}  // namespace savp::mapper
