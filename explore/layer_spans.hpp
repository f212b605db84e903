// The platform's per-layer accounting for a mapped network (RunOptions::layers): one span per
// layer that has code, with its operator label and the cost model's prediction and roofline.
// Here because it needs both mapper/ and platform/ types (platform/ may not depend on mapper/).
#pragma once

#include <vector>

#include "mapper/codegen.hpp"
#include "mapper/cost_model.hpp"
#include "mapper/network.hpp"
#include "platform/platform.hpp"

namespace savp::explore {

// Layers without code (flatten) get no span. `pred` is mapper::predict(m, ...) for `net`.
std::vector<LayerSpan> layer_spans(const mapper::Network& net, const mapper::MappedNetwork& m,
                                   const std::vector<mapper::LayerPrediction>& pred);
// The weight storage of the same spans (RunOptions::layer_weights; issue 8).
std::vector<LayerWeights> layer_weights(const mapper::Network& net,
                                        const mapper::MappedNetwork& m);

}  // namespace savp::explore
