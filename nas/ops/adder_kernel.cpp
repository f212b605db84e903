#include "nas/ops/adder_kernel.hpp"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

// The 64-byte vector helpers below are inline functions of this file only, so GCC's note that
// passing such vectors by value would change the ABI without AVX-512 concerns no interface.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace savp::nas::ops {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// One 64-byte vector (a cache line): 16 floats or 8 doubles. GCC lowers it to one AVX-512, two
// AVX2 or four SSE registers, whichever the build targets.
typedef float VecF __attribute__((vector_size(64)));
typedef double VecD __attribute__((vector_size(64)));
typedef int32_t VecI32 __attribute__((vector_size(64)));
typedef int64_t VecI64 __attribute__((vector_size(64)));
template <class T>
struct VecOf;
template <>
struct VecOf<float> {
  using V = VecF;
  using Bits = VecI32;  // the same lanes as integers, for the sign mask
  static constexpr int32_t kAbsMask = 0x7fffffff;
};
template <>
struct VecOf<double> {
  using V = VecD;
  using Bits = VecI64;
  static constexpr int64_t kAbsMask = 0x7fffffffffffffff;
};
template <class T>
using Vec = typename VecOf<T>::V;
template <class T>
constexpr int64_t kLanes = static_cast<int64_t>(sizeof(Vec<T>) / sizeof(T));

// Unaligned loads and stores (the rows start anywhere); memcpy compiles to one vector move.
#define SAVP_INLINE inline __attribute__((always_inline))

template <class T>
SAVP_INLINE Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
SAVP_INLINE void store(T* p, const Vec<T>& v) {
  std::memcpy(p, &v, sizeof v);
}
template <class T>
SAVP_INLINE Vec<T> splat(T s) {
  return Vec<T>{} + s;
}
template <class T>
SAVP_INLINE Vec<T> vabs(const Vec<T>& v) {
  // Clear the sign bits (one AND; a compare-and-select lowers to per-lane branches on some
  // targets).
  using Bits = typename VecOf<T>::Bits;
  return reinterpret_cast<Vec<T>>(reinterpret_cast<Bits>(v) & VecOf<T>::kAbsMask);
}
template <class T>
SAVP_INLINE T hsum(const Vec<T>& v) {
  T s = 0;
  for (int64_t i = 0; i < kLanes<T>; ++i) s += v[i];
  return s;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The stride-phase layout (see adder_kernel.hpp) of one conv call.
struct Geometry {
  int64_t n, cin, h, w, cout, kh, kw, s, pad, groups;
  int64_t ho, wo, hq, wq;
  int64_t cg, og, kk, kg;  // channels / outputs per group, kh*kw, cg*kh*kw
  int64_t q, qpad;         // output positions per image (Ho x Wq) and rounded up to a vector
  int64_t cstride;         // elements of one channel's region in the laid-out input
  std::vector<int64_t> off;  // per k = (ci, ky, kx) of a group: offset from the group's start

  // xs: the input's [N, Cin, H, W], ws: the weight's [Cout, Cin/groups, kh, kw].
  Geometry(torch::IntArrayRef xs, torch::IntArrayRef ws, int64_t stride, int64_t padding,
           int64_t grp, int64_t lanes)
      : n(xs[0]), cin(xs[1]), h(xs[2]), w(xs[3]), cout(ws[0]), kh(ws[2]), kw(ws[3]), s(stride),
        pad(padding), groups(grp) {
    const int64_t hp = h + 2 * pad, wp = w + 2 * pad;
    ho = (hp - kh) / s + 1;
    wo = (wp - kw) / s + 1;
    hq = ceil_div(hp, s);
    wq = ceil_div(wp, s);
    cg = cin / groups;
    og = cout / groups;
    kk = kh * kw;
    kg = cg * kk;
    q = ho * wq;
    qpad = ceil_div(q, lanes) * lanes;
    int64_t last = 0;  // the largest window offset inside a channel's region
    for (int64_t ky = 0; ky < kh; ++ky)
      for (int64_t kx = 0; kx < kw; ++kx) last = std::max(last, phase_index(ky, kx));
    cstride = std::max(s * s * hq * wq, last + qpad);
    off.resize(static_cast<size_t>(kg));
    for (int64_t ci = 0; ci < cg; ++ci)
      for (int64_t ky = 0; ky < kh; ++ky)
        for (int64_t kx = 0; kx < kw; ++kx)
          off[static_cast<size_t>((ci * kh + ky) * kw + kx)] = ci * cstride + phase_index(ky, kx);
  }
  // Where padded pixel (yp, xp) of a channel lives in the channel's region.
  int64_t phase_index(int64_t yp, int64_t xp) const {
    return ((yp % s) * s + xp % s) * hq * wq + (yp / s) * wq + xp / s;
  }
};

// x [N, Cin, H, W] (contiguous) -> [N * Cin, cstride] in the stride-phase layout, zeros around.
template <class T>
torch::Tensor layout_input(const torch::Tensor& x, const Geometry& g) {
  torch::Tensor xq = torch::zeros({g.n * g.cin, g.cstride}, x.options());
  const T* src = x.data_ptr<T>();
  T* dst = xq.data_ptr<T>();
  at::parallel_for(0, g.n * g.cin, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const T* in = src + t * g.h * g.w;
      T* out = dst + t * g.cstride;
      for (int64_t iy = 0; iy < g.h; ++iy)
        for (int64_t ix = 0; ix < g.w; ++ix)
          out[g.phase_index(iy + g.pad, ix + g.pad)] = in[iy * g.w + ix];
    }
  });
  return xq;
}

// The inverse for gradients: [N * Cin, cstride] -> [N, Cin, H, W] (the padding's share dropped:
// the padding is a constant, not an input).
template <class T>
torch::Tensor unlayout_input(const torch::Tensor& gq, const Geometry& g) {
  torch::Tensor gx = torch::empty({g.n, g.cin, g.h, g.w}, gq.options());
  const T* src = gq.data_ptr<T>();
  T* dst = gx.data_ptr<T>();
  at::parallel_for(0, g.n * g.cin, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const T* in = src + t * g.cstride;
      T* out = dst + t * g.h * g.w;
      for (int64_t iy = 0; iy < g.h; ++iy)
        for (int64_t ix = 0; ix < g.w; ++ix)
          out[iy * g.w + ix] = in[g.phase_index(iy + g.pad, ix + g.pad)];
    }
  });
  return gx;
}

// Output gradient [N, Cout, Ho, Wo] -> [N * Cout, qpad] in the q layout, zero in junk columns.
template <class T>
torch::Tensor layout_grad(const torch::Tensor& gy, const Geometry& g) {
  torch::Tensor gq = torch::zeros({g.n * g.cout, g.qpad}, gy.options());
  const T* src = gy.data_ptr<T>();
  T* dst = gq.data_ptr<T>();
  at::parallel_for(0, g.n * g.cout, 16, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t)
      for (int64_t oy = 0; oy < g.ho; ++oy)
        std::memcpy(dst + t * g.qpad + oy * g.wq, src + (t * g.ho + oy) * g.wo,
                    static_cast<size_t>(g.wo) * sizeof(T));
  });
  return gq;
}

// ---- forward: acc[o][q] = sum_k |x[off_k + q] - w[o][k]| for OB outputs x NV vectors of q.
template <class T, int OB, int NV>
SAVP_INLINE void forward_tile(const T* x, const int64_t* off, int64_t kg, const T* w, Vec<T> (&acc)[OB][NV]) {
  constexpr int64_t L = kLanes<T>;
  for (int i = 0; i < OB; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = Vec<T>{};
  for (int64_t k = 0; k < kg; ++k) {
    Vec<T> xv[NV];
    for (int v = 0; v < NV; ++v) xv[v] = load(x + off[k] + v * L);
    for (int i = 0; i < OB; ++i) {
      const T wv = w[i * kg + k];
      for (int v = 0; v < NV; ++v) acc[i][v] += vabs<T>(xv[v] - wv);
    }
  }
}

// Writes -acc of the positions [q0, q0 + count) that are real outputs (ox < Wo).
template <class T>
SAVP_INLINE void store_output(const Geometry& g, const T* acc, int64_t q0, int64_t count, T* y) {
  int64_t oy = q0 / g.wq, ox = q0 % g.wq;
  for (int64_t j = 0; j < count && oy < g.ho; ++j) {
    if (ox < g.wo) y[oy * g.wo + ox] = -acc[j];
    if (++ox == g.wq) ox = 0, ++oy;
  }
}

// Forward tasks: (image, group, block of 4 outputs, chunk of q positions).
constexpr int kForwardOB = 4;
template <class T>
constexpr int64_t kForwardChunk = 16 * kLanes<T>;  // q positions per task: tasks for small batches

template <class T>
SAVP_INLINE void forward_tasks(const Geometry& g, const T* xq, const T* w, T* y, int64_t b,
                               int64_t e) {
  constexpr int64_t L = kLanes<T>;
  constexpr int OB = kForwardOB;
  const int64_t nob = ceil_div(g.og, OB), chunk = kForwardChunk<T>;
  const int64_t nqc = ceil_div(g.qpad, chunk);
  {
    for (int64_t t = b; t < e; ++t) {
      const int64_t qc = t % nqc, ob = (t / nqc) % nob, gr = (t / (nqc * nob)) % g.groups;
      const int64_t img = t / (nqc * nob * g.groups);
      const T* xb = xq + (img * g.cin + gr * g.cg) * g.cstride;
      const int64_t o0 = gr * g.og + ob * OB, no = std::min<int64_t>(OB, g.og - ob * OB);
      const int64_t q0 = qc * chunk, q1 = std::min(g.qpad, q0 + chunk);
      T* yb = y + (img * g.cout + o0) * g.ho * g.wo;
      const T* wb = w + o0 * g.kg;
      if (no == OB) {
        for (int64_t q = q0; q < q1; q += L) {
          Vec<T> acc[OB][1];
          forward_tile<T, OB, 1>(xb + q, g.off.data(), g.kg, wb, acc);
          for (int i = 0; i < OB; ++i)
            store_output(g, reinterpret_cast<const T*>(&acc[i][0]), q, L, yb + i * g.ho * g.wo);
        }
        continue;
      }
      // Fewer than OB outputs left (e.g. depthwise, one output per group): four vectors of q
      // per step keep four independent sums in flight.
      for (int64_t i = 0; i < no; ++i) {
        int64_t q = q0;
        for (; q + 4 * L <= q1; q += 4 * L) {
          Vec<T> acc[1][4];
          forward_tile<T, 1, 4>(xb + q, g.off.data(), g.kg, wb + i * g.kg, acc);
          store_output(g, reinterpret_cast<const T*>(&acc[0][0]), q, 4 * L, yb + i * g.ho * g.wo);
        }
        for (; q < q1; q += L) {
          Vec<T> acc[1][1];
          forward_tile<T, 1, 1>(xb + q, g.off.data(), g.kg, wb + i * g.kg, acc);
          store_output(g, reinterpret_cast<const T*>(&acc[0][0]), q, L, yb + i * g.ho * g.wo);
        }
      }
    }
  }
}

// ---- input gradient: gx[off_k + q] += sum_o gy[o][q] * HT(w[o][k] - x[off_k + q]), for KB
// window elements k of one input channel x NV vectors of q.
template <class T, int KB, int NV>
SAVP_INLINE void input_grad_tile(const T* x, T* gx, const int64_t* off, const T* gy, int64_t qpad,
                            const T* w, int64_t kg, int64_t og) {
  constexpr int64_t L = kLanes<T>;
  const Vec<T> lo = splat<T>(-1), hi = splat<T>(1);
  Vec<T> xv[KB][NV], acc[KB][NV];
  for (int j = 0; j < KB; ++j)
    for (int v = 0; v < NV; ++v) {
      xv[j][v] = load(x + off[j] + v * L);
      acc[j][v] = Vec<T>{};
    }
  for (int64_t o = 0; o < og; ++o) {
    Vec<T> gv[NV];
    for (int v = 0; v < NV; ++v) gv[v] = load(gy + o * qpad + v * L);
    for (int j = 0; j < KB; ++j) {
      const T wv = w[o * kg + j];
      for (int v = 0; v < NV; ++v) {
        Vec<T> d = wv - xv[j][v];
        d = d < lo ? lo : d;
        d = d > hi ? hi : d;
        acc[j][v] += gv[v] * d;
      }
    }
  }
  for (int j = 0; j < KB; ++j)
    for (int v = 0; v < NV; ++v) store(gx + off[j] + v * L, load(gx + off[j] + v * L) + acc[j][v]);
}

// One task per (image, input channel): the window elements of a channel all write into that
// channel's region (and its slack) only, so tasks never write the same element.
template <class T>
SAVP_INLINE void input_grad_tasks(const Geometry& g, const T* xq, const T* w, const T* gyq, T* gxq,
                                  int64_t b, int64_t e) {
  constexpr int64_t L = kLanes<T>;
  constexpr int KB = 4;
  {
    for (int64_t t = b; t < e; ++t) {
      const int64_t img = t / g.cin, c = t % g.cin, gr = c / g.cg, cl = c % g.cg;
      const int64_t base = (img * g.cin + gr * g.cg) * g.cstride;
      const T* xb = xq + base;
      T* gxb = gxq + base;
      const T* gyb = gyq + (img * g.cout + gr * g.og) * g.qpad;
      const T* wb = w + gr * g.og * g.kg;
      const int64_t k0 = cl * g.kk, k1 = k0 + g.kk;
      int64_t q = 0;
      if (g.kk == 1) {  // 1 x 1: one window element, four vectors of q per step
        for (; q + 4 * L <= g.qpad; q += 4 * L)
          input_grad_tile<T, 1, 4>(xb + q, gxb + q, &g.off[k0], gyb + q, g.qpad, wb + k0, g.kg, g.og);
      }
      for (; q < g.qpad; q += L) {
        int64_t k = k0;
        for (; k + KB <= k1; k += KB)
          input_grad_tile<T, KB, 1>(xb + q, gxb + q, &g.off[k], gyb + q, g.qpad, wb + k, g.kg, g.og);
        for (; k < k1; ++k)
          input_grad_tile<T, 1, 1>(xb + q, gxb + q, &g.off[k], gyb + q, g.qpad, wb + k, g.kg, g.og);
      }
    }
  }
}

// ---- weight gradient: gw[o][k] = sum_{n,q} gy[o][q] x[off_k + q] - w[o][k] sum_{n,q} gy[o][q]
// (AdderNet eq. 5 summed: sum g (x - w)), for OB outputs x KB window elements. Each image's sum
// is taken in T over vectors, the sum over images in double.
template <class T, int OB, int KB>
SAVP_INLINE void weight_grad_block(const Geometry& g, const T* xq, const T* w, const T* gyq, int64_t gr,
                       int64_t o0, int64_t k0, T* gw) {
  constexpr int64_t L = kLanes<T>;
  double tot[OB][KB] = {}, gsum[OB] = {};
  for (int64_t img = 0; img < g.n; ++img) {
    const T* xb = xq + (img * g.cin + gr * g.cg) * g.cstride;
    const T* gyb = gyq + (img * g.cout + o0) * g.qpad;
    Vec<T> acc[OB][KB], gs[OB];
    for (int i = 0; i < OB; ++i) {
      gs[i] = Vec<T>{};
      for (int j = 0; j < KB; ++j) acc[i][j] = Vec<T>{};
    }
    for (int64_t q = 0; q < g.qpad; q += L) {
      Vec<T> xv[KB];
      for (int j = 0; j < KB; ++j) xv[j] = load(xb + g.off[static_cast<size_t>(k0 + j)] + q);
      for (int i = 0; i < OB; ++i) {
        const Vec<T> gv = load(gyb + i * g.qpad + q);
        gs[i] += gv;
        for (int j = 0; j < KB; ++j) acc[i][j] += gv * xv[j];
      }
    }
    for (int i = 0; i < OB; ++i) {
      gsum[i] += static_cast<double>(hsum<T>(gs[i]));
      for (int j = 0; j < KB; ++j) tot[i][j] += static_cast<double>(hsum<T>(acc[i][j]));
    }
  }
  for (int i = 0; i < OB; ++i)
    for (int j = 0; j < KB; ++j) {
      const int64_t idx = (o0 + i) * g.kg + k0 + j;
      gw[idx] = static_cast<T>(tot[i][j] - static_cast<double>(w[idx]) * gsum[i]);
    }
}

// Weight-gradient tasks: (group, block of 2 outputs, block of 4 window elements).
constexpr int kWeightOB = 2, kWeightKB = 4;

template <class T>
SAVP_INLINE void weight_grad_tasks(const Geometry& g, const T* xq, const T* w, const T* gyq, T* gw,
                                   int64_t b, int64_t e) {
  constexpr int OB = kWeightOB, KB = kWeightKB;
  const int64_t nob = ceil_div(g.og, OB), nkb = ceil_div(g.kg, KB);
  {
    for (int64_t t = b; t < e; ++t) {
      const int64_t kb = t % nkb, ob = (t / nkb) % nob, gr = t / (nkb * nob);
      const int64_t o0 = gr * g.og + ob * OB, no = std::min<int64_t>(OB, g.og - ob * OB);
      const int64_t k0 = kb * KB, nk = std::min<int64_t>(KB, g.kg - k0);
      if (no == OB && nk == KB) {
        weight_grad_block<T, OB, KB>(g, xq, w, gyq, gr, o0, k0, gw);
      } else if (nk == KB) {
        for (int64_t i = 0; i < no; ++i) weight_grad_block<T, 1, KB>(g, xq, w, gyq, gr, o0 + i, k0, gw);
      } else {
        for (int64_t i = 0; i < no; ++i)
          for (int64_t j = 0; j < nk; ++j)
            weight_grad_block<T, 1, 1>(g, xq, w, gyq, gr, o0 + i, k0 + j, gw);
      }
    }
  }
}

// The task loops compiled for AVX-512F, AVX2 and the build's baseline; the loader picks the
// best the CPU supports (GCC function multi-versioning; by feature, not CPU model). The helpers above are always_inline,
// so each clone holds its own vector code.
#define SAVP_CLONES \
  __attribute__((target_clones("avx512f", "avx2", "default")))
SAVP_CLONES void forward_range_f(const Geometry& g, const float* xq, const float* w, float* y,
                                 int64_t b, int64_t e) {
  forward_tasks<float>(g, xq, w, y, b, e);
}
SAVP_CLONES void forward_range_d(const Geometry& g, const double* xq, const double* w, double* y,
                                 int64_t b, int64_t e) {
  forward_tasks<double>(g, xq, w, y, b, e);
}
SAVP_CLONES void input_grad_range_f(const Geometry& g, const float* xq, const float* w,
                                    const float* gyq, float* gxq, int64_t b, int64_t e) {
  input_grad_tasks<float>(g, xq, w, gyq, gxq, b, e);
}
SAVP_CLONES void input_grad_range_d(const Geometry& g, const double* xq, const double* w,
                                    const double* gyq, double* gxq, int64_t b, int64_t e) {
  input_grad_tasks<double>(g, xq, w, gyq, gxq, b, e);
}
SAVP_CLONES void weight_grad_range_f(const Geometry& g, const float* xq, const float* w,
                                     const float* gyq, float* gw, int64_t b, int64_t e) {
  weight_grad_tasks<float>(g, xq, w, gyq, gw, b, e);
}
SAVP_CLONES void weight_grad_range_d(const Geometry& g, const double* xq, const double* w,
                                     const double* gyq, double* gw, int64_t b, int64_t e) {
  weight_grad_tasks<double>(g, xq, w, gyq, gw, b, e);
}

void forward_range(const Geometry& g, const float* xq, const float* w, float* y, int64_t b,
                   int64_t e) {
  forward_range_f(g, xq, w, y, b, e);
}
void forward_range(const Geometry& g, const double* xq, const double* w, double* y, int64_t b,
                   int64_t e) {
  forward_range_d(g, xq, w, y, b, e);
}
void input_grad_range(const Geometry& g, const float* xq, const float* w, const float* gyq,
                      float* gxq, int64_t b, int64_t e) {
  input_grad_range_f(g, xq, w, gyq, gxq, b, e);
}
void input_grad_range(const Geometry& g, const double* xq, const double* w, const double* gyq,
                      double* gxq, int64_t b, int64_t e) {
  input_grad_range_d(g, xq, w, gyq, gxq, b, e);
}
void weight_grad_range(const Geometry& g, const float* xq, const float* w, const float* gyq,
                       float* gw, int64_t b, int64_t e) {
  weight_grad_range_f(g, xq, w, gyq, gw, b, e);
}
void weight_grad_range(const Geometry& g, const double* xq, const double* w, const double* gyq,
                       double* gw, int64_t b, int64_t e) {
  weight_grad_range_d(g, xq, w, gyq, gw, b, e);
}

template <class T>
void forward_kernel(const Geometry& g, const T* xq, const T* w, T* y) {
  const int64_t tasks = g.n * g.groups * ceil_div(g.og, kForwardOB) *
                        ceil_div(g.qpad, kForwardChunk<T>);
  at::parallel_for(0, tasks, 1, [&](int64_t b, int64_t e) { forward_range(g, xq, w, y, b, e); });
}

template <class T>
void input_grad_kernel(const Geometry& g, const T* xq, const T* w, const T* gyq, T* gxq) {
  at::parallel_for(0, g.n * g.cin, 1,
                   [&](int64_t b, int64_t e) { input_grad_range(g, xq, w, gyq, gxq, b, e); });
}

template <class T>
void weight_grad_kernel(const Geometry& g, const T* xq, const T* w, const T* gyq, T* gw) {
  const int64_t tasks = g.groups * ceil_div(g.og, kWeightOB) * ceil_div(g.kg, kWeightKB);
  at::parallel_for(0, tasks, 1,
                   [&](int64_t b, int64_t e) { weight_grad_range(g, xq, w, gyq, gw, b, e); });
}

template <class T>
torch::Tensor forward_typed(const torch::Tensor& x, const torch::Tensor& w, const Geometry& g,
                            torch::Tensor& xq) {
  xq = layout_input<T>(x, g);
  torch::Tensor y = torch::empty({g.n, g.cout, g.ho, g.wo}, x.options());
  forward_kernel<T>(g, xq.data_ptr<T>(), w.data_ptr<T>(), y.data_ptr<T>());
  return y;
}

template <class T>
void backward_typed(const Geometry& g, const torch::Tensor& xq, const torch::Tensor& w,
                    const torch::Tensor& gy, bool need_x, bool need_w, torch::Tensor& gx,
                    torch::Tensor& gw) {
  const torch::Tensor gyq = layout_grad<T>(gy, g);
  if (need_x) {
    torch::Tensor gxq = torch::zeros_like(xq);
    input_grad_kernel<T>(g, xq.data_ptr<T>(), w.data_ptr<T>(), gyq.data_ptr<T>(), gxq.data_ptr<T>());
    gx = unlayout_input<T>(gxq, g);
  }
  if (need_w) {
    gw = torch::empty_like(w);
    weight_grad_kernel<T>(g, xq.data_ptr<T>(), w.data_ptr<T>(), gyq.data_ptr<T>(), gw.data_ptr<T>());
  }
}

int64_t lanes_of(const torch::Tensor& t) {
  return t.scalar_type() == torch::kDouble ? kLanes<double> : kLanes<float>;
}

struct AdderConvFused : public torch::autograd::Function<AdderConvFused> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x0, const torch::Tensor& w0,
                               int64_t stride, int64_t padding, int64_t groups) {
    const torch::Tensor x = x0.contiguous(), w = w0.contiguous();
    const Geometry g(x.sizes(), w.sizes(), stride, padding, groups, lanes_of(x));
    torch::Tensor xq;
    torch::Tensor y = x.scalar_type() == torch::kDouble ? forward_typed<double>(x, w, g, xq)
                                                        : forward_typed<float>(x, w, g, xq);
    ctx->save_for_backward({xq, w});
    ctx->saved_data["x_shape"] = x.sizes().vec();
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["groups"] = groups;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& xq = saved[0];
    const torch::Tensor& w = saved[1];
    const std::vector<int64_t> xs = ctx->saved_data["x_shape"].toIntVector();
    const Geometry g(xs, w.sizes(), ctx->saved_data["stride"].toInt(),
                     ctx->saved_data["padding"].toInt(), ctx->saved_data["groups"].toInt(),
                     lanes_of(w));
    const torch::Tensor gy = grads[0].to(w.scalar_type()).contiguous();
    const bool need_x = ctx->needs_input_grad(0), need_w = ctx->needs_input_grad(1);
    torch::Tensor gx, gw;
    if (w.scalar_type() == torch::kDouble)
      backward_typed<double>(g, xq, w, gy, need_x, need_w, gx, gw);
    else
      backward_typed<float>(g, xq, w, gy, need_x, need_w, gx, gw);
    return {gx, gw, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool adder_fused_supported(const torch::Tensor& x, const torch::Tensor& w) {
  const auto t = x.scalar_type();
  return x.device().is_cpu() && w.device().is_cpu() && t == w.scalar_type() &&
         (t == torch::kFloat || t == torch::kDouble);
}

torch::Tensor adder_conv2d_fused(const torch::Tensor& x, const torch::Tensor& w, int64_t stride,
                                 int64_t padding, int64_t groups) {
  return AdderConvFused::apply(x, w, stride, padding, groups);
}

}  // namespace savp::nas::ops
