// nas/quant + nas/export: a randomly initialised, calibrated (and briefly trained) QatNet with all
// three operator kinds, max / average / global pooling and a residual add; its export runs in
// the LibTorch integer inference bit-exact with mapper::run_reference, layer by layer, on 100
// images; the weights file loads back; the float fake-quantized forward agrees with the integers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/errors.hpp"
#include "mapper/network.hpp"
#include "mapper/reference_executor.hpp"
#include "mapper/weights_file.hpp"
#include "nas/data/fashion_mnist.hpp"
#include "nas/export/export.hpp"
#include "nas/quant/int_inference.hpp"
#include "nas/quant/qat_net.hpp"

using namespace savp;
using namespace savp::nas;

namespace {

// All three kinds, a residual add (relu), maxpool, avgpool with padding, global pool, a shift
// layer at 5 bits and 6-bit activations somewhere, an adder linear at the end.
const char* kNet = R"(
name: qat-all-kinds
input: {h: 28, w: 28, c: 1}
defaults: {act_bits: 8, batch_norm: true}
layers:
  - {name: c1, type: conv, op: mult, out_channels: 8, kernel: 3, padding: 1, relu: true}
  - {name: c2, type: conv, op: shift, out_channels: 8, kernel: 3, padding: 1, relu: true, weight_bits: 5}
  - {name: res, type: add, inputs: [c1, c2], relu: true}
  - {name: mp, type: maxpool, kernel: 2}
  - {name: c3, type: conv, op: adder, out_channels: 16, kernel: 3, stride: 2, padding: 1, relu: true, act_bits: 6}
  - {name: ap, type: avgpool, kernel: 3, stride: 1, padding: 1}
  - {name: c4, type: conv, op: mult, out_channels: 16, kernel: 1, groups: 4, relu: true}
  - {name: gap, type: global_avgpool}
  - {name: fl, type: flatten}
  - {name: fc, type: linear, op: adder, out_features: 10, batch_norm: true}
)";

data::Dataset images(size_t n) {
  if (std::filesystem::exists(std::string(data::kDefaultDir) + "/t10k-images-idx3-ubyte.gz"))
    return data::head(data::load_split(data::Split::Test, data::kDefaultDir), n);
  // No dataset installed: deterministic pseudo-images.
  data::Dataset d;
  d.rows = d.cols = 28;
  d.pixels.resize(n * 784);
  d.labels.resize(n);
  uint64_t s = 12345;
  for (auto& p : d.pixels) p = static_cast<uint8_t>((s = s * 6364136223846793005ull + 1) >> 56);
  for (size_t i = 0; i < n; ++i) d.labels[i] = static_cast<uint8_t>(i % 10);
  return d;
}

quant::QatNet calibrated(const mapper::Network& net, const data::Dataset& d, int steps) {
  quant::QatNet m(net, 3);
  torch::optim::SGD opt(m->parameters(), torch::optim::SGDOptions(0.02).momentum(0.9));
  m->train();
  for (int s = 0; s < steps; ++s) {
    const int64_t n = 32;
    const size_t off = static_cast<size_t>(s * n) % (d.size() - n);
    const torch::Tensor x = quant::input_tensor(net, d.image(off), n);
    const torch::Tensor y =
        torch::tensor(std::vector<int64_t>(d.labels.begin() + off, d.labels.begin() + off + n));
    opt.zero_grad();
    const torch::Tensor loss = torch::nn::functional::cross_entropy(m->forward(x), y);
    loss.backward();
    opt.step();
  }
  m->eval();
  return m;
}

}  // namespace

TEST(Qat, IntegerInferenceEqualsReferenceExecutorLayerByLayer) {
  const mapper::Network net = mapper::parse_network(kNet, "qat-all-kinds");
  const data::Dataset d = images(400);
  quant::QatNet m = calibrated(net, d, 10);
  const mapper::QuantizedNetwork q = m->to_quantized();
  for (size_t i = 0; i < net.layers.size(); ++i) mapper::check_params(net.layers[i], q.params[i]);
  const data::Dataset t = data::head(d, 100);
  const std::vector<torch::Tensor> outs =
      quant::int_forward(q, quant::input_ints(net, t.image(0), 100));
  size_t nonzero = 0, compared = 0;
  for (int64_t n = 0; n < 100; ++n) {
    const std::vector<int8_t> in = data::quantize_image(t, static_cast<size_t>(n), 8);
    const std::vector<std::vector<int8_t>> ref = mapper::run_reference(q, in);
    for (size_t l = 0; l < net.layers.size(); ++l) {
      const std::vector<int8_t> got = quant::sample_hwc(outs[l], n);
      ASSERT_EQ(got, ref[l]) << "image " << n << ", layer " << net.layers[l].name;
      for (int8_t v : got) nonzero += v != 0;
      compared += got.size();
    }
  }
  // Not a degenerate network: a good share of the activations is non-zero.
  EXPECT_GT(nonzero, compared / 10);
  // The integer logits differ between images (the classifier is not constant).
  const std::vector<int> pred = quant::argmax_first(outs.back());
  std::set<int> classes(pred.begin(), pred.end());
  EXPECT_GE(classes.size(), 2u);
}

TEST(Qat, FloatForwardTracksTheIntegers) {
  const mapper::Network net = mapper::parse_network(kNet, "qat-all-kinds");
  const data::Dataset d = images(300);
  quant::QatNet m = calibrated(net, d, 10);
  const mapper::QuantizedNetwork q = m->to_quantized();
  const data::Dataset t = data::head(d, 200);
  const std::vector<int> ip = exporting::int_predictions(q, t, 64);
  const std::vector<int> fp = exporting::float_predictions(m, t, 64);
  size_t agree = 0;
  for (size_t i = 0; i < ip.size(); ++i) agree += ip[i] == fp[i];
  // Rounded (M, S) ratios and float accumulators flip a few close calls, not more.
  EXPECT_GE(agree, 180u) << agree << " of 200";
}

TEST(Qat, ArgmaxTakesTheFirstMaximum) {
  const torch::Tensor l = torch::tensor({3, 7, 7, 1, 0, 0, 0, 0}, torch::kInt64).view({2, 4});
  EXPECT_EQ(quant::argmax_first(l), (std::vector<int>{1, 0}));
}

TEST(Qat, UncalibratedNetworkIsAClearError) {
  const mapper::Network net = mapper::parse_network(kNet, "qat-all-kinds");
  quant::QatNet m(net, 1);
  try {
    m->to_quantized();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'c1': its output range is not calibrated"),
              std::string::npos)
        << e.what();
  }
}

TEST(Export, WritesLoadableNetworkWeightsAndSummary) {
  const mapper::Network net = mapper::parse_network(kNet, "qat-all-kinds");
  const data::Dataset d = images(200);
  quant::QatNet m = calibrated(net, d, 4);
  const std::string dir = (std::filesystem::temp_directory_path() / "savp_export_test").string();
  std::filesystem::remove_all(dir);
  const data::Dataset t = data::head(d, 64);
  const exporting::ExportSummary s = exporting::export_model(m, kNet, t, dir, "test");
  const mapper::Network loaded = mapper::load_network(dir + "/net.yaml");
  const mapper::QuantizedNetwork q = mapper::load_weights(loaded, dir + "/weights.bin");
  // The file holds what to_quantized gives.
  const mapper::QuantizedNetwork q0 = m->to_quantized();
  for (size_t i = 0; i < q.params.size(); ++i) {
    EXPECT_EQ(q.params[i].weights, q0.params[i].weights) << i;
    EXPECT_EQ(q.params[i].bias, q0.params[i].bias) << i;
    EXPECT_EQ(q.params[i].multiplier, q0.params[i].multiplier) << i;
    EXPECT_EQ(q.params[i].shift, q0.params[i].shift) << i;
  }
  // export.json's integer accuracy is the integer predictions' on those images.
  const std::vector<int> ip = exporting::int_predictions(q, t, 16);
  size_t ok = 0;
  for (size_t i = 0; i < ip.size(); ++i) ok += ip[i] == t.labels[i];
  EXPECT_EQ(s.int_correct, ok);
  std::ifstream f(dir + "/export.json");
  const std::string js((std::istreambuf_iterator<char>(f)), {});
  EXPECT_NE(js.find("\"int_correct\": " + std::to_string(ok)), std::string::npos) << js;
  std::filesystem::remove_all(dir);
}
