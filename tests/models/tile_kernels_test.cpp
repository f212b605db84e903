// Tile kernels: hand-worked examples per operator kind and compute op, the flags, the checks,
// tile_cost numbers worked by hand, and random tiles against a naive per-element reference
// that chains arith::pe_accumulate in loop order.
#include "models/chunk/tile_kernels.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "common/arith.hpp"
#include "common/errors.hpp"

namespace savp::chunk {
namespace {

using isa::ComputeOp;

struct Spec {
  ComputeOp op = ComputeOp::Conv;
  OpKind kind = OpKind::Mult;
  uint64_t k = 1, c = 1, oh = 1, ow = 1, ih = 1, iw = 1, kh = 1, kw = 1, stride = 1;
  uint64_t pad_t = 0, pad_l = 0, wbits = 8, abits = 8, obits = 8, shift = 0, m = 1, m2 = 0;
  uint64_t in = 0, w = 0, bias = 0, acc = 0, out = 0;
  uint32_t flags = 0;
};

isa::Instruction make(const Spec& s) {
  isa::Instruction in;
  in.set(isa::kOpcode, static_cast<uint64_t>(isa::Opcode::Compute));
  in.set(isa::kEngine, isa::chunk_engine(0));
  in.set(isa::kFlags, s.flags);
  in.set(isa::kComputeOp, static_cast<uint64_t>(s.op));
  in.set(isa::kKind, static_cast<uint64_t>(s.kind));
  in.set(isa::kK, s.k), in.set(isa::kC, s.c), in.set(isa::kOh, s.oh), in.set(isa::kOw, s.ow);
  in.set(isa::kIh, s.ih), in.set(isa::kIw, s.iw), in.set(isa::kKh, s.kh), in.set(isa::kKw, s.kw);
  in.set(isa::kStride, s.stride), in.set(isa::kPadT, s.pad_t), in.set(isa::kPadL, s.pad_l);
  in.set(isa::kWBits, s.wbits), in.set(isa::kABits, s.abits), in.set(isa::kOBits, s.obits);
  in.set(isa::kShift, s.shift), in.set(isa::kMultiplier, s.m), in.set(isa::kMultiplier2, s.m2);
  in.set(isa::kInAddr, s.in), in.set(isa::kWAddr, s.w), in.set(isa::kBiasAddr, s.bias);
  in.set(isa::kAccAddr, s.acc), in.set(isa::kOutAddr, s.out);
  return in;
}

ChunkConfig make_cfg(OpKind kind, uint32_t rows = 4, uint32_t cols = 4,
                     Dataflow df = Dataflow::OutputStationary, uint64_t cap = 1 << 16) {
  ChunkConfig cfg;
  cfg.name = std::string(to_string(kind)) + "0";
  cfg.kind = kind;
  cfg.rows = rows, cfg.cols = cols, cfg.dataflow = df;
  cfg.weight_bits = {4, 6, 8};
  cfg.ibuf.capacity_bytes = cfg.wbuf.capacity_bytes = cfg.obuf.capacity_bytes = cap;
  return cfg;
}

// A chunk's three buffers as byte vectors.
struct Bufs {
  std::vector<uint8_t> i, w, o;
  explicit Bufs(uint64_t cap = 1 << 16) : i(cap, 0), w(cap, 0), o(cap, 0xEE) {}
  TileBuffers views() { return {{i.data(), i.size()}, {w.data(), w.size()}, {o.data(), o.size()}}; }
  void put(std::vector<uint8_t>& b, uint64_t at, const std::vector<int>& v) {
    for (size_t n = 0; n < v.size(); ++n)
      b[at + n] = static_cast<uint8_t>(static_cast<int8_t>(v[n]));
  }
  void put32(std::vector<uint8_t>& b, uint64_t at, const std::vector<int32_t>& v) {
    for (size_t n = 0; n < v.size(); ++n)
      for (int k = 0; k < 4; ++k)
        b[at + 4 * n + k] = static_cast<uint8_t>(static_cast<uint32_t>(v[n]) >> (8 * k));
  }
  std::vector<int> get(uint64_t at, size_t n) const {
    std::vector<int> r;
    for (size_t k = 0; k < n; ++k) r.push_back(static_cast<int8_t>(o[at + k]));
    return r;
  }
  int32_t get32(uint64_t at) const {
    return static_cast<int32_t>(o[at] | o[at + 1] << 8 | o[at + 2] << 16 |
                                static_cast<uint32_t>(o[at + 3]) << 24);
  }
};

// Runs one tile; the output is read back from `out`.
std::vector<int> run(const ChunkConfig& cfg, const Spec& s, Bufs& b) {
  execute_tile(cfg, make(s), b.views());
  return b.get(s.out, s.k * s.oh * s.ow);
}

TEST(TileKernels, MultConv2x2) {
  // in [y][x][c] = [[1,2],[3,4]] / [[5,6],[7,8]]; w[0][ky][kx][c] = 1,-1, 2,0, 0,1, -2,1.
  // 1 - 2 + 6 + 0 + 0 + 6 - 14 + 8 = 5; + bias 10 = 15; m = 1, shift = 0 -> 15.
  auto cfg = make_cfg(OpKind::Mult);
  Bufs b;
  b.put(b.i, 0, {1, 2, 3, 4, 5, 6, 7, 8});
  b.put(b.w, 0, {1, -1, 2, 0, 0, 1, -2, 1});
  b.put32(b.w, 64, {10});
  Spec s{ComputeOp::Conv, OpKind::Mult, 1, 2, 1, 1, 2, 2, 2, 2};
  s.bias = 64, s.out = 100;
  EXPECT_EQ(run(cfg, s, b), std::vector<int>({15}));
  s.flags = isa::kFlagNoBias;  // 5
  EXPECT_EQ(run(cfg, s, b), std::vector<int>({5}));
}

TEST(TileKernels, ShiftConv) {
  // w bytes 2, -1, 0, 3 encode +2^1, -2^0, 0, +2^2; in 3, -5, 7, -2:
  // 3*2 + (-5)*(-1) + 0 + (-2)*4 = 6 + 5 - 8 = 3.
  auto cfg = make_cfg(OpKind::Shift);
  Bufs b;
  b.put(b.i, 0, {3, -5, 7, -2});
  b.put(b.w, 0, {2, -1, 0, 3});
  Spec s{ComputeOp::Conv, OpKind::Shift, 1, 4};
  s.flags = isa::kFlagNoBias, s.out = 8, s.wbits = 4;
  EXPECT_EQ(run(cfg, s, b), std::vector<int>({3}));
}

TEST(TileKernels, AdderConv) {
  // -|3-1| - |-5+5| - |7-10| = -2 - 0 - 3 = -5; + bias 100 = 95.
  auto cfg = make_cfg(OpKind::Adder);
  Bufs b;
  b.put(b.i, 0, {3, -5, 7});
  b.put(b.w, 0, {1, -5, 10});
  b.put32(b.w, 16, {100});
  Spec s{ComputeOp::Conv, OpKind::Adder, 1, 3};
  s.bias = 16, s.out = 4;
  EXPECT_EQ(run(cfg, s, b), std::vector<int>({95}));
}

TEST(TileKernels, PaddingIsZeroInput) {
  // 1x1x1 input 4, 3x3 kernel of 1s with centre 2, pad 1: one output.
  // mult: only the centre counts, 4*2 = 8. adder: centre -|4-2| = -2, and the 8 padded
  // zeros each give -|0-1| = -1 -> -10.
  Bufs b;
  b.put(b.i, 0, {4});
  b.put(b.w, 0, {1, 1, 1, 1, 2, 1, 1, 1, 1});
  Spec s{ComputeOp::Conv, OpKind::Mult, 1, 1, 1, 1, 1, 1, 3, 3, 1, 1, 1};
  s.flags = isa::kFlagNoBias, s.out = 0;
  EXPECT_EQ(run(make_cfg(OpKind::Mult), s, b), std::vector<int>({8}));
  s.kind = OpKind::Adder;
  EXPECT_EQ(run(make_cfg(OpKind::Adder), s, b), std::vector<int>({-10}));
}

TEST(TileKernels, Stride2) {
  // 4x4x1 input 0..15, 1x1 weight 1, stride 2: in[0][0], in[0][2], in[2][0], in[2][2].
  Bufs b;
  std::vector<int> in(16);
  for (int n = 0; n < 16; ++n) in[n] = n;
  b.put(b.i, 0, in);
  b.put(b.w, 0, {1});
  Spec s{ComputeOp::Conv, OpKind::Mult, 1, 1, 2, 2, 4, 4, 1, 1, 2};
  s.flags = isa::kFlagNoBias, s.out = 0;
  EXPECT_EQ(run(make_cfg(OpKind::Mult), s, b), std::vector<int>({0, 2, 8, 10}));
}

TEST(TileKernels, RequantRoundingReluAndSaturation) {
  // in 0 and weight 0, so acc = bias. m = 1, shift = 1: round_shift(v, 1) = (v + 1) >> 1:
  // 5 -> 3, -5 -> -2, -6 -> -3 (arithmetic shift of -5), 1000 -> 500 -> saturates to 127.
  auto cfg = make_cfg(OpKind::Mult);
  Bufs b;
  b.put32(b.w, 64, {5, -5, -6, 1000});
  Spec s{ComputeOp::Conv, OpKind::Mult, 4, 1};
  s.w = 0, s.bias = 64, s.out = 0, s.shift = 1;
  EXPECT_EQ(run(cfg, s, b), std::vector<int>({3, -2, -3, 127}));
  s.flags = isa::kFlagRelu;  // low end clamps at 0
  EXPECT_EQ(run(cfg, s, b), std::vector<int>({3, 0, 0, 127}));
  s.obits = 4, s.flags = 0;  // 4-bit output: [-8, 7]
  EXPECT_EQ(run(cfg, s, b), std::vector<int>({3, -2, -3, 7}));
  s.m = 3, s.shift = 2, s.obits = 8;  // (15+2)>>2 = 4, (-15+2)>>2 = -4, (-18+2)>>2 = -4
  EXPECT_EQ(run(cfg, s, b), std::vector<int>({4, -4, -4, 127}));
}

TEST(TileKernels, DwConv) {
  // 2x2x2 input, 2x2 depthwise kernel per channel, one output pixel.
  // c0: in 1,3,5,7  w 1,2,3,4 -> 1+6+15+28 = 50 (+ bias 1 = 51)
  // c1: in 2,4,6,8  w -1,0,1,0 -> -2+0+6+0 = 4 (+ bias -1 = 3)
  Bufs b;
  b.put(b.i, 0, {1, 2, 3, 4, 5, 6, 7, 8});
  b.put(b.w, 0, {1, 2, 3, 4, -1, 0, 1, 0});
  b.put32(b.w, 32, {1, -1});
  Spec s{ComputeOp::DwConv, OpKind::Mult, 2, 2, 1, 1, 2, 2, 2, 2};
  s.bias = 32, s.out = 0;
  EXPECT_EQ(run(make_cfg(OpKind::Mult), s, b), std::vector<int>({51, 3}));
}

TEST(TileKernels, MaxPool) {
  // 4x4x1 0..15 with a 2x2 stride-2 pool: 5, 7, 13, 15.
  Bufs b;
  std::vector<int> in(16);
  for (int n = 0; n < 16; ++n) in[n] = n;
  b.put(b.i, 0, in);
  Spec s{ComputeOp::MaxPool, OpKind::Mult, 1, 1, 2, 2, 4, 4, 2, 2, 2};
  EXPECT_EQ(run(make_cfg(OpKind::Mult), s, b), std::vector<int>({5, 7, 13, 15}));
  // All-negative 2x2 input, 3x3 pool with pad 1: padding is skipped, not read as 0, so every
  // output is the largest input, -3.
  b.put(b.i, 0, {-5, -3, -7, -9});
  Spec p{ComputeOp::MaxPool, OpKind::Mult, 1, 1, 2, 2, 2, 2, 3, 3, 1, 1, 1};
  EXPECT_EQ(run(make_cfg(OpKind::Mult), p, b), std::vector<int>({-3, -3, -3, -3}));
}

TEST(TileKernels, AvgPool) {
  // 2x2x1 input 1,2,3,4, 3x3 pool pad 1: every window holds the 4 in-bounds elements, sum 10;
  // m = 1, shift = 2 -> (10 + 2) >> 2 = 3. A 2x2 stride-1 pool without padding on 2 channels:
  // c0 sum 1+3+5+7 = 16, c1 sum 2+4+6+8 = 20; m = 1, shift = 2 -> 4, 5.
  Bufs b;
  b.put(b.i, 0, {1, 2, 3, 4});
  Spec s{ComputeOp::AvgPool, OpKind::Mult, 1, 1, 2, 2, 2, 2, 3, 3, 1, 1, 1};
  s.shift = 2;
  EXPECT_EQ(run(make_cfg(OpKind::Mult), s, b), std::vector<int>({3, 3, 3, 3}));
  b.put(b.i, 0, {1, 2, 3, 4, 5, 6, 7, 8});
  Spec t{ComputeOp::AvgPool, OpKind::Mult, 2, 2, 1, 1, 2, 2, 2, 2, 1};
  t.shift = 2;
  EXPECT_EQ(run(make_cfg(OpKind::Mult), t, b), std::vector<int>({4, 5}));
}

TEST(TileKernels, Add) {
  // a 10, -20; b 3, 4; ma 2, mb 3, shift 1: (20 + 9 + 1) >> 1 = 15, (-40 + 12 + 1) >> 1 = -14.
  Bufs b;
  b.put(b.i, 0, {10, -20});
  b.put(b.i, 100, {3, 4});
  Spec s{ComputeOp::Add, OpKind::Mult, 2, 0, 1, 1};
  s.in = 0, s.w = 100, s.out = 50, s.m = 2, s.m2 = 3, s.shift = 1;
  EXPECT_EQ(run(make_cfg(OpKind::Mult), s, b), std::vector<int>({15, -14}));
  s.flags = isa::kFlagRelu;
  EXPECT_EQ(run(make_cfg(OpKind::Mult), s, b), std::vector<int>({15, 0}));
}

// ---- naive reference: per element, bounds checked, pe_accumulate chained in loop order ----

std::vector<int8_t> reference(const Spec& s, const std::vector<int8_t>& in,
                              const std::vector<int8_t>& w, const std::vector<int32_t>& bias) {
  std::vector<int8_t> out(s.k * s.oh * s.ow);
  for (uint64_t oy = 0; oy < s.oh; ++oy)
    for (uint64_t ox = 0; ox < s.ow; ++ox)
      for (uint64_t k = 0; k < s.k; ++k) {
        int32_t acc = (s.flags & isa::kFlagNoBias) ? 0 : bias[k];
        for (uint64_t ky = 0; ky < s.kh; ++ky)
          for (uint64_t kx = 0; kx < s.kw; ++kx) {
            int64_t iy = static_cast<int64_t>(oy * s.stride + ky) - static_cast<int64_t>(s.pad_t);
            int64_t ix = static_cast<int64_t>(ox * s.stride + kx) - static_cast<int64_t>(s.pad_l);
            bool inb = iy >= 0 && iy < static_cast<int64_t>(s.ih) && ix >= 0 &&
                       ix < static_cast<int64_t>(s.iw);
            auto x = [&](uint64_t c) { return inb ? in[(iy * s.iw + ix) * s.c + c] : int8_t{0}; };
            if (s.op == ComputeOp::Conv) {
              for (uint64_t c = 0; c < s.c; ++c)
                acc = arith::pe_accumulate(s.kind, acc, x(c),
                                           w[((k * s.kh + ky) * s.kw + kx) * s.c + c]);
            } else {
              acc = arith::pe_accumulate(s.kind, acc, x(k), w[(k * s.kh + ky) * s.kw + kx]);
            }
          }
        out[(oy * s.ow + ox) * s.k + k] =
            arith::requantize(acc, static_cast<int32_t>(s.m), static_cast<int>(s.shift),
                              static_cast<int>(s.obits), s.flags & isa::kFlagRelu);
      }
  return out;
}

int8_t random_weight(std::mt19937& rng, OpKind kind, int bits) {
  if (kind == OpKind::Shift) {
    std::uniform_int_distribution<int> e(0, arith::max_shift_exponent(bits)), sg(-1, 1);
    return arith::encode_shift_weight(sg(rng), e(rng));
  }
  std::uniform_int_distribution<int> v(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
  return static_cast<int8_t>(v(rng));
}

TEST(TileKernels, RandomTilesMatchNaiveReference) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> small(1, 4), chan(1, 19), byte(-128, 127), coin(0, 1);
  for (int iter = 0; iter < 300; ++iter) {
    Spec s;
    s.kind = static_cast<OpKind>(iter % 3);
    s.op = coin(rng) ? ComputeOp::Conv : ComputeOp::DwConv;
    s.c = chan(rng);
    s.k = s.op == ComputeOp::Conv ? chan(rng) : s.c;
    s.kh = small(rng), s.kw = small(rng), s.stride = small(rng) % 3 + 1;
    s.pad_t = small(rng) % s.kh, s.pad_l = small(rng) % s.kw;
    s.ih = small(rng) + 3, s.iw = small(rng) + 4;
    s.oh = (s.ih + 2 * s.pad_t - s.kh) / s.stride + 1;
    s.ow = (s.iw + s.pad_l - s.kw) / s.stride + 1;  // asymmetric padding on the right
    s.wbits = s.kind == OpKind::Shift ? 4 + 2 * (iter / 3 % 2) : 8;  // shifts up to 2^30
    s.m = 1 + rng() % 5000, s.shift = 8 + rng() % 8, s.flags = coin(rng) ? isa::kFlagRelu : 0;
    if (iter % 7 == 0) s.flags |= isa::kFlagNoBias;
    std::vector<int8_t> in(s.ih * s.iw * s.c),
        w(s.k * s.kh * s.kw * (s.op == ComputeOp::Conv ? s.c : 1));
    std::vector<int32_t> bias(s.k);
    for (auto& x : in) x = static_cast<int8_t>(byte(rng));
    for (auto& x : w) x = random_weight(rng, s.kind, static_cast<int>(s.wbits));
    for (auto& x : bias) x = static_cast<int32_t>(rng() % 20001) - 10000;
    Bufs b;
    s.in = 8, s.w = 16, s.bias = 16 + w.size() + 4, s.out = 32;
    for (size_t n = 0; n < in.size(); ++n) b.i[s.in + n] = static_cast<uint8_t>(in[n]);
    for (size_t n = 0; n < w.size(); ++n) b.w[s.w + n] = static_cast<uint8_t>(w[n]);
    b.put32(b.w, s.bias, bias);
    SCOPED_TRACE(::testing::Message() << "iter " << iter << " " << isa::to_string(s.op) << " "
                                      << to_string(s.kind) << " k=" << s.k << " c=" << s.c);
    std::vector<int> got = run(make_cfg(s.kind), s, b);
    std::vector<int8_t> want = reference(s, in, w, bias);
    ASSERT_EQ(got, std::vector<int>(want.begin(), want.end()));
  }
}

TEST(TileKernels, RandomPoolsMatchNaiveReference) {
  std::mt19937 rng(77);
  std::uniform_int_distribution<int> small(1, 4), byte(-128, 127);
  for (int iter = 0; iter < 100; ++iter) {
    Spec s;
    s.op = iter % 2 ? ComputeOp::MaxPool : ComputeOp::AvgPool;
    s.k = s.c = small(rng) * 3, s.kh = small(rng), s.kw = small(rng), s.stride = small(rng);
    s.pad_t = small(rng) % s.kh, s.pad_l = small(rng) % s.kw;
    s.ih = small(rng) + 4, s.iw = small(rng) + 4;
    s.oh = (s.ih + 2 * s.pad_t - s.kh) / s.stride + 1,
    s.ow = (s.iw + 2 * s.pad_l - s.kw) / s.stride + 1;
    s.m = 1 + rng() % 300, s.shift = 6, s.obits = 2 + iter % 7,
    s.flags = iter % 3 ? 0 : isa::kFlagRelu;
    Bufs b;
    std::vector<int> in(s.ih * s.iw * s.c);
    for (auto& x : in) x = byte(rng);
    b.put(b.i, 0, in);
    std::vector<int> want;
    for (uint64_t oy = 0; oy < s.oh; ++oy)
      for (uint64_t ox = 0; ox < s.ow; ++ox)
        for (uint64_t c = 0; c < s.c; ++c) {
          int32_t mx = -1000, sum = 0;
          for (uint64_t ky = 0; ky < s.kh; ++ky)
            for (uint64_t kx = 0; kx < s.kw; ++kx) {
              int64_t iy = static_cast<int64_t>(oy * s.stride + ky) - static_cast<int64_t>(s.pad_t);
              int64_t ix = static_cast<int64_t>(ox * s.stride + kx) - static_cast<int64_t>(s.pad_l);
              if (iy < 0 || ix < 0 || iy >= static_cast<int64_t>(s.ih) ||
                  ix >= static_cast<int64_t>(s.iw))
                continue;
              int v = in[(iy * s.iw + ix) * s.c + c];
              mx = std::max(mx, v), sum += v;
            }
          bool relu = s.flags & isa::kFlagRelu;
          int bits = static_cast<int>(s.obits);
          want.push_back(s.op == ComputeOp::MaxPool
                             ? arith::saturate(mx, bits, relu)
                             : arith::requantize(sum, static_cast<int32_t>(s.m), 6, bits, relu));
        }
    SCOPED_TRACE(::testing::Message() << "iter " << iter);
    ASSERT_EQ(run(make_cfg(OpKind::Mult), s, b), want);
  }
}

TEST(TileKernels, SplittingChannelsWithPartialsGivesTheSameBytes) {
  // A 3x3 conv over c = 8, computed once, and as two tiles of 4 channels: the first with
  // out_partial (bias included), the second with acc_load + requantization.
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> byte(-128, 127);
  for (OpKind kind : {OpKind::Mult, OpKind::Shift, OpKind::Adder}) {
    auto cfg = make_cfg(kind);
    const uint64_t C = 8, H = 5, W = 6, K = 5;
    Spec s{ComputeOp::Conv, kind, K, C, H, W, H, W, 3, 3, 1, 1, 1};
    s.wbits = kind == OpKind::Shift ? 4 : 8;
    s.m = 1234, s.shift = 12, s.flags = isa::kFlagRelu;
    std::vector<int> in(H * W * C), w(K * 9 * C);
    for (auto& x : in) x = byte(rng);
    for (auto& x : w) x = random_weight(rng, kind, static_cast<int>(s.wbits));
    Bufs one;
    one.put(one.i, 0, in);
    one.put(one.w, 0, w);
    one.put32(one.w, 4096, {7, -300, 1 << 20, 0, 55});
    s.bias = 4096, s.out = 0;
    std::vector<int> whole = run(cfg, s, one);

    Bufs two = one;
    const uint64_t half = C / 2, part_in = 8192, part_w = 12288;
    for (uint64_t h = 0; h < 2; ++h) {
      // Channels [h*4, h*4+4) of the input and weights, re-laid out contiguously.
      for (uint64_t px = 0; px < H * W; ++px)
        for (uint64_t c = 0; c < half; ++c)
          two.i[part_in + h * 4096 + px * half + c] = one.i[px * C + h * half + c];
      for (uint64_t tap = 0; tap < K * 9; ++tap)
        for (uint64_t c = 0; c < half; ++c)
          two.w[part_w + h * 4096 + tap * half + c] = one.w[tap * C + h * half + c];
    }
    Spec a = s, b = s;
    a.c = b.c = half;
    a.in = part_in, a.w = part_w, a.acc = 1024, a.flags = isa::kFlagOutPartial;
    b.in = part_in + 4096, b.w = part_w + 4096, b.acc = 1024, b.out = 512;
    b.flags = isa::kFlagAccLoad | isa::kFlagRelu;
    execute_tile(cfg, make(a), two.views());
    EXPECT_EQ(run(cfg, b, two), whole) << to_string(kind);
  }
}

TEST(TileKernels, OperandOutsideBufferIsRejected) {
  auto cfg = make_cfg(OpKind::Mult, 4, 4, Dataflow::OutputStationary, 1024);
  Bufs b(1024);
  Spec s{ComputeOp::Conv, OpKind::Mult, 4, 8, 2, 2, 4, 4, 3, 3};
  s.w = 800;  // 4*3*3*8 = 288 bytes: [800, 1088) does not fit 1024
  s.bias = 0, s.out = 0;
  try {
    execute_tile(cfg, make(s), b.views());
    FAIL() << "expected SimulationError";
  } catch (const SimulationError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("operand 'w'"), std::string::npos) << m;
    EXPECT_NE(m.find("[800, 1088)"), std::string::npos) << m;
    EXPECT_NE(m.find("wbuf (capacity 1024 bytes)"), std::string::npos) << m;
  }
  s.w = 0, s.acc = 1000, s.flags = isa::kFlagOutPartial;  // 16 px * 4 * 4 bytes = 256
  EXPECT_THROW(check_tile(cfg, make(s)), SimulationError);
  s.acc = 0;
  EXPECT_NO_THROW(check_tile(cfg, make(s)));
  // A view smaller than the config's capacity is also checked.
  TileBuffers v = b.views();
  v.wbuf.size = 100;
  s.flags = 0;
  EXPECT_THROW(execute_tile(cfg, make(s), v), SimulationError);
}

TEST(TileKernels, KindAndBitsMismatchAreRejected) {
  auto cfg = make_cfg(OpKind::Mult);
  Spec s{ComputeOp::Conv, OpKind::Shift};
  try {
    check_tile(cfg, make(s));
    FAIL() << "expected SimulationError";
  } catch (const SimulationError& e) {
    EXPECT_NE(std::string(e.what()).find("kind 'shift'"), std::string::npos) << e.what();
  }
  s.kind = OpKind::Mult, s.wbits = 5;  // chunk supports {4, 6, 8}
  EXPECT_THROW(check_tile(cfg, make(s)), SimulationError);
  s.wbits = 4;
  EXPECT_NO_THROW(check_tile(cfg, make(s)));
  Spec p{ComputeOp::MaxPool, OpKind::Adder, 1, 1, 1, 1, 1, 1, 2, 2, 1, 2, 0};
  EXPECT_THROW(check_tile(cfg, make(p)), SimulationError);  // window entirely in the padding
  p.pad_t = 1;
  EXPECT_NO_THROW(check_tile(cfg, make(p)));  // pools ignore the kind field
  p.flags = isa::kFlagOutPartial;
  EXPECT_THROW(check_tile(cfg, make(p)), SimulationError);
}

TEST(TileKernels, CostWorkedByHand) {
  // Conv, 4x4 px, 8 filters, 3x3x2 window (18), on a 4x4 array.
  Spec s{ComputeOp::Conv, OpKind::Mult, 8, 2, 4, 4, 6, 6, 3, 3};
  // os: Sr=16, Sc=8, T=18: 4*2 = 8 folds of 4+4+18-2 = 24 -> 192 cycles; 16*8*18 = 2304 ops;
  // utilization 2304 / (192*16) = 0.75. ibuf 2*16*18 = 576; wbuf 4*8*18 = 576 + bias 32;
  // obuf: 128 outputs written once, 128 requantizations.
  TileCost os = tile_cost(make_cfg(OpKind::Mult, 4, 4, Dataflow::OutputStationary), make(s));
  EXPECT_EQ(os.cycles, 192u);
  EXPECT_EQ(os.pe_ops, 2304u);
  EXPECT_DOUBLE_EQ(os.utilization, 0.75);
  EXPECT_EQ(os.ibuf_read_bytes, 576u);
  EXPECT_EQ(os.wbuf_read_bytes, 608u);
  EXPECT_EQ(os.obuf_read_bytes, 0u);
  EXPECT_EQ(os.obuf_write_bytes, 128u);
  EXPECT_EQ(os.vector_ops, 128u);
  EXPECT_EQ(os.shadow_writes, 0u);
  // os with fold_overlap: folds 18 cycles apart (T = 18 > R = 4): 7 * 18 + 24 = 150 cycles;
  // the same reads and writes, and the 128 outputs pass the shadow registers.
  ChunkConfig fo = make_cfg(OpKind::Mult, 4, 4, Dataflow::OutputStationary);
  fo.fold_overlap = true;
  TileCost ov = tile_cost(fo, make(s));
  EXPECT_EQ(ov.cycles, 150u);
  EXPECT_EQ(ov.pe_ops, 2304u);
  EXPECT_EQ(ov.ibuf_read_bytes, 576u);
  EXPECT_EQ(ov.wbuf_read_bytes, 608u);
  EXPECT_EQ(ov.obuf_write_bytes, 128u);
  EXPECT_EQ(ov.shadow_writes, 128u);
  // ws: Sr=18, Sc=8, T=16: 5*2 = 10 folds of 8+4+16-2 = 26 -> 260. ibuf 2*16*18 = 576;
  // wbuf 18*8 = 144 + 32; ofmap writes 5*16*8 = 640, of which 512 are partials of the first
  // four row folds: obuf reads 512*4 = 2048, writes 2048 + 128.
  TileCost ws = tile_cost(make_cfg(OpKind::Mult, 4, 4, Dataflow::WeightStationary), make(s));
  EXPECT_EQ(ws.cycles, 260u);
  EXPECT_EQ(ws.ibuf_read_bytes, 576u);
  EXPECT_EQ(ws.wbuf_read_bytes, 176u);
  EXPECT_EQ(ws.obuf_read_bytes, 2048u);
  EXPECT_EQ(ws.obuf_write_bytes, 2176u);
  // out_partial + acc_load: no bias, partials in and out (4 bytes each), no requantization.
  s.flags = isa::kFlagAccLoad | isa::kFlagOutPartial;
  TileCost p = tile_cost(make_cfg(OpKind::Mult, 4, 4, Dataflow::OutputStationary), make(s));
  EXPECT_EQ(p.wbuf_read_bytes, 576u);
  EXPECT_EQ(p.obuf_read_bytes, 512u);
  EXPECT_EQ(p.obuf_write_bytes, 512u);
  EXPECT_EQ(p.vector_ops, 0u);
  // Depthwise 3x3, c = 6, 4x4 px, os 4x4: 6 groups of (16 px, 1 filter, window 9):
  // 4 row folds of 4+4+9-2 = 15 -> 60 per group -> 360.
  Spec d{ComputeOp::DwConv, OpKind::Mult, 6, 6, 4, 4, 6, 6, 3, 3};
  EXPECT_EQ(tile_cost(make_cfg(OpKind::Mult), make(d)).cycles, 360u);
  // Max pool 2x2, 8 channels, 2x2 out = 32 outputs on 4 lanes: 8 groups x 4 reads = 32
  // cycles, 128 compares, all lanes busy.
  Spec m{ComputeOp::MaxPool, OpKind::Mult, 8, 8, 2, 2, 4, 4, 2, 2, 2};
  TileCost mp = tile_cost(make_cfg(OpKind::Mult), make(m));
  EXPECT_EQ(mp.cycles, 32u);
  EXPECT_EQ(mp.pe_ops, 128u);
  EXPECT_EQ(mp.vector_ops, 128u);
  EXPECT_EQ(mp.ibuf_read_bytes, 128u);
  EXPECT_EQ(mp.obuf_write_bytes, 32u);
  EXPECT_DOUBLE_EQ(mp.utilization, 1.0);
  // Add of 2x3x3 = 18 elements on 4 lanes: ceil(18/4) = 5 x 2 reads = 10 cycles; 36 reads,
  // 18 adds + 18 requantizations; utilization 36/40.
  Spec a{ComputeOp::Add, OpKind::Mult, 2, 0, 3, 3};
  TileCost ad = tile_cost(make_cfg(OpKind::Mult), make(a));
  EXPECT_EQ(ad.cycles, 10u);
  EXPECT_EQ(ad.vector_ops, 36u);
  EXPECT_EQ(ad.ibuf_read_bytes, 36u);
  EXPECT_DOUBLE_EQ(ad.utilization, 0.9);
}

}  // namespace
}  // namespace savp::chunk
