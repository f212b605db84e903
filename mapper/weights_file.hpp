// The weights file (issue 3, "Code generation: the firmware image with weights from a file"):
// a network's integer parameters (mapper::LayerParams) stored per layer, keyed by layer name, so
// `savp map` can save the parameters it used and `savp run --weights` / `savp map --weights`
// can reuse them, and so another program (the LibTorch NAS export) can hand trained weights to
// the platform.
//
// The byte layout (version 1, little-endian, magic "SAVPWTS\0", CRC-32 trailer) is documented
// in configs/nets/README.md ("Weights files"); serialize_weights / deserialize_weights are its
// only implementation. One record per layer that has parameters (conv, linear, avgpool,
// global_avgpool, add), in any order; maxpool and flatten have none and get no record.
//
// Reading checks the file itself (magic, version, sizes, truncation, checksum, reserved and
// padding bytes) and then the records against the network: every record names a layer of the
// network that has parameters, at most once; its layer type, operator kind, weight bits and
// activation bits are the network's; its weight and bias counts are the layer's; every weight
// is a valid value for its kind and bits (common/arith.hpp: mult / adder in the signed range,
// shift a valid sign + exponent byte); multipliers and shift in the requantization's range; and
// no layer with parameters lacks a record. Every failure is a savp::Error naming the file, the
// byte offset or record, and what is wrong.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mapper/network.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::mapper {

inline constexpr char kWeightsMagic[8] = {'S', 'A', 'V', 'P', 'W', 'T', 'S', '\0'};
inline constexpr uint32_t kWeightsVersion = 1;
inline constexpr uint32_t kWeightsHeaderBytes = 32;
inline constexpr uint32_t kWeightsRecordHeaderBytes = 32;
inline constexpr uint32_t kWeightsTrailerBytes = 8;
inline constexpr size_t kMaxWeightsNameBytes = 255;

// Whether `layer` carries parameters, i.e. gets a record in a weights file.
bool has_params(const Layer& layer);

// The file's bytes for q (q.params must fit q.net: check_params; throws savp::Error otherwise).
std::vector<uint8_t> serialize_weights(const QuantizedNetwork& q);

// Parses `data` and checks it against `net` (rules above); returns the network with those
// parameters. `origin` names the file in messages.
QuantizedNetwork deserialize_weights(const Network& net, const uint8_t* data, size_t size,
                                     const std::string& origin);

// Writes atomically (a temporary file renamed over `path`); throws savp::Error on I/O failure.
void save_weights(const QuantizedNetwork& q, const std::string& path);
// Reads and checks `path` against `net`.
QuantizedNetwork load_weights(const Network& net, const std::string& path);


}  // namespace savp::mapper
