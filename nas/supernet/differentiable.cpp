#include "nas/supernet/differentiable.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ostream>

#include "common/errors.hpp"
#include "common/splitmix64.hpp"
#include "nas/search/nsga2.hpp"

namespace savp::nas::supernet {

namespace {

// Per block: the cost table's cycles and energy as tensors (unrunnable choices: 1000 x the
// reference, so the cost term pushes away from them).
struct Costs {
  std::vector<torch::Tensor> cycles, energy;
  double ref_cycles = 1, ref_energy = 1, fixed_cycles = 0, fixed_energy = 0;
};

Costs costs_of(const search::CostTable& t, const search::Layout& layout) {
  Costs c;
  search::Candidate first;
  first.genes.assign(layout.genes().size(), 0);
  c.ref_cycles = std::max(1.0, t.estimate_cycles(layout, first));
  c.ref_energy = std::max(1e-9, t.estimate_energy_uj(layout, first));
  c.fixed_cycles = t.fixed_cycles;
  c.fixed_energy = t.fixed_energy_uj;
  for (const auto& blk : t.blocks) {
    std::vector<double> cy, en;
    for (const search::CostEntry& e : blk) {
      cy.push_back(e.ok ? e.cycles : 1000 * c.ref_cycles);
      en.push_back(e.ok ? e.energy_uj : 1000 * c.ref_energy);
    }
    c.cycles.push_back(torch::tensor(cy, torch::kFloat32));
    c.energy.push_back(torch::tensor(en, torch::kFloat32));
  }
  return c;
}

void fill_batch(const data::Dataset& d, size_t start, int64_t n, std::vector<uint8_t>& buf,
                std::vector<int64_t>& lab) {
  const size_t img = d.image_bytes();
  for (int64_t k = 0; k < n; ++k) {
    const size_t idx = (start + static_cast<size_t>(k)) % d.size();
    std::copy(d.image(idx), d.image(idx) + img, buf.begin() + k * img);
    lab[static_cast<size_t>(k)] = d.labels[idx];
  }
}

}  // namespace

DifferentiableResult run_differentiable(Supernet& net, const search::CostTable& table,
                                        const data::Dataset& train_set,
                                        const data::Dataset& val_set,
                                        const DifferentiableOptions& o, std::ostream& log) {
  const search::Layout& layout = net->layout();
  const search::SearchSpace& s = net->space();
  check_fits_dataset(s, train_set);
  if (train_set.size() == 0 || val_set.size() == 0)
    throw Error("differentiable search: empty training or validation set");
  if (table.blocks.size() != layout.blocks().size())
    throw Error("differentiable search: the cost table does not fit the search space");
  const Costs costs = costs_of(table, layout);
  const size_t nb = layout.blocks().size();
  std::vector<torch::Tensor> alpha;
  for (size_t b = 0; b < nb; ++b)
    alpha.push_back(torch::zeros({static_cast<int64_t>(layout.block_choices(b).size())},
                                 torch::requires_grad()));
  torch::optim::Adam arch(alpha, torch::optim::AdamOptions(o.arch_lr));
  const search::TrainingSpec& t = s.training;
  torch::optim::SGD wopt(
      net->parameters(),
      torch::optim::SGDOptions(t.lr * 0.1).momentum(t.momentum).weight_decay(t.weight_decay));
  // Non-block genes (bit level, sparsity, hardware) as the all-first-op baseline has them.
  const search::Candidate base = search::baseline_candidate(layout, s.ops[0]);
  const mapper::Network shape_net = search::decode_network(layout, base);
  const int64_t bs = t.batch_size;
  std::vector<uint8_t> buf(static_cast<size_t>(bs) * train_set.image_bytes());
  std::vector<int64_t> lab(static_cast<size_t>(bs));
  const int64_t steps_per_epoch = (static_cast<int64_t>(train_set.size()) + bs - 1) / bs;
  const double total = static_cast<double>(steps_per_epoch * o.epochs);
  const double tau0 = s.search.gumbel_tau_start, tau1 = s.search.gumbel_tau_end;
  SplitMix64 rng(o.seed);
  DifferentiableResult r;
  int64_t step = 0;
  size_t val_pos = 0;
  net->train();
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    double cost_sum = 0, ce_sum = 0;
    for (int64_t st = 0; st < steps_per_epoch; ++st, ++step) {
      const double tau = tau0 * std::pow(tau1 / tau0, static_cast<double>(step) / total);
      // Gumbel sample per block (SplitMix64 uniforms: the torch generator is reseeded by
      // every QatNet construction).
      search::Candidate c = base;
      std::vector<torch::Tensor> gates(nb), soft(nb);
      for (size_t b = 0; b < nb; ++b) {
        const int64_t k = alpha[b].size(0);
        std::vector<float> g(static_cast<size_t>(k));
        for (auto& v : g)
          v = static_cast<float>(-std::log(-std::log(std::max(1e-12, search::unit(rng)))));
        const torch::Tensor y = torch::softmax((alpha[b] + torch::tensor(g)) / tau, 0);
        const int64_t j = y.argmax().item<int64_t>();
        c.genes[static_cast<size_t>(layout.op_gene(static_cast<uint32_t>(b)))] =
            static_cast<uint32_t>(j);
        gates[b] = y[j] - y[j].detach() + 1.0;  // 1 in value, d y_j / d alpha in gradient
        soft[b] = torch::softmax(alpha[b] / tau, 0);
      }
      const int64_t tn = std::min<int64_t>(bs, static_cast<int64_t>(train_set.size()) - st * bs);
      // Weight step: the sampled path on a training batch (gates detached).
      fill_batch(train_set, static_cast<size_t>(st * bs), tn, buf, lab);
      {
        std::vector<torch::Tensor> dg;
        for (const auto& gt : gates) dg.push_back(gt.detach());
        const torch::Tensor x = quant::input_tensor(shape_net, buf.data(), tn);
        const torch::Tensor y = torch::from_blob(lab.data(), {tn}, torch::kInt64).clone();
        wopt.zero_grad();
        const torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x, c, dg), y);
        loss.backward();
        wopt.step();
      }
      // Architecture step: the same path on a validation batch, plus the expected cost.
      fill_batch(val_set, val_pos, bs, buf, lab);
      val_pos += static_cast<size_t>(bs);
      const torch::Tensor x = quant::input_tensor(shape_net, buf.data(), bs);
      const torch::Tensor y = torch::from_blob(lab.data(), {bs}, torch::kInt64).clone();
      torch::Tensor cyc = torch::full({}, costs.fixed_cycles),
                    en = torch::full({}, costs.fixed_energy);
      for (size_t b = 0; b < nb; ++b) {
        cyc = cyc + (soft[b] * costs.cycles[b]).sum();
        en = en + (soft[b] * costs.energy[b]).sum();
      }
      const torch::Tensor cost = 0.5 * (cyc / costs.ref_cycles + en / costs.ref_energy);
      arch.zero_grad();
      wopt.zero_grad();
      const torch::Tensor ce = torch::nn::functional::cross_entropy(net->forward(x, c, gates), y);
      const torch::Tensor loss = ce + s.search.hw_loss_weight * cost;
      loss.backward();
      arch.step();
      cost_sum += cost.item<double>();
      ce_sum += ce.item<double>();
    }
    search::Candidate d = base;
    for (size_t b = 0; b < nb; ++b)
      d.genes[static_cast<size_t>(layout.op_gene(static_cast<uint32_t>(b)))] =
          static_cast<uint32_t>(alpha[b].argmax().item<int64_t>());
    r.derived.push_back(d);
    r.expected_cost.push_back(cost_sum / static_cast<double>(steps_per_epoch));
    std::string lbl;
    for (size_t b = 0; b < nb; ++b)
      lbl += (b ? " " : "") +
             layout
                 .block_choices(
                     b)[d.genes[static_cast<size_t>(layout.op_gene(static_cast<uint32_t>(b)))]]
                 .label();
    log << fmt::format(
        "differentiable epoch {}/{}: val CE {:.4f}, expected cost {:.3f} of "
        "all-first-choice; derived [{}]\n",
        epoch + 1, o.epochs, ce_sum / static_cast<double>(steps_per_epoch), r.expected_cost.back(),
        lbl);
  }
  for (size_t b = 0; b < nb; ++b) {
    const torch::Tensor p = torch::softmax(alpha[b].detach(), 0);
    r.probs.emplace_back(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
  }
  return r;
}

}  // namespace savp::nas::supernet
