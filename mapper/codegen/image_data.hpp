// The data side of a firmware image (mapper/codegen.hpp "DRAM layout"): the segments and
// regions laid out behind the code (addresses relative to the data base until the code size is
// known), every input's and layer's activation regions, a conv / linear layer's weights blocked
// per tile and its biases, and the final relocation into a fw::Image with its output regions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/hw_config.hpp"
#include "firmware/image.hpp"
#include "firmware/isa.hpp"
#include "mapper/network.hpp"

namespace savp::mapper {
struct LayerParams;
struct MappedNetwork;
class WeightStore;
}  // namespace savp::mapper

namespace savp::mapper::codegen {

struct Prepared;

// Segments and reserved regions, 64-byte aligned, addresses relative to the data base.
struct ImageData {
  std::vector<fw::Segment> segments;
  uint64_t end = 0;
  uint64_t reserve(uint64_t bytes);          // an uninitialised region
  uint64_t add(std::vector<uint8_t> bytes);  // a segment with contents
};

// Where every input of the batch and every layer's output live (relative to the data base).
struct ActivationLayout {
  std::vector<uint64_t> in_addr;                // per input of the batch
  std::vector<std::vector<uint64_t>> out_addr;  // [input][layer]; flatten aliases its input
  // The region a layer reads as `name` (an earlier layer's output or the network input).
  uint64_t addr_of(const Network& net, uint32_t b, const std::string& name) const;
};

// Lays out the inputs (with their contents), then every input's output regions.
ActivationLayout place_activations(const Network& net,
                                   const std::vector<std::vector<int8_t>>& inputs, ImageData& data);

// Places a conv / linear layer's weights blocked as its tiles load them (pr.w_at; compressed
// layers: every block its own stream, pr.w_len / pr.wfmt) and its int32 biases (pr.bias_addr).
// Returns the stored weight bytes (the streams when compressed).
uint64_t place_weights(Prepared& pr, const LayerParams& p, const WeightStore& ws, ImageData& data);

// Relocates the code's DRAM addresses and the data behind the code, and fills m.image with the
// code, the segments and every input's output regions ("<layer>" for input 0, "<layer>#b"
// after). Throws savp::Error when the image needs more DRAM than the platform has.
void finish_image(std::vector<isa::Instruction> code, ImageData data, const ActivationLayout& acts,
                  const Network& net, const HwConfig& hw, uint32_t batch, MappedNetwork& m);

}  // namespace savp::mapper::codegen
