#include "nas/train/trainer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <thread>

#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "common/splitmix64.hpp"
#include "mapper/network.hpp"
#include "nas/export/export.hpp"
#include "nas/ops/ops.hpp"
#include "nas/train/checkpoint.hpp"

namespace savp::nas::train {

namespace {

// The options a checkpoint must agree with to be resumed (they determine the result).
std::string options_key(const TrainOptions& o, bool sparse) {
  const std::string prune =
      sparse ? fmt::format(" prune_start={} prune_end={}", o.prune_start, o.prune_end) : "";
  return prune + fmt::format(
                     "epochs={} batch_size={} lr={} momentum={} weight_decay={} optimizer={} "
                     "adder_eta={} seed={} train_limit={}",
                     o.epochs, o.batch_size, o.lr, o.momentum, o.weight_decay, o.optimizer,
                     o.adder_eta, o.seed, o.train_limit);
}

std::string read_text(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot read {} '{}'", what, path));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string ivalue_string(torch::serialize::InputArchive& a, const std::string& key,
                          const std::string& path) {
  c10::IValue v;
  if (!a.try_read(key, v) || !v.isString())
    throw Error(fmt::format("{}: not a savp checkpoint (no '{}' entry)", path, key));
  return v.toStringRef();
}

int64_t ivalue_int(torch::serialize::InputArchive& a, const std::string& key,
                   const std::string& path) {
  c10::IValue v;
  if (!a.try_read(key, v) || !v.isInt())
    throw Error(fmt::format("{}: not a savp checkpoint (no '{}' entry)", path, key));
  return v.toInt();
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(quant::QatNet& model,
                                                        const TrainOptions& o) {
  if (o.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        model->parameters(),
        torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  if (o.optimizer == "adam")
    return std::make_unique<torch::optim::Adam>(
        model->parameters(), torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  throw Error(fmt::format("unknown optimizer '{}' (allowed: sgd, adam)", o.optimizer));
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) {
    if (auto* s = dynamic_cast<torch::optim::SGDOptions*>(&g.options())) s->lr(lr);
    if (auto* a = dynamic_cast<torch::optim::AdamOptions*>(&g.options())) a->lr(lr);
  }
}

}  // namespace

TrainOptions quick_options(TrainOptions o) {
  o.train_limit = 6000;
  o.val_limit = 1000;
  o.epochs = 2;
  return o;
}

int set_threads(int threads) {
  const int n = threads > 0 ? threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  at::set_num_threads(n);
  return n;
}

TrainSummary train(const std::string& net_yaml_text, const std::string& origin,
                   const std::string& out_dir, const TrainOptions& o, std::ostream& log) {
  if (o.epochs < 1) throw Error(fmt::format("--epochs {}: must be at least 1", o.epochs));
  if (o.batch_size < 1)
    throw Error(fmt::format("--batch-size {}: must be at least 1", o.batch_size));
  if (!(o.lr > 0)) throw Error(fmt::format("--lr {}: must be greater than 0", o.lr));
  if (!(o.prune_start >= 0 && o.prune_start < o.prune_end && o.prune_end <= 1))
    throw Error(
        fmt::format("--prune-start {} / --prune-end {}: allowed 0 <= start < end <= 1 "
                    "(fractions of the training steps)",
                    o.prune_start, o.prune_end));
  const mapper::Network net = mapper::parse_network(net_yaml_text, origin);
  if (net.output().out_shape.elements() != static_cast<uint64_t>(data::kNumClasses))
    throw Error(fmt::format("{}: the last layer '{}' has {} outputs; Fashion-MNIST has {} classes",
                            origin, net.output().name, net.output().out_shape.elements(),
                            data::kNumClasses));
  const std::string dir = o.data_dir.empty() ? data::default_dir() : o.data_dir;
  const data::Dataset train_set =
      data::head(data::load_split(data::Split::Train, dir), o.train_limit);
  const data::Dataset val_set = data::head(data::load_split(data::Split::Val, dir), o.val_limit);
  if (train_set.rows != net.input.h || train_set.cols != net.input.w || net.input.c != 1)
    throw Error(fmt::format("{}: input {} does not fit the {}x{}x1 Fashion-MNIST images", origin,
                            net.input.str(), train_set.rows, train_set.cols));
  const int threads = set_threads(o.threads);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw Error(fmt::format("cannot create '{}': {}", out_dir, ec.message()));
  const std::string ckpt = out_dir + "/checkpoint.pt";

  quant::QatNet model(net, o.seed);
  const bool sparse = model->sparse();
  auto opt = make_optimizer(model, o);
  nlohmann::json hist = nlohmann::json::array();
  TrainSummary sum;
  if (std::filesystem::exists(ckpt)) {
    torch::serialize::InputArchive a;
    open_checkpoint(a, ckpt);
    if (ivalue_string(a, "net_yaml", ckpt) != net_yaml_text)
      throw Error(fmt::format("{}: the checkpoint was written for another network (remove it or "
                              "use another --out)",
                              ckpt));
    const std::string key = ivalue_string(a, "options", ckpt);
    if (key != options_key(o, sparse))
      throw Error(
          fmt::format("{}: the checkpoint was written with other options ({}; this run: "
                      "{})",
                      ckpt, key, options_key(o, sparse)));
    try {
      torch::serialize::InputArchive ma, oa;
      a.read("model", ma);
      a.read("optimizer", oa);
      model->load(ma);
      opt->load(oa);
    } catch (const c10::Error& e) {
      std::string what = e.what_without_backtrace();
      throw Error(fmt::format("{}: checkpoint does not fit the network ({})", ckpt,
                              what.substr(0, what.find('\n'))));
    }
    sum.resumed_from = static_cast<int>(ivalue_int(a, "epoch", ckpt));
    hist = nlohmann::json::parse(ivalue_string(a, "history", ckpt));
    log << fmt::format("resuming {} after epoch {}\n", ckpt, sum.resumed_from);
  }
  write_file_atomic(out_dir + "/net.yaml", net_yaml_text, "network description");
  log << fmt::format("training {} on {} images ({} validation), {} epochs, batch {}, {} "
                     "thread(s)\n",
                     net.name, train_set.size(), val_set.size(), o.epochs, o.batch_size, threads);

  const std::vector<torch::Tensor> adders = model->adder_weights();
  const int64_t n = static_cast<int64_t>(train_set.size());
  const size_t img = train_set.image_bytes();
  std::vector<uint8_t> buf(static_cast<size_t>(o.batch_size) * img);
  std::vector<int64_t> lab(static_cast<size_t>(o.batch_size));
  // The pruning schedule over global steps (trainer.hpp): t0, t1 and the fraction after step t.
  const int64_t steps_per_epoch = (n + o.batch_size - 1) / o.batch_size;
  const int64_t total_steps = steps_per_epoch * o.epochs;
  const auto t0_step = static_cast<int64_t>(std::floor(o.prune_start * total_steps));
  const int64_t t1_step =
      std::max(t0_step + 1, static_cast<int64_t>(std::ceil(o.prune_end * total_steps)));
  auto prune_fraction = [&](int64_t t) {
    const double p = std::clamp(
        static_cast<double>(t + 1 - t0_step) / static_cast<double>(t1_step - t0_step), 0.0, 1.0);
    return 1.0 - std::pow(1.0 - p, 3);
  };
  double pruned = 0;  // the schedule's fraction of the targets reached
  if (sparse)
    log << fmt::format("pruning to the layers' sparsity targets from step {} to {} of {} (cubic)\n",
                       t0_step, t1_step, total_steps);
  const auto t_all = std::chrono::steady_clock::now();
  for (int epoch = sum.resumed_from; epoch < o.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    set_lr(*opt, 0.5 * o.lr * (1 + std::cos(M_PI * epoch / o.epochs)));
    // The epoch's order: a SplitMix64 Fisher-Yates of (seed, epoch), so a resumed run sees the
    // same batches as an uninterrupted one.
    std::vector<size_t> perm(static_cast<size_t>(n));
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
    SplitMix64 rng(o.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch));
    for (size_t i = perm.size() - 1; i > 0; --i)
      std::swap(perm[i], perm[static_cast<size_t>(rng.below(i + 1))]);
    model->train();
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t b0 = 0; b0 < n; b0 += o.batch_size) {
      const int64_t bn = std::min<int64_t>(o.batch_size, n - b0);
      for (int64_t k = 0; k < bn; ++k) {
        const size_t idx = perm[static_cast<size_t>(b0 + k)];
        std::copy(train_set.image(idx), train_set.image(idx) + img, buf.begin() + k * img);
        lab[static_cast<size_t>(k)] = train_set.labels[idx];
      }
      const torch::Tensor x = quant::input_tensor(net, buf.data(), bn);
      const torch::Tensor y = torch::from_blob(lab.data(), {bn}, torch::kInt64).clone();
      opt->zero_grad();
      const torch::Tensor logits = model->forward(x);
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      loss.backward();
      for (const torch::Tensor& w : adders) {
        torch::Tensor g = w.grad();
        if (g.defined()) ops::adder_adaptive_lr(g, o.adder_eta);
      }
      opt->step();
      if (sparse) {
        pruned = prune_fraction(epoch * steps_per_epoch + b0 / o.batch_size);
        model->prune(pruned);  // also re-zeroes what the step moved
      }
      loss_sum += loss.item<double>() * static_cast<double>(bn);
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    }
    {
      // Batch-norm recalibration: forward passes without gradients in training mode, so the
      // running statistics (momentum 0.1) describe the epoch's final weights rather than a
      // trail of earlier ones; adder layers' statistics drift fast and eval accuracy suffers
      // otherwise. kCalibrationBatches batches leave 0.9^30 = 4% of the old statistics.
      constexpr int kCalibrationBatches = 30;
      torch::NoGradGuard ng;
      for (int c = 0; c < kCalibrationBatches; ++c) {
        const int64_t b0 = (c * o.batch_size) % n;
        const int64_t bn = std::min<int64_t>(o.batch_size, n - b0);
        for (int64_t k = 0; k < bn; ++k)
          std::copy(train_set.image(perm[static_cast<size_t>(b0 + k)]),
                    train_set.image(perm[static_cast<size_t>(b0 + k)]) + img, buf.begin() + k * img);
        model->forward(quant::input_tensor(net, buf.data(), bn));
      }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double val_acc =
        exporting::accuracy(exporting::float_predictions(model, val_set), val_set);
    nlohmann::json e;
    e["epoch"] = epoch + 1;
    e["loss"] = loss_sum / static_cast<double>(n);
    e["train_accuracy"] = static_cast<double>(correct) / static_cast<double>(n);
    e["val_accuracy"] = val_acc;
    e["seconds"] = secs;
    e["images_per_s"] = static_cast<double>(n) / secs;
    if (sparse) e["prune_fraction"] = pruned;
    hist.push_back(e);
    log << fmt::format("epoch {}/{}: loss {:.4f}, train {:.2f}%, val {:.2f}% ({:.1f} s, {:.0f} "
                       "images/s)\n",
                       epoch + 1, o.epochs, e["loss"].get<double>(),
                       100 * e["train_accuracy"].get<double>(), 100 * val_acc, secs,
                       e["images_per_s"].get<double>());
    // The checkpoint, atomically: a kill leaves the previous epoch's or this one's.
    torch::serialize::OutputArchive a, ma, oa;
    model->save(ma);
    opt->save(oa);
    a.write("model", ma);
    a.write("optimizer", oa);
    a.write("epoch", c10::IValue(static_cast<int64_t>(epoch + 1)));
    a.write("net_yaml", c10::IValue(net_yaml_text));
    a.write("options", c10::IValue(options_key(o, sparse)));
    a.write("history", c10::IValue(hist.dump()));
    std::ostringstream ss;
    a.save_to(ss);
    write_file_atomic(ckpt, ss.str(), "checkpoint");
    write_file_atomic(out_dir + "/train.json", hist.dump(2) + "\n", "training log");
    sum.epochs_done = epoch + 1;
    sum.val_accuracy = val_acc;
    if (o.stop_after > 0 && epoch + 1 - sum.resumed_from >= o.stop_after) break;
  }
  if (sum.epochs_done == 0 && !hist.empty()) {
    sum.epochs_done = o.epochs;
    sum.val_accuracy = hist.back()["val_accuracy"].get<double>();
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count();
  double imgs = 0, secs = 0;
  for (const auto& e : hist) {
    imgs += e["images_per_s"].get<double>() * e["seconds"].get<double>();
    secs += e["seconds"].get<double>();
  }
  sum.images_per_s = secs > 0 ? imgs / secs : 0;
  return sum;
}

Trained load_trained(const std::string& out_dir) {
  Trained t;
  const std::string ckpt = out_dir + "/checkpoint.pt";
  t.net_yaml_text = read_text(out_dir + "/net.yaml", "network description");
  const mapper::Network net = mapper::parse_network(t.net_yaml_text, out_dir + "/net.yaml");
  if (!std::filesystem::exists(ckpt))
    throw Error(fmt::format("{}: file not found (train first: savp nas train NET.yaml --out {})",
                            ckpt, out_dir));
  torch::serialize::InputArchive a;
  open_checkpoint(a, ckpt);
  if (ivalue_string(a, "net_yaml", ckpt) != t.net_yaml_text)
    throw Error(fmt::format("{}: the checkpoint was written for another network than {}/net.yaml",
                            ckpt, out_dir));
  t.model = quant::QatNet(net, 0);
  try {
    torch::serialize::InputArchive ma;
    a.read("model", ma);
    t.model->load(ma);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    throw Error(fmt::format("{}: checkpoint does not fit the network ({})", ckpt,
                            what.substr(0, what.find('\n'))));
  }
  t.epochs = static_cast<int>(ivalue_int(a, "epoch", ckpt));
  return t;
}

}  // namespace savp::nas::train
