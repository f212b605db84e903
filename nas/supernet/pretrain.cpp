#include "nas/supernet/pretrain.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <sstream>

#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "common/splitmix64.hpp"
#include "nas/train/checkpoint.hpp"

namespace savp::nas::supernet {

namespace {

std::string kinds_str(const std::vector<OpKind>& v) {
  std::string s;
  for (OpKind k : v) s += (s.empty() ? "" : "+") + std::string(to_string(k));
  return s.empty() ? "-" : s;
}

std::string options_key(const search::SearchSpace& s, const PretrainOptions& o, size_t images) {
  return fmt::format("spec={} kl_weight={} epoch_scale={} seed={} images={}", s.hash, o.kl_weight,
                     o.epoch_scale, o.seed, images);
}

c10::IValue read_entry(torch::serialize::InputArchive& a, const std::string& key,
                       const std::string& path) {
  c10::IValue v;
  if (!a.try_read(key, v))
    throw Error(fmt::format("{}: not a savp supernet checkpoint (no '{}' entry)", path, key));
  return v;
}

}  // namespace

std::vector<int> phase_epochs(const search::SearchSpace& space, const PretrainOptions& o) {
  std::vector<int> e;
  for (const search::TrainingPhase& p : space.training.phases)
    e.push_back(std::max(1, static_cast<int>(std::lround(p.epochs * o.epoch_scale))));
  return e;
}

PretrainSummary pretrain(Supernet& net, const data::Dataset& train_set, const std::string& out_dir,
                         const PretrainOptions& o, std::ostream& log) {
  const search::SearchSpace& s = net->space();
  const search::TrainingSpec& t = s.training;
  check_fits_dataset(s, train_set);
  if (train_set.size() == 0) throw Error("pretraining: the training set is empty");
  const std::vector<int> pe = phase_epochs(s, o);
  PretrainSummary sum;
  for (int e : pe) sum.epochs += e;
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw Error(fmt::format("cannot create '{}': {}", out_dir, ec.message()));
  const std::string ckpt = out_dir + "/supernet.pt";
  const std::string key = options_key(s, o, train_set.size());

  torch::optim::SGD opt(
      net->parameters(),
      torch::optim::SGDOptions(t.lr).momentum(t.momentum).weight_decay(t.weight_decay));
  nlohmann::json hist = nlohmann::json::array();
  if (std::filesystem::exists(ckpt)) {
    torch::serialize::InputArchive a;
    train::open_checkpoint(a, ckpt);
    const c10::IValue k = read_entry(a, "options", ckpt);
    if (!k.isString() || k.toStringRef() != key)
      throw Error(
          fmt::format("{}: the checkpoint was written for another spec or other options "
                      "({}; this run: {}); remove it or use another --out",
                      ckpt, k.isString() ? k.toStringRef() : "?", key));
    try {
      torch::serialize::InputArchive ma, oa;
      a.read("model", ma);
      a.read("optimizer", oa);
      net->load(ma);
      opt.load(oa);
    } catch (const c10::Error& e) {
      std::string w = e.what_without_backtrace();
      throw Error(fmt::format("{}: checkpoint does not fit the supernet ({})", ckpt,
                              w.substr(0, w.find('\n'))));
    }
    const c10::IValue ep = read_entry(a, "epoch", ckpt), h = read_entry(a, "history", ckpt);
    if (!ep.isInt() || !h.isString())
      throw Error(fmt::format("{}: not a savp supernet checkpoint (bad entries)", ckpt));
    sum.resumed_from = static_cast<int>(ep.toInt());
    hist = nlohmann::json::parse(h.toStringRef());
    log << fmt::format("resuming supernet pretraining {} after epoch {}\n", ckpt, sum.resumed_from);
  }

  const int64_t n = static_cast<int64_t>(train_set.size());
  const int64_t bs = t.batch_size;
  const size_t img = train_set.image_bytes();
  std::vector<uint8_t> buf(static_cast<size_t>(bs) * img);
  std::vector<int64_t> lab(static_cast<size_t>(bs));
  const mapper::Network shape_net =
      search::decode_network(net->layout(), search::baseline_candidate(net->layout(), s.ops[0]));
  const auto t_all = std::chrono::steady_clock::now();
  int epoch = 0;
  for (size_t ph = 0; ph < pe.size(); ++ph) {
    const search::TrainingPhase& phase = t.phases[ph];
    std::vector<OpKind> sampled = phase.train;
    sampled.insert(sampled.end(), phase.frozen.begin(), phase.frozen.end());
    const std::vector<torch::Tensor> trainable = net->parameters_for(phase.train);
    std::set<const void*> train_set_ptrs;
    for (const torch::Tensor& p : trainable) train_set_ptrs.insert(p.unsafeGetTensorImpl());
    for (int pe_i = 0; pe_i < pe[ph]; ++pe_i, ++epoch) {
      if (epoch < sum.resumed_from) continue;
      const auto t0 = std::chrono::steady_clock::now();
      const double lr = 0.5 * t.lr * (1 + std::cos(M_PI * epoch / sum.epochs));
      for (auto& g : opt.param_groups()) static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
      std::vector<size_t> perm(static_cast<size_t>(n));
      for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
      SplitMix64 rng(o.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch));
      for (size_t i = perm.size() - 1; i > 0; --i)
        std::swap(perm[i], perm[static_cast<size_t>(rng.below(i + 1))]);
      uint64_t sample_state = rng.next();
      net->train();
      double loss_sum = 0, kl_sum = 0;
      int64_t correct = 0, batches = 0;
      for (int64_t b0 = 0; b0 < n; b0 += bs) {
        const int64_t bn = std::min<int64_t>(bs, n - b0);
        for (int64_t k = 0; k < bn; ++k) {
          const size_t idx = perm[static_cast<size_t>(b0 + k)];
          std::copy(train_set.image(idx), train_set.image(idx) + img, buf.begin() + k * img);
          lab[static_cast<size_t>(k)] = train_set.labels[idx];
        }
        const search::Candidate c = sample_candidate(net->layout(), sampled, sample_state);
        const torch::Tensor x = quant::input_tensor(shape_net, buf.data(), bn);
        const torch::Tensor y = torch::from_blob(lab.data(), {bn}, torch::kInt64).clone();
        opt.zero_grad();
        const torch::Tensor logits = net->forward(x, c);
        const torch::Tensor ce = torch::nn::functional::cross_entropy(logits, y);
        const torch::Tensor kl = net->kl_loss();
        const torch::Tensor loss = ce + o.kl_weight * kl;
        loss.backward();
        // Frozen kinds: no gradient, so SGD leaves them (and their momentum) untouched.
        for (torch::Tensor& p : net->parameters())
          if (!train_set_ptrs.count(p.unsafeGetTensorImpl())) p.mutable_grad() = torch::Tensor();
        opt.step();
        loss_sum += ce.item<double>() * static_cast<double>(bn);
        kl_sum += kl.item<double>();
        ++batches;
        correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      }
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      nlohmann::json e;
      e["epoch"] = epoch + 1;
      e["phase"] = ph;
      e["train"] = kinds_str(phase.train);
      e["frozen"] = kinds_str(phase.frozen);
      e["loss"] = loss_sum / static_cast<double>(n);
      e["kl"] = kl_sum / static_cast<double>(std::max<int64_t>(1, batches));
      e["train_accuracy"] = static_cast<double>(correct) / static_cast<double>(n);
      e["lr"] = lr;
      e["seconds"] = secs;
      hist.push_back(e);
      log << fmt::format(
                 "supernet epoch {}/{} (phase {}: train {}, frozen {}): loss {:.4f}, KL "
                 "{:.4f}, sampled-path train {:.2f}% ({:.1f} s)\n",
                 epoch + 1, sum.epochs, ph + 1, kinds_str(phase.train), kinds_str(phase.frozen),
                 e["loss"].get<double>(), e["kl"].get<double>(),
                 100 * e["train_accuracy"].get<double>(), secs)
          << std::flush;
      torch::serialize::OutputArchive a, ma, oa;
      net->save(ma);
      opt.save(oa);
      a.write("model", ma);
      a.write("optimizer", oa);
      a.write("epoch", c10::IValue(static_cast<int64_t>(epoch + 1)));
      a.write("options", c10::IValue(key));
      a.write("history", c10::IValue(hist.dump()));
      std::ostringstream ss;
      a.save_to(ss);
      write_file_atomic(ckpt, ss.str(), "supernet checkpoint");
      write_file_atomic(out_dir + "/pretrain.json", hist.dump(2) + "\n", "pretraining log");
      sum.epochs_done = epoch + 1;
      sum.last_loss = e["loss"].get<double>();
      if (o.stop_after > 0 && epoch + 1 - sum.resumed_from >= o.stop_after) {
        sum.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count();
        return sum;
      }
    }
  }
  if (sum.epochs_done == 0) sum.epochs_done = sum.resumed_from;
  if (sum.last_loss == 0 && !hist.empty()) sum.last_loss = hist.back()["loss"].get<double>();
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count();
  return sum;
}

}  // namespace savp::nas::supernet
