// savp map: a network to firmware without simulating it (issue 3, "What a user gets"). Writes
// into the output folder
//   <net>.img          the firmware image (runnable with `savp sim --hw H --image <net>.img`)
//   <net>.s            its listing: the disassembly, each layer's first instruction preceded by
//                      comments naming the layer, its chunk, its tile and its predicted cycles
//                      (comments only, so `savp asm <net>.s` gives the identical image)
//   <net>.data/NNNN.bin  the listing's data segments, one file each (`.incbin` in the listing)
//   <net>.weights      the parameters used (mapper/weights_file.hpp), for `savp run --weights`
//   predicted.json     the analytical cost model's per-layer prediction and the totals
// and prints the per-layer prediction as a table. Every file goes to a temporary name first
// and is renamed into place only once all were written whole, so a failure leaves no
// half-written file (and no new file at all unless every write succeeded).
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "app/commands.hpp"
#include "common/errors.hpp"
#include "common/hw_config.hpp"
#include "firmware/disassembler.hpp"
#include "firmware/image.hpp"
#include "mapper/codegen.hpp"
#include "mapper/cost_model.hpp"
#include "mapper/network.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/weights_file.hpp"

namespace savp::app {
namespace {

namespace fs = std::filesystem;

std::string chunk_name(const HwConfig& hw, int chunk) {
  return chunk < 0 ? "-" : hw.chunks[static_cast<size_t>(chunk)].name;
}

std::string op_name(const mapper::Layer& l) {
  return l.has_weights() ? fmt::format("{}/{}", mapper::to_string(l.type), to_string(l.op))
                         : std::string(mapper::to_string(l.type));
}

uint64_t instructions(const mapper::LayerPlacement& p) {
  return p.instr_range.size() == 2 ? p.instr_range[1] - p.instr_range[0] : 0;
}

bool is_add(const mapper::Layer& l) { return l.type == mapper::LayerType::Add; }

// The chosen tile: "rows x out channels x in channels" (residual adds: elements per tile), "-"
// for no code; " db" when double-buffered.
std::string tile_str(const mapper::Layer& l, const mapper::LayerPlacement& p) {
  if (p.chunk < 0) return "-";
  if (is_add(l)) return fmt::format("{} el", p.tile_k);
  return fmt::format("{}x{}x{}{}", p.tile_rows, p.tile_k, p.tile_c, p.double_buffered ? " db" : "");
}

// The comment lines that precede layer i's first instruction in the listing.
std::string layer_comment(const mapper::QuantizedNetwork& q, const mapper::MappedNetwork& m,
                          const std::vector<mapper::LayerPrediction>& pred, const HwConfig& hw,
                          size_t i) {
  const mapper::Layer& l = q.net.layers[i];
  const mapper::LayerPlacement& p = m.layers[i];
  std::string s =
      fmt::format("\n# ---- layer '{}': {} {} -> {} on chunk {} ({})\n", l.name, op_name(l),
                  l.in_shape.str(), l.out_shape.str(), p.chunk, chunk_name(hw, p.chunk));
  if (is_add(l))
    s += fmt::format("#      tile: {} elements of each operand per step; ibuf {} B, obuf {} B\n",
                     p.tile_k, p.ibuf_bytes, p.obuf_bytes);
  else
    s += fmt::format(
        "#      tile: {} output rows x {} output channels x {} input channels{}, loop order {}; "
        "ibuf {} B, wbuf {} B, obuf {} B; {}\n",
        p.tile_rows, p.tile_k, p.tile_c,
        l.has_weights() && p.tile_c < l.in_shape.c ? " (split, int32 partials)" : "",
        mapper::to_string(p.loop_order), p.ibuf_bytes, p.wbuf_bytes, p.obuf_bytes,
        p.double_buffered ? "double-buffered" : "single-buffered");
  s += fmt::format(
      "#      {} instructions, predicted {} cycles (roofline {}), {} DRAM bytes, {} PE ops\n",
      instructions(p), pred[i].predicted_cycles, pred[i].roofline_cycles, pred[i].dram_bytes,
      pred[i].pe_ops);
  return s;
}

// The disassembly (with instruction addresses) with layer comments inserted; comments only, so
// it assembles to the same image.
//
// The data segments are not written out as `.bytes` (ResNet-50's listing would be ~100 MB): each
// is an `.incbin ADDR "<data_dir>/NNNN.bin"` of a side file, returned in `side` as (file name
// within data_dir, bytes), which the assembler reads back to the identical segment.
std::string listing(const mapper::QuantizedNetwork& q, const mapper::MappedNetwork& m,
                    const std::vector<mapper::LayerPrediction>& pred, const HwConfig& hw,
                    const std::string& header, const std::string& data_dir,
                    std::vector<std::pair<std::string, std::string>>& side) {
  fw::DisasmOptions o;
  o.with_addresses = true;
  o.with_data = false;
  const std::string text = fw::disassemble(m.image, o);
  // Which layer starts at each instruction; layers without code are noted before the next one.
  std::vector<std::string> before(m.image.code.size());
  std::string pending;
  for (size_t i = 0; i < q.net.layers.size(); ++i) {
    const mapper::LayerPlacement& p = m.layers[i];
    if (p.chunk < 0 || instructions(p) == 0) {
      pending += fmt::format(
          "\n# ---- layer '{}': {} {} -> {}: no code (its output aliases its "
          "input's region)\n",
          q.net.layers[i].name, op_name(q.net.layers[i]), q.net.layers[i].in_shape.str(),
          q.net.layers[i].out_shape.str());
      continue;
    }
    before.at(p.instr_range[0]) += pending + layer_comment(q, m, pred, hw, i);
    pending.clear();
  }
  std::string out = header;
  out.reserve(header.size() + text.size() + 256 * q.net.layers.size());
  // Up to the last instruction line: insert the comments; the data after it is copied whole.
  size_t next = 0, pos = 0;
  while (pos < text.size() && next < m.image.code.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string tag = fmt::format("# [{}] {:#x}", next, m.image.instruction_addr(next));
    if (end - pos >= tag.size() && text.compare(end - tag.size(), tag.size(), tag) == 0)
      out += before[next++];
    out.append(text, pos, end + 1 - pos);
    pos = end + 1;
  }
  if (pos < text.size()) out.append(text, pos, std::string::npos);
  if (next != m.image.code.size())
    throw std::logic_error(fmt::format("listing: found {} of {} instructions in the disassembly",
                                       next, m.image.code.size()));
  out += pending;
  // Each segment's "omitted" comment (in segment order) becomes its .incbin.
  size_t at = 0;
  for (size_t i = 0; i < m.image.segments.size(); ++i) {
    const fw::Segment& seg = m.image.segments[i];
    const std::string omitted = fmt::format("# data [{:#x}, {:#x}): {} bytes (omitted)\n",
                                            seg.addr, seg.end(), seg.data.size());
    at = out.find(omitted, at);
    if (at == std::string::npos)
      throw std::logic_error(fmt::format("listing: segment {} not found in the disassembly", i));
    const std::string file = fmt::format("{:04d}.bin", i);
    const std::string inc = fmt::format("# {} bytes\n.incbin {:#x} \"{}/{}\"\n", seg.data.size(),
                                        seg.addr, data_dir, file);
    out.replace(at, omitted.size(), inc);
    at += inc.size();
    side.emplace_back(file, std::string(seg.data.begin(), seg.data.end()));
  }
  return out;
}

nlohmann::json predicted_json(const mapper::QuantizedNetwork& q, const mapper::MappedNetwork& m,
                              const std::vector<mapper::LayerPrediction>& pred, const HwConfig& hw,
                              nlohmann::json meta) {
  nlohmann::json j = std::move(meta);
  nlohmann::json layers = nlohmann::json::array();
  uint64_t t_instr = 0, t_pred = 0, t_roof = 0, t_dram = 0, t_ops = 0, t_comp = 0;
  uint64_t t_wraw = 0, t_wstored = 0;
  for (size_t i = 0; i < q.net.layers.size(); ++i) {
    const mapper::Layer& l = q.net.layers[i];
    const mapper::LayerPlacement& p = m.layers[i];
    const mapper::LayerPrediction& r = pred[i];
    nlohmann::json e;
    e["name"] = l.name;
    e["op"] = op_name(l);
    e["chunk"] = p.chunk < 0 ? nlohmann::json(nullptr) : nlohmann::json(chunk_name(hw, p.chunk));
    e["chunk_index"] = p.chunk;
    // Residual adds: `elements` per step instead of rows x channels.
    if (is_add(l))
      e["tile"] = {
          {"elements", p.tile_k}, {"ibuf_bytes", p.ibuf_bytes}, {"obuf_bytes", p.obuf_bytes}};
    else
      e["tile"] = {{"rows", p.tile_rows},
                   {"out_channels", p.tile_k},
                   {"in_channels", p.tile_c},
                   {"loop_order", p.chunk < 0 ? "-" : mapper::to_string(p.loop_order)},
                   {"ibuf_bytes", p.ibuf_bytes},
                   {"wbuf_bytes", p.wbuf_bytes},
                   {"obuf_bytes", p.obuf_bytes},
                   {"double_buffered", p.double_buffered}};
    e["instructions"] = instructions(p);
    e["predicted_cycles"] = r.predicted_cycles;
    e["compute_cycles"] = r.compute_cycles;
    e["roofline_cycles"] = r.roofline_cycles;
    e["compute_bound_cycles"] = r.compute_bound_cycles;
    e["memory_bound_cycles"] = r.memory_bound_cycles;
    e["dram_bytes"] = r.dram_bytes;
    e["pe_ops"] = r.pe_ops;
    if (!p.weight_format.empty()) {  // conv / linear: how the weights are stored (issue 8)
      e["weights"] = {{"format", p.weight_format},
                      {"stream_bits", p.weight_stream_bits},
                      {"nonzero", p.weight_nonzero},
                      {"raw_bytes", p.weight_bytes_raw},
                      {"stored_bytes", p.weight_bytes_stored},
                      {"compression_ratio", p.weight_bytes_stored
                                                ? static_cast<double>(p.weight_bytes_raw) /
                                                      static_cast<double>(p.weight_bytes_stored)
                                                : 1.0}};
      t_wraw += p.weight_bytes_raw;
      t_wstored += p.weight_bytes_stored;
    }
    layers.push_back(e);
    t_instr += instructions(p);
    t_pred += r.predicted_cycles;
    t_comp += r.compute_cycles;
    t_roof += r.roofline_cycles;
    t_dram += r.dram_bytes;
    t_ops += r.pe_ops;
  }
  j["layers"] = layers;
  // Layers are separated by barriers, so the network's predicted cycles are about the layers'
  // sum (a layer's deferred last stores overlap the next layer's start: mapper/codegen.hpp).
  j["totals"] = {{"instructions", t_instr},
                 {"image_instructions", m.image.code.size()},
                 {"predicted_cycles", t_pred},
                 {"compute_cycles", t_comp},
                 {"roofline_cycles", t_roof},
                 {"dram_bytes", t_dram},
                 {"pe_ops", t_ops},
                 {"weight_bytes_raw", t_wraw},
                 {"weight_bytes_stored", t_wstored}};
  return j;
}

// Writes every (path, bytes) to path.tmp, then renames them all into place; if any write
// fails, every temporary file is removed and nothing is renamed.
void write_all_atomic(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::string> tmps;
  auto cleanup = [&] {
    for (const std::string& t : tmps) std::remove(t.c_str());
  };
  for (const auto& [path, bytes] : files) {
    const std::string tmp = path + ".tmp";
    tmps.push_back(tmp);
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    bool ok = f != nullptr;
    if (ok) ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (f && std::fclose(f) != 0) ok = false;
    if (!ok) {
      cleanup();
      throw Error(fmt::format("savp map: cannot write '{}'", path));
    }
  }
  for (size_t i = 0; i < files.size(); ++i)
    if (std::rename(tmps[i].c_str(), files[i].first.c_str()) != 0) {
      for (size_t j = i; j < tmps.size(); ++j) std::remove(tmps[j].c_str());
      throw Error(fmt::format("savp map: cannot write '{}'", files[i].first));
    }
}

// A network name used as a file name: letters, digits, '.', '_', '-', not starting with '.'.
void check_file_name(const mapper::Network& net) {
  if (!is_plain_name(net.name))
    throw Error(
        fmt::format("{}: network name '{}' can't name the output files (allowed: letters, "
                    "digits, '.', '_', '-', not starting with '.')",
                    net.source_file, net.name));
}

}  // namespace

Action add_map(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "map", "Map a network to firmware: image, listing, weights and predicted costs");
  struct Opts {
    std::string hw, net, weights, objective = "latency", out;
    uint64_t seed = 1;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("--hw", o->hw, "hardware config (configs/hw/*.yaml)")->required();
  sub->add_option("--net", o->net, "network (configs/nets/*.yaml)")->required();
  sub->add_option("--weights", o->weights,
                  "weights file (configs/nets/README.md); default: random weights from --seed");
  sub->add_option("--seed", o->seed, "seed of the random weights and input");
  sub->add_option("--objective", o->objective, "what the tiling search minimises")
      ->check(CLI::IsMember({"latency", "energy", "edp"}));
  sub->add_option("-o,--output", o->out, "output folder")->required();
  return [o] {
    mapper::MapOptions mo;
    mo.objective = mapper::parse_objective(o->objective);
    const HwConfig hw = load_hw_config(o->hw);
    const mapper::Network net = mapper::load_network(o->net);
    check_file_name(net);
    const std::vector<int8_t> input = mapper::random_input(net, o->seed);
    const mapper::QuantizedNetwork q = o->weights.empty() ? mapper::quantize(net, o->seed, input)
                                                          : mapper::load_weights(net, o->weights);
    const mapper::MappedNetwork m = mapper::generate(q, hw, input, mo);
    const std::vector<mapper::LayerPrediction> pred = mapper::predict(m, q, hw);

    const std::string weights_src = o->weights.empty() ? fmt::format("random (seed {})", o->seed)
                                                       : fmt::format("file {}", o->weights);
    const std::string header = fmt::format(
        "# savp map: network '{}' ({}) on platform '{}' ({}), objective {}\n"
        "# weights: {}; input: random (seed {}). Comments only: `savp asm` gives {}.img.\n",
        net.name, o->net, hw.name, o->hw, to_string(mo.objective), weights_src, o->seed, net.name);
    nlohmann::json meta = {{"schema_version", 1},
                           {"net", net.name},
                           {"net_file", o->net},
                           {"hw", hw.name},
                           {"hw_file", o->hw},
                           {"objective", to_string(mo.objective)},
                           {"seed", o->seed},
                           {"weights", weights_src},
                           {"image", net.name + ".img"},
                           {"clock_mhz", hw.clock_mhz}};
    const std::vector<uint8_t> img = fw::serialize(m.image);
    const std::vector<uint8_t> wts = mapper::serialize_weights(q);

    std::error_code ec;
    fs::create_directories(o->out, ec);
    if (ec || !fs::is_directory(o->out))
      throw Error(fmt::format("savp map: cannot create output folder '{}'", o->out));
    const fs::path dir(o->out);
    const std::string base = (dir / net.name).string();
    // The listing's data segments go to side files in <net>.data/ (see listing()).
    const std::string data_dir = net.name + ".data";
    std::vector<std::pair<std::string, std::string>> side;
    std::string text = listing(q, m, pred, hw, header, data_dir, side);
    std::vector<std::pair<std::string, std::string>> files{
        {base + ".img", std::string(img.begin(), img.end())},
        {base + ".s", std::move(text)},
        {base + ".weights", std::string(wts.begin(), wts.end())},
        {(dir / "predicted.json").string(), predicted_json(q, m, pred, hw, meta).dump(2) + "\n"}};
    const fs::path ddir = dir / data_dir;
    std::error_code dec;
    const bool made = fs::create_directories(ddir, dec);
    if (dec || !fs::is_directory(ddir))
      throw Error(fmt::format("savp map: cannot create output folder '{}'", ddir.string()));
    for (auto& [name, bytes] : side) files.emplace_back((ddir / name).string(), std::move(bytes));
    try {
      write_all_atomic(files);
    } catch (...) {
      if (made) fs::remove(ddir, dec);  // only when empty: the temporaries are gone
      throw;
    }

    std::cout << fmt::format("{:<16} {:<14} {:<8} {:<12} {:>7} {:>10} {:>10} {:>11} {:>12}\n",
                             "layer", "op", "chunk", "tile", "instrs", "predicted", "roofline",
                             "dram_bytes", "pe_ops");
    uint64_t t_instr = 0, t_pred = 0, t_roof = 0, t_dram = 0, t_ops = 0;
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const mapper::LayerPlacement& p = m.layers[i];
      const mapper::LayerPrediction& r = pred[i];
      std::cout << fmt::format("{:<16} {:<14} {:<8} {:<12} {:>7} {:>10} {:>10} {:>11} {:>12}\n",
                               net.layers[i].name, op_name(net.layers[i]), chunk_name(hw, p.chunk),
                               tile_str(net.layers[i], p), instructions(p), r.predicted_cycles,
                               r.roofline_cycles, r.dram_bytes, r.pe_ops);
      t_instr += instructions(p);
      t_pred += r.predicted_cycles;
      t_roof += r.roofline_cycles;
      t_dram += r.dram_bytes;
      t_ops += r.pe_ops;
    }
    std::cout << fmt::format("{:<16} {:<14} {:<8} {:<12} {:>7} {:>10} {:>10} {:>11} {:>12}\n",
                             "total", "", "", "", t_instr, t_pred, t_roof, t_dram, t_ops);
    std::cout << fmt::format("wrote {0}.img ({1} instructions), {0}.s, {0}.weights, {2}\n", base,
                             m.image.code.size(), (dir / "predicted.json").string());
    return 0;
  };
}

}  // namespace savp::app
