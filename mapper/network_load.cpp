// Loading of configs/nets/*.yaml into the network IR (mapper/network.hpp). This file checks the
// syntax: known keys per layer type, value types and ranges, and fills in defaults, recording
// where each field came from; finalize() (network.cpp) then checks the semantic rules (inputs
// that connect, shapes, bit widths) and reports them at those positions. The schema is
// documented in configs/nets/README.md.
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "common/yaml_util.hpp"
#include "mapper/network.hpp"

namespace savp::mapper {

namespace {

using yaml::Map;
using yaml::Value;

const std::vector<std::string> kOps{"mult", "shift", "adder"};  // OpKind order

// Sanity bounds: larger values are typos, not networks (ResNet-50's widest layer has 2048
// channels and its input is 224 pixels wide).
constexpr uint32_t kMaxDim = 1u << 16;
constexpr uint32_t kMaxChannels = 1u << 20;
constexpr uint32_t kMaxWindow = 1024;

FieldSource source_of(const std::string& key, const Value& v) {
  return {key, v.path(), v.location()};
}

// What `defaults` gives every layer that does not say otherwise.
struct Defaults {
  std::optional<Value> op;
  std::optional<Value> weight_bits;  // a number, or a map by operator kind
  std::optional<Value> act_bits;
  std::optional<Value> relu;
  std::optional<Value> batch_norm;
  std::optional<Value> sparsity;
  std::optional<Value> weight_format;
};

Defaults read_defaults(const Value& v) {
  Map m = v.as_map();
  m.check_keys({"op", "weight_bits", "act_bits", "relu", "batch_norm", "sparsity", "weight_format"});
  Defaults d;
  d.op = m.find("op");
  d.weight_bits = m.find("weight_bits");
  d.act_bits = m.find("act_bits");
  d.relu = m.find("relu");
  d.batch_norm = m.find("batch_norm");
  d.sparsity = m.find("sparsity");
  d.weight_format = m.find("weight_format");
  // Check the values' types now, at their own positions.
  if (d.op) d.op->as_choice(kOps);
  if (d.weight_bits && d.weight_bits->is_map()) {
    Map wm = d.weight_bits->as_map();
    wm.check_keys(kOps);
    for (const auto& e : wm.entries()) e.second.as_uint32(1, 64);
  } else if (d.weight_bits) {
    d.weight_bits->as_uint32(1, 64);
  }
  if (d.act_bits) d.act_bits->as_uint32(1, 64);
  if (d.relu) d.relu->as_bool();
  if (d.batch_norm) d.batch_norm->as_bool();
  if (d.sparsity) d.sparsity->as_double();
  if (d.weight_format) d.weight_format->as_choice(weight_storage_names());
  return d;
}

// A layer's value for `key`: its own, else the default's (nullopt if neither).
std::optional<Value> pick(const Map& m, const std::string& key, const std::optional<Value>& def,
                          Layer& l) {
  if (auto v = m.find(key)) return v;
  if (def) l.fields.push_back(source_of(key, *def));
  return def;
}

// kernel / stride / padding: one number for both axes, or [h, w].
void read_pair(const Value& v, uint32_t lo, uint32_t hi, uint32_t& h, uint32_t& w) {
  if (v.is_sequence()) {
    std::vector<Value> e = v.as_seq();
    if (e.size() != 2) v.fail("expected one number or a pair [h, w]", "n or [h, w]");
    h = e[0].as_uint32(lo, hi);
    w = e[1].as_uint32(lo, hi);
  } else {
    h = w = v.as_uint32(lo, hi);
  }
}

Layer read_layer(const Value& v, const Defaults& d, const std::string& previous) {
  Map m = v.as_map();
  Layer l;
  l.location = v.location();
  l.path = v.path();
  // Record where every given field is, for finalize()'s messages.
  for (const auto& e : m.entries()) l.fields.push_back(source_of(e.first.text(), e.second));

  // The type decides which keys are allowed; check it first so an unknown key is reported
  // against the right list.
  l.type = static_cast<LayerType>(m.at("type").as_choice(layer_type_names()));
  std::vector<std::string> keys{"name", "type", "inputs"};
  switch (l.type) {
    case LayerType::Conv:
      keys.insert(keys.end(), {"op", "out_channels", "kernel", "stride", "padding", "groups",
                               "relu", "batch_norm", "weight_bits", "act_bits", "sparsity",
                               "weight_format"});
      break;
    case LayerType::Linear:
      keys.insert(keys.end(), {"op", "out_features", "relu", "batch_norm", "weight_bits",
                               "act_bits", "sparsity", "weight_format"});
      break;
    case LayerType::MaxPool:
      keys.insert(keys.end(), {"kernel", "stride", "padding"});
      break;
    case LayerType::AvgPool:
      keys.insert(keys.end(), {"kernel", "stride", "padding", "act_bits"});
      break;
    case LayerType::GlobalAvgPool:
      keys.insert(keys.end(), {"act_bits"});
      break;
    case LayerType::Add:
      keys.insert(keys.end(), {"relu", "act_bits"});
      break;
    case LayerType::Flatten:
      break;
  }
  m.check_keys(keys);

  l.name = m.at("name").as_string();

  if (auto in = m.find("inputs")) {
    std::vector<Value> elems = in->is_sequence() ? in->as_seq() : std::vector<Value>{*in};
    for (size_t j = 0; j < elems.size(); ++j) {
      l.inputs.push_back(elems[j].as_string());
      // A single name is reported as `inputs`, a list element as `inputs[j]`.
      FieldSource src = source_of("inputs[" + std::to_string(j) + "]", elems[j]);
      if (!in->is_sequence()) src.path = in->path();
      l.fields.push_back(src);
    }
  } else {
    l.inputs = {previous};
  }

  const bool weights = l.type == LayerType::Conv || l.type == LayerType::Linear;
  if (weights) {
    if (auto op = pick(m, "op", d.op, l)) l.op = static_cast<OpKind>(op->as_choice(kOps));
    if (l.type == LayerType::Conv) {
      l.out_channels = m.at("out_channels").as_uint32(1, kMaxChannels);
    } else {
      l.out_channels = m.at("out_features").as_uint32(1, kMaxChannels);
    }
    // Weight width: the layer's, else defaults' (one number, or per operator kind), else 8 for
    // mult / adder and 4 for shift (the hardware config's chunk defaults).
    l.weight_bits = l.op == OpKind::Shift ? 4 : 8;
    if (auto wb = m.find("weight_bits")) {
      l.weight_bits = wb->as_uint32(1, 64);
    } else if (d.weight_bits && d.weight_bits->is_map()) {
      if (auto k = Map(*d.weight_bits).find(to_string(l.op))) {
        l.weight_bits = k->as_uint32(1, 64);
        l.fields.push_back(source_of("weight_bits", *k));
      }
    } else if (d.weight_bits) {
      l.weight_bits = d.weight_bits->as_uint32(1, 64);
      l.fields.push_back(source_of("weight_bits", *d.weight_bits));
    }
    if (auto sp = pick(m, "sparsity", d.sparsity, l)) l.sparsity = sp->as_double();
    if (auto wf = pick(m, "weight_format", d.weight_format, l))
      l.weight_format = static_cast<WeightStorage>(wf->as_choice(weight_storage_names()));
    if (auto bn = pick(m, "batch_norm", d.batch_norm, l)) l.batch_norm = bn->as_bool();
  }
  if (weights || l.type == LayerType::Add) {
    if (auto r = pick(m, "relu", d.relu, l)) l.relu = r->as_bool();
  }
  if (l.type != LayerType::MaxPool && l.type != LayerType::Flatten) {
    if (auto ab = pick(m, "act_bits", d.act_bits, l)) l.act_bits = ab->as_uint32(1, 64);
  }

  if (l.type == LayerType::Conv || l.type == LayerType::MaxPool || l.type == LayerType::AvgPool) {
    read_pair(m.at("kernel"), 1, kMaxWindow, l.kernel_h, l.kernel_w);
    // Pools default to non-overlapping windows (stride = kernel), convs to stride 1.
    l.stride_h = l.type == LayerType::Conv ? 1 : l.kernel_h;
    l.stride_w = l.type == LayerType::Conv ? 1 : l.kernel_w;
    if (auto s = m.find("stride")) read_pair(*s, 1, kMaxWindow, l.stride_h, l.stride_w);
    if (auto p = m.find("padding")) read_pair(*p, 0, kMaxWindow, l.pad_h, l.pad_w);
  }
  if (auto g = m.find("groups")) {
    if (g->is_scalar() && g->text() == "depthwise") {
      l.groups = 0;  // finalize() sets it to the input channels
    } else if (g->is_scalar() && !g->text().empty() &&
               std::isdigit(static_cast<unsigned char>(g->text()[0]))) {
      l.groups = g->as_uint32(1, kMaxChannels);
    } else {
      g->fail("expected a number of groups or 'depthwise', got " + g->describe(),
              "1.." + std::to_string(kMaxChannels) + ", depthwise");
    }
  }
  return l;
}

Network read_network(const Value& root) {
  Map m = root.as_map();
  m.check_keys({"name", "description", "input", "defaults", "layers"});
  Network net;
  net.source_file = root.file();
  net.name = m.at("name").as_string();
  m.read("description", net.description);

  Value in = m.at("input");
  Map im = in.as_map();
  im.check_keys({"h", "w", "c", "act_bits"});
  net.input_location = in.location();
  net.input.h = im.at("h").as_uint32(1, kMaxDim);
  net.input.w = im.at("w").as_uint32(1, kMaxDim);
  net.input.c = im.at("c").as_uint32(1, kMaxChannels);

  Defaults d;
  if (auto dv = m.find("defaults")) d = read_defaults(*dv);
  if (auto ab = im.find("act_bits")) {
    net.input_act_bits = ab->as_uint32(1, 64);
  } else if (d.act_bits) {
    net.input_act_bits = d.act_bits->as_uint32(1, 64);
  }

  Value layers = m.at("layers");
  std::vector<Value> lv = layers.as_seq();
  if (lv.empty()) layers.fail("a network needs at least one layer", "a non-empty list of layers");
  std::string previous = kInputName;
  for (const Value& v : lv) {
    net.layers.push_back(read_layer(v, d, previous));
    previous = net.layers.back().name;
  }
  finalize(net);
  return net;
}

}  // namespace

Network load_network(const std::string& path) { return read_network(yaml::load_file(path)); }

Network parse_network(const std::string& yaml_text, const std::string& origin) {
  return read_network(yaml::parse(yaml_text, origin));
}

}  // namespace savp::mapper
