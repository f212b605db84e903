// nas/supernet: shapes, weight sharing (channels across expansions, one tensor across operator
// kinds with gradients from each), the piecewise-linear maps' Laplacian pull, a sampled subnet
// equal to the standalone QatNet with the inherited weights (and exporting through part A),
// progressive pretraining (frozen kinds stay frozen; kill and resume = uninterrupted; corrupt
// checkpoints), the differentiable mode's hardware pull, and the whole search end to end.
#include "nas/supernet/supernet.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/errors.hpp"
#include "mapper/reference_executor.hpp"
#include "nas/export/export.hpp"
#include "nas/quant/int_inference.hpp"
#include "nas/search/cost_table.hpp"
#include "nas/supernet/differentiable.hpp"
#include "nas/supernet/nas_search.hpp"
#include "nas/supernet/pretrain.hpp"
#include "nas/train/trainer.hpp"

using namespace savp;
using namespace savp::nas;
namespace fs = std::filesystem;

namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

search::SearchSpace smoke() { return search::load_search_space(kSrc + "/configs/nas/smoke.yaml"); }

bool have_dataset() {
  return fs::exists(std::string(data::kDefaultDir) + "/train-images-idx3-ubyte.gz");
}

// The candidate whose blocks all take the choice (op, kernel 3, expansion e).
search::Candidate all_of(const search::Layout& l, OpKind op, uint32_t e) {
  search::Candidate c;
  c.genes.assign(l.genes().size(), 0);
  for (const auto& b : l.blocks()) {
    const auto& ch = l.block_choices(b.index);
    for (uint32_t j = 0; j < ch.size(); ++j)
      if (!ch[j].skip && ch[j].op == op && ch[j].expansion == e)
        c.genes[static_cast<size_t>(l.op_gene(b.index))] = j;
  }
  return c;
}

std::string tmpdir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("savp_supernet_" + name);
  fs::remove_all(d);
  return d.string();
}

}  // namespace

TEST(Supernet, SharedTensorShapesAndPathShapes) {
  const search::SearchSpace s = smoke();
  supernet::Supernet net(s, 1);
  // Block 0: 8 -> 8 channels, e_max 2, k_max 3: expand [16, 8, 1, 1], dw [16, 1, 3, 3],
  // project [8, 16, 1, 1].
  EXPECT_EQ(net->shared(0, "expand").sizes(), (std::vector<int64_t>{16, 8, 1, 1}));
  EXPECT_EQ(net->shared(0, "dw").sizes(), (std::vector<int64_t>{16, 1, 3, 3}));
  EXPECT_EQ(net->shared(1, "project").sizes(), (std::vector<int64_t>{8, 16, 1, 1}));
  const torch::Tensor x = torch::rand({3, 1, 28, 28});
  for (OpKind k : {OpKind::Mult, OpKind::Shift, OpKind::Adder})
    for (uint32_t e : {1u, 2u}) {
      const auto c = all_of(net->layout(), k, e);
      EXPECT_EQ(net->forward(x, c).sizes(), (std::vector<int64_t>{3, 10}));
      // Expansion e uses the first 8 * e hidden channels of the shared tensors.
      const supernet::Path p = net->path(c);
      const int i = p.net.index_of("b0_dw");
      EXPECT_EQ(p.ov[static_cast<size_t>(i)].weight.size(0), 8 * e);
    }
}

TEST(Supernet, ChannelSharingSlicesOneTensor) {
  const search::SearchSpace s = smoke();
  supernet::Supernet net(s, 1);
  const auto c1 = all_of(net->layout(), OpKind::Mult, 1),
             c2 = all_of(net->layout(), OpKind::Mult, 2);
  quant::QatNet a = net->subnet(c1), b = net->subnet(c2);
  auto pa = a->named_parameters(), pb = b->named_parameters();
  const int da = a->network().index_of("b0_dw"), db = b->network().index_of("b0_dw");
  const torch::Tensor wa = pa[fmt::format("l{}_weight", da)],
                      wb = pb[fmt::format("l{}_weight", db)];
  // Expansion 1's depthwise weights are expansion 2's first 8 rows: one tensor.
  EXPECT_TRUE(torch::equal(wa, wb.slice(0, 0, 8)));
  EXPECT_FALSE(torch::equal(wb.slice(0, 0, 8), wb.slice(0, 8, 16)));
}

TEST(Supernet, GradientReachesSharedTensorFromEveryKind) {
  const search::SearchSpace s = smoke();
  supernet::Supernet net(s, 1);
  net->train();
  const torch::Tensor x = torch::rand({4, 1, 28, 28});
  const torch::Tensor y = torch::tensor({0, 1, 2, 3}, torch::kInt64);
  for (OpKind k : {OpKind::Mult, OpKind::Shift, OpKind::Adder}) {
    net->zero_grad();
    torch::nn::functional::cross_entropy(net->forward(x, all_of(net->layout(), k, 2)), y)
        .backward();
    const torch::Tensor g = net->shared(0, "dw").grad();
    ASSERT_TRUE(g.defined()) << to_string(k);
    EXPECT_GT(g.abs().sum().item<double>(), 0) << to_string(k);
    if (k != OpKind::Mult) {
      // ... through that kind's map, whose slopes learn too.
      const torch::Tensor gs = net->weight_map(0, "dw", k)->parameters()[0].grad();
      ASSERT_TRUE(gs.defined());
      EXPECT_GT(gs.abs().sum().item<double>(), 0);
    } else {
      // A mult path leaves the maps without gradient.
      const torch::Tensor gs = net->weight_map(0, "dw", OpKind::Adder)->parameters()[0].grad();
      EXPECT_TRUE(!gs.defined() || gs.abs().sum().item<double>() == 0);
    }
  }
}

TEST(Supernet, MapLearnsLaplacianShape) {
  torch::manual_seed(5);
  const torch::Tensor w = torch::randn({4096}) * 0.05;  // Gaussian shared weights
  supernet::PiecewiseLinearMap m;
  const double kl0 = supernet::laplace_kl(m->forward(w)).item<double>();
  // The identity at initialisation.
  EXPECT_TRUE(torch::allclose(m->forward(w), w, 1e-5, 1e-7));
  torch::optim::Adam opt(m->parameters(), torch::optim::AdamOptions(0.05));
  for (int i = 0; i < 150; ++i) {
    opt.zero_grad();
    const torch::Tensor kl = supernet::laplace_kl(m->forward(w));
    kl.backward();
    opt.step();
  }
  const torch::Tensor mw = m->forward(w).detach();
  const double kl1 = supernet::laplace_kl(mw).item<double>();
  EXPECT_LT(kl1, 0.3 * kl0);
  // Gaussian excess kurtosis ~0, Laplacian 3: the mapped weights moved most of the way.
  EXPECT_LT(std::abs(supernet::excess_kurtosis(w)), 0.3);
  EXPECT_GT(supernet::excess_kurtosis(mw), 1.5);
  // Odd and monotone: the order of the weights is kept.
  const torch::Tensor order_w = std::get<1>(w.sort()), order_m = std::get<1>(mw.sort());
  EXPECT_TRUE(torch::equal(order_w, order_m));
}

TEST(Supernet, SubnetEqualsStandaloneNetworkWithInheritedWeights) {
  const search::SearchSpace s = smoke();
  supernet::Supernet net(s, 2);
  net->train();
  uint64_t st = 11;
  const torch::Tensor x = torch::rand({6, 1, 28, 28});
  for (int t = 0; t < 4; ++t) {
    const search::Candidate c = supernet::sample_candidate(net->layout(), {}, st);
    const torch::Tensor a = net->forward(x, c);
    quant::QatNet sub = net->subnet(c);  // built from decode_network(c), weights copied
    EXPECT_EQ(sub->network().name, search::decode_network(net->layout(), c).name);
    sub->train();
    const torch::Tensor b = sub->forward(x);
    EXPECT_TRUE(torch::equal(a.detach(), b.detach())) << c.str();
  }
}

TEST(Supernet, SampledSubnetExportsBitExact) {
  if (!have_dataset()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const search::SearchSpace s = smoke();
  supernet::Supernet net(s, 2);
  const data::Dataset d = data::head(data::load_split(data::Split::Train), 128);
  const search::Candidate c = all_of(net->layout(), OpKind::Adder, 2);
  quant::QatNet sub = net->subnet(c);
  supernet::recalibrate(sub, d, 64, 2);
  const mapper::QuantizedNetwork q = sub->to_quantized();
  const torch::Tensor in = quant::input_ints(q.net, d.image(0), 4);
  const auto outs = quant::int_forward(q, in);
  for (int64_t n = 0; n < 4; ++n) {
    std::vector<int8_t> img(in[n].permute({1, 2, 0}).contiguous().numel());
    const torch::Tensor hwc = in[n].permute({1, 2, 0}).contiguous();
    for (size_t i = 0; i < img.size(); ++i)
      img[i] = static_cast<int8_t>(hwc.data_ptr<int64_t>()[i]);
    const auto ref = mapper::run_reference(q, img);
    EXPECT_EQ(quant::sample_hwc(outs.back(), n), ref.back()) << "image " << n;
  }
}

TEST(Supernet, ProgressivePretrainingFreezesAndResumesExactly) {
  if (!have_dataset()) GTEST_SKIP() << "Fashion-MNIST not installed";
  at::set_num_threads(1);
  const search::SearchSpace s = smoke();
  const data::Dataset d = data::head(data::load_split(data::Split::Train), 192);
  std::ostringstream log;
  supernet::PretrainOptions o;
  // Uninterrupted, phase by phase: after phase 1 (mult + shift) the adder maps are untouched;
  // phase 2 (adder, mult + shift frozen) leaves the shared tensors as they were.
  const std::string full = tmpdir("full");
  supernet::Supernet a(s, 4);
  const torch::Tensor w0 = a->shared(1, "dw").clone();
  const torch::Tensor m0 = a->weight_map(1, "dw", OpKind::Adder)->parameters()[0].clone();
  o.stop_after = 1;
  supernet::pretrain(a, d, full, o, log);
  const torch::Tensor w1 = a->shared(1, "dw").clone();
  EXPECT_FALSE(torch::equal(w0, w1));
  EXPECT_TRUE(torch::equal(m0, a->weight_map(1, "dw", OpKind::Adder)->parameters()[0]));
  supernet::pretrain(a, d, full, o, log);  // resumes: phase 2
  EXPECT_TRUE(torch::equal(w1, a->shared(1, "dw")));
  EXPECT_FALSE(torch::equal(m0, a->weight_map(1, "dw", OpKind::Adder)->parameters()[0]));
  o.stop_after = 0;
  const auto sa = supernet::pretrain(a, d, full, o, log);
  EXPECT_EQ(sa.epochs_done, 3);
  EXPECT_EQ(sa.resumed_from, 2);
  // Versus a run without interruption: identical parameters.
  const std::string one = tmpdir("one");
  supernet::Supernet b(s, 4);
  supernet::pretrain(b, d, one, o, log);
  auto pa = a->named_parameters(), pb = b->named_parameters();
  for (const auto& kv : pb) EXPECT_TRUE(torch::equal(kv.value(), pa[kv.key()])) << kv.key();
  // A fresh supernet resumed from the finished checkpoint does nothing more.
  supernet::Supernet c(s, 99);
  const auto sc = supernet::pretrain(c, d, one, o, log);
  EXPECT_EQ(sc.resumed_from, 3);
  EXPECT_TRUE(torch::equal(c->shared(0, "expand"), b->shared(0, "expand")));
  // Corrupt and foreign checkpoints.
  { std::ofstream(one + "/supernet.pt", std::ios::binary | std::ios::trunc) << "not a zip"; }
  supernet::Supernet e(s, 4);
  try {
    supernet::pretrain(e, d, one, o, log);
    FAIL() << "corrupt checkpoint accepted";
  } catch (const Error& ex) {
    EXPECT_NE(std::string(ex.what()).find("corrupt checkpoint"), std::string::npos) << ex.what();
  }
  o.kl_weight = 0.5;  // other options than the checkpoint's
  try {
    supernet::pretrain(e, d, full, o, log);
    FAIL() << "foreign checkpoint accepted";
  } catch (const Error& ex) {
    EXPECT_NE(std::string(ex.what()).find("another spec or other options"), std::string::npos);
  }
  fs::remove_all(full);
  fs::remove_all(one);
}

TEST(Supernet, DifferentiableModeFollowsTheHardwareCost) {
  if (!have_dataset()) GTEST_SKIP() << "Fashion-MNIST not installed";
  search::SearchSpace s = smoke();
  s.search.hw_loss_weight = 50;  // the cost dominates: the derived network must get cheaper
  supernet::Supernet net(s, 1);
  const data::Dataset tr = data::head(data::load_split(data::Split::Train), 256);
  const data::Dataset va = data::head(data::load_split(data::Split::Val), 128);
  search::PlatformEvaluator ev(search::evaluator_options(s, ""));
  const auto& l = net->layout();
  const search::CostTable t = search::measure_cost_table(
      l, ev, search::decode_hardware(l, search::baseline_candidate(l, OpKind::Mult)));
  std::ostringstream log;
  supernet::DifferentiableOptions o;
  o.epochs = 2;
  o.arch_lr = 0.2;  // 0.05 moved the expected cost but not yet the argmax after 2 epochs
  const auto r = supernet::run_differentiable(net, t, tr, va, o, log);
  ASSERT_EQ(r.derived.size(), 2u);
  search::Candidate first;
  first.genes.assign(l.genes().size(), 0);
  EXPECT_LT(t.estimate_energy_uj(l, r.derived.back()), t.estimate_energy_uj(l, first));
  // The expected cost (relative to all-first-choice) falls from epoch to epoch.
  EXPECT_LT(r.expected_cost.back(), r.expected_cost.front());
}

TEST(Supernet, SearchEndToEndThenRetrainAndExport) {
  if (!have_dataset()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const std::string out = tmpdir("e2e");
  supernet::NasSearchOptions o;
  o.out_dir = out;
  o.train_images = 384;
  o.val_images = 128;
  o.threads = 2;
  std::ostringstream log;
  // Killed after the first pretraining epoch, then resumed.
  o.stop_after_epochs = 1;
  auto r0 = supernet::run_nas_search(kSrc + "/configs/nas/smoke.yaml", o, log);
  EXPECT_FALSE(r0.finished);
  // Without --resume an existing search is an error.
  o.stop_after_epochs = 0;
  EXPECT_THROW(supernet::run_nas_search(kSrc + "/configs/nas/smoke.yaml", o, log), Error);
  o.resume = true;
  auto r = supernet::run_nas_search(kSrc + "/configs/nas/smoke.yaml", o, log);
  ASSERT_TRUE(r.finished) << log.str();
  EXPECT_EQ(r.pretrain.resumed_from, 1);
  ASSERT_EQ(r.result.baselines.size(), 3u);
  EXPECT_EQ(r.result.baselines[2].label, "all-adder");
  ASSERT_FALSE(r.result.front.empty());
  for (const auto& e : r.result.front) {
    EXPECT_GT(e.accuracy, 0.0);
    EXPECT_GT(e.hw.energy_uj, 0.0);
  }
  for (const char* f : {"pareto.json", "pareto.csv", "best.yaml", "checkpoint.json",
                        "eval_cache.json", "supernet/supernet.pt", "supernet/pretrain.json"})
    EXPECT_TRUE(fs::exists(fs::path(out) / f)) << f;
  std::ifstream csv(out + "/pareto.csv");
  std::stringstream cs;
  cs << csv.rdbuf();
  EXPECT_NE(cs.str().find("all-shift"), std::string::npos);
  // best.yaml retrains (savp nas train) and exports (savp nas export) at library level; the
  // export's integer predictions are the reference executor's (what savp run --dataset checks).
  std::ifstream by(out + "/best.yaml");
  std::stringstream bs;
  bs << by.rdbuf();
  train::TrainOptions to;
  to.epochs = 1;
  to.train_limit = 256;
  to.val_limit = 64;
  to.batch_size = 64;
  to.threads = 2;
  train::train(bs.str(), out + "/best.yaml", out + "/train", to, log);
  train::Trained tr = train::load_trained(out + "/train");
  const data::Dataset test = data::head(data::load_split(data::Split::Test), 16);
  const auto sum = exporting::export_model(tr.model, tr.net_yaml_text, test, out + "/export", "t");
  EXPECT_EQ(sum.test_images, 16u);
  const mapper::QuantizedNetwork q = tr.model->to_quantized();
  const auto pred = exporting::int_predictions(q, test);
  const torch::Tensor in = quant::input_ints(q.net, test.image(0), 16);
  for (int64_t n = 0; n < 16; ++n) {
    const torch::Tensor hwc = in[n].permute({1, 2, 0}).contiguous();
    std::vector<int8_t> img(static_cast<size_t>(hwc.numel()));
    for (size_t i = 0; i < img.size(); ++i)
      img[i] = static_cast<int8_t>(hwc.data_ptr<int64_t>()[i]);
    const auto ref = mapper::run_reference(q, img).back();
    const int am = static_cast<int>(std::max_element(ref.begin(), ref.end()) - ref.begin());
    EXPECT_EQ(am, pred[static_cast<size_t>(n)]) << n;
  }
  fs::remove_all(out);
}

TEST(Supernet, BadInputs) {
  std::ostringstream log;
  supernet::NasSearchOptions o;
  o.out_dir = tmpdir("bad");
  // A space that does not fit the dataset.
  search::SearchSpace s = search::load_search_space(kSrc + "/configs/nas/tiny.yaml");
  if (have_dataset()) {
    const data::Dataset d = data::head(data::load_split(data::Split::Train), 8);
    EXPECT_THROW(supernet::check_fits_dataset(s, d), Error);
  }
  // Missing dataset files: the loader's error names the file.
  o.data_dir = "/nonexistent/fmnist";
  try {
    supernet::run_nas_search(kSrc + "/configs/nas/smoke.yaml", o, log);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/fmnist"), std::string::npos) << e.what();
  }
  // An invalid search space: the loader's file:line:col error.
  EXPECT_THROW(supernet::run_nas_search(kSrc + "/configs/nas/README.md", o, log), Error);
  fs::remove_all(o.out_dir);
}
