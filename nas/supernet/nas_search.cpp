#include "nas/supernet/nas_search.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <filesystem>
#include <ostream>

#include "common/errors.hpp"
#include "nas/search/cost_table.hpp"
#include "nas/supernet/accuracy.hpp"
#include "nas/supernet/differentiable.hpp"
#include "nas/train/trainer.hpp"

namespace savp::nas::supernet {

namespace fs = std::filesystem;

NasSearchSummary run_nas_search(const std::string& spec_path, const NasSearchOptions& o,
                                std::ostream& log) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.out_dir.empty()) throw Error("nas search: --out DIR is required");
  search::SearchSpace space = search::load_search_space(spec_path);
  search::apply_overrides(space, o.max_weight_bytes, o.no_compression);
  if (o.quick) {
    space.search.population = std::min<uint32_t>(space.search.population, 8);
    space.search.generations = std::min<uint32_t>(space.search.generations, 3);
    // Batches of at most 32: kQuickTrainImages give 16 SGD steps per phase (4 at the spec's 128).
    space.training.batch_size = std::min<uint32_t>(space.training.batch_size, 32);
  }
  const std::string sn_dir = (fs::path(o.out_dir) / "supernet").string();
  const bool existing = fs::exists(fs::path(sn_dir) / "supernet.pt") ||
                        fs::exists(fs::path(o.out_dir) / "checkpoint.json");
  if (existing && !o.resume)
    throw Error(
        fmt::format("{} already holds a search (supernet/supernet.pt or checkpoint.json); "
                    "pass --resume to continue it, or choose another --out",
                    o.out_dir));
  const std::string dir = o.data_dir.empty() ? data::default_dir() : o.data_dir;
  const size_t n_train = o.train_images ? o.train_images : (o.quick ? kQuickTrainImages : 0);
  const size_t n_val =
      o.val_images ? o.val_images : (o.quick ? kQuickValImages : space.training.validation_images);
  const data::Dataset train_set = data::head(data::load_split(data::Split::Train, dir), n_train);
  const data::Dataset val_set = data::head(data::load_split(data::Split::Val, dir), n_val);
  check_fits_dataset(space, train_set);
  const int threads = train::set_threads(o.threads);
  log << fmt::format(
      "nas search {}: {} blocks, 10^{:.1f} candidates, mode {}; {} training / {} "
      "validation images, {} thread(s)\n",
      space.name, space.blocks(), search::Layout(space).log10_size(),
      search::to_string(space.search.mode), train_set.size(), val_set.size(), threads);
  if (space.search.max_weight_bytes > 0 || o.no_compression)
    log << fmt::format("weight budget {}; weight bits mult {} shift {} adder {}; sparsity {}\n",
                       space.search.max_weight_bytes > 0
                           ? fmt::format("{:.0f} B", space.search.max_weight_bytes)
                           : std::string("none"),
                       fmt::join(space.weight_bits[0], "/"), fmt::join(space.weight_bits[1], "/"),
                       fmt::join(space.weight_bits[2], "/"), fmt::join(space.sparsity, "/"));

  NasSearchSummary sum;
  Supernet net(space, space.search.seed);
  PretrainOptions po;
  po.seed = space.search.seed;
  po.epoch_scale = o.quick ? 0.0 : 1.0;  // quick: every phase one epoch
  po.stop_after = o.stop_after_epochs;
  sum.pretrain = pretrain(net, train_set, sn_dir, po, log);
  if (sum.pretrain.epochs_done < sum.pretrain.epochs) {
    sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return sum;
  }

  const search::Layout& layout = net->layout();
  SupernetAccuracy acc(net, train_set, val_set, "supernet:" + sn_dir + "/supernet.pt");
  search::PlatformEvaluator evaluator(search::evaluator_options(space, o.out_dir));
  if (space.search.mode != search::SearchMode::Differentiable) {
    search::SearchOptions so;
    so.out_dir = o.out_dir;
    so.resume = o.resume;
    so.on_generation = [&](uint32_t g, const std::vector<search::Evaluated>& pop) {
      double best = 0;
      for (const auto& e : pop) best = std::max(best, e.accuracy);
      log << fmt::format(
                 "generation {}: {} candidates, best accuracy {:.2f}%, {} platform calls, "
                 "{} cache hits\n",
                 g, pop.size(), 100 * best, evaluator.platform_calls(), evaluator.cache_hits())
          << std::flush;
    };
    sum.result = search::run_search(space, acc, evaluator, so);
  } else {
    const std::string table_path = (fs::path(o.out_dir) / "cost_table.json").string();
    search::CostTable table;
    if (fs::exists(table_path)) {
      table = search::load_cost_table(table_path, layout);
    } else {
      table = search::measure_cost_table(
          layout, evaluator,
          search::decode_hardware(layout, search::baseline_candidate(layout, space.ops[0])));
      search::save_cost_table(table, table_path);
    }
    DifferentiableOptions dopt;
    dopt.epochs = o.quick ? 1 : static_cast<int>(std::max<uint32_t>(1, space.search.generations));
    dopt.seed = space.search.seed;
    const auto t_s = std::chrono::steady_clock::now();
    const uint64_t calls0 = evaluator.platform_calls(), hits0 = evaluator.cache_hits();
    const DifferentiableResult dr = run_differentiable(net, table, train_set, val_set, dopt, log);
    search::SearchResult& r = sum.result;
    r.accuracy_provider = acc.name();
    r.archive = search::evaluate_candidates(layout, acc, evaluator, dr.derived);
    r.population = r.archive;
    std::vector<search::Candidate> bc;
    for (OpKind k : space.baselines.ops) bc.push_back(search::baseline_candidate(layout, k));
    r.baselines = search::evaluate_candidates(layout, acc, evaluator, bc);
    for (size_t i = 0; i < r.baselines.size(); ++i)
      r.baselines[i].label = std::string("all-") + to_string(space.baselines.ops[i]);
    r.front = search::pareto_front(r.archive);
    r.best = search::choose_best(r.front, space.search);
    r.generations = static_cast<uint32_t>(dopt.epochs);
    r.platform_calls = evaluator.platform_calls() - calls0;
    r.cache_hits = evaluator.cache_hits() - hits0;
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_s).count();
    evaluator.save();
  }
  search::write_search_outputs(o.out_dir, layout, sum.result);
  sum.finished = true;
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace savp::nas::supernet
