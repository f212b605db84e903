#include "mapper/codegen/image_data.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/errors.hpp"
#include "firmware/address_map.hpp"
#include "mapper/codegen.hpp"
#include "mapper/codegen/emitter.hpp"
#include "mapper/codegen/layer_prep.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/weight_store.hpp"

namespace savp::mapper::codegen {

uint64_t ImageData::reserve(uint64_t bytes) {
  uint64_t a = end;
  end = align_up(end + std::max<uint64_t>(bytes, 1));
  return a;
}

uint64_t ImageData::add(std::vector<uint8_t> bytes) {
  uint64_t a = reserve(bytes.size());
  segments.push_back(fw::Segment{a, std::move(bytes)});
  return a;
}

uint64_t ActivationLayout::addr_of(const Network& net, uint32_t b, const std::string& name) const {
  return name == kInputName ? in_addr[b] : out_addr[b][net.index_of(name)];
}

ActivationLayout place_activations(const Network& net,
                                   const std::vector<std::vector<int8_t>>& inputs,
                                   ImageData& data) {
  const uint32_t batch = static_cast<uint32_t>(inputs.size());
  ActivationLayout a;
  // Inputs, then every input's output regions (the weights follow, placed as layers are
  // prepared). Image 0 is the plain network.
  a.in_addr.resize(batch);
  for (uint32_t b = 0; b < batch; ++b)
    a.in_addr[b] = data.add(std::vector<uint8_t>(inputs[b].begin(), inputs[b].end()));
  const size_t n = net.layers.size();
  a.out_addr.assign(batch, std::vector<uint64_t>(n));
  for (uint32_t b = 0; b < batch; ++b)
    for (size_t i = 0; i < n; ++i) {
      const Layer& l = net.layers[i];
      a.out_addr[b][i] = l.type == LayerType::Flatten ? a.addr_of(net, b, l.inputs[0])
                                                      : data.reserve(l.out_shape.elements());
    }
  return a;
}

uint64_t place_weights(Prepared& pr, const LayerParams& p, const WeightStore& ws, ImageData& data) {
  const Geo& g = pr.g;
  const Tiling& t = pr.t;
  const TileKind kind = pr.kind;
  const uint64_t kblocks = t.kblocks, csteps = t.csteps;
  uint64_t stored = 0;
  if (ws.compressed()) {
    // Every block its own stream, in load order (weight_store.hpp).
    pr.wfmt = ws.format();
    pr.w_len.assign(kblocks, std::vector<uint32_t>(csteps, 0));
    std::vector<uint8_t> wb;
    for (uint64_t kbi = 0; kbi < kblocks; ++kbi) {
      const uint64_t k0 = kbi * t.kb, nk = std::min(t.kb, g.k - k0);
      for (uint64_t cs = 0; cs < csteps; ++cs) {
        const uint64_t c0 = kind == TileKind::Dense ? cs * t.cb : k0;
        const uint64_t nc = kind == TileKind::Dense ? std::min(t.cb, g.c - c0) : nk;
        const std::vector<uint8_t> blk = ws.encode_block(k0, nk, c0, nc);
        pr.w_at[kbi][cs] = wb.size();
        pr.w_len[kbi][cs] = u32(blk.size());
        wb.insert(wb.end(), blk.begin(), blk.end());
      }
    }
    stored = wb.size();
    const uint64_t w_base = data.add(std::move(wb));
    for (auto& row : pr.w_at)
      for (uint64_t& a : row) a += w_base;
  } else {
    // Dense: [k block][c block] -> [kb][kh][kw][cb] contiguous; depthwise: [c][kh][kw].
    const uint64_t taps = g.kh * g.kw;
    std::vector<uint8_t> wb;
    if (kind == TileKind::Dense) {
      wb.reserve(p.weights.size());
      for (uint64_t kbi = 0; kbi < kblocks; ++kbi) {
        const uint64_t k0 = kbi * t.kb, nk = std::min(t.kb, g.k - k0);
        for (uint64_t cs = 0; cs < csteps; ++cs) {
          const uint64_t c0 = cs * t.cb, nc = std::min(t.cb, g.c - c0);
          pr.w_at[kbi][cs] = wb.size();
          for (uint64_t kk = k0; kk < k0 + nk; ++kk)
            for (uint64_t tap = 0; tap < taps; ++tap) {
              const int8_t* src = p.weights.data() + (kk * taps + tap) * g.c + c0;
              wb.insert(wb.end(), reinterpret_cast<const uint8_t*>(src),
                        reinterpret_cast<const uint8_t*>(src) + nc);
            }
        }
      }
    } else {
      wb.assign(reinterpret_cast<const uint8_t*>(p.weights.data()),
                reinterpret_cast<const uint8_t*>(p.weights.data()) + p.weights.size());
      for (uint64_t kbi = 0; kbi < kblocks; ++kbi) pr.w_at[kbi][0] = kbi * t.kb * taps;
    }
    stored = wb.size();
    const uint64_t w_base = data.add(std::move(wb));
    for (auto& row : pr.w_at)
      for (uint64_t& a : row) a += w_base;
  }
  // Biases: int32 little-endian, [k].
  std::vector<uint8_t> bb(p.bias.size() * 4);
  for (size_t i = 0; i < p.bias.size(); ++i) {
    const uint32_t v = static_cast<uint32_t>(p.bias[i]);
    for (int b = 0; b < 4; ++b) bb[i * 4 + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  pr.bias_addr = data.add(std::move(bb));
  return stored;
}

void finish_image(std::vector<isa::Instruction> code, ImageData data, const ActivationLayout& acts,
                  const Network& net, const HwConfig& hw, uint32_t batch, MappedNetwork& m) {
  using isa::Opcode;
  // Relocate: the data follows the code.
  const uint64_t base = align_up(code.size() * isa::kInstrBytes);
  for (isa::Instruction& in : code) {
    if (in.opcode() == Opcode::Load && in.get(isa::kSrcAddr) < amap::kGlbBase)
      in.set(isa::kSrcAddr, in.get(isa::kSrcAddr) + base);
    if (in.opcode() == Opcode::Store && in.get(isa::kDstAddr) < amap::kGlbBase)
      in.set(isa::kDstAddr, in.get(isa::kDstAddr) + base);
  }
  m.image.code_base = 0;
  m.image.code = std::move(code);
  for (fw::Segment& s : data.segments) {
    s.addr += base;
    m.image.segments.push_back(std::move(s));
  }
  const size_t n = net.layers.size();
  m.input_addr = acts.in_addr[0] + base;
  for (size_t i = 0; i < n; ++i) m.layers[i].out_addr += base;
  for (uint32_t b = 0; b < batch; ++b)
    for (size_t i = 0; i < n; ++i) {
      const Layer& l = net.layers[i];
      m.image.outputs.push_back(fw::OutputRegion{b == 0 ? l.name : fmt::format("{}#{}", l.name, b),
                                                 acts.out_addr[b][i] + base,
                                                 l.out_shape.elements(),
                                                 {l.out_shape.h, l.out_shape.w, l.out_shape.c}});
    }
  m.batch = batch;
  const uint64_t dram_end = base + data.end;
  if (dram_end > hw.dram.capacity_bytes())
    throw Error(fmt::format("network '{}': the image needs {} bytes of DRAM, platform '{}' has {}",
                            net.name, dram_end, hw.name, hw.dram.capacity_bytes()));
}

}  // namespace savp::mapper::codegen
