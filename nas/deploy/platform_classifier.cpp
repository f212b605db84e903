#include "nas/deploy/platform_classifier.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "mapper/functional_check.hpp"
#include "mapper/reference_executor.hpp"
#include "platform/platform.hpp"

namespace savp::nas::deploy {

int argmax_first(const std::vector<uint8_t>& v) {
  int best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (static_cast<int8_t>(v[i]) > static_cast<int8_t>(v[static_cast<size_t>(best)]))
      best = static_cast<int>(i);
  return best;
}

ClassifyResult classify_on_platform(const mapper::QuantizedNetwork& q, const HwConfig& hw,
                                    const EnergyTable& et, const data::Dataset& d,
                                    const ClassifyOptions& o,
                                    const std::function<void(size_t)>& progress) {
  const mapper::Network& net = q.net;
  if (net.input.h != d.rows || net.input.w != d.cols || net.input.c != 1)
    throw Error(fmt::format("network '{}' takes {} inputs; the dataset's images are {}x{}x1",
                            net.name, net.input.str(), d.rows, d.cols));
  if (o.batch < 1 || o.batch > mapper::kMaxBatch)
    throw Error(fmt::format("batch {} out of range (allowed: 1..{})", o.batch, mapper::kMaxBatch));
  const int bits = static_cast<int>(net.input_act_bits);
  const std::string out_name = net.output().name;
  Platform platform(hw, et);
  RunOptions ro;
  ro.functional = true;  // the outputs are the point
  ro.image_name = net.name;
  mapper::MapOptions mo;
  mo.objective = o.objective;
  mo.energy = &et;
  ClassifyResult r;
  r.predictions.reserve(d.size());
  for (size_t b0 = 0; b0 < d.size(); b0 += o.batch) {
    const size_t n = std::min<size_t>(o.batch, d.size() - b0);
    std::vector<std::vector<int8_t>> inputs;
    for (size_t k = 0; k < n; ++k) inputs.push_back(data::quantize_image(d, b0 + k, bits));
    mo.batch = static_cast<uint32_t>(n);
    const mapper::MappedNetwork m = mapper::generate(q, hw, inputs, mo);
    const RunResult rr = platform.run(m.image, ro);
    r.cycles += rr.cycles;
    r.latency_us += rr.latency_us;
    r.energy_pj += rr.energy.total_pj;
    r.wall_s += rr.simulator.wall_seconds;
    ++r.firmware_images;
    for (size_t k = 0; k < n; ++k) {
      const std::string key = k == 0 ? out_name : fmt::format("{}#{}", out_name, k);
      auto it = rr.outputs.find(key);
      if (it == rr.outputs.end())
        throw Error(fmt::format("the platform returned no output '{}' for image {}", key, b0 + k));
      const int p = argmax_first(it->second);
      r.predictions.push_back(p);
      r.correct += p == d.labels[b0 + k];
      if (o.functional_check) {
        std::map<std::string, std::vector<uint8_t>> outs;
        for (const mapper::Layer& l : net.layers) {
          auto jt = rr.outputs.find(k == 0 ? l.name : fmt::format("{}#{}", l.name, k));
          if (jt != rr.outputs.end()) outs[l.name] = jt->second;
        }
        const mapper::FunctionalCheck fc =
            mapper::check_outputs(net, mapper::run_reference(q, inputs[k]), outs);
        if (!fc.ok) throw Error(fmt::format("image {}: {}", b0 + k, fc.message));
      }
    }
    if (progress) progress(b0 + n);
  }
  return r;
}

ExportInfo read_export_info(const std::string& path) {
  ExportInfo e;
  e.path = path;
  if (!std::filesystem::exists(path)) return e;
  e.found = true;
  std::ifstream f(path);
  try {
    const nlohmann::json j = nlohmann::json::parse(f);
    e.split = j.at("split").get<std::string>();
    e.images = j.at("test_images").get<size_t>();
    e.int_correct = j.at("int_correct").get<size_t>();
    e.int_accuracy = j.at("int_accuracy").get<double>();
    e.int_predictions = j.at("int_predictions").get<std::vector<int>>();
  } catch (const nlohmann::json::exception& ex) {
    throw Error(fmt::format("{}: not a savp nas export summary ({})", path, ex.what()));
  }
  if (e.int_predictions.size() != e.images)
    throw Error(fmt::format("{}: {} int_predictions for {} test_images", path,
                            e.int_predictions.size(), e.images));
  return e;
}

}  // namespace savp::nas::deploy
