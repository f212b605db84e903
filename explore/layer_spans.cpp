#include "explore/layer_spans.hpp"

#include <fmt/format.h>

namespace savp::explore {

std::vector<LayerSpan> layer_spans(const mapper::Network& net, const mapper::MappedNetwork& m,
                                   const std::vector<mapper::LayerPrediction>& pred) {
  std::vector<LayerSpan> spans;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const mapper::Layer& l = net.layers[i];
    const mapper::LayerPlacement& p = m.layers[i];
    if (p.chunk < 0 || p.instr_range.size() != 2) continue;  // flatten: no code
    LayerSpan sp;
    sp.name = l.name;
    sp.op = l.has_weights() ? fmt::format("{}/{}", mapper::to_string(l.type), to_string(l.op))
                            : std::string(mapper::to_string(l.type));
    sp.first = p.instr_range[0];
    sp.last = p.instr_range[1];
    sp.predicted_cycles = pred[i].predicted_cycles;
    sp.roofline_cycles = pred[i].roofline_cycles;
    spans.push_back(sp);
  }
  return spans;
}

std::vector<LayerWeights> layer_weights(const mapper::Network& net,
                                        const mapper::MappedNetwork& m) {
  std::vector<LayerWeights> out;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const mapper::LayerPlacement& p = m.layers[i];
    if (p.chunk < 0 || p.instr_range.size() != 2) continue;  // as layer_spans()
    out.push_back(LayerWeights{p.weight_format, p.weight_bytes_raw, p.weight_bytes_stored});
  }
  return out;
}

}  // namespace savp::explore
