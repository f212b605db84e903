// The NAS export classified on the platform (nas/deploy, savp run --dataset): a calibrated and
// briefly trained fmnist-hybrid (mult, shift, adder layers, global pool) gives, image by image,
// the same classes on the SystemC platform as in the LibTorch integer inference, with every
// layer bit-exact with the reference executor.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "mapper/network.hpp"
#include "nas/data/fashion_mnist.hpp"
#include "nas/deploy/platform_classifier.hpp"
#include "nas/export/export.hpp"
#include "nas/quant/qat_net.hpp"

using namespace savp;
using namespace savp::nas;

TEST(Deploy, PlatformClassesEqualLibTorchIntegerClasses) {
  if (!std::filesystem::exists(std::string(data::kDefaultDir) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const mapper::Network net =
      mapper::load_network(std::string(SAVP_SOURCE_DIR) + "/configs/nets/fmnist-hybrid.yaml");
  const data::Dataset train = data::head(data::load_split(data::Split::Train), 1024);
  quant::QatNet m(net, 1);
  torch::optim::SGD opt(m->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  m->train();
  for (size_t off = 0; off + 64 <= train.size(); off += 64) {
    const torch::Tensor x = quant::input_tensor(net, train.image(off), 64);
    const torch::Tensor y = torch::tensor(
        std::vector<int64_t>(train.labels.begin() + off, train.labels.begin() + off + 64));
    opt.zero_grad();
    torch::nn::functional::cross_entropy(m->forward(x), y).backward();
    opt.step();
  }
  {
    // Batch-norm recalibration as the trainer does after each epoch (nas/train/trainer.cpp).
    torch::NoGradGuard ng;
    for (int c = 0; c < 30; ++c)
      m->forward(quant::input_tensor(net, train.image(static_cast<size_t>(c % 16) * 64), 64));
  }
  m->eval();
  const mapper::QuantizedNetwork q = m->to_quantized();
  const data::Dataset test = data::head(data::load_split(data::Split::Test), 48);
  const std::vector<int> lt = exporting::int_predictions(q, test, 16);
  const HwConfig hw = load_hw_config(std::string(SAVP_SOURCE_DIR) + "/configs/hw/default.yaml");
  const EnergyTable et = load_energy_table(hw.energy_table);
  deploy::ClassifyOptions o;
  o.batch = 16;
  o.functional_check = true;  // every layer of every image bit-exact with run_reference
  const deploy::ClassifyResult r = deploy::classify_on_platform(q, hw, et, test, o);
  ASSERT_EQ(r.predictions.size(), test.size());
  for (size_t i = 0; i < test.size(); ++i)
    EXPECT_EQ(r.predictions[i], lt[i]) << "image " << i;
  EXPECT_EQ(r.firmware_images, 3u);
  EXPECT_GT(r.cycles, 0u);
  EXPECT_GT(r.energy_pj, 0.0);
  // The platform's correct count is the LibTorch integer inference's.
  size_t lt_correct = 0;
  for (size_t i = 0; i < test.size(); ++i) lt_correct += lt[i] == test.labels[i];
  EXPECT_EQ(r.correct, lt_correct);
  // Not asserted: accuracy. 16 plain-SGD steps (no AdderNet adaptive lr) leave the network
  // untrained; eval-mode accuracy is checked in trainer_test.cpp (EvalModeAccuracyTracks...).
}

TEST(Deploy, ArgmaxFirstOnInt8Bytes) {
  // Bytes are int8: 0xff is -1, below 0x05; ties take the first.
  EXPECT_EQ(deploy::argmax_first({0xff, 0x05, 0x05, 0x80}), 1);
  EXPECT_EQ(deploy::argmax_first({0x80, 0xff}), 1);
}
