#include "nas/search/candidate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/splitmix64.hpp"
#include "explore/sweep_spec.hpp"

namespace savp::nas::search {

using mapper::Layer;
using mapper::LayerType;
using mapper::Network;

std::string BlockChoice::label() const {
  if (skip) return "skip";
  return fmt::format("{}_k{}_e{}", to_string(op), kernel, expansion);
}

Layout::Layout(const SearchSpace& s) : space_(&s) {
  uint32_t c = s.stem_channels;
  uint32_t h = (s.input_h + s.stem_stride - 1) / s.stem_stride;
  uint32_t w = (s.input_w + s.stem_stride - 1) / s.stem_stride;
  for (uint32_t si = 0; si < s.stages.size(); ++si) {
    const Stage& st = s.stages[si];
    for (uint32_t j = 0; j < st.blocks; ++j) {
      BlockSlot b;
      b.index = static_cast<uint32_t>(blocks_.size());
      b.stage = si;
      b.in_channels = c;
      b.out_channels = st.channels;
      b.stride = j == 0 ? st.stride : 1;
      b.in_h = h;
      b.in_w = w;
      b.identity_ok = b.stride == 1 && b.in_channels == b.out_channels;
      blocks_.push_back(b);
      c = st.channels;
      h = (h + b.stride - 1) / b.stride;
      w = (w + b.stride - 1) / b.stride;
    }
  }
  const size_t nb = blocks_.size();
  op_gene_.assign(nb, -1);
  bits_gene_.assign(nb, -1);
  sparsity_gene_.assign(nb, -1);
  choices_.resize(nb);
  for (size_t b = 0; b < nb; ++b) {
    for (OpKind op : s.ops)
      for (uint32_t k : s.kernels)
        for (uint32_t e : s.expansions) choices_[b].push_back({false, op, k, e});
    if (s.skip && blocks_[b].identity_ok) choices_[b].push_back({true, OpKind::Mult, 0, 0});
    op_gene_[b] = static_cast<int>(genes_.size());
    genes_.push_back({GeneKind::BlockOp, static_cast<uint32_t>(b),
                      static_cast<uint32_t>(choices_[b].size()), fmt::format("b{}.op", b)});
  }
  if (s.bit_levels() > 1)
    for (size_t b = 0; b < nb; ++b) {
      bits_gene_[b] = static_cast<int>(genes_.size());
      genes_.push_back({GeneKind::BlockBits, static_cast<uint32_t>(b), s.bit_levels(),
                        fmt::format("b{}.bits", b)});
    }
  if (s.sparsity.size() > 1)
    for (size_t b = 0; b < nb; ++b) {
      sparsity_gene_[b] = static_cast<int>(genes_.size());
      genes_.push_back({GeneKind::BlockSparsity, static_cast<uint32_t>(b),
                        static_cast<uint32_t>(s.sparsity.size()), fmt::format("b{}.sparsity", b)});
    }
  const auto& hp = s.hardware.parameters;
  if (!hp.empty()) hw_gene0_ = static_cast<int>(genes_.size());
  for (size_t p = 0; p < hp.size(); ++p)
    genes_.push_back({GeneKind::Hardware, static_cast<uint32_t>(p),
                      static_cast<uint32_t>(hp[p].values.size()), "hw." + hp[p].path});
}

double Layout::log10_size() const {
  double l = 0;
  for (const Gene& g : genes_) l += std::log10(static_cast<double>(g.choices));
  return l;
}

std::string Candidate::hash() const {
  uint64_t h = kFnvBasis;
  for (uint32_t g : genes) h = fnv1a64(h, std::to_string(g));
  return fmt::format("{:016x}", h);
}

std::string Candidate::str() const {
  std::string s;
  for (size_t i = 0; i < genes.size(); ++i) s += (i ? "," : "") + std::to_string(genes[i]);
  return s;
}

void check_candidate(const Layout& layout, const Candidate& c) {
  const auto& gs = layout.genes();
  if (c.genes.size() != gs.size())
    throw Error(fmt::format("candidate [{}] has {} genes; the search space '{}' has {}", c.str(),
                            c.genes.size(), layout.space().name, gs.size()));
  for (size_t i = 0; i < gs.size(); ++i)
    if (c.genes[i] >= gs[i].choices)
      throw Error(fmt::format("candidate [{}]: gene {} ({}) is {}, allowed 0..{}", c.str(), i,
                              gs[i].name, c.genes[i], gs[i].choices - 1));
}

namespace {

Layer conv(const std::string& name, OpKind op, const std::string& input, uint32_t out, uint32_t k,
           uint32_t stride, bool depthwise, bool relu, uint32_t bits, double sparsity,
           const SearchSpace& s) {
  Layer l;
  l.name = name;
  l.type = LayerType::Conv;
  l.op = op;
  l.inputs = {input};
  l.out_channels = out;
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.pad_h = l.pad_w = k / 2;
  l.groups = depthwise ? 0 : 1;
  l.relu = relu;
  l.batch_norm = s.batch_norm;
  l.weight_bits = bits;
  l.act_bits = s.act_bits;
  l.sparsity = sparsity;
  return l;
}

uint32_t top_bits(const SearchSpace& s, OpKind k) {
  const auto& v = s.weight_bits[static_cast<size_t>(k)];
  return *std::max_element(v.begin(), v.end());
}

}  // namespace

Network decode_network(const Layout& layout, const Candidate& c, const std::string& name) {
  check_candidate(layout, c);
  const SearchSpace& s = layout.space();
  Network net;
  net.name = name.empty() ? s.name + "-" + c.hash() : name;
  net.input = {s.input_h, s.input_w, s.input_c};
  net.input_act_bits = s.act_bits;
  net.layers.push_back(conv("stem", s.stem_op, mapper::kInputName, s.stem_channels, s.stem_kernel,
                            s.stem_stride, false, true, top_bits(s, s.stem_op), 0.0, s));
  std::string prev = "stem";
  for (const BlockSlot& b : layout.blocks()) {
    const BlockChoice& ch = layout.block_choices(b.index)[c.genes[layout.op_gene(b.index)]];
    if (ch.skip) continue;
    const int bg = layout.bits_gene(b.index), sg = layout.sparsity_gene(b.index);
    const uint32_t bits = s.weight_bits[static_cast<size_t>(ch.op)][bg < 0 ? 0 : c.genes[bg]];
    const double sp = s.sparsity[sg < 0 ? 0 : c.genes[sg]];
    const std::string p = fmt::format("b{}_", b.index);
    const uint32_t mid = b.in_channels * ch.expansion;
    std::string x = prev;
    if (ch.expansion != 1) {
      net.layers.push_back(conv(p + "expand", ch.op, x, mid, 1, 1, false, true, bits, sp, s));
      x = p + "expand";
    }
    net.layers.push_back(
        conv(p + "dw", ch.op, x, mid, ch.kernel, b.stride, true, true, bits, sp, s));
    net.layers.push_back(
        conv(p + "project", ch.op, p + "dw", b.out_channels, 1, 1, false, false, bits, sp, s));
    x = p + "project";
    if (b.identity_ok) {
      Layer add;
      add.name = p + "add";
      add.type = LayerType::Add;
      add.inputs = {x, prev};
      add.act_bits = s.act_bits;
      net.layers.push_back(add);
      x = add.name;
    }
    prev = x;
  }
  if (s.head_channels) {
    net.layers.push_back(conv("head", s.head_op, prev, s.head_channels, 1, 1, false, true,
                              top_bits(s, s.head_op), 0.0, s));
    prev = "head";
  }
  Layer pool;
  pool.name = "pool";
  pool.type = LayerType::GlobalAvgPool;
  pool.inputs = {prev};
  pool.act_bits = s.act_bits;
  net.layers.push_back(pool);
  Layer fc;
  fc.name = "fc";
  fc.type = LayerType::Linear;
  fc.op = s.head_op;
  fc.inputs = {"pool"};
  fc.out_channels = s.classes;
  fc.weight_bits = top_bits(s, s.head_op);
  fc.act_bits = s.act_bits;
  net.layers.push_back(fc);
  mapper::finalize(net);
  return net;
}

std::string network_to_yaml(const Network& net, const std::string& header) {
  std::ostringstream o;
  if (!header.empty()) {
    std::istringstream in(header);
    for (std::string line; std::getline(in, line);) o << "# " << line << "\n";
  }
  o << "name: " << net.name << "\n";
  o << fmt::format("input: {{h: {}, w: {}, c: {}, act_bits: {}}}\n", net.input.h, net.input.w,
                   net.input.c, net.input_act_bits);
  o << "layers:\n";
  for (const Layer& l : net.layers) {
    std::string ins;
    for (size_t i = 0; i < l.inputs.size(); ++i) ins += (i ? ", " : "") + l.inputs[i];
    o << fmt::format("  - {{name: {}, type: {}, inputs: [{}]", l.name, to_string(l.type), ins);
    auto pair = [](uint32_t a, uint32_t b) {
      return a == b ? std::to_string(a) : fmt::format("[{}, {}]", a, b);
    };
    switch (l.type) {
      case LayerType::Conv:
        o << fmt::format(
            ", op: {}, out_channels: {}, kernel: {}, stride: {}, padding: {}, "
            "groups: {}",
            to_string(l.op), l.out_channels, pair(l.kernel_h, l.kernel_w),
            pair(l.stride_h, l.stride_w), pair(l.pad_h, l.pad_w), l.groups);
        break;
      case LayerType::Linear:
        o << fmt::format(", op: {}, out_features: {}", to_string(l.op), l.out_channels);
        break;
      case LayerType::MaxPool:
      case LayerType::AvgPool:
        o << fmt::format(", kernel: {}, stride: {}, padding: {}", pair(l.kernel_h, l.kernel_w),
                         pair(l.stride_h, l.stride_w), pair(l.pad_h, l.pad_w));
        break;
      default:
        break;
    }
    if (l.has_weights())
      o << fmt::format(", relu: {}, batch_norm: {}, weight_bits: {}, sparsity: {}", l.relu,
                       l.batch_norm, l.weight_bits, l.sparsity);
    if (l.type == LayerType::Add) o << fmt::format(", relu: {}", l.relu);
    if (l.type != LayerType::MaxPool && l.type != LayerType::Flatten)
      o << fmt::format(", act_bits: {}", l.act_bits);
    o << "}\n";
  }
  return o.str();
}

std::string network_yaml(const Layout& layout, const Candidate& c, const std::string& name) {
  const Network net = decode_network(layout, c, name);
  std::string header =
      fmt::format("A candidate of the search space '{}' ({}), genes [{}], hash {}.\nBlocks:",
                  layout.space().name, layout.space().file, c.str(), c.hash());
  for (const BlockSlot& b : layout.blocks())
    header += " " + layout.block_choices(b.index)[c.genes[layout.op_gene(b.index)]].label();
  return network_to_yaml(net, header);
}

HwConfig decode_hardware(const Layout& layout, const Candidate& c) {
  check_candidate(layout, c);
  const HardwareSpec& h = layout.space().hardware;
  if (h.parameters.empty()) return parse_hw_config(h.config_text, h.config);
  explore::Point pt;
  for (size_t p = 0; p < h.parameters.size(); ++p)
    pt.values.push_back(h.parameters[p].values[c.genes[layout.hw_gene(p)]]);
  return explore::apply_point(h.as_sweep(), pt);
}

std::string hardware_params_json(const Layout& layout, const Candidate& c) {
  const HardwareSpec& h = layout.space().hardware;
  if (h.parameters.empty()) return "{}";
  explore::Point pt;
  for (size_t p = 0; p < h.parameters.size(); ++p)
    pt.values.push_back(h.parameters[p].values[c.genes[layout.hw_gene(p)]]);
  return explore::params_json(h.as_sweep(), pt);
}

uint64_t compressed_weight_bytes(const Network& net) {
  uint64_t total = 0;
  for (const Layer& l : net.layers) {
    if (!l.has_weights()) continue;
    const uint64_t n = l.weight_count();
    const uint64_t nonzero = n - static_cast<uint64_t>(std::floor(n * l.sparsity));
    uint64_t bits = nonzero * l.weight_bits;
    if (l.sparsity > 0) bits += n;  // occupancy bitmap
    total += (bits + 7) / 8 + 4 * l.bias_count();
  }
  return total;
}

Candidate baseline_candidate(const Layout& layout, OpKind op) {
  const SearchSpace& s = layout.space();
  Candidate c;
  c.genes.assign(layout.genes().size(), 0);
  for (const BlockSlot& b : layout.blocks()) {
    const auto& chs = layout.block_choices(b.index);
    uint32_t idx = 0;
    bool found = false;
    for (uint32_t i = 0; i < chs.size(); ++i)
      if (!chs[i].skip && chs[i].op == op && chs[i].kernel == s.baselines.kernel &&
          chs[i].expansion == s.baselines.expansion) {
        idx = i;
        found = true;
      }
    if (!found)
      throw Error(fmt::format("no baseline choice {} k{} e{} in block {}", to_string(op),
                              s.baselines.kernel, s.baselines.expansion, b.index));
    c.genes[layout.op_gene(b.index)] = idx;
    if (layout.bits_gene(b.index) >= 0) {
      const auto& lv = s.weight_bits[static_cast<size_t>(op)];
      c.genes[layout.bits_gene(b.index)] =
          static_cast<uint32_t>(std::max_element(lv.begin(), lv.end()) - lv.begin());
    }
  }
  return c;
}

Candidate random_candidate(const Layout& layout, uint64_t& rng_state) {
  SplitMix64 rng(rng_state);
  Candidate c;
  for (const Gene& g : layout.genes())
    c.genes.push_back(static_cast<uint32_t>(rng.below(g.choices)));
  rng_state = rng.state;
  return c;
}

}  // namespace savp::nas::search
