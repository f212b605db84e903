// The network IR (issue 3, "Network description"): plain data that the mapper, the cost model,
// the reference executor and the NAS export share. Loaded and validated in one place
// (network_load.cpp reads configs/nets/*.yaml; network.cpp resolves inputs, infers shapes and
// checks every semantic rule), so a Network that exists is a valid one. The YAML schema is
// documented in configs/nets/README.md.
//
// Conventions (common/arith.hpp): activations are int8 HWC, one byte per element; mult / adder
// weights are signed ints of weight_bits, shift weights sign + exponent bytes; every conv and
// linear layer has one int32 bias per output channel (the accumulator's initial value, which
// also carries a folded batch norm's shift).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "common/hw_config.hpp"

namespace savp::mapper {

// An activation tensor's shape, stored HWC. Vectors (after flatten / linear) are {1, 1, n}.
struct Shape {
  uint32_t h = 0;
  uint32_t w = 0;
  uint32_t c = 0;
  uint64_t elements() const { return uint64_t{h} * w * c; }
  bool operator==(const Shape& o) const { return h == o.h && w == o.w && c == o.c; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "28x28x1" (h x w x c)
};

enum class LayerType : uint8_t { Conv, Linear, MaxPool, AvgPool, GlobalAvgPool, Add, Flatten };
const char* to_string(LayerType t);  // the YAML names: "conv", "linear", "maxpool", ...
// All layer type names in enum order (for messages and the loader).
const std::vector<std::string>& layer_type_names();

// The name by which layers refer to the network's input.
inline constexpr const char* kInputName = "input";

// Where one field of a layer was given: its dotted field path and file position. A field that a
// layer inherits from `defaults` points at the defaults entry.
struct FieldSource {
  std::string key;   // the layer key, e.g. "kernel"
  std::string path;  // e.g. "layers[3].kernel" or "defaults.weight_bits"
  SourceLocation location;
};

// How a conv / linear layer's weights are stored in the firmware image (issue 8;
// firmware/weight_stream.hpp): chosen by the mapper (auto: the smallest true size the chunk's
// decompressor supports) or forced by the network description's `weight_format`.
enum class WeightStorage : uint8_t { Auto = 0, Dense = 1, Packed = 2, Bitmask = 3 };
const char* to_string(WeightStorage w);  // "auto", "dense", "packed", "bitmask"
const std::vector<std::string>& weight_storage_names();  // in enum order

struct Layer {
  std::string name;
  LayerType type = LayerType::Conv;
  OpKind op = OpKind::Mult;         // conv and linear only (the chunk kind that runs it)
  std::vector<std::string> inputs;  // layer names in order; kInputName is the network input
  uint32_t out_channels = 0;        // conv: output channels; linear: output features
  uint32_t kernel_h = 1, kernel_w = 1;
  uint32_t stride_h = 1, stride_w = 1;
  uint32_t pad_h = 0, pad_w = 0;  // zero padding on each side
  // conv only; groups == in channels is depthwise. 0 asks finalize() for depthwise (it sets
  // groups to the input channels), which is what YAML's `groups: depthwise` gives.
  uint32_t groups = 1;
  bool relu = false;         // fused ReLU on the output
  bool batch_norm = false;   // a batch norm folded into the requantization and bias
  uint32_t weight_bits = 8;  // conv and linear only
  uint32_t act_bits = 8;     // this layer's output activations (maxpool and flatten:
                             // set by finalize() to their input's, they don't requantize)
  double sparsity = 0.0;     // fraction of zero weights, in [0, 1)
  WeightStorage weight_format = WeightStorage::Auto;  // conv and linear only

  // Computed by finalize(): the shapes of inputs[0] (and of every input; add has two equal
  // ones) and of the output.
  Shape in_shape;
  Shape out_shape;

  // Where the layer came from: its map in the YAML, its field path ("layers[3]") and the
  // fields given (or inherited from defaults). Empty for layers built in code.
  SourceLocation location;
  std::string path;
  std::vector<FieldSource> fields;

  bool has_weights() const { return type == LayerType::Conv || type == LayerType::Linear; }
  bool is_depthwise() const;  // grouped conv with one input channel per group
  bool is_pointwise() const;  // 1x1 conv, stride 1, no padding, groups 1
  // Multiply-accumulates (or shift- / adder-accumulates) of one inference, dense: sparsity does
  // not reduce it. 0 for pooling, add and flatten.
  uint64_t macs() const;
  uint64_t weight_count() const;  // kh * kw * (in_c / groups) * out_c, or in_features * out
  uint64_t bias_count() const;    // out channels for conv / linear, else 0
  uint64_t params() const { return weight_count() + bias_count(); }
  // Where `key` was given (the layer's own location if it was not), and its field path.
  FieldSource source(const std::string& key) const;
};

struct Network {
  std::string name;
  std::string description;
  std::string source_file;  // where it was loaded from (empty if built in code)
  Shape input;
  uint32_t input_act_bits = 8;
  SourceLocation input_location;
  std::vector<Layer> layers;  // in topological order; the last one is the output

  // The layer called `name`; throws savp::Error if there is none.
  const Layer& layer(const std::string& name) const;
  int index_of(const std::string& name) const;  // -1 if none
  const Layer& output() const { return layers.back(); }
  // The shape a layer input name refers to (kInputName: the network input).
  Shape shape_of(const std::string& name) const;

  uint64_t macs() const;    // sum over layers
  uint64_t params() const;  // weights + biases over layers
  uint64_t weight_count() const;
};

// Resolves and checks a network whose layer fields are set (by the loader or by code), and
// computes every layer's in_shape / out_shape. Throws ConfigError naming the file, line,
// column and field of the first problem, and what is allowed. The rules (configs/nets/README.md):
// unique plain names; inputs name the network input or an earlier layer (so the order is
// topological); input counts per type; shape rules; bit widths and sparsity the arithmetic
// supports; every layer but the last feeds a later layer (no dead layers).
void finalize(Network& net);

// Loads configs/nets/*.yaml (or YAML text) into a finalized Network.
Network load_network(const std::string& path);
Network parse_network(const std::string& yaml_text, const std::string& origin);

// Weight widths the arithmetic supports per operator kind (common/arith.hpp formats; the same
// lists the hardware config accepts for chunks).
std::vector<uint32_t> supported_weight_bits(OpKind k);

}  // namespace savp::mapper
