// Network IR helpers and the one place where a network's semantic rules are checked and its
// shapes inferred (finalize). The YAML loader (network_load.cpp) only checks syntax, keys and
// value types, so a network built in code (the NAS export) passes the same rules.
#include "mapper/network.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "common/arith.hpp"

namespace savp::mapper {

namespace {

std::string num(uint64_t v) { return std::to_string(v); }

std::string list_u32(const std::vector<uint32_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + num(v[i]);
  return s;
}

[[noreturn]] void fail_at(const Layer& l, const std::string& key, const std::string& message,
                          const std::string& allowed = "") {
  FieldSource s = l.source(key);
  throw ConfigError(s.location, s.path, "layer '" + l.name + "': " + message, allowed);
}

// The names a layer may take as input, for messages: the network input and the earlier layers
// (the last few only, so ResNet-50's message stays readable).
std::string earlier_names(const Network& net, size_t i) {
  constexpr size_t kShown = 8;
  std::vector<std::string> names{kInputName};
  if (i > kShown) names.push_back("...");
  for (size_t j = i > kShown ? i - kShown : 0; j < i; ++j) names.push_back(net.layers[j].name);
  std::string s;
  for (size_t j = 0; j < names.size(); ++j) s += (j ? ", " : "") + names[j];
  return s;
}

// Output size of a sliding window along one axis; checks the window against the padded input.
uint32_t window_out(const Layer& l, uint32_t in, uint32_t k, uint32_t s, uint32_t p,
                    const char* axis) {
  if (k == 0) fail_at(l, "kernel", "the kernel must be at least 1", ">= 1");
  if (s == 0) fail_at(l, "stride", "the stride must be at least 1", ">= 1");
  if (p >= k)
    fail_at(l, "padding",
            "padding " + num(p) + " must be smaller than the kernel (" + num(k) + ") along " +
                axis + ", or some windows see only padding",
            "0.." + num(k - 1));
  const uint64_t padded = uint64_t{in} + 2 * uint64_t{p};
  if (k > padded)
    fail_at(l, "kernel",
            "kernel " + num(k) + " is larger than the padded input " + axis + " " + num(padded) +
                " (input " + num(in) + " + 2 * padding " + num(p) + ")",
            "1.." + num(padded));
  return static_cast<uint32_t>((padded - k) / s + 1);
}

}  // namespace

std::string Shape::str() const { return num(h) + "x" + num(w) + "x" + num(c); }

const std::vector<std::string>& layer_type_names() {
  static const std::vector<std::string> names{"conv",           "linear", "maxpool", "avgpool",
                                              "global_avgpool", "add",    "flatten"};
  return names;
}

const char* to_string(LayerType t) { return layer_type_names().at(static_cast<size_t>(t)).c_str(); }

std::vector<uint32_t> supported_weight_bits(OpKind k) {
  // mult / adder: signed int weights of 2, 4 or 8 bits; shift: sign + exponent, 2..6 bits
  // (common/arith.hpp; the widths common/hw_config_load.cpp accepts for chunks).
  if (k == OpKind::Shift) return {2, 3, 4, 5, 6};
  return {2, 4, 8};
}

// ---- Layer ----------------------------------------------------------------------------------

bool Layer::is_depthwise() const {
  return type == LayerType::Conv && groups > 1 && groups == in_shape.c;
}

bool Layer::is_pointwise() const {
  return type == LayerType::Conv && kernel_h == 1 && kernel_w == 1 && stride_h == 1 &&
         stride_w == 1 && pad_h == 0 && pad_w == 0 && groups == 1;
}

uint64_t Layer::weight_count() const {
  switch (type) {
    case LayerType::Conv:
      return uint64_t{kernel_h} * kernel_w * (groups ? in_shape.c / groups : 0) * out_channels;
    case LayerType::Linear:
      return in_shape.elements() * out_channels;
    default:
      return 0;
  }
}

uint64_t Layer::bias_count() const { return has_weights() ? out_channels : 0; }

uint64_t Layer::macs() const {
  switch (type) {
    case LayerType::Conv:
      // Each output element accumulates kh * kw * (in_c / groups) products.
      return uint64_t{out_shape.h} * out_shape.w * weight_count();
    case LayerType::Linear:
      return weight_count();
    default:
      return 0;
  }
}

FieldSource Layer::source(const std::string& key) const {
  for (const auto& f : fields)
    if (f.key == key) return f;
  // "inputs[1]" given as part of "inputs": fall back to the whole field.
  size_t br = key.find('[');
  if (br != std::string::npos) {
    const std::string base = key.substr(0, br);
    for (const auto& f : fields)
      if (f.key == base) return {key, f.path + key.substr(br), f.location};
  }
  // Not given (a default): point at the layer.
  std::string p = path.empty() ? name : path;
  return {key, p.empty() ? key : p + "." + key, location};
}

// ---- Network --------------------------------------------------------------------------------

int Network::index_of(const std::string& n) const {
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].name == n) return static_cast<int>(i);
  return -1;
}

const Layer& Network::layer(const std::string& n) const {
  int i = index_of(n);
  if (i < 0) throw Error("network '" + name + "' has no layer named '" + n + "'");
  return layers[static_cast<size_t>(i)];
}

Shape Network::shape_of(const std::string& n) const {
  if (n == kInputName) return input;
  return layer(n).out_shape;
}

uint64_t Network::macs() const {
  uint64_t s = 0;
  for (const auto& l : layers) s += l.macs();
  return s;
}

uint64_t Network::params() const {
  uint64_t s = 0;
  for (const auto& l : layers) s += l.params();
  return s;
}

uint64_t Network::weight_count() const {
  uint64_t s = 0;
  for (const auto& l : layers) s += l.weight_count();
  return s;
}

// ---- finalize -------------------------------------------------------------------------------

void finalize(Network& net) {
  const SourceLocation net_loc{net.source_file, 0, 0};
  if (net.input.h == 0 || net.input.w == 0 || net.input.c == 0)
    throw ConfigError(net.input_location, "input",
                      "the input shape " + net.input.str() + " has a zero dimension", ">= 1");
  if (net.input_act_bits < arith::kMinBits || net.input_act_bits > arith::kMaxBits)
    throw ConfigError(net.input_location, "input.act_bits",
                      num(net.input_act_bits) + "-bit activations are not supported",
                      num(arith::kMinBits) + ".." + num(arith::kMaxBits));
  if (net.layers.empty())
    throw ConfigError(net_loc, "layers", "a network needs at least one layer");

  std::map<std::string, size_t> index;  // name -> layer index, for the layers seen so far
  std::vector<bool> used(net.layers.size(), false);
  bool input_used = false;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    Layer& l = net.layers[i];
    if (l.path.empty()) l.path = "layers[" + num(i) + "]";

    // Names.
    if (!is_plain_name(l.name))
      fail_at(l, "name", "'" + l.name + "' is not a plain name", "letters, digits, '_', '-', '.'");
    if (l.name == kInputName)
      fail_at(l, "name", "'input' is reserved for the network input", "any other plain name");
    if (auto it = index.find(l.name); it != index.end()) {
      const Layer& first = net.layers[it->second];
      fail_at(l, "name",
              "duplicate layer name '" + l.name + "' (first used by " + first.path +
                  (first.location.line ? " at line " + num(first.location.line) : "") + ")",
              "unique names");
    }

    // Inputs: how many, and that each names the network input or an earlier layer.
    const size_t want = l.type == LayerType::Add ? 2 : 1;
    if (l.inputs.size() != want) {
      const std::string what = std::string(to_string(l.type)) + " layer takes " +
                               (want == 2 ? "two inputs" : "one input") + ", got " +
                               num(l.inputs.size());
      fail_at(l, "inputs", what, want == 2 ? "a list of two layer names" : "one layer name");
    }
    for (size_t j = 0; j < l.inputs.size(); ++j) {
      const std::string& in = l.inputs[j];
      const std::string key = "inputs[" + num(j) + "]";
      if (in == kInputName) {
        input_used = true;
        continue;
      }
      auto it = index.find(in);
      if (it == index.end()) {
        const bool later = net.index_of(in) > static_cast<int>(i);
        fail_at(l, key,
                later ? "input '" + in +
                            "' is a later layer; layers must be listed in "
                            "topological order (inputs before the layers that use them)"
                      : "input '" + in +
                            "' does not connect: it is neither the network input "
                            "nor an earlier layer",
                earlier_names(net, i));
      }
      used[it->second] = true;
    }
    const Shape in = net.shape_of(l.inputs[0]);
    l.in_shape = in;
    // Max pool and flatten pass values through unchanged: their width is their input's.
    if (l.type == LayerType::MaxPool || l.type == LayerType::Flatten)
      l.act_bits = l.inputs[0] == kInputName ? net.input_act_bits : net.layer(l.inputs[0]).act_bits;

    // Bit widths and sparsity (common/arith.hpp formats).
    if (l.act_bits < arith::kMinBits || l.act_bits > arith::kMaxBits)
      fail_at(l, "act_bits", num(l.act_bits) + "-bit activations are not supported",
              num(arith::kMinBits) + ".." + num(arith::kMaxBits));
    if (l.has_weights()) {
      const auto ok = supported_weight_bits(l.op);
      if (std::find(ok.begin(), ok.end(), l.weight_bits) == ok.end())
        fail_at(
            l, "weight_bits",
            num(l.weight_bits) + "-bit weights are not supported by " + to_string(l.op) + " layers",
            list_u32(ok));
      if (!(l.sparsity >= 0.0 && l.sparsity < 1.0)) {
        std::ostringstream os;
        os << l.sparsity;
        fail_at(l, "sparsity", "weight sparsity " + os.str() + " is outside [0, 1)",
                "0 <= sparsity < 1");
      }
      if (l.out_channels == 0)
        fail_at(l, l.type == LayerType::Conv ? "out_channels" : "out_features",
                "a layer needs at least one output", ">= 1");
    }

    // Shapes.
    switch (l.type) {
      case LayerType::Conv: {
        if (l.groups == 0) l.groups = in.c;  // depthwise
        if (in.c % l.groups != 0 || l.out_channels % l.groups != 0)
          fail_at(l, "groups",
                  "groups " + num(l.groups) + " must divide both the input channels (" + num(in.c) +
                      ") and the output channels (" + num(l.out_channels) + ")",
                  "common divisors of " + num(in.c) + " and " + num(l.out_channels));
        l.out_shape.h = window_out(l, in.h, l.kernel_h, l.stride_h, l.pad_h, "height");
        l.out_shape.w = window_out(l, in.w, l.kernel_w, l.stride_w, l.pad_w, "width");
        l.out_shape.c = l.out_channels;
        break;
      }
      case LayerType::MaxPool:
      case LayerType::AvgPool:
        l.out_shape.h = window_out(l, in.h, l.kernel_h, l.stride_h, l.pad_h, "height");
        l.out_shape.w = window_out(l, in.w, l.kernel_w, l.stride_w, l.pad_w, "width");
        l.out_shape.c = in.c;
        break;
      case LayerType::GlobalAvgPool:
        l.out_shape = {1, 1, in.c};
        break;
      case LayerType::Linear:
        // The input is taken flattened (HWC order), whatever its shape.
        l.out_shape = {1, 1, l.out_channels};
        break;
      case LayerType::Flatten:
        if (in.elements() > UINT32_MAX)
          fail_at(l, "inputs", "the flattened input has too many elements", "< 2^32");
        l.out_shape = {1, 1, static_cast<uint32_t>(in.elements())};
        break;
      case LayerType::Add: {
        const Shape b = net.shape_of(l.inputs[1]);
        if (b != in)
          fail_at(l, "inputs",
                  "add of different shapes: '" + l.inputs[0] + "' is " + in.str() + ", '" +
                      l.inputs[1] + "' is " + b.str(),
                  "two inputs of the same shape");
        l.out_shape = in;
        break;
      }
    }
    index.emplace(l.name, i);
  }

  // No dead ends: every layer but the output (the last) feeds a later layer, so the network has
  // exactly one output and nothing is computed for nothing.
  for (size_t i = 0; i + 1 < net.layers.size(); ++i)
    if (!used[i])
      fail_at(net.layers[i], "name",
              "the output of layer '" + net.layers[i].name +
                  "' is not used by any later layer, and only the last layer may be the "
                  "network's output",
              "layers that feed a later layer's inputs");
  if (!input_used)
    throw ConfigError(net.input_location, "input", "no layer takes the network input",
                      "'input' in the first layer's inputs");
}

const char* to_string(WeightStorage w) {
  return weight_storage_names()[static_cast<size_t>(w)].c_str();
}

const std::vector<std::string>& weight_storage_names() {
  static const std::vector<std::string> kNames{"auto", "dense", "packed", "bitmask"};
  return kNames;
}

}  // namespace savp::mapper
