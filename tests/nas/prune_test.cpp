// Issue 8, the training side of compressible models: magnitude masks, the trainer's gradual
// (cubic) pruning schedule, pruned weights staying zero, export of the pruned and quantized
// integers, and the supernet's sparsity genes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/errors.hpp"
#include "mapper/network.hpp"
#include "nas/export/export.hpp"
#include "nas/quant/qat_net.hpp"
#include "nas/search/candidate.hpp"
#include "nas/supernet/supernet.hpp"
#include "nas/train/trainer.hpp"

using namespace savp;
using namespace savp::nas;
namespace fs = std::filesystem;

namespace {

// c2: 8 x 4 x 3 x 3 = 288 weights at 75% -> 216 pruned; fc: 10 x 8 = 80 weights at 50% -> 40.
const char* kSparse = R"(
name: sparse
input: {h: 28, w: 28, c: 1}
defaults: {batch_norm: true}
layers:
  - {name: c1, type: conv, op: mult, out_channels: 4, kernel: 3, stride: 2, padding: 1, relu: true}
  - {name: c2, type: conv, op: mult, out_channels: 8, kernel: 3, stride: 2, padding: 1, relu: true, weight_bits: 4, sparsity: 0.75}
  - {name: gap, type: global_avgpool}
  - {name: fc, type: linear, op: shift, out_features: 10, batch_norm: false, weight_bits: 5, sparsity: 0.5}
)";

bool have_dataset() {
  return fs::exists(std::string(data::kDefaultDir) + "/train-images-idx3-ubyte.gz");
}

train::TrainOptions options() {
  train::TrainOptions o;
  o.epochs = 2;
  o.batch_size = 64;
  o.train_limit = 256;  // 4 steps per epoch, 8 in all
  o.val_limit = 64;
  o.threads = 1;
  o.seed = 3;
  o.prune_start = 0.0;
  o.prune_end = 1.0;
  return o;
}

std::string tmp(const std::string& n) {
  const fs::path p = fs::temp_directory_path() / ("savp_prune_" + n);
  fs::remove_all(p);
  return p.string();
}

torch::Tensor weight_of(quant::QatNet& m, size_t layer) {
  return m->named_parameters()[fmt::format("l{}_weight", layer)].detach().clone();
}

}  // namespace

TEST(Prune, MagnitudeMaskZeroesExactlyTheSmallest) {
  const torch::Tensor w = torch::tensor({0.5, -0.1, 0.3, -0.9, 0.05, 0.2});
  // 50% of 6 = 3 pruned: |0.05|, |-0.1|, |0.2|.
  const torch::Tensor m = quant::magnitude_mask(w, 0.5);
  EXPECT_TRUE(m.equal(torch::tensor({1.0, 0.0, 1.0, 1.0, 0.0, 0.0}))) << m;
  EXPECT_TRUE(quant::magnitude_mask(w, 0.0).equal(torch::ones({6})));
  // round(0.75 * 6) = round(4.5) = 5 (half away from zero): only -0.9 stays.
  EXPECT_EQ(quant::magnitude_mask(w, 0.75).sum().item<double>(), 1.0);
}

TEST(Prune, PruneKeepsPrunedWeightsAndGrowsMonotonically) {
  const mapper::Network net = mapper::parse_network(kSparse, "sparse");
  quant::QatNet m(net, 7);
  ASSERT_TRUE(m->sparse());
  m->prune(0.5);  // c2: round(0.5 * 0.75 * 288) = 108 zeros; fc: round(0.25 * 80) = 20
  EXPECT_EQ(m->zero_weights(1), 108);
  EXPECT_EQ(m->zero_weights(3), 20);
  EXPECT_EQ(m->zero_weights(0), 0);  // c1 has no target
  const torch::Tensor half = weight_of(m, 1).eq(0);
  // Perturb the kept weights (as a training step would) and prune further: every weight
  // pruned at 0.5 is still pruned at 1.
  {
    torch::NoGradGuard ng;
    m->named_parameters()["l1_weight"].add_(0.01);
  }
  m->apply_masks();
  EXPECT_EQ(m->zero_weights(1), 108);
  m->prune(1.0);
  EXPECT_EQ(m->zero_weights(1), 216);
  EXPECT_EQ(m->zero_weights(3), 40);
  const torch::Tensor full = weight_of(m, 1).eq(0);
  EXPECT_TRUE(full.logical_or(half).equal(full));  // half's zeros are a subset of full's
}

TEST(Prune, TrainerFollowsTheCubicScheduleAndExportsTheTargets) {
  if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  std::ostringstream log;
  const std::string dir = tmp("train"), out = tmp("export");
  train::TrainOptions killed = options();
  killed.stop_after = 1;
  train::train(kSparse, "sparse", dir, killed, log);
  train::Trained t1 = train::load_trained(dir);
  // After step 4 of 8 (t0 = 0, t1 = 8): p = 0.5, fraction 1 - 0.5^3 = 0.875 of the targets:
  // c2 round(0.875 * 0.75 * 288) = 189 zeros, fc round(0.875 * 0.5 * 80) = 35.
  EXPECT_EQ(t1.model->zero_weights(1), 189);
  EXPECT_EQ(t1.model->zero_weights(3), 35);
  const torch::Tensor z1 = weight_of(t1.model, 1).eq(0);
  train::train(kSparse, "sparse", dir, options(), log);  // resumes: epoch 2
  train::Trained t2 = train::load_trained(dir);
  EXPECT_EQ(t2.model->zero_weights(1), 216);
  EXPECT_EQ(t2.model->zero_weights(3), 40);
  // Pruned weights stayed zero through the second epoch's updates (momentum, weight decay).
  const torch::Tensor z2 = weight_of(t2.model, 1).eq(0);
  EXPECT_TRUE(z2.logical_or(z1).equal(z2));
  std::ifstream jf(dir + "/train.json");
  const nlohmann::json hist = nlohmann::json::parse(jf);
  EXPECT_DOUBLE_EQ(hist[0]["prune_fraction"].get<double>(), 0.875);
  EXPECT_DOUBLE_EQ(hist[1]["prune_fraction"].get<double>(), 1.0);

  // Export: the integers keep the zeros (at least the targets; quantization may add more)
  // and fit their bit widths: 4-bit mult in [-8, 7].
  const data::Dataset test =
      data::head(data::load_split(data::Split::Test, data::default_dir()), 32);
  const exporting::ExportSummary s =
      exporting::export_model(t2.model, t2.net_yaml_text, test, out, "test");
  const mapper::QuantizedNetwork q = t2.model->to_quantized();
  const auto& w2 = q.params[1].weights;
  EXPECT_GE(std::count(w2.begin(), w2.end(), int8_t{0}), 216);
  for (int8_t v : w2) EXPECT_TRUE(v >= -8 && v <= 7) << int(v);
  EXPECT_GE(std::count(q.params[3].weights.begin(), q.params[3].weights.end(), int8_t{0}), 40);
  std::ifstream ef(out + "/export.json");
  const nlohmann::json ej = nlohmann::json::parse(ef);
  ASSERT_EQ(ej["weights"].size(), 3u);
  EXPECT_EQ(ej["weights"][1]["name"], "c2");
  EXPECT_GE(ej["weights"][1]["zeros"].get<uint64_t>(), 216u);
  EXPECT_DOUBLE_EQ(ej["weights"][1]["sparsity_target"].get<double>(), 0.75);
  EXPECT_GE(s.zero_weights, 216u + 40u);
  EXPECT_EQ(s.weights, 36u + 288u + 80u);
  fs::remove_all(dir);
  fs::remove_all(out);
}

TEST(Prune, BadScheduleIsAnError) {
  train::TrainOptions o = options();
  o.prune_start = 0.8;
  o.prune_end = 0.5;
  std::ostringstream log;
  try {
    train::train(kSparse, "sparse", tmp("bad"), o, log);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("0 <= start < end <= 1"), std::string::npos) << e.what();
  }
}

TEST(Prune, SupernetAppliesTheCandidatesSparsityAndBits) {
  const search::SearchSpace s =
      search::load_search_space(std::string(SAVP_SOURCE_DIR) + "/configs/nas/fmnist-udc.yaml");
  supernet::Supernet sn(s, 1);
  const search::Layout& l = sn->layout();
  // Block 0 as mult k3 e3, 4-bit, 75% sparse; every other block skipped where it can be.
  search::Candidate c = search::baseline_candidate(l, OpKind::Mult);
  c.genes[l.bits_gene(0)] = 0;      // mult level 0: 4 bits
  c.genes[l.sparsity_gene(0)] = 2;  // 0.75
  quant::QatNet sub = sn->subnet(c);
  const mapper::Network& net = sub->network();
  const int i = net.index_of("b0_expand");
  ASSERT_GE(i, 0);
  EXPECT_EQ(net.layers[i].weight_bits, 4u);
  EXPECT_DOUBLE_EQ(net.layers[i].sparsity, 0.75);
  const int64_t n = static_cast<int64_t>(net.layers[i].weight_count());  // 16 x 48
  EXPECT_EQ(sub->zero_weights(static_cast<size_t>(i)),
            static_cast<int64_t>(std::llround(0.75 * n)));
  // The training path prunes the same way: its override weight has the zeros.
  const supernet::Path p = sn->path(c);
  EXPECT_EQ(p.ov[i].weight.eq(0).sum().item<int64_t>(), std::llround(0.75 * n));
  // A dense block of the same candidate keeps every weight.
  const int j = net.index_of("b1_expand");
  ASSERT_GE(j, 0);
  EXPECT_EQ(sub->zero_weights(static_cast<size_t>(j)), 0);
}

TEST(Prune, BadSparsityOrBitsInTheNetworkFailAtTheirLine) {
  std::string text = kSparse;
  text.replace(text.find("sparsity: 0.75"), 14, "sparsity: 1.0");
  std::ostringstream log;
  auto error_of = [&](const std::string& t) -> std::string {
    try {
      train::train(t, "bad.yaml", tmp("badnet"), options(), log);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  // c2 is on line 7 of the text (it starts with a newline).
  std::string e = error_of(text);
  EXPECT_NE(e.find("bad.yaml:7:"), std::string::npos) << e;
  EXPECT_NE(e.find("field 'layers[1].sparsity'"), std::string::npos) << e;
  EXPECT_NE(e.find("0 <= sparsity < 1"), std::string::npos) << e;
  text = kSparse;
  text.replace(text.find("weight_bits: 5"), 14, "weight_bits: 8");  // shift: 2..6
  e = error_of(text);
  EXPECT_NE(e.find("bad.yaml:9:"), std::string::npos) << e;
  EXPECT_NE(e.find("field 'layers[3].weight_bits'"), std::string::npos) << e;
}
