#include "nas/supernet/supernet.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/errors.hpp"
#include "common/splitmix64.hpp"
#include "nas/ops/ops.hpp"

namespace savp::nas::supernet {

using search::BlockChoice;
using search::Candidate;

namespace {

bool has(const std::vector<OpKind>& v, OpKind k) {
  return std::find(v.begin(), v.end(), k) != v.end();
}

torch::Tensor kaiming(std::vector<int64_t> shape, int64_t fan_in) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return torch::empty(shape).uniform_(-bound, bound);
}

const char* const kRoles[] = {"expand", "dw", "project"};

}  // namespace

SupernetImpl::SupernetImpl(const search::SearchSpace& space, uint64_t seed, double adder_eta)
    : space_(space), adder_eta_(adder_eta) {
  torch::manual_seed(seed);
  k_max_ = *std::max_element(space_.kernels.begin(), space_.kernels.end());
  e_max_ = *std::max_element(space_.expansions.begin(), space_.expansions.end());
  auto add_fixed = [&](const std::string& name, OpKind op, std::vector<int64_t> shape,
                       int64_t fan_in, bool bn) {
    Fixed f;
    f.op = op;
    f.weight = register_parameter(name + "_w", kaiming(shape, fan_in));
    if (bn) {
      f.gamma = register_parameter(name + "_gamma", torch::ones({1}));
      f.beta = register_parameter(name + "_beta", torch::zeros({shape[0]}));
    } else {
      f.bias = register_parameter(name + "_bias", torch::zeros({shape[0]}));
    }
    fixed_[name] = f;
  };
  const int64_t sk = space_.stem_kernel, ic = space_.input_c;
  add_fixed("stem", space_.stem_op, {space_.stem_channels, ic, sk, sk}, ic * sk * sk,
            space_.batch_norm);
  for (const search::BlockSlot& b : layout_.blocks()) {
    std::map<std::string, Role> roles;
    const int64_t cin = b.in_channels, cout = b.out_channels, hid = cin * e_max_;
    const int64_t k = k_max_;
    for (const std::string role : kRoles) {
      if (role == "expand" && e_max_ == 1) continue;
      Role r;
      std::vector<int64_t> shape;
      int64_t fan_in = 0;
      if (role == "expand") shape = {hid, cin, 1, 1}, fan_in = cin;
      if (role == "dw") shape = {hid, 1, k, k}, fan_in = k * k;
      if (role == "project") shape = {cout, hid, 1, 1}, fan_in = hid;
      const std::string p = fmt::format("b{}_{}", b.index, role);
      r.weight = register_parameter(p + "_w", kaiming(shape, fan_in));
      for (OpKind kind : space_.ops) {
        const std::string kp = p + "_" + to_string(kind);
        if (space_.batch_norm) {
          r.gamma[kind] = register_parameter(kp + "_gamma", torch::ones({1}));
          r.beta[kind] = register_parameter(kp + "_beta", torch::zeros({shape[0]}));
        }
        if (kind != OpKind::Mult)
          r.maps.emplace(kind, register_module(kp + "_map", PiecewiseLinearMap()));
      }
      roles.emplace(role, std::move(r));
    }
    blocks_.push_back(std::move(roles));
  }
  uint32_t last = space_.stages.empty() ? space_.stem_channels : space_.stages.back().channels;
  if (space_.head_channels) {
    add_fixed("head", space_.head_op, {space_.head_channels, last, 1, 1}, last, space_.batch_norm);
    last = space_.head_channels;
  }
  add_fixed("fc", space_.head_op, {space_.classes, last}, last, false);
}

torch::Tensor SupernetImpl::kind_weight(Role& r, OpKind kind, const torch::Tensor& w) {
  if (kind == OpKind::Mult) return w;
  torch::Tensor m = r.maps.at(kind)->forward(w);
  if (kind == OpKind::Adder && m.requires_grad()) {
    const double eta = adder_eta_;
    m.register_hook([eta](torch::Tensor g) {
      torch::Tensor c = g.clone();
      ops::adder_adaptive_lr(c, eta);
      return c;
    });
  }
  return m;
}

Override SupernetImpl::block_layer(uint32_t b, const std::string& role, const BlockChoice& ch,
                                   const torch::Tensor& gate) {
  Role& r = blocks_[b].at(role);
  const int64_t hid = static_cast<int64_t>(layout_.blocks()[b].in_channels) * ch.expansion;
  torch::Tensor w = r.weight;
  if (role == "expand") {
    w = w.slice(0, 0, hid);
  } else if (role == "dw") {
    const int64_t off = (static_cast<int64_t>(k_max_) - ch.kernel) / 2;
    w = w.slice(0, 0, hid).slice(2, off, off + ch.kernel).slice(3, off, off + ch.kernel);
  } else {
    w = w.slice(1, 0, hid);
  }
  Override o;
  o.weight = kind_weight(r, ch.op, w);
  if (space_.batch_norm) {
    o.gamma = r.gamma.at(ch.op);
    o.beta = role == "project" ? r.beta.at(ch.op) : r.beta.at(ch.op).slice(0, 0, hid);
  }
  if (role == "project") o.gate = gate;
  return o;
}

Path SupernetImpl::path(const Candidate& c, const std::vector<torch::Tensor>& gates) {
  Path p;
  p.net = search::decode_network(layout_, c);
  p.ov.resize(p.net.layers.size());
  for (size_t i = 0; i < p.net.layers.size(); ++i) {
    const mapper::Layer& l = p.net.layers[i];
    auto f = fixed_.find(l.name);
    if (f != fixed_.end()) {
      p.ov[i] = {f->second.weight, f->second.gamma, f->second.beta, f->second.bias, {}};
      continue;
    }
    unsigned b = 0;
    char role[16] = {};
    if (!l.has_weights() || std::sscanf(l.name.c_str(), "b%u_%15s", &b, role) != 2) continue;
    const BlockChoice& ch = layout_.block_choices(b)[c.genes[layout_.op_gene(b)]];
    p.ov[i] = block_layer(b, role, ch, gates.empty() ? torch::Tensor() : gates[b]);
    // The candidate's sparsity gene (issue 8): one-shot magnitude pruning of the inherited
    // (mapped) weights, recomputed each step as the shared tensor moves (UDC's sparsity
    // choice in the supernet); only the kept weights get gradients.
    if (l.sparsity > 0)
      p.ov[i].weight = p.ov[i].weight * quant::magnitude_mask(p.ov[i].weight, l.sparsity);
  }
  return p;
}

torch::Tensor SupernetImpl::forward(const torch::Tensor& x, const Candidate& c,
                                    const std::vector<torch::Tensor>& gates) {
  Path p = path(c, gates);
  quant::QatNet net(p.net, 0);
  net->train(is_training());
  return net->forward_with(x, p.ov);
}

quant::QatNet SupernetImpl::subnet(const Candidate& c) {
  torch::NoGradGuard ng;
  Path p = path(c);
  quant::QatNet net(p.net, 0);
  auto params = net->named_parameters();
  for (size_t i = 0; i < p.ov.size(); ++i) {
    const Override& o = p.ov[i];
    auto set = [&](const char* what, const torch::Tensor& t) {
      if (!t.defined()) return;
      params[fmt::format("l{}_{}", i, what)].copy_(t);
    };
    set("weight", o.weight);
    set("gamma", o.gamma);
    set("beta", o.beta);
    set("bias", o.bias);
  }
  net->prune(1.0);  // the masks of the pruned weights copied in (they are the zeros)
  return net;
}

torch::Tensor SupernetImpl::kl_loss() {
  torch::Tensor sum = torch::zeros({});
  for (auto& roles : blocks_)
    for (auto& [name, r] : roles)
      for (auto& [kind, m] : r.maps) sum = sum + laplace_kl(m->forward(r.weight));
  return sum;
}

torch::Tensor SupernetImpl::mapped(uint32_t block, const std::string& role, OpKind kind) {
  Role& r = blocks_.at(block).at(role);
  return kind == OpKind::Mult ? r.weight : r.maps.at(kind)->forward(r.weight);
}

torch::Tensor SupernetImpl::shared(uint32_t block, const std::string& role) const {
  return blocks_.at(block).at(role).weight;
}

PiecewiseLinearMap SupernetImpl::weight_map(uint32_t block, const std::string& role,
                                            OpKind kind) const {
  return blocks_.at(block).at(role).maps.at(kind);
}

std::vector<torch::Tensor> SupernetImpl::parameters_for(const std::vector<OpKind>& kinds) const {
  std::vector<torch::Tensor> out;
  const bool native = has(space_.ops, OpKind::Mult) || has(space_.ops, OpKind::Shift);
  const bool shared_trains = has(kinds, OpKind::Mult) || has(kinds, OpKind::Shift) ||
                             (!native && has(kinds, OpKind::Adder));
  for (const auto& roles : blocks_)
    for (const auto& [name, r] : roles) {
      if (shared_trains) out.push_back(r.weight);
      for (OpKind k : kinds) {
        if (r.gamma.count(k)) out.push_back(r.gamma.at(k));
        if (r.beta.count(k)) out.push_back(r.beta.at(k));
        if (r.maps.count(k))
          for (const auto& t : r.maps.at(k)->parameters()) out.push_back(t);
      }
    }
  for (const auto& [name, f] : fixed_)
    if (has(kinds, f.op))
      for (const torch::Tensor& t : {f.weight, f.gamma, f.beta, f.bias})
        if (t.defined()) out.push_back(t);
  return out;
}

Candidate sample_candidate(const search::Layout& layout, const std::vector<OpKind>& kinds,
                           uint64_t& rng_state) {
  SplitMix64 rng(rng_state);
  Candidate c;
  for (const search::Gene& g : layout.genes()) {
    if (g.kind != search::GeneKind::BlockOp || kinds.empty()) {
      c.genes.push_back(static_cast<uint32_t>(rng.below(g.choices)));
      continue;
    }
    std::vector<uint32_t> ok;
    const auto& chs = layout.block_choices(g.block);
    for (uint32_t j = 0; j < chs.size(); ++j)
      if (chs[j].skip || has(kinds, chs[j].op)) ok.push_back(j);
    if (ok.empty()) throw Error(fmt::format("block {}: no choice of the kinds sampled", g.block));
    c.genes.push_back(ok[static_cast<size_t>(rng.below(ok.size()))]);
  }
  rng_state = rng.state;
  return c;
}

void recalibrate(quant::QatNet& net, const data::Dataset& d, int64_t batch, int batches) {
  torch::NoGradGuard ng;
  net->train();
  int t = 0;
  for (size_t i = 0; i < d.size() && t < batches; i += static_cast<size_t>(batch), ++t) {
    const double m = 1.0 / (t + 1);
    net->set_momenta(m, m);
    const int64_t n = std::min<int64_t>(batch, static_cast<int64_t>(d.size() - i));
    net->forward(quant::input_tensor(net->network(), d.image(i), n));
  }
  net->set_momenta(quant::kBnMomentum, quant::kRangeMomentum);
  net->eval();
}

void check_fits_dataset(const search::SearchSpace& s, const data::Dataset& d) {
  if (s.input_h != d.rows || s.input_w != d.cols || s.input_c != 1 ||
      s.classes != static_cast<uint32_t>(data::kNumClasses))
    throw Error(fmt::format(
        "{}: input {}x{}x{} with {} classes does not fit Fashion-MNIST "
        "({}x{}x1, {} classes)",
        s.file, s.input_h, s.input_w, s.input_c, s.classes, d.rows, d.cols, data::kNumClasses));
}

}  // namespace savp::nas::supernet
