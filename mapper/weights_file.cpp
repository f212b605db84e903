#include "mapper/weights_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>

#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "firmware/byte_io.hpp"
#include "firmware/image.hpp"
#include "mapper/reference_executor.hpp"

namespace savp::mapper {
namespace {

// Header field offsets (configs/nets/README.md, "Weights files").
constexpr size_t kOffVersion = 8;
constexpr size_t kOffHeaderBytes = 12;
constexpr size_t kOffRecords = 16;
constexpr size_t kOffReserved0 = 20;
constexpr size_t kOffTotalBytes = 24;

using namespace fw::bytes;

void put_u8(std::vector<uint8_t>& b, uint32_t v) { b.push_back(static_cast<uint8_t>(v)); }

[[noreturn]] void fail(const std::string& origin, uint64_t offset, const std::string& what) {
  throw Error(fmt::format("{}: byte {}: {}", origin, offset, what));
}


// The record's description fields for a layer: type, op kind, weight bits, act bits.
struct Kind {
  uint32_t type = 0, op = 0, weight_bits = 0, act_bits = 0;
  bool operator==(const Kind& o) const {
    return type == o.type && op == o.op && weight_bits == o.weight_bits && act_bits == o.act_bits;
  }
};
Kind kind_of(const Layer& l) {
  Kind k;
  k.type = static_cast<uint32_t>(l.type);
  k.op = l.has_weights() ? static_cast<uint32_t>(l.op) : 0;
  k.weight_bits = l.has_weights() ? l.weight_bits : 0;
  k.act_bits = l.act_bits;
  return k;
}
std::string kind_str(const Kind& k) {
  const auto& types = layer_type_names();
  std::string t = k.type < types.size() ? types[k.type] : fmt::format("type {}", k.type);
  if (k.type == static_cast<uint32_t>(LayerType::Conv) ||
      k.type == static_cast<uint32_t>(LayerType::Linear)) {
    const std::string op = k.op < static_cast<uint32_t>(kNumOpKinds)
                               ? to_string(static_cast<OpKind>(k.op))
                               : fmt::format("op {}", k.op);
    return fmt::format("{} {}, {}-bit weights, {}-bit activations", t, op, k.weight_bits,
                       k.act_bits);
  }
  return fmt::format("{} (op {}, weight bits {}), {}-bit activations", t, k.op, k.weight_bits,
                     k.act_bits);
}

std::string names_of(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < 8; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > 8) s += fmt::format(", ... ({} in all)", v.size());
  return s;
}

}  // namespace

bool has_params(const Layer& l) {
  return l.type != LayerType::MaxPool && l.type != LayerType::Flatten;
}

std::vector<uint8_t> serialize_weights(const QuantizedNetwork& q) {
  const Network& net = q.net;
  if (q.params.size() != net.layers.size())
    throw Error(fmt::format("network '{}': {} parameter sets for {} layers", net.name,
                            q.params.size(), net.layers.size()));
  std::vector<uint8_t> b;
  for (char c : kWeightsMagic) b.push_back(static_cast<uint8_t>(c));
  put_u32(b, kWeightsVersion);
  put_u32(b, kWeightsHeaderBytes);
  uint32_t records = 0;
  for (const Layer& l : net.layers) records += has_params(l) ? 1 : 0;
  put_u32(b, records);
  put_u32(b, 0);  // reserved
  put_u64(b, 0);  // total size, patched below
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const LayerParams& p = q.params[i];
    check_params(l, p);
    if (!has_params(l)) continue;
    if (l.name.empty() || l.name.size() > kMaxWeightsNameBytes)
      throw Error(fmt::format("layer '{}': a name of {} bytes does not fit a weights file (1..{})",
                              l.name, l.name.size(), kMaxWeightsNameBytes));
    const Kind k = kind_of(l);
    put_u32(b, static_cast<uint32_t>(l.name.size()));
    put_u8(b, k.type);
    put_u8(b, k.op);
    put_u8(b, k.weight_bits);
    put_u8(b, k.act_bits);
    put_u64(b, p.weights.size());
    put_u32(b, static_cast<uint32_t>(p.bias.size()));
    put_u32(b, static_cast<uint32_t>(p.multiplier));
    put_u32(b, static_cast<uint32_t>(p.multiplier2));
    put_u32(b, static_cast<uint32_t>(p.shift));
    for (char c : l.name) b.push_back(static_cast<uint8_t>(c));
    pad_to_8(b);
    for (int8_t w : p.weights) b.push_back(static_cast<uint8_t>(w));
    pad_to_8(b);
    for (int32_t v : p.bias) put_u32(b, static_cast<uint32_t>(v));
    pad_to_8(b);
  }
  const uint64_t total = b.size() + kWeightsTrailerBytes;
  for (int i = 0; i < 8; ++i) b[kOffTotalBytes + i] = static_cast<uint8_t>(total >> (8 * i));
  put_u32(b, fw::image_crc32(b.data(), b.size()));
  put_u32(b, 0);  // reserved
  return b;
}

QuantizedNetwork deserialize_weights(const Network& net, const uint8_t* data, size_t size,
                                     const std::string& origin) {
  // Magic first (on what there is), so a file of another kind is named as such.
  for (size_t i = 0; i < std::min<size_t>(size, sizeof kWeightsMagic); ++i)
    if (data[i] != static_cast<uint8_t>(kWeightsMagic[i])) {
      const std::string got = quote_prefix(data, size);
      fail(origin, i,
           fmt::format("bad magic \"{}\" (expected \"SAVPWTS\\0\"): not a savp weights file", got));
    }
  const uint64_t min_size = kWeightsHeaderBytes + kWeightsTrailerBytes;
  if (size < min_size)
    fail(origin, size,
         fmt::format("file truncated: {} bytes (expected at least {}: header and trailer)", size,
                     min_size));
  const uint32_t version = get_u32(data + kOffVersion);
  if (version != kWeightsVersion)
    fail(origin, kOffVersion,
         fmt::format("weights file version {} (this savp reads version {})", version,
                     kWeightsVersion));
  const uint32_t header_bytes = get_u32(data + kOffHeaderBytes);
  if (header_bytes != kWeightsHeaderBytes)
    fail(origin, kOffHeaderBytes,
         fmt::format("header size {} (expected {})", header_bytes, kWeightsHeaderBytes));
  const uint64_t total = get_u64(data + kOffTotalBytes);
  if (total > size)
    fail(origin, size, fmt::format("file truncated: {} bytes but the header says {}", size, total));
  if (total < size)
    fail(origin, total,
         fmt::format("{} unexpected bytes after the trailer (the header says the file is {} "
                     "bytes)",
                     size - total, total));
  if (total % 8 != 0)
    fail(origin, kOffTotalBytes, fmt::format("total size {} (expected a multiple of 8)", total));
  const uint64_t body = total - kWeightsTrailerBytes;
  const uint32_t stored_crc = get_u32(data + body);
  const uint32_t crc = fw::image_crc32(data, body);
  if (stored_crc != crc)
    fail(origin, body,
         fmt::format("checksum mismatch: trailer says {:#010x}, contents give {:#010x} (the file "
                     "is corrupt)",
                     stored_crc, crc));
  if (get_u32(data + body + 4) != 0)
    fail(origin, body + 4, "reserved trailer field is not 0 (expected 0)");
  if (get_u32(data + kOffReserved0) != 0)
    fail(origin, kOffReserved0, "reserved header field is not 0 (expected 0)");

  QuantizedNetwork q;
  q.net = net;
  q.params.assign(net.layers.size(), LayerParams{});
  std::vector<bool> seen(net.layers.size(), false);
  const uint32_t records = get_u32(data + kOffRecords);
  Reader r(data, body, origin, fail);
  r.bytes(kWeightsHeaderBytes, "header");
  for (uint32_t ri = 0; ri < records; ++ri) {
    const uint64_t at = r.pos();
    const std::string rec = fmt::format("record {} of {}", ri, records);
    const uint8_t* h = r.bytes(kWeightsRecordHeaderBytes, rec + " header");
    const uint32_t name_len = get_u32(h);
    if (name_len == 0 || name_len > kMaxWeightsNameBytes)
      fail(origin, at,
           fmt::format("{}: name length {} (expected 1..{})", rec, name_len, kMaxWeightsNameBytes));
    Kind k;
    k.type = h[4];
    k.op = h[5];
    k.weight_bits = h[6];
    k.act_bits = h[7];
    const uint64_t n_weights = get_u64(h + 8);
    const uint32_t n_bias = get_u32(h + 16);
    LayerParams p;
    p.multiplier = static_cast<int32_t>(get_u32(h + 20));
    p.multiplier2 = static_cast<int32_t>(get_u32(h + 24));
    p.shift = static_cast<int32_t>(get_u32(h + 28));
    const uint8_t* nm = r.bytes(name_len, rec + " name");
    const std::string name(reinterpret_cast<const char*>(nm), name_len);
    if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x21 && c <= 0x7e; }))
      fail(origin, at + kWeightsRecordHeaderBytes,
           fmt::format("{}: the layer name is not printable ASCII without blanks", rec));
    r.padding();
    const std::string lrec = fmt::format("record {} (layer '{}')", ri, name);
    const int li = net.index_of(name);
    std::vector<std::string> with_params;
    if (li < 0 || !has_params(net.layers[li])) {
      for (const Layer& l : net.layers)
        if (has_params(l)) with_params.push_back(l.name);
    }
    if (li < 0)
      fail(origin, at,
           fmt::format("{}: network '{}' has no layer '{}' (layers with parameters: {})", lrec,
                       net.name, name, names_of(with_params)));
    const Layer& l = net.layers[li];
    if (!has_params(l))
      fail(origin, at,
           fmt::format("{}: layer '{}' is a {} and has no parameters (layers with parameters: "
                       "{})",
                       lrec, name, to_string(l.type), names_of(with_params)));
    if (seen[li]) fail(origin, at, fmt::format("{}: a second record for layer '{}'", lrec, name));
    seen[li] = true;
    const Kind want = kind_of(l);
    if (!(k == want))
      fail(origin, at + 4,
           fmt::format("{}: the record is for a {}, the network's layer is a {}", lrec, kind_str(k),
                       kind_str(want)));
    if (n_weights != l.weight_count())
      fail(origin, at + 8,
           fmt::format("{}: {} weight bytes in the file, the network's layer needs {}", lrec,
                       n_weights, l.weight_count()));
    if (n_bias != l.bias_count())
      fail(origin, at + 16,
           fmt::format("{}: {} biases ({} bytes) in the file, the network's layer needs {} ({} "
                       "bytes)",
                       lrec, n_bias, uint64_t{n_bias} * 4, l.bias_count(), l.bias_count() * 4));
    // Counts are checked against the layer before anything is allocated for them.
    const uint64_t w_at = r.pos();
    const uint8_t* w = r.bytes(n_weights, lrec + " weights");
    p.weights.assign(reinterpret_cast<const int8_t*>(w),
                     reinterpret_cast<const int8_t*>(w) + n_weights);
    r.padding();
    const uint8_t* bb = r.bytes(uint64_t{n_bias} * 4, lrec + " biases");
    p.bias.resize(n_bias);
    for (uint32_t i = 0; i < n_bias; ++i) p.bias[i] = static_cast<int32_t>(get_u32(bb + 4 * i));
    r.padding();
    try {
      check_params(l, p);
    } catch (const Error& e) {
      fail(origin, w_at, fmt::format("{}: {}", lrec, e.what()));
    }
    q.params[li] = std::move(p);
  }
  if (r.left() != 0)
    fail(origin, r.pos(),
         fmt::format("{} bytes after the last of {} records (expected the trailer)", r.left(),
                     records));
  std::vector<std::string> missing;
  for (size_t i = 0; i < net.layers.size(); ++i)
    if (has_params(net.layers[i]) && !seen[i])
      missing.push_back(
          fmt::format("'{}' ({})", net.layers[i].name, to_string(net.layers[i].type)));
  if (!missing.empty())
    throw Error(fmt::format("{}: no record for {} layer{} of network '{}': {}", origin,
                            missing.size(), missing.size() == 1 ? "" : "s", net.name,
                            names_of(missing)));
  return q;
}

void save_weights(const QuantizedNetwork& q, const std::string& path) {
  const std::vector<uint8_t> b = serialize_weights(q);
  write_file_atomic(path, {reinterpret_cast<const char*>(b.data()), b.size()});
}

QuantizedNetwork load_weights(const Network& net, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot read weights file '" + path + "'");
  const std::string b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw Error("cannot read weights file '" + path + "'");
  return deserialize_weights(net, reinterpret_cast<const uint8_t*>(b.data()), b.size(), path);
}

}  // namespace savp::mapper
