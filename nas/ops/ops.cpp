#include "nas/ops/ops.hpp"

#include <cmath>

#include "common/errors.hpp"
#include "nas/ops/adder_kernel.hpp"

namespace savp::nas::ops {

namespace F = torch::nn::functional;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

// Y[m, o] = -sum_k |P[m, k] - W[o, k]|: the adder "matmul" both adder layers reduce to
// (conv: P holds the unfolded windows, one row per output position).
struct AdderMatmul : public torch::autograd::Function<AdderMatmul> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& p, const torch::Tensor& w,
                               int64_t chunk) {
    ctx->save_for_backward({p, w});
    ctx->saved_data["chunk"] = chunk;
    // cdist keeps only the [M, O] result (no M x O x K temporary).
    return -torch::cdist(p, w, 1.0);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& p = saved[0];
    const torch::Tensor& w = saved[1];
    const torch::Tensor g = grads[0].contiguous();
    const int64_t chunk = ctx->saved_data["chunk"].toInt();
    // AdderNet eq. 5: dY[m,o]/dW[o,k] = P[m,k] - W[o,k], so
    // dW[o,k] = sum_m g[m,o] (P[m,k] - W[o,k]) = (g^T P)[o,k] - W[o,k] sum_m g[m,o].
    torch::Tensor gw = torch::mm(g.t(), p) - w * g.sum(0).unsqueeze(1);
    // AdderNet eq. 6: dY[m,o]/dP[m,k] = HardTanh(W[o,k] - P[m,k]); blocks of rows and output
    // channels keep each temporary [mb, ob, K] within `chunk` elements.
    const int64_t m = p.size(0), k = p.size(1), o = w.size(0);
    torch::Tensor gp = torch::zeros_like(p);
    const int64_t ob = std::max<int64_t>(1, std::min<int64_t>(o, chunk / std::max<int64_t>(k, 1)));
    const int64_t mb = std::max<int64_t>(1, chunk / (ob * std::max<int64_t>(k, 1)));
    for (int64_t m0 = 0; m0 < m; m0 += mb) {
      const int64_t m1 = std::min(m, m0 + mb);
      torch::Tensor pm = p.slice(0, m0, m1).unsqueeze(1);  // [mb, 1, K]
      torch::Tensor acc = gp.slice(0, m0, m1);
      for (int64_t o0 = 0; o0 < o; o0 += ob) {
        const int64_t o1 = std::min(o, o0 + ob);
        torch::Tensor ht = (w.slice(0, o0, o1).unsqueeze(0) - pm).clamp_(-1.0, 1.0);  // [mb, ob, K]
        ht.mul_(g.slice(0, m0, m1).slice(1, o0, o1).unsqueeze(2));
        acc.add_(ht.sum(1));
      }
    }
    return {gp, gw, torch::Tensor()};
  }
};

struct RoundSte : public torch::autograd::Function<RoundSte> {
  static torch::Tensor forward(AutogradContext*, const torch::Tensor& x) {
    return torch::floor(x + 0.5);
  }
  static variable_list backward(AutogradContext*, variable_list grads) { return {grads[0]}; }
};

struct ShiftQ : public torch::autograd::Function<ShiftQ> {
  static torch::Tensor forward(AutogradContext*, const torch::Tensor& w, double min_exp,
                               double max_exp) {
    torch::Tensor a = w.abs();
    torch::Tensor e = torch::floor(torch::log2(a) + 0.5).clamp_max(max_exp);
    torch::Tensor q = torch::sign(w) * torch::pow(2.0, e);
    // Below the window (and w == 0, whose log2 is -inf): the zero weight.
    return torch::where(e < min_exp, torch::zeros_like(q), q);
  }
  static variable_list backward(AutogradContext*, variable_list grads) {
    return {grads[0], torch::Tensor(), torch::Tensor()};
  }
};

void check_dims(const torch::Tensor& t, int64_t dims, const char* what) {
  if (t.dim() != dims)
    throw Error(std::string(what) + ": expected a " + std::to_string(dims) + "-d tensor, got " +
                std::to_string(t.dim()) + "-d");
}

void check_linear(const torch::Tensor& x, const torch::Tensor& w) {
  check_dims(x, 2, "adder_linear input");
  check_dims(w, 2, "adder_linear weight");
  if (x.size(1) != w.size(1))
    throw Error("adder_linear: input has " + std::to_string(x.size(1)) +
                " features, the weight " + std::to_string(w.size(1)));
}

void check_conv(const torch::Tensor& x, const torch::Tensor& w, int64_t stride, int64_t padding,
                int64_t groups) {
  check_dims(x, 4, "adder_conv2d input");
  check_dims(w, 4, "adder_conv2d weight");
  const int64_t cin = x.size(1), cout = w.size(0);
  if (groups < 1 || cin % groups != 0 || cout % groups != 0 || w.size(1) != cin / groups)
    throw Error("adder_conv2d: weight [" + std::to_string(cout) + ", " +
                std::to_string(w.size(1)) + ", ...] does not fit " + std::to_string(cin) +
                " input channels in " + std::to_string(groups) + " groups");
  if (stride < 1 || padding < 0)
    throw Error("adder_conv2d: stride " + std::to_string(stride) + ", padding " +
                std::to_string(padding) + " (allowed: stride >= 1, padding >= 0)");
  if (w.size(2) < 1 || w.size(3) < 1 || w.size(2) > x.size(2) + 2 * padding ||
      w.size(3) > x.size(3) + 2 * padding)
    throw Error("adder_conv2d: a " + std::to_string(w.size(2)) + "x" + std::to_string(w.size(3)) +
                " kernel does not fit a " + std::to_string(x.size(2)) + "x" +
                std::to_string(x.size(3)) + " input padded by " + std::to_string(padding));
}

}  // namespace

torch::Tensor adder_linear_reference(const torch::Tensor& x, const torch::Tensor& w,
                                     int64_t chunk_elements) {
  check_linear(x, w);
  return AdderMatmul::apply(x.contiguous(), w.contiguous(), chunk_elements);
}

torch::Tensor adder_conv2d_reference(const torch::Tensor& x, const torch::Tensor& w,
                                     int64_t stride, int64_t padding, int64_t groups,
                                     int64_t chunk_elements) {
  check_conv(x, w, stride, padding, groups);
  const int64_t n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t cout = w.size(0), kh = w.size(2), kw = w.size(3);
  const int64_t ho = (h + 2 * padding - kh) / stride + 1;
  const int64_t wo = (wd + 2 * padding - kw) / stride + 1;
  // [N, Cin*kh*kw, L], the channel index outermost as in the weight's [Cin/g][kh][kw].
  torch::Tensor cols = F::unfold(x, F::UnfoldFuncOptions({kh, kw}).padding(padding).stride(stride));
  const int64_t kg = (cin / groups) * kh * kw, og = cout / groups, l = ho * wo;
  std::vector<torch::Tensor> outs;
  for (int64_t g = 0; g < groups; ++g) {
    torch::Tensor p = cols.slice(1, g * kg, (g + 1) * kg).permute({0, 2, 1}).reshape({n * l, kg});
    torch::Tensor wg = w.slice(0, g * og, (g + 1) * og).reshape({og, kg});
    torch::Tensor y = AdderMatmul::apply(p.contiguous(), wg.contiguous(), chunk_elements);
    outs.push_back(y.view({n, l, og}).permute({0, 2, 1}));
  }
  torch::Tensor y = groups == 1 ? outs[0] : torch::cat(outs, 1);
  return y.reshape({n, cout, ho, wo});
}

torch::Tensor adder_linear(const torch::Tensor& x, const torch::Tensor& w) {
  check_linear(x, w);
  if (!adder_fused_supported(x, w)) return adder_linear_reference(x, w);
  // The 1 x 1 conv of an "image" of In channels x 1 x N pixels: the batch becomes the
  // vectorised pixel dimension.
  const int64_t n = x.size(0), in = x.size(1), out = w.size(0);
  const torch::Tensor xi = x.t().contiguous().view({1, in, 1, n});
  const torch::Tensor y = adder_conv2d_fused(xi, w.reshape({out, in, 1, 1}), 1, 0, 1);
  return y.view({out, n}).t();
}

torch::Tensor adder_conv2d(const torch::Tensor& x, const torch::Tensor& w, int64_t stride,
                           int64_t padding, int64_t groups) {
  check_conv(x, w, stride, padding, groups);
  if (!adder_fused_supported(x, w)) return adder_conv2d_reference(x, w, stride, padding, groups);
  return adder_conv2d_fused(x, w, stride, padding, groups);
}

void adder_adaptive_lr(torch::Tensor& grad, double eta) {
  torch::NoGradGuard ng;
  const double norm = grad.norm().item<double>();
  if (norm > 0) grad.mul_(eta * std::sqrt(static_cast<double>(grad.numel())) / norm);
}

torch::Tensor round_ste(const torch::Tensor& x) { return RoundSte::apply(x); }

torch::Tensor shift_ps_weight(const torch::Tensor& sign, const torch::Tensor& shift,
                              double min_exp, double max_exp) {
  torch::Tensor s = round_ste(sign.clamp(-1.0, 1.0));
  torch::Tensor p = round_ste(shift.clamp(min_exp, max_exp));
  return s * torch::pow(2.0, p);
}

torch::Tensor shift_q_weight(const torch::Tensor& w, double min_exp, double max_exp) {
  return ShiftQ::apply(w, min_exp, max_exp);
}

}  // namespace savp::nas::ops
