#include "models/chunk/tile_kernels.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "common/tile_timing.hpp"
#include "firmware/weight_stream.hpp"

namespace savp::chunk {

namespace {

using isa::ComputeOp;

constexpr uint64_t kAccBytes = sizeof(int32_t);  // bias and partial sums are int32 LE

// The decoded fields of a COMPUTE instruction.
struct Tile {
  ComputeOp op;
  OpKind kind;
  uint64_t k, c, oh, ow, ih, iw, kh, kw, stride, pad_t, pad_l, wbits, obits;
  int shift;
  int32_t m, m2;
  uint64_t in, w, bias, acc, out;
  bool relu, acc_load, out_partial, no_bias;
  fw::WeightFormat wfmt;
  uint64_t wlen;  // compressed stream bytes (0: dense)

  bool is_conv() const { return op == ComputeOp::Conv || op == ComputeOp::DwConv; }
  bool uses_bias() const { return is_conv() && !no_bias && !acc_load; }
  bool reads_acc() const { return is_conv() && acc_load; }
  bool writes_acc() const { return is_conv() && out_partial; }
  bool writes_out() const { return !writes_acc(); }
  uint64_t outputs() const { return k * oh * ow; }
};

Tile decode_tile(const isa::Instruction& in) {
  Tile t;
  t.op = in.compute_op();
  t.kind = static_cast<OpKind>(in.get(isa::kKind));
  t.k = in.get(isa::kK), t.c = in.get(isa::kC), t.oh = in.get(isa::kOh), t.ow = in.get(isa::kOw);
  t.ih = in.get(isa::kIh), t.iw = in.get(isa::kIw), t.kh = in.get(isa::kKh);
  t.kw = in.get(isa::kKw), t.stride = in.get(isa::kStride);
  t.pad_t = in.get(isa::kPadT), t.pad_l = in.get(isa::kPadL);
  t.wbits = in.get(isa::kWBits), t.obits = in.get(isa::kOBits);
  t.shift = static_cast<int>(in.get(isa::kShift));
  t.m = static_cast<int32_t>(in.get(isa::kMultiplier));
  t.m2 = static_cast<int32_t>(in.get(isa::kMultiplier2));
  t.in = in.get(isa::kInAddr), t.w = in.get(isa::kWAddr), t.bias = in.get(isa::kBiasAddr);
  t.acc = in.get(isa::kAccAddr), t.out = in.get(isa::kOutAddr);
  uint32_t f = in.flags();
  t.relu = f & isa::kFlagRelu, t.acc_load = f & isa::kFlagAccLoad;
  t.out_partial = f & isa::kFlagOutPartial, t.no_bias = f & isa::kFlagNoBias;
  t.wfmt = static_cast<fw::WeightFormat>(in.get(isa::kWFormat));
  t.wlen = in.get(isa::kWLen);
  return t;
}

enum Buf { kIbuf = 0, kWbuf = 1, kObuf = 2 };
constexpr const char* kBufName[] = {"ibuf", "wbuf", "obuf"};

struct Operand {
  const char* name = "";
  Buf buf = kIbuf;
  uint64_t addr = 0, bytes = 0;
  uint64_t end() const { return addr + bytes; }
};

// The buffer ranges a tile touches (at most 5; no allocation).
struct Operands {
  std::array<Operand, 5> v;
  int n = 0;
  void add(const char* name, Buf b, uint64_t addr, uint64_t bytes) {
    v[n++] = {name, b, addr, bytes};
  }
};

Operands operands_of(const Tile& t) {
  Operands ops;
  const uint64_t outs = t.outputs();
  switch (t.op) {
    case ComputeOp::Conv:
    case ComputeOp::DwConv: {
      uint64_t wbytes = t.op == ComputeOp::Conv ? t.k * t.kh * t.kw * t.c : t.c * t.kh * t.kw;
      ops.add("in", kIbuf, t.in, t.ih * t.iw * t.c);
      ops.add("w", kWbuf, t.w, t.wfmt == fw::WeightFormat::Dense ? wbytes : t.wlen);
      if (t.uses_bias()) ops.add("bias", kWbuf, t.bias, t.k * kAccBytes);
      if (t.reads_acc() || t.writes_acc()) ops.add("acc", kObuf, t.acc, outs * kAccBytes);
      if (t.writes_out()) ops.add("out", kObuf, t.out, outs);
      break;
    }
    case ComputeOp::MaxPool:
    case ComputeOp::AvgPool:
      ops.add("in", kIbuf, t.in, t.ih * t.iw * t.c);
      ops.add("out", kObuf, t.out, outs);
      break;
    case ComputeOp::Add:
      ops.add("in (a)", kIbuf, t.in, outs);
      ops.add("w (b)", kIbuf, t.w, outs);
      ops.add("out", kObuf, t.out, outs);
      break;
  }
  return ops;
}

std::string bits_list(const DecompressorConfig& d) {
  std::string s;
  for (uint32_t b : d.packed_bits) s += (s.empty() ? "" : ", ") + std::to_string(b);
  return s.empty() ? "none" : s;
}

std::string where(const ChunkConfig& cfg, const Tile& t) {
  return fmt::format("compute {} on chunk '{}'", isa::to_string(t.op), cfg.name);
}

uint64_t capacity(const ChunkConfig& cfg, Buf b) {
  return b == kIbuf   ? cfg.ibuf.capacity_bytes
         : b == kWbuf ? cfg.wbuf.capacity_bytes
                      : cfg.obuf.capacity_bytes;
}

// True if some output window row/column of a pool lies entirely in the padding.
bool window_outside(uint64_t pad, uint64_t k, uint64_t out, uint64_t stride, uint64_t in) {
  return pad >= k || (out - 1) * stride >= in + pad;
}

inline int32_t load_le32(const uint8_t* p) {
  return static_cast<int32_t>(static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                              static_cast<uint32_t>(p[2]) << 16 |
                              static_cast<uint32_t>(p[3]) << 24);
}

inline void store_le32(uint8_t* p, int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  p[0] = static_cast<uint8_t>(u), p[1] = static_cast<uint8_t>(u >> 8);
  p[2] = static_cast<uint8_t>(u >> 16), p[3] = static_cast<uint8_t>(u >> 24);
}

// Sum of PE terms over n operand pairs. Accumulating in uint32 is addition modulo 2^32, the
// same result as chaining arith::pe_accumulate in any order; K is a constant, so pe_term's
// switch folds away and the loop vectorizes.
template <OpKind K>
inline uint32_t dot(const int8_t* x, const int8_t* w, uint64_t n) {
  uint32_t s = 0;
  for (uint64_t i = 0; i < n; ++i) s += static_cast<uint32_t>(arith::pe_term(K, x[i], w[i]));
  return s;
}

// Where a tile's accumulators start and where they go.
struct AccIo {
  const Tile& t;
  const uint8_t* bias;
  uint8_t* acc;
  int8_t* out;
  int32_t init(uint64_t px, uint64_t kk) const {
    if (t.acc_load) return load_le32(acc + (px * t.k + kk) * kAccBytes);
    return t.no_bias ? 0 : load_le32(bias + kk * kAccBytes);
  }
  void finish(uint64_t px, uint64_t kk, uint32_t sum) const {
    int32_t v = arith::wrap_add(init(px, kk), static_cast<int32_t>(sum));
    if (t.out_partial)
      store_le32(acc + (px * t.k + kk) * kAccBytes, v);
    else
      out[px * t.k + kk] = arith::requantize(v, t.m, t.shift, static_cast<int>(t.obits), t.relu);
  }
};

// Copies the (zero-padded) input window of output pixel (oy, ox) into patch, laid out
// [ky][kx][c] like one filter of the weights, so each filter is one contiguous dot product.
void gather_patch(const Tile& t, const int8_t* in, uint64_t oy, uint64_t ox, int8_t* patch) {
  const int64_t ih = t.ih, iw = t.iw, kw = t.kw, c = t.c;
  const int64_t y0 = static_cast<int64_t>(oy * t.stride) - static_cast<int64_t>(t.pad_t);
  const int64_t x0 = static_cast<int64_t>(ox * t.stride) - static_cast<int64_t>(t.pad_l);
  const int64_t kx_lo = std::clamp<int64_t>(-x0, 0, kw),
                kx_hi = std::clamp<int64_t>(iw - x0, 0, kw);
  for (uint64_t ky = 0; ky < t.kh; ++ky, patch += kw * c) {
    int64_t iy = y0 + static_cast<int64_t>(ky);
    if (iy < 0 || iy >= ih || kx_lo >= kx_hi) {
      std::memset(patch, 0, kw * c);
      continue;
    }
    std::memset(patch, 0, kx_lo * c);
    std::memcpy(patch + kx_lo * c, in + ((iy * iw) + x0 + kx_lo) * c, (kx_hi - kx_lo) * c);
    std::memset(patch + kx_hi * c, 0, (kw - kx_hi) * c);
  }
}

// Shift weights as int32 multipliers sign * 2^e: the sign applied to x << e is x * sign * 2^e
// modulo 2^32, which is what arith::pe_term computes (in uint32) for e < 32; then the shift
// kernels are multiply-accumulates. Returns false (use pe_term itself) if some e >= 32.
bool shift_multipliers(const int8_t* w, uint64_t n, std::vector<int32_t>& out) {
  out.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    const arith::ShiftWeight sw = arith::decode_shift_weight(w[i]);
    if (sw.exponent >= 32) return false;
    out[i] = static_cast<int32_t>(static_cast<uint32_t>(sw.sign) * (uint32_t{1} << sw.exponent));
  }
  return true;
}

inline uint32_t dot_mul(const int8_t* x, const int32_t* w, uint64_t n) {
  uint32_t s = 0;
  for (uint64_t i = 0; i < n; ++i) s += static_cast<uint32_t>(x[i]) * static_cast<uint32_t>(w[i]);
  return s;
}

// Conv: pixels in blocks of kPixBlock so that each filter row of the weights is read once per
// block (it stays in L1 across the block's dot products). Dot(x, w_k, n) sums one window.
template <typename WT, typename Dot>
void conv_loop(const Tile& t, const int8_t* in, const WT* w, const AccIo& io, Dot dot_fn) {
  constexpr uint64_t kPixBlock = 8;
  const uint64_t window = t.kh * t.kw * t.c, pixels = t.oh * t.ow;
  std::vector<int8_t> patches(kPixBlock * window);
  for (uint64_t p0 = 0; p0 < pixels; p0 += kPixBlock) {
    const uint64_t np = std::min(kPixBlock, pixels - p0);
    for (uint64_t p = 0; p < np; ++p)
      gather_patch(t, in, (p0 + p) / t.ow, (p0 + p) % t.ow, patches.data() + p * window);
    for (uint64_t kk = 0; kk < t.k; ++kk) {
      const WT* wk = w + kk * window;
      for (uint64_t p = 0; p < np; ++p)
        io.finish(p0 + p, kk, dot_fn(patches.data() + p * window, wk, window));
    }
  }
}

template <OpKind K>
void conv_kernel(const Tile& t, const int8_t* in, const int8_t* w, const AccIo& io) {
  if constexpr (K == OpKind::Shift) {
    std::vector<int32_t> wm;
    if (shift_multipliers(w, t.k * t.kh * t.kw * t.c, wm))
      return conv_loop(t, in, wm.data(), io, dot_mul);
  }
  conv_loop(t, in, w, io, dot<K>);
}

// Depthwise: per pixel, accumulate every channel at once over the window (the weights are
// transposed once to [ky][kx][c] so the channel loop is contiguous in input and weights).
template <OpKind K, typename WT>
void dwconv_loop(const Tile& t, const int8_t* in, const std::vector<WT>& wt, const AccIo& io) {
  const uint64_t c = t.c;
  std::vector<uint32_t> sum(c);
  for (uint64_t oy = 0; oy < t.oh; ++oy) {
    for (uint64_t ox = 0; ox < t.ow; ++ox) {
      std::fill(sum.begin(), sum.end(), 0u);
      const int64_t y0 = static_cast<int64_t>(oy * t.stride) - static_cast<int64_t>(t.pad_t);
      const int64_t x0 = static_cast<int64_t>(ox * t.stride) - static_cast<int64_t>(t.pad_l);
      for (uint64_t ky = 0; ky < t.kh; ++ky) {
        const int64_t iy = y0 + static_cast<int64_t>(ky);
        for (uint64_t kx = 0; kx < t.kw; ++kx) {
          const int64_t ix = x0 + static_cast<int64_t>(kx);
          const WT* wv = wt.data() + (ky * t.kw + kx) * c;
          if (iy >= 0 && iy < static_cast<int64_t>(t.ih) && ix >= 0 &&
              ix < static_cast<int64_t>(t.iw)) {
            const int8_t* x = in + (iy * static_cast<int64_t>(t.iw) + ix) * c;
            for (uint64_t cc = 0; cc < c; ++cc) {
              if constexpr (std::is_same_v<WT, int32_t>)
                sum[cc] += static_cast<uint32_t>(x[cc]) * static_cast<uint32_t>(wv[cc]);
              else
                sum[cc] += static_cast<uint32_t>(arith::pe_term(K, x[cc], wv[cc]));
            }
          } else if constexpr (K == OpKind::Adder) {  // zero input: -|w|; mult/shift add 0
            for (uint64_t cc = 0; cc < c; ++cc)
              sum[cc] += static_cast<uint32_t>(arith::pe_term(K, 0, wv[cc]));
          }
        }
      }
      const uint64_t px = oy * t.ow + ox;
      for (uint64_t cc = 0; cc < c; ++cc) io.finish(px, cc, sum[cc]);
    }
  }
}

template <OpKind K>
void dwconv_kernel(const Tile& t, const int8_t* in, const int8_t* w, const AccIo& io) {
  const uint64_t c = t.c, taps = t.kh * t.kw;
  std::vector<int8_t> wt(taps * c);
  for (uint64_t cc = 0; cc < c; ++cc)
    for (uint64_t tap = 0; tap < taps; ++tap) wt[tap * c + cc] = w[cc * taps + tap];
  if constexpr (K == OpKind::Shift) {
    std::vector<int32_t> wm;
    if (shift_multipliers(wt.data(), wt.size(), wm)) return dwconv_loop<K>(t, in, wm, io);
  }
  dwconv_loop<K>(t, in, wt, io);
}

// Pools: in-bounds window elements only; one int32 lane per channel.
template <bool kMax>
void pool_kernel(const Tile& t, const int8_t* in, int8_t* out) {
  const uint64_t c = t.c;
  std::vector<int32_t> r(c);
  for (uint64_t oy = 0; oy < t.oh; ++oy) {
    const int64_t y0 = static_cast<int64_t>(oy * t.stride) - static_cast<int64_t>(t.pad_t);
    const int64_t ky_lo = std::max<int64_t>(0, -y0);
    const int64_t ky_hi = std::min<int64_t>(t.kh, static_cast<int64_t>(t.ih) - y0);
    for (uint64_t ox = 0; ox < t.ow; ++ox) {
      const int64_t x0 = static_cast<int64_t>(ox * t.stride) - static_cast<int64_t>(t.pad_l);
      const int64_t kx_lo = std::max<int64_t>(0, -x0);
      const int64_t kx_hi = std::min<int64_t>(t.kw, static_cast<int64_t>(t.iw) - x0);
      std::fill(r.begin(), r.end(), kMax ? std::numeric_limits<int32_t>::min() : 0);
      for (int64_t ky = ky_lo; ky < ky_hi; ++ky) {
        for (int64_t kx = kx_lo; kx < kx_hi; ++kx) {
          const int8_t* x = in + ((y0 + ky) * static_cast<int64_t>(t.iw) + x0 + kx) * c;
          for (uint64_t cc = 0; cc < c; ++cc) {
            if constexpr (kMax)
              r[cc] = std::max<int32_t>(r[cc], x[cc]);
            else
              r[cc] += x[cc];
          }
        }
      }
      int8_t* o = out + (oy * t.ow + ox) * t.k;
      for (uint64_t cc = 0; cc < c; ++cc)
        o[cc] = kMax ? arith::saturate(r[cc], static_cast<int>(t.obits), t.relu)
                     : arith::requantize(r[cc], t.m, t.shift, static_cast<int>(t.obits), t.relu);
    }
  }
}

template <template <OpKind> class Fn, typename... Args>
void dispatch_kind(OpKind k, Args&&... args) {
  switch (k) {
    case OpKind::Mult:
      Fn<OpKind::Mult>::run(args...);
      break;
    case OpKind::Shift:
      Fn<OpKind::Shift>::run(args...);
      break;
    case OpKind::Adder:
      Fn<OpKind::Adder>::run(args...);
      break;
  }
}

template <OpKind K>
struct ConvFn {
  static void run(const Tile& t, const int8_t* in, const int8_t* w, const AccIo& io) {
    conv_kernel<K>(t, in, w, io);
  }
};
template <OpKind K>
struct DwConvFn {
  static void run(const Tile& t, const int8_t* in, const int8_t* w, const AccIo& io) {
    dwconv_kernel<K>(t, in, w, io);
  }
};

}  // namespace

void check_tile(const ChunkConfig& cfg, const isa::Instruction& in) {
  if (in.opcode() != isa::Opcode::Compute)
    throw SimulationError(fmt::format("chunk '{}' given a {} instruction, not compute", cfg.name,
                                      isa::to_string(in.opcode())));
  if (std::string err = isa::validate(in); !err.empty())
    throw SimulationError(fmt::format("compute on chunk '{}': {}", cfg.name, err));
  const Tile t = decode_tile(in);
  if (t.is_conv()) {
    if (t.kind != cfg.kind)
      throw SimulationError(fmt::format("{}: instruction kind '{}' but the chunk implements '{}'",
                                        where(cfg, t), to_string(t.kind), to_string(cfg.kind)));
    if (std::find(cfg.weight_bits.begin(), cfg.weight_bits.end(), t.wbits) ==
        cfg.weight_bits.end()) {
      std::string bits;
      for (uint32_t b : cfg.weight_bits) bits += (bits.empty() ? "" : ", ") + std::to_string(b);
      throw SimulationError(fmt::format("{}: wbits {} not supported (chunk supports {})",
                                        where(cfg, t), t.wbits, bits));
    }
    if (t.wfmt != fw::WeightFormat::Dense) {
      const DecompressorConfig& d = cfg.decompressor;
      const bool ok = t.wfmt == fw::WeightFormat::Packed ? d.packed : d.bitmask;
      if (!ok) {
        std::string fmts = "dense";
        if (d.packed) fmts += ", packed";
        if (d.bitmask) fmts += ", bitmask";
        throw SimulationError(fmt::format(
            "{}: weights in {} format, but the chunk's decompressor decodes only {}",
            where(cfg, t), fw::to_string(t.wfmt), fmts));
      }
    }
  } else if (in.flags() & (isa::kFlagAccLoad | isa::kFlagOutPartial)) {
    throw SimulationError(
        fmt::format("{}: acc_load / out_partial apply to conv and dwconv only", where(cfg, t)));
  }
  if (t.op == ComputeOp::MaxPool && (window_outside(t.pad_t, t.kh, t.oh, t.stride, t.ih) ||
                                     window_outside(t.pad_l, t.kw, t.ow, t.stride, t.iw)))
    throw SimulationError(fmt::format(
        "{}: a {}x{} window (stride {}, pad_t {}, pad_l {}) of the {}x{} output lies entirely "
        "outside the {}x{} input",
        where(cfg, t), t.kh, t.kw, t.stride, t.pad_t, t.pad_l, t.oh, t.ow, t.ih, t.iw));
  const Operands ops = operands_of(t);
  for (int i = 0; i < ops.n; ++i) {
    const Operand& o = ops.v[i];
    const uint64_t cap = capacity(cfg, o.buf);
    if (o.end() > cap)
      throw SimulationError(
          fmt::format("{}: operand '{}' bytes [{}, {}) outside {} (capacity {} bytes)",
                      where(cfg, t), o.name, o.addr, o.end(), kBufName[o.buf], cap));
  }
  if (t.reads_acc() && t.writes_out()) {
    const Operand& a = ops.v[ops.n - 2];
    const Operand& o = ops.v[ops.n - 1];
    if (a.addr < o.end() && o.addr < a.end())
      throw SimulationError(
          fmt::format("{}: operands 'acc' [{}, {}) and 'out' [{}, {}) overlap in obuf",
                      where(cfg, t), a.addr, a.end(), o.addr, o.end()));
  }
}

void execute_tile(const ChunkConfig& cfg, const isa::Instruction& in, const TileBuffers& b) {
  check_tile(cfg, in);
  const Tile t = decode_tile(in);
  const BufferView* views[] = {&b.ibuf, &b.wbuf, &b.obuf};
  const Operands ops = operands_of(t);
  for (int i = 0; i < ops.n; ++i) {
    const Operand& o = ops.v[i];
    const BufferView& v = *views[o.buf];
    if (v.data == nullptr || o.end() > v.size)
      throw SimulationError(
          fmt::format("{}: operand '{}' bytes [{}, {}) outside the mapped {} ({} bytes)",
                      where(cfg, t), o.name, o.addr, o.end(), kBufName[o.buf], v.size));
  }
  auto i8 = [](const BufferView& v, uint64_t addr) {
    return reinterpret_cast<int8_t*>(v.data + addr);
  };
  switch (t.op) {
    case ComputeOp::Conv:
    case ComputeOp::DwConv: {
      const AccIo io{t, b.wbuf.data + (t.uses_bias() ? t.bias : 0),
                     b.obuf.data + (t.reads_acc() || t.writes_acc() ? t.acc : 0),
                     i8(b.obuf, t.writes_out() ? t.out : 0)};
      const int8_t* w = i8(b.wbuf, t.w);
      // A compressed stream is decoded as the read port would deliver it (the kernels then
      // see the dense weights); a bad stream is a fault of this instruction.
      std::vector<int8_t> decoded;
      if (t.wfmt != fw::WeightFormat::Dense) {
        const uint64_t count = t.op == ComputeOp::Conv ? t.k * t.kh * t.kw * t.c
                                                       : t.c * t.kh * t.kw;
        decoded.resize(count);
        fw::WeightStreamInfo info;
        try {
          info = fw::decode_weights(t.wfmt, b.wbuf.data + t.w, t.wlen, count, decoded.data());
        } catch (const FirmwareError& e) {
          throw SimulationError(fmt::format("{}: weights at wbuf [{}, {}): {}", where(cfg, t), t.w,
                                            t.w + t.wlen, e.what()));
        }
        if (!cfg.decompressor.supports_bits(static_cast<uint32_t>(info.bits)))
          throw SimulationError(fmt::format(
              "{}: weights at wbuf [{}, {}): {}-bit values, which the chunk's decompressor does "
              "not decode (packed_bits {})",
              where(cfg, t), t.w, t.w + t.wlen, info.bits, bits_list(cfg.decompressor)));
        w = decoded.data();
      }
      if (t.op == ComputeOp::Conv)
        dispatch_kind<ConvFn>(t.kind, t, i8(b.ibuf, t.in), w, io);
      else
        dispatch_kind<DwConvFn>(t.kind, t, i8(b.ibuf, t.in), w, io);
      break;
    }
    case ComputeOp::MaxPool:
      pool_kernel<true>(t, i8(b.ibuf, t.in), i8(b.obuf, t.out));
      break;
    case ComputeOp::AvgPool:
      pool_kernel<false>(t, i8(b.ibuf, t.in), i8(b.obuf, t.out));
      break;
    case ComputeOp::Add: {
      const int8_t* a = i8(b.ibuf, t.in);
      const int8_t* bb = i8(b.ibuf, t.w);
      int8_t* out = i8(b.obuf, t.out);
      const uint64_t n = t.outputs();
      for (uint64_t i = 0; i < n; ++i)
        out[i] =
            arith::residual_add(a[i], bb[i], t.m, t.m2, t.shift, static_cast<int>(t.obits), t.relu);
      break;
    }
  }
}

TileCost tile_cost(const ChunkConfig& cfg, const isa::Instruction& in) {
  const Tile t = decode_tile(in);
  TileCost c;
  const uint64_t outs = t.outputs();
  switch (t.op) {
    case ComputeOp::Conv:
    case ComputeOp::DwConv: {
      const ConvDims d = t.op == ComputeOp::Conv ? ConvDims{t.oh * t.ow, t.k, t.kh * t.kw * t.c, 1}
                                                 : ConvDims{t.oh * t.ow, 1, t.kh * t.kw, t.c};
      const SystolicCost s = systolic_cost(cfg, d);
      c.cycles = s.cycles;
      c.pe_ops = s.pe_ops;
      c.utilization = s.utilization;
      c.shadow_writes = cfg.fold_overlap ? s.ofmap_writes : 0;
      c.ibuf_read_bytes = s.ifmap_reads;
      c.wbuf_read_bytes = s.filter_reads + (t.uses_bias() ? t.k * kAccBytes : 0);
      if (t.wfmt != fw::WeightFormat::Dense) {
        // The array reads the weights through the decompressor: the wbuf delivers the stream's
        // bytes (wlen per pass over the tile's count weights) and the decoder may pace the tile.
        const uint64_t count = t.op == ComputeOp::Conv ? t.k * t.kh * t.kw * t.c
                                                       : t.c * t.kh * t.kw;
        const DecompressCost dc = decompress_cost(cfg.decompressor, s.cycles, s.filter_reads);
        c.cycles = dc.cycles;
        c.decompress_weights = s.filter_reads;
        c.decompress_cycles = dc.decode_cycles;
        c.decompress_stall_cycles = dc.stall_cycles;
        c.wbuf_read_bytes = (s.filter_reads * t.wlen + count - 1) / count +
                            (t.uses_bias() ? t.k * kAccBytes : 0);
      }
      // Row folds beyond the first (ws/is) read-modify-write int32 partials in the obuf.
      const uint64_t extra = s.ofmap_writes > outs ? s.ofmap_writes - outs : 0;
      c.obuf_read_bytes = extra * kAccBytes + (t.acc_load ? outs * kAccBytes : 0);
      c.obuf_write_bytes = extra * kAccBytes + outs * (t.out_partial ? kAccBytes : 1);
      c.vector_ops = t.out_partial ? 0 : outs;  // requantizations, pipelined behind the array
      return c;
    }
    case ComputeOp::MaxPool:
    case ComputeOp::AvgPool:
    case ComputeOp::Add: {
      const uint64_t reads = t.op == ComputeOp::Add ? 2 : t.kh * t.kw;
      c.cycles = vector_cycles(cfg.cols, outs, reads);
      c.pe_ops = outs * reads;
      // A compare / add per window element (one residual add per output), plus one
      // requantization per output for avgpool and add.
      const uint64_t ops_per_out = t.op == ComputeOp::Add ? 1 : reads;
      c.vector_ops = outs * ops_per_out + (t.op == ComputeOp::MaxPool ? 0 : outs);
      c.ibuf_read_bytes = outs * reads;
      c.obuf_write_bytes = outs;
      if (c.cycles > 0)
        c.utilization = static_cast<double>(c.pe_ops) / (static_cast<double>(c.cycles) * cfg.cols);
      return c;
    }
  }
  return c;
}

}  // namespace savp::chunk
