#include "nas/export/export.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "mapper/network.hpp"
#include "mapper/weights_file.hpp"
#include "nas/quant/int_inference.hpp"

namespace savp::nas::exporting {

std::vector<int> int_predictions(const mapper::QuantizedNetwork& q, const data::Dataset& d,
                                 int64_t batch) {
  std::vector<int> pred;
  pred.reserve(d.size());
  for (size_t i = 0; i < d.size(); i += static_cast<size_t>(batch)) {
    const int64_t n = std::min<int64_t>(batch, static_cast<int64_t>(d.size() - i));
    const std::vector<torch::Tensor> outs =
        quant::int_forward(q, quant::input_ints(q.net, d.image(i), n));
    const std::vector<int> p = quant::argmax_first(outs.back());
    pred.insert(pred.end(), p.begin(), p.end());
  }
  return pred;
}

std::vector<int> float_predictions(quant::QatNet& model, const data::Dataset& d, int64_t batch) {
  torch::NoGradGuard ng;
  model->eval();
  std::vector<int> pred;
  pred.reserve(d.size());
  for (size_t i = 0; i < d.size(); i += static_cast<size_t>(batch)) {
    const int64_t n = std::min<int64_t>(batch, static_cast<int64_t>(d.size() - i));
    const torch::Tensor logits =
        model->forward(quant::input_tensor(model->network(), d.image(i), n));
    const torch::Tensor am = logits.argmax(1);
    for (int64_t k = 0; k < n; ++k) pred.push_back(static_cast<int>(am[k].item<int64_t>()));
  }
  return pred;
}

double accuracy(const std::vector<int>& pred, const data::Dataset& d) {
  if (d.size() == 0) return 0;
  size_t ok = 0;
  for (size_t i = 0; i < pred.size() && i < d.size(); ++i) ok += pred[i] == d.labels[i];
  return static_cast<double>(ok) / static_cast<double>(d.size());
}

ExportSummary export_model(quant::QatNet& model, const std::string& net_yaml_text,
                           const data::Dataset& test, const std::string& out_dir,
                           const std::string& source) {
  model->eval();
  mapper::QuantizedNetwork q = model->to_quantized();
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw Error(fmt::format("cannot create '{}': {}", out_dir, ec.message()));
  const std::string net_path = out_dir + "/net.yaml";
  write_file_atomic(net_path, net_yaml_text, "network description");
  // What we wrote must load as the network we quantized (same shapes and layers).
  const mapper::Network loaded = mapper::load_network(net_path);
  if (loaded.layers.size() != q.net.layers.size())
    throw Error(fmt::format("{}: {} layers, the trained network has {}", net_path,
                            loaded.layers.size(), q.net.layers.size()));
  q.net = loaded;
  mapper::save_weights(q, out_dir + "/weights.bin");
  ExportSummary s;
  s.test_images = test.size();
  const std::vector<int> ip = int_predictions(q, test);
  for (size_t i = 0; i < ip.size(); ++i) s.int_correct += ip[i] == test.labels[i];
  s.int_accuracy = accuracy(ip, test);
  s.float_accuracy = accuracy(float_predictions(model, test), test);
  nlohmann::json j;
  j["network"] = q.net.name;
  j["source"] = source;
  j["test_images"] = s.test_images;
  j["int_correct"] = s.int_correct;
  j["int_accuracy"] = s.int_accuracy;
  j["float_accuracy"] = s.float_accuracy;
  j["input_rule"] = "q = (pixel * qmax(input act_bits) + 127) / 255 (nas/data/fashion_mnist.hpp)";
  j["argmax"] = "first maximum";
  j["split"] = "test";
  // The exported integers' zeros per layer (pruned weights, and weights that quantized to 0):
  // what the mapper's compressed formats store (mapper/weight_store.hpp).
  nlohmann::json wl = nlohmann::json::array();
  for (size_t i = 0; i < q.net.layers.size(); ++i) {
    const mapper::Layer& l = q.net.layers[i];
    if (!l.has_weights()) continue;
    const auto& w = q.params[i].weights;
    const auto zeros = static_cast<uint64_t>(std::count(w.begin(), w.end(), int8_t{0}));
    s.weights += w.size();
    s.zero_weights += zeros;
    wl.push_back({{"name", l.name},
                  {"op", to_string(l.op)},
                  {"weight_bits", l.weight_bits},
                  {"count", w.size()},
                  {"zeros", zeros},
                  {"sparsity", w.empty() ? 0.0 : static_cast<double>(zeros) / w.size()},
                  {"sparsity_target", l.sparsity}});
  }
  j["weights"] = wl;
  j["int_predictions"] = ip;  // per test image: savp run --dataset compares image by image
  write_file_atomic(out_dir + "/export.json", j.dump(2) + "\n", "export summary");
  return s;
}

}  // namespace savp::nas::exporting
