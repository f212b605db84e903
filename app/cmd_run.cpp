// savp run: map a network to firmware and simulate it in one step (issue 3).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "explore/layer_spans.hpp"
#include "mapper/codegen.hpp"
#include "mapper/cost_model.hpp"
#include "mapper/functional_check.hpp"
#include "mapper/network.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/reference_executor.hpp"
#include "mapper/weights_file.hpp"
#include "nas/data/fashion_mnist.hpp"
#include "nas/deploy/platform_classifier.hpp"
#include "platform/platform.hpp"
#include "platform/report.hpp"

namespace savp::app {

namespace {

// savp run --dataset: the split classified on one long-lived platform (nas/deploy).
template <class Opts>
int run_dataset(const Opts& o) {
  const nas::data::Split split = nas::data::parse_split(o.dataset);
  if (o.weights.empty())
    throw Error("savp run --dataset needs --weights (a trained network's weights.bin, e.g. from "
                "savp nas export)");
  HwConfig hw = load_hw_config(o.hw);
  EnergyTable et = load_energy_table(hw.energy_table);
  mapper::Network net = mapper::load_network(o.net);
  const nas::data::Dataset d = nas::data::head(
      nas::data::load_split(split, o.data_dir.empty() ? nas::data::default_dir() : o.data_dir),
      o.limit);
  const mapper::QuantizedNetwork q = mapper::load_weights(net, o.weights);
  nas::deploy::ClassifyOptions co;
  co.batch = o.dataset_batch;
  co.objective = mapper::parse_objective(o.objective);
  co.functional_check = o.functional;
  std::cout << fmt::format("classifying {} {} images on {} ({} per firmware image)\n", d.size(),
                           nas::data::to_string(split), hw.name, co.batch);
  const nas::deploy::ClassifyResult r = nas::deploy::classify_on_platform(
      q, hw, et, d, co, [&](size_t done) {
        if (done % 1000 < co.batch || done == d.size())
          std::cerr << fmt::format("  {} / {}\n", done, d.size());
      });
  const double n = static_cast<double>(d.size());
  std::cout << fmt::format(
      "accuracy {:.2f}% ({} of {})\nper image: {:.0f} cycles, {:.3f} us, {:.1f} nJ (pipelined "
      "batches of {}; {} firmware images, {:.1f} s simulated wall time)\n",
      100 * r.accuracy(d.size()), r.correct, d.size(), static_cast<double>(r.cycles) / n,
      r.latency_us / n, r.energy_pj / n / 1000, co.batch, r.firmware_images, r.wall_s);
  if (o.functional)
    std::cout << fmt::format("functional check: every layer of {} images bit-exact\n", d.size());
  // export.json next to the weights: the LibTorch integer predictions of the test split.
  const std::string ej =
      (std::filesystem::path(o.weights).parent_path() / "export.json").string();
  const nas::deploy::ExportInfo e = nas::deploy::read_export_info(ej);
  if (!e.found) return 0;
  if (split != nas::data::Split::Test || e.split != "test" || e.images < d.size()) {
    std::cout << fmt::format("{}: scores the {} test images; not compared with this run\n", ej,
                             e.images);
    return 0;
  }
  size_t differ = 0, first = 0;
  for (size_t i = 0; i < d.size(); ++i)
    if (r.predictions[i] != e.int_predictions[i] && differ++ == 0) first = i;
  size_t int_correct = 0;
  for (size_t i = 0; i < d.size(); ++i) int_correct += e.int_predictions[i] == d.labels[i];
  if (differ == 0) {
    std::cout << fmt::format(
        "equals the LibTorch integer inference ({}): the same class for all {} images, accuracy "
        "{:.2f}% = {:.2f}%\n",
        ej, d.size(), 100 * r.accuracy(d.size()), 100.0 * int_correct / n);
    return 0;
  }
  std::cout << fmt::format(
      "MISMATCH with the LibTorch integer inference ({}): {} of {} images classified differently "
      "(first: image {}, platform {} vs LibTorch {}); accuracy {:.2f}% vs {:.2f}%\n",
      ej, differ, d.size(), first, r.predictions[first], e.int_predictions[first],
      100 * r.accuracy(d.size()), 100.0 * int_correct / n);
  return 1;
}

}  // namespace

Action add_run(CLI::App& app) {
  auto* sub = app.add_subcommand("run", "Map a network to firmware and run it on a platform");
  struct Opts {
    std::string hw, net, report;
    bool functional = false, timing_only = false;
    uint64_t seed = 1;
    uint32_t batch = 1;  // --batch: inputs pipelined over the chunks in one image
    double max_sim_us = 0, max_wall_s = 0;  // --max-sim-us, --max-wall-s
    std::string objective = "latency";  // --objective: what the tiling search minimises
    std::string weights;  // --weights: parameters from a file instead of random ones
    std::string dram_trace;  // --dram-trace: every DRAM request as a DRAMSys .stl trace
    bool no_overlap = false;  // --no-layer-overlap: a plain barrier between layers
    std::string dataset;     // --dataset train|val|test: classify Fashion-MNIST on the platform
    size_t limit = 0;        // --limit: the split's first N images
    std::string data_dir;    // --data
    uint32_t dataset_batch = 32;  // --dataset-batch: images per firmware image
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("--hw", o->hw, "hardware config (configs/hw/*.yaml)")->required();
  sub->add_option("--net", o->net, "network (configs/nets/*.yaml)")->required();
  sub->add_flag("--functional", o->functional,
                "compare every layer's output bit-exact with the reference executor");
  sub->add_flag("--timing-only", o->timing_only, "skip the functional computation in the chunks");
  sub->add_option("--seed", o->seed, "seed of the random weights and input");
  sub->add_option("--batch", o->batch,
                  "run N inputs (seeds seed, seed+1, ...) in one image: layers on different "
                  "chunks run pipelined over the batch (NASA's chunk pipeline)")
      ->check(CLI::Range(1u, mapper::kMaxBatch));
  sub->add_option("--objective", o->objective,
                  "what the tiling search minimises: latency, energy or edp (energy-delay "
                  "product)");
  sub->add_option("--weights", o->weights,
                  "weights file (configs/nets/README.md) instead of random weights; the input "
                  "stays random (--seed)");
  sub->add_option("--report", o->report, "write the JSON report here");
  sub->add_flag("--no-layer-overlap", o->no_overlap,
                "no prefetch of a layer's first loads before the barrier (nor deferred last "
                "stores): a plain barrier between layers");
  sub->add_option("--max-sim-us", o->max_sim_us, "stop after this much simulated time (us)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--max-wall-s", o->max_wall_s,
                  "stop the simulation after this much wall-clock time (s)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--dram-trace", o->dram_trace,
                  "write every DRAM request here as a DRAMSys .stl trace (.rstl: relative "
                  "cycles), in DRAM tCK cycles (traces/README.md)");
  sub->add_option("--dataset", o->dataset,
                  "classify a Fashion-MNIST split (train, val, test) on the platform with the "
                  "--weights network; reports accuracy, latency and energy per image, and whether "
                  "the accuracy equals export.json's LibTorch integer accuracy next to the weights");
  sub->add_option("--limit", o->limit, "--dataset: only the split's first N images");
  sub->add_option("--data", o->data_dir,
                  "--dataset: the Fashion-MNIST directory (default $SAVP_FASHION_MNIST_DIR or "
                  "/usr/share/datasets/fashion-mnist)");
  sub->add_option("--dataset-batch", o->dataset_batch,
                  "--dataset: images per firmware image (chunk pipeline; default 32)")
      ->check(CLI::Range(1u, mapper::kMaxBatch));
  auto trace_opts = add_trace_options(sub);  // --trace, --vcd, ...
  return [o, trace_opts] {
    const TraceOptions trace = trace_opts();
    if (!o->dataset.empty()) return run_dataset(*o);
    if (o->functional && o->timing_only)
      throw Error("savp run: --functional and --timing-only exclude each other");
    const mapper::Objective objective = mapper::parse_objective(o->objective);
    HwConfig hw = load_hw_config(o->hw);
    EnergyTable et = load_energy_table(hw.energy_table);
    mapper::Network net = mapper::load_network(o->net);
    std::vector<std::vector<int8_t>> inputs;
    for (uint32_t b = 0; b < o->batch; ++b) inputs.push_back(mapper::random_input(net, o->seed + b));
    const std::vector<int8_t>& input = inputs[0];
    mapper::QuantizedNetwork q = o->weights.empty() ? mapper::quantize(net, o->seed, input)
                                                    : mapper::load_weights(net, o->weights);
    mapper::MapOptions mo;
    mo.objective = objective;
    mo.energy = &et;
    mo.overlap_layers = !o->no_overlap;
    mapper::MappedNetwork m = mapper::generate(q, hw, inputs, mo);
    std::cout << fmt::format("{:<16} {:<15} {:<6} {:<8} {:>8}  {}\n", "layer", "type", "op",
                             "chunk", "instrs", "tiling (rows x out ch x in ch, loop order)");
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const mapper::Layer& l = net.layers[i];
      const mapper::LayerPlacement& p = m.layers[i];
      const std::string tiling =
          p.tile_rows == 0 ? std::string("-")
                           : fmt::format("{}x{}x{} {}{}", p.tile_rows, p.tile_k, p.tile_c,
                                         mapper::to_string(p.loop_order),
                                         p.double_buffered ? ", double-buffered" : "");
      std::cout << fmt::format("{:<16} {:<15} {:<6} {:<8} {:>8}  {}\n", l.name,
                               mapper::to_string(l.type), l.has_weights() ? to_string(l.op) : "-",
                               p.chunk < 0 ? "-" : hw.chunks[p.chunk].name,
                               p.instr_range.size() == 2 ? p.instr_range[1] - p.instr_range[0] : 0,
                               tiling);
    }
    Platform platform(hw, et);
    RunOptions ro;
    ro.functional = o->functional || (!o->timing_only && hw.simulation.functional);
    ro.image_name = net.name;
    ro.trace = trace;
    ro.max_sim_time_us = o->max_sim_us;
    ro.max_wall_s = o->max_wall_s;
    ro.dram_trace = o->dram_trace;
    const std::vector<mapper::LayerPrediction> pred = mapper::predict(m, q, hw);
    // Interleaved inputs (--batch > 1): no per-layer spans, totals only.
    if (o->batch == 1) {
      ro.layers = explore::layer_spans(net, m, pred);
      ro.layer_weights = explore::layer_weights(net, m);
    }
    RunResult r = platform.run(m.image, ro);
    std::cout << report_text(r);
    if (o->batch > 1)
      std::cout << fmt::format(
          "batch {}: {} cycles, {:.0f} cycles per input (chunk pipeline; per-layer figures need "
          "--batch 1)\n",
          o->batch, r.cycles, static_cast<double>(r.cycles) / o->batch);
    if (!o->report.empty()) {
      write_report(r, o->report);
      std::cout << "report: " << o->report << "\n";
    }
    if (o->functional) {
      for (uint32_t b = 0; b < o->batch; ++b) {
        // Input b's regions are "<layer>#b" (b > 0): checked under the layer names.
        std::map<std::string, std::vector<uint8_t>> outs;
        for (const mapper::Layer& l : net.layers) {
          auto it = r.outputs.find(b == 0 ? l.name : fmt::format("{}#{}", l.name, b));
          if (it != r.outputs.end()) outs[l.name] = it->second;
        }
        const mapper::FunctionalCheck fc =
            mapper::check_outputs(net, mapper::run_reference(q, inputs[b]), outs);
        if (!fc.ok) {
          std::cerr << (o->batch > 1 ? fmt::format("input {}: ", b) : std::string()) << fc.message
                    << "\n";
          return 1;
        }
      }
      std::cout << fmt::format("functional check: {} layers bit-exact{}\n", net.layers.size(),
                               o->batch > 1 ? fmt::format(" for each of {} inputs", o->batch)
                                            : std::string());
    }
    return 0;
  };
}

}  // namespace savp::app
