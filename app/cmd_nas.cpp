// savp nas: the LibTorch NAS frontend (issue 4). A parent subcommand whose children register
// like the top-level commands (add_nas_train, add_nas_export, and add_nas_search from
// app/cmd_nas_search.cpp). Compiled only in a -DSAVP_WITH_TORCH=ON build.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "app/cmd_nas_search.hpp"
#include "app/commands.hpp"
#include "common/errors.hpp"
#include "nas/data/fashion_mnist.hpp"
#include "nas/export/export.hpp"
#include "nas/train/trainer.hpp"

namespace savp::app {

namespace {

Action add_nas_train(CLI::App& nas) {
  auto* sub = nas.add_subcommand(
      "train", "Quantization-aware training of a network on Fashion-MNIST (checkpoint per epoch; "
               "a rerun with the same --out resumes)");
  struct Opts {
    std::string net, out;
    bool quick = false;
    nas::train::TrainOptions t;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("net", o->net, "network (configs/nets/*.yaml)")->required();
  sub->add_option("--out", o->out, "output directory (net.yaml, checkpoint.pt, train.json)")
      ->required();
  sub->add_option("--epochs", o->t.epochs, "epochs (default 8; --quick: 2)");
  sub->add_flag("--quick", o->quick, "a 6,000-image subset, 2 epochs, 1,000 validation images");
  sub->add_option("--seed", o->t.seed, "seed of the initial weights and the batch order");
  sub->add_option("--batch-size", o->t.batch_size, "images per step (default 128)");
  sub->add_option("--lr", o->t.lr, "peak learning rate (cosine schedule; default 0.05)");
  sub->add_option("--optimizer", o->t.optimizer, "sgd (momentum 0.9) or adam");
  sub->add_option("--train-limit", o->t.train_limit, "use the first N training images");
  sub->add_option("--threads", o->t.threads, "torch threads (default: every core)");
  sub->add_option("--prune-start", o->t.prune_start,
                  "layers with a sparsity target: magnitude pruning starts at this fraction of "
                  "the training steps (default 0)");
  sub->add_option("--prune-end", o->t.prune_end,
                  "... and reaches the target at this fraction (cubic schedule; default 0.75)");
  sub->add_option("--data", o->t.data_dir,
                  "Fashion-MNIST directory (default $SAVP_FASHION_MNIST_DIR or "
                  "/usr/share/datasets/fashion-mnist)");
  return [o, sub] {
    nas::train::TrainOptions t = o->t;
    if (o->quick) {
      t = nas::train::quick_options(t);
      if (sub->count("--epochs") > 0) t.epochs = o->t.epochs;
      if (sub->count("--train-limit") > 0) t.train_limit = o->t.train_limit;
    }
    std::ifstream f(o->net, std::ios::binary);
    if (!f) throw Error(fmt::format("{}: cannot read the network description", o->net));
    std::stringstream ss;
    ss << f.rdbuf();
    const nas::train::TrainSummary s = nas::train::train(ss.str(), o->net, o->out, t, std::cout);
    std::cout << fmt::format(
        "trained {} epoch(s){}: validation accuracy {:.2f}% (float fake-quantized), {:.0f} s, "
        "{:.0f} images/s\ncheckpoint: {}/checkpoint.pt; export with: savp nas export {} --out "
        "DIR\n",
        s.epochs_done, s.resumed_from > 0 ? fmt::format(" (resumed after {})", s.resumed_from) : "",
        100 * s.val_accuracy, s.seconds, s.images_per_s, o->out, o->out);
    return 0;
  };
}

Action add_nas_export(CLI::App& nas) {
  auto* sub = nas.add_subcommand(
      "export", "Export a trained network: net.yaml, weights.bin and export.json (the LibTorch "
                "integer accuracy on the test set)");
  struct Opts {
    std::string dir, out, data_dir;
    size_t limit = 0;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("dir", o->dir, "a `savp nas train` output directory")->required();
  sub->add_option("--out", o->out, "export directory")->required();
  sub->add_option("--limit", o->limit, "score only the first N test images (default: all 10,000)");
  sub->add_option("--data", o->data_dir, "Fashion-MNIST directory");
  sub->add_option("--threads", o->threads, "torch threads (default: every core)");
  return [o] {
    nas::train::set_threads(o->threads);
    nas::train::Trained t = nas::train::load_trained(o->dir);
    const nas::data::Dataset test = nas::data::head(
        nas::data::load_split(nas::data::Split::Test,
                              o->data_dir.empty() ? nas::data::default_dir() : o->data_dir),
        o->limit);
    const nas::exporting::ExportSummary s = nas::exporting::export_model(
        t.model, t.net_yaml_text, test, o->out,
        fmt::format("{} (epoch {})", std::filesystem::absolute(o->dir).string(), t.epochs));
    std::cout << fmt::format(
        "exported {}: {}/net.yaml, {}/weights.bin, {}/export.json\nLibTorch integer accuracy "
        "{:.2f}% ({} of {} test images; float fake-quantized {:.2f}%)\n",
        t.model->network().name, o->out, o->out, o->out, 100 * s.int_accuracy, s.int_correct,
        s.test_images, 100 * s.float_accuracy);
    std::cout << fmt::format(
        "weights: {} of {} zero ({:.1f}%; export.json lists each layer's)\n", s.zero_weights,
        s.weights, s.weights ? 100.0 * static_cast<double>(s.zero_weights) / s.weights : 0.0);
    return 0;
  };
}

}  // namespace

Action add_nas(CLI::App& app) {
  auto* nas = app.add_subcommand("nas", "The NAS frontend (LibTorch): train, export");
  nas->require_subcommand(1);
  auto cmds = std::make_shared<std::vector<std::pair<CLI::App*, Action>>>();
  using Add = Action (*)(CLI::App&);
  // One line per `savp nas` subcommand.
  for (Add add : {add_nas_train, add_nas_export, add_nas_search}) {
    const size_t before = nas->get_subcommands({}).size();
    Action a = add(*nas);
    cmds->emplace_back(nas->get_subcommands({})[before], std::move(a));
  }
  return [cmds] {
    for (auto& [sub, action] : *cmds)
      if (sub->parsed()) return action();
    return 1;
  };
}

}  // namespace savp::app
