#include "mapper/codegen.hpp"

#include <fmt/format.h>

#include "common/errors.hpp"
#include "mapper/codegen/image_data.hpp"
#include "mapper/codegen/layer_prep.hpp"
#include "mapper/codegen/program.hpp"
#include "mapper/fallback.hpp"

// The parts of code generation live in mapper/codegen/: emitter.hpp (instructions and the
// tokens within a step), layer_prep.* (a layer's chunk, tiling, weights, split across chunks),
// image_data.* (the DRAM layout, the weights blocked per tile, relocation and output regions),
// program.hpp with pipeline.cpp (stages of the batch pipeline), step_emit.cpp (a step's loads,
// COMPUTE and STORE) and layer_overlap.cpp (prefetch and deferred stores across a barrier).

namespace savp::mapper {

const char* to_string(Objective o) {
  switch (o) {
    case Objective::Latency:
      return "latency";
    case Objective::Energy:
      return "energy";
    case Objective::Edp:
      return "edp";
  }
  return "?";
}

const char* to_string(LoopOrder o) {
  switch (o) {
    case LoopOrder::KBlockOuter:
      return "kblock-outer";
    case LoopOrder::BandOuter:
      return "band-outer";
    case LoopOrder::WeightsResident:
      return "weights-resident";
  }
  return "?";
}

Objective parse_objective(const std::string& s) {
  for (Objective o : {Objective::Latency, Objective::Energy, Objective::Edp})
    if (s == to_string(o)) return o;
  throw Error("unknown objective '" + s + "' (allowed: latency, energy, edp)");
}

MappedNetwork generate(const QuantizedNetwork& q, const HwConfig& hw,
                       const std::vector<int8_t>& input, const MapOptions& opt) {
  if (opt.batch != 1)
    throw Error(
        fmt::format("map options ask for a batch of {} but one input was given (the "
                    "batch is the number of inputs)",
                    opt.batch));
  return generate(q, hw, std::vector<std::vector<int8_t>>{input}, opt);
}

MappedNetwork generate(const QuantizedNetwork& q, const HwConfig& hw,
                       const std::vector<std::vector<int8_t>>& inputs, const MapOptions& opt_in) {
  // A layer whose kind has no chunk: its config-allowed fallback, or an error naming it.
  if (needs_fallback(q, hw)) return generate(apply_fallbacks(q, hw), hw, inputs, opt_in);
  MapOptions opt = opt_in;
  opt.batch = 1;
  const Network& net = q.net;
  if (q.params.size() != net.layers.size())
    throw Error(fmt::format("network '{}': {} parameter sets for {} layers", net.name,
                            q.params.size(), net.layers.size()));
  if (inputs.empty() || inputs.size() > kMaxBatch)
    throw Error(fmt::format("network '{}': a batch of {} inputs (allowed: 1 to {})", net.name,
                            inputs.size(), kMaxBatch));
  for (size_t b = 0; b < inputs.size(); ++b)
    if (inputs[b].size() != net.input.elements())
      throw Error(fmt::format("network '{}': input {} has {} bytes, expected {} ({})", net.name, b,
                              inputs[b].size(), net.input.elements(), net.input.str()));
  if (hw.chunks.empty()) throw Error(fmt::format("platform '{}' has no chunks", hw.name));
  if (hw.chunks.size() > static_cast<size_t>(isa::kMaxChunks))
    throw Error(fmt::format("platform '{}': more than {} chunks", hw.name, isa::kMaxChunks));
  const uint32_t batch = static_cast<uint32_t>(inputs.size());

  // The energy prices of the tiling search.
  EnergyTable loaded;
  const EnergyTable* table = opt.energy;
  if (!table && opt.objective != Objective::Latency && !hw.energy_table.empty()) {
    loaded = load_energy_table(hw.energy_table);
    table = &loaded;
  }
  if (!table && opt.objective != Objective::Latency)
    throw Error(fmt::format("objective '{}' needs an energy table: platform '{}' names none",
                            to_string(opt.objective), hw.name));

  MappedNetwork m;
  codegen::ImageData data;
  const codegen::ActivationLayout acts = codegen::place_activations(net, inputs, data);
  const size_t n = net.layers.size();
  m.layers.resize(n);

  // Prepare every layer that has code: chunk, tiling, weights in DRAM.
  codegen::PrepContext ctx{&q, &hw, table, &opt, batch};
  std::vector<codegen::Prepared> prep;
  prep.reserve(n);
  for (size_t li = 0; li < n; ++li) {
    const Layer& l = net.layers[li];
    LayerPlacement& pl = m.layers[li];
    pl.layer = l.name;
    pl.out_addr = acts.out_addr[0][li];
    pl.out_bytes = l.out_shape.elements();
    if (l.type == LayerType::Flatten) continue;
    prep.push_back(
        codegen::prepare_layer(ctx, li, prep.empty() ? nullptr : &prep.back(), data, pl));
  }

  codegen::ProgramEmitter prog(q, hw, prep, acts, batch, batch == 1 && opt.overlap_layers);
  prog.emit(m.layers);
  codegen::finish_image(prog.take_code(), std::move(data), acts, net, hw, batch, m);
  return m;
}

}  // namespace savp::mapper
