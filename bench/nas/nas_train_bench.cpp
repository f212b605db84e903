// Training throughput (images/s) of the QAT network per operator kind on this CPU (issue 4,
// "Targets"): configs/nets/fmnist-{mult,shift,adder,hybrid}.yaml, one SGD step = fake-quantized
// forward, cross-entropy, backward (AdderNet's adaptive lr on adder weights), optimizer step, on
// batches of real Fashion-MNIST images. Prints the median of --reps timed runs of --steps steps
// (after one warm-up step).
//   build-h/bench/nas_train_bench [--threads N] [--batch B] [--steps S] [--reps R] [nets...]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "mapper/network.hpp"
#include "nas/data/fashion_mnist.hpp"
#include "nas/ops/ops.hpp"
#include "nas/quant/qat_net.hpp"
#include "nas/train/trainer.hpp"

using namespace savp;

int main(int argc, char** argv) {
  int threads = 0, steps = 10, reps = 5;
  int64_t batch = 128;
  std::vector<std::string> nets;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (!std::strcmp(argv[i], "--threads")) threads = next();
    else if (!std::strcmp(argv[i], "--batch")) batch = next();
    else if (!std::strcmp(argv[i], "--steps")) steps = next();
    else if (!std::strcmp(argv[i], "--reps")) reps = next();
    else nets.push_back(argv[i]);
  }
  if (nets.empty()) nets = {"mult", "shift", "adder", "hybrid"};
  const int used = nas::train::set_threads(threads);
  const nas::data::Dataset d =
      nas::data::head(nas::data::load_split(nas::data::Split::Train), static_cast<size_t>(batch * steps));
  std::cout << fmt::format("batch {}, {} steps per run, median of {} runs, {} torch thread(s)\n",
                           batch, steps, reps, used);
  std::cout << fmt::format("{:<10} {:>12} {:>12} {:>12}\n", "network", "images/s", "min", "max");
  for (const std::string& kind : nets) {
    const mapper::Network net = mapper::load_network(std::string(SAVP_SOURCE_DIR) +
                                                     "/configs/nets/fmnist-" + kind + ".yaml");
    nas::quant::QatNet m(net, 1);
    torch::optim::SGD opt(m->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
    m->train();
    const std::vector<torch::Tensor> adders = m->adder_weights();
    auto step = [&](int s) {
      const size_t off = static_cast<size_t>(s % steps) * static_cast<size_t>(batch);
      const torch::Tensor x = nas::quant::input_tensor(net, d.image(off), batch);
      const torch::Tensor y = torch::tensor(std::vector<int64_t>(
          d.labels.begin() + static_cast<std::ptrdiff_t>(off),
          d.labels.begin() + static_cast<std::ptrdiff_t>(off + static_cast<size_t>(batch))));
      opt.zero_grad();
      torch::nn::functional::cross_entropy(m->forward(x), y).backward();
      for (const torch::Tensor& w : adders) {
        torch::Tensor g = w.grad();
        nas::ops::adder_adaptive_lr(g, 0.1);
      }
      opt.step();
    };
    step(0);  // warm-up
    std::vector<double> ips;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int s = 0; s < steps; ++s) step(s);
      const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ips.push_back(static_cast<double>(batch) * steps / sec);
    }
    std::sort(ips.begin(), ips.end());
    std::cout << fmt::format("{:<10} {:>12.0f} {:>12.0f} {:>12.0f}\n", "fmnist-" + kind,
                             ips[ips.size() / 2], ips.front(), ips.back());
  }
  return 0;
}
