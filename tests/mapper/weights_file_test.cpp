// The weights file (mapper/weights_file.hpp, configs/nets/README.md "Weights files"): a round
// trip, a file written by an independent encoder that follows the documented layout (what the
// NAS export will do), and every bad input the reader must name: bad magic / version, truncated
// file, trailing bytes, bad checksum, a misnamed, missing, extra or duplicate layer, a record
// for another operator kind, wrong weight and bias counts, an invalid shift-weight byte and a
// requantization shift out of range.
#include "mapper/weights_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/errors.hpp"
#include "firmware/image.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::mapper {
namespace {

using Bytes = std::vector<uint8_t>;

// conv (mult) -> conv (shift, 4-bit) -> maxpool -> add -> global_avgpool -> flatten -> linear
// (adder): every kind of record (weights, shift weights, avgpool and add requantization) and
// the two layer types without one (maxpool, flatten).
std::string yaml(const std::string& conv2_name = "conv2", int conv2_kernel = 3,
                 const std::string& conv2_op = "shift") {
  return "name: t\ninput: {h: 8, w: 8, c: 3}\nlayers:\n"
         "  - {name: conv1, type: conv, op: mult, out_channels: 8, kernel: 3, padding: 1, relu: "
         "true}\n"
         "  - {name: " +
         conv2_name + ", type: conv, op: " + conv2_op +
         ", out_channels: 8, kernel: " + std::to_string(conv2_kernel) +
         ", padding: " + std::to_string(conv2_kernel / 2) +
         ", weight_bits: 4, relu: true}\n"
         "  - {name: pool, type: maxpool, kernel: 1, inputs: conv1}\n"
         "  - {name: sum, type: add, inputs: [" +
         conv2_name +
         ", pool]}\n"
         "  - {name: gap, type: global_avgpool}\n"
         "  - {name: flat, type: flatten}\n"
         "  - {name: fc, type: linear, op: adder, out_features: 5}\n";
}

Network net_of(const std::string& y) { return parse_network(y, "t.yaml"); }

QuantizedNetwork quantized(const Network& net, uint64_t seed = 7) {
  return quantize(net, seed, random_input(net, seed));
}

void put32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put64(Bytes& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void pad(Bytes& b) {
  while (b.size() % 8) b.push_back(0);
}
uint32_t get32(const Bytes& b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b[at + i];
  return v;
}
// Recomputes the trailer's CRC-32 after a test patched the contents.
void fix_crc(Bytes& b) {
  const uint32_t crc = fw::image_crc32(b.data(), b.size() - 8);
  for (int i = 0; i < 4; ++i) b[b.size() - 8 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

// An independent encoder written from configs/nets/README.md alone.
struct Rec {
  std::string name;
  uint8_t type, op, wbits, abits;
  std::vector<int8_t> w;
  std::vector<int32_t> bias;
  int32_t m = 0, m2 = 0, s = 0;
};
Rec rec_of(const Layer& l, const LayerParams& p) {
  return {l.name,
          static_cast<uint8_t>(l.type),
          static_cast<uint8_t>(l.has_weights() ? static_cast<int>(l.op) : 0),
          static_cast<uint8_t>(l.has_weights() ? l.weight_bits : 0),
          static_cast<uint8_t>(l.act_bits),
          p.weights,
          p.bias,
          p.multiplier,
          p.multiplier2,
          p.shift};
}
Bytes encode(const std::vector<Rec>& recs) {
  Bytes b = {'S', 'A', 'V', 'P', 'W', 'T', 'S', 0};
  put32(b, 1);   // version
  put32(b, 32);  // header bytes
  put32(b, static_cast<uint32_t>(recs.size()));
  put32(b, 0);
  put64(b, 0);  // total, below
  for (const Rec& r : recs) {
    put32(b, static_cast<uint32_t>(r.name.size()));
    b.insert(b.end(), {r.type, r.op, r.wbits, r.abits});
    put64(b, r.w.size());
    put32(b, static_cast<uint32_t>(r.bias.size()));
    put32(b, static_cast<uint32_t>(r.m));
    put32(b, static_cast<uint32_t>(r.m2));
    put32(b, static_cast<uint32_t>(r.s));
    for (char c : r.name) b.push_back(static_cast<uint8_t>(c));
    pad(b);
    for (int8_t v : r.w) b.push_back(static_cast<uint8_t>(v));
    pad(b);
    for (int32_t v : r.bias) put32(b, static_cast<uint32_t>(v));
    pad(b);
  }
  const uint64_t total = b.size() + 8;
  for (int i = 0; i < 8; ++i) b[24 + i] = static_cast<uint8_t>(total >> (8 * i));
  put32(b, 0);
  put32(b, 0);
  fix_crc(b);
  return b;
}
std::vector<Rec> records(const QuantizedNetwork& q) {
  std::vector<Rec> r;
  for (size_t i = 0; i < q.net.layers.size(); ++i)
    if (has_params(q.net.layers[i])) r.push_back(rec_of(q.net.layers[i], q.params[i]));
  return r;
}

// The message of the savp::Error that reading `b` against `net` throws ("" if none).
std::string error_of(const Network& net, const Bytes& b) {
  try {
    deserialize_weights(net, b.data(), b.size(), "w.bin");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

void expect_same_params(const QuantizedNetwork& a, const QuantizedNetwork& b) {
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i) {
    SCOPED_TRACE(a.net.layers[i].name);
    EXPECT_EQ(a.params[i].weights, b.params[i].weights);
    EXPECT_EQ(a.params[i].bias, b.params[i].bias);
    EXPECT_EQ(a.params[i].multiplier, b.params[i].multiplier);
    EXPECT_EQ(a.params[i].multiplier2, b.params[i].multiplier2);
    EXPECT_EQ(a.params[i].shift, b.params[i].shift);
  }
}

TEST(WeightsFile, RoundTripKeepsEveryParameter) {
  const Network net = net_of(yaml());
  const QuantizedNetwork q = quantized(net);
  const Bytes b = serialize_weights(q);
  // 5 records (conv1, conv2, sum, gap, fc); maxpool and flatten have none.
  EXPECT_EQ(get32(b, 16), 5u);
  EXPECT_EQ(b.size() % 8, 0u);
  const QuantizedNetwork r = deserialize_weights(net, b.data(), b.size(), "w.bin");
  expect_same_params(q, r);
  // The add layer's two multipliers and a non-trivial shift survive.
  const int sum = net.index_of("sum");
  EXPECT_GT(r.params[sum].multiplier, 0);
  EXPECT_GT(r.params[sum].multiplier2, 0);
  // Byte for byte what the independent encoder of the documented layout writes.
  EXPECT_EQ(b, encode(records(q)));
}

TEST(WeightsFile, RecordsInAnyOrderAreKeyedByName) {
  const Network net = net_of(yaml());
  const QuantizedNetwork q = quantized(net);
  std::vector<Rec> recs = records(q);
  std::reverse(recs.begin(), recs.end());
  const Bytes b = encode(recs);
  expect_same_params(q, deserialize_weights(net, b.data(), b.size(), "w.bin"));
}

TEST(WeightsFile, SaveAndLoadThroughAFile) {
  const Network net = net_of(yaml());
  const QuantizedNetwork q = quantized(net, 3);
  const auto dir = std::filesystem::temp_directory_path() / "savp_weights_file_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "t.weights").string();
  save_weights(q, path);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  expect_same_params(q, load_weights(net, path));
  // Other seeds give other weights, so the comparison above means something.
  EXPECT_NE(quantized(net, 4).params[0].weights, q.params[0].weights);
  std::string msg;
  try {
    load_weights(net, (dir / "missing.weights").string());
  } catch (const Error& e) {
    msg = e.what();
  }
  EXPECT_HAS(msg, "cannot read weights file");
  EXPECT_HAS(msg, "missing.weights");
  std::filesystem::remove_all(dir);
}

TEST(WeightsFile, BadMagicVersionAndHeader) {
  const Network net = net_of(yaml());
  Bytes b = serialize_weights(quantized(net));
  Bytes m = b;
  m[3] = 'X';
  std::string e = error_of(net, m);
  EXPECT_HAS(e, "w.bin: byte 3: bad magic \"SAVXWTS\\x00\"");
  EXPECT_HAS(e, "not a savp weights file");
  Bytes v = b;
  v[8] = 2;
  fix_crc(v);
  EXPECT_HAS(error_of(net, v), "byte 8: weights file version 2 (this savp reads version 1)");
  Bytes h = b;
  h[12] = 40;
  EXPECT_HAS(error_of(net, h), "byte 12: header size 40 (expected 32)");
  EXPECT_HAS(error_of(net, Bytes(b.begin(), b.begin() + 20)), "file truncated: 20 bytes");
}

TEST(WeightsFile, TruncatedAndTrailingBytes) {
  const Network net = net_of(yaml());
  const Bytes b = serialize_weights(quantized(net));
  const Bytes cut(b.begin(), b.end() - 100);
  EXPECT_HAS(error_of(net, cut),
             fmt::format("file truncated: {} bytes but the header says {}", cut.size(), b.size()));
  Bytes longer = b;
  longer.push_back(0);
  EXPECT_HAS(error_of(net, longer), "1 unexpected bytes after the trailer");
}

TEST(WeightsFile, BadChecksum) {
  const Network net = net_of(yaml());
  Bytes b = serialize_weights(quantized(net));
  b[100] ^= 0x01;  // inside conv1's weights
  const std::string e = error_of(net, b);
  EXPECT_HAS(e, "w.bin: byte " + std::to_string(b.size() - 8) + ": checksum mismatch");
  EXPECT_HAS(e, "the file is corrupt");
}

TEST(WeightsFile, MisnamedLayer) {
  // Weights saved for a network whose second conv is called conv2, read for one calling it
  // conv_b: the record names a layer the network does not have.
  const Bytes b = serialize_weights(quantized(net_of(yaml())));
  const std::string e = error_of(net_of(yaml("conv_b")), b);
  EXPECT_HAS(e, "record 1 (layer 'conv2'): network 't' has no layer 'conv2'");
  EXPECT_HAS(e, "layers with parameters: conv1, conv_b, sum, gap, fc");
}

TEST(WeightsFile, MissingExtraAndDuplicateRecords) {
  const Network net = net_of(yaml());
  const QuantizedNetwork q = quantized(net);
  std::vector<Rec> recs = records(q);
  std::vector<Rec> missing = recs;
  missing.erase(missing.begin() + 3);  // gap
  EXPECT_HAS(error_of(net, encode(missing)),
             "w.bin: no record for 1 layer of network 't': 'gap' (global_avgpool)");
  std::vector<Rec> dup = recs;
  dup.push_back(recs[0]);
  EXPECT_HAS(error_of(net, encode(dup)), "record 5 (layer 'conv1'): a second record");
  // A record for a layer without parameters (the maxpool).
  std::vector<Rec> extra = recs;
  extra.push_back({"pool", 2, 0, 0, 8, {}, {}, 0, 0, 0});
  EXPECT_HAS(error_of(net, encode(extra)),
             "record 5 (layer 'pool'): layer 'pool' is a maxpool and has no parameters");
}

TEST(WeightsFile, WrongWeightAndBiasCountsNameTheLayerAndBothSizes) {
  // conv2 with a 3x3 kernel: 3*3*8*8 = 576 weights; with 5x5: 5*5*8*8 = 1600.
  const Bytes b = serialize_weights(quantized(net_of(yaml("conv2", 3))));
  const Network wider = net_of(yaml("conv2", 5));
  EXPECT_HAS(error_of(wider, b),
             "record 1 (layer 'conv2'): 576 weight bytes in the file, the network's layer needs "
             "1600");
  // Right weight count, wrong bias count (hand-made).
  const Network net = net_of(yaml());
  std::vector<Rec> recs = records(quantized(net));
  recs[0].bias.push_back(0);
  EXPECT_HAS(error_of(net, encode(recs)),
             "record 0 (layer 'conv1'): 9 biases (36 bytes) in the file, the network's layer "
             "needs 8 (32 bytes)");
}

TEST(WeightsFile, RecordOfAnotherOperatorKind) {
  const Bytes b = serialize_weights(quantized(net_of(yaml("conv2", 3, "mult"))));
  EXPECT_HAS(error_of(net_of(yaml("conv2", 3, "shift")), b),
             "record 1 (layer 'conv2'): the record is for a conv mult, 4-bit weights, 8-bit "
             "activations, the network's layer is a conv shift, 4-bit weights");
}

TEST(WeightsFile, ValuesOutOfRangeForTheLayer) {
  const Network net = net_of(yaml());
  const QuantizedNetwork q = quantized(net);
  std::vector<Rec> recs = records(q);
  // conv2: 4-bit shift weights encode exponents 0..6 (arith::max_shift_exponent(4) = 6), so
  // bytes -7..7; 9 encodes +2^8.
  recs[1].w[5] = 9;
  std::string e = error_of(net, encode(recs));
  EXPECT_HAS(e, "w.bin: byte ");
  EXPECT_HAS(e,
             "record 1 (layer 'conv2'): layer 'conv2' (conv, shift): weight 5 = 9 is not a "
             "valid 4-bit shift weight");
  // conv1: 8-bit mult weights take any byte; fc: adder 8-bit likewise. A negative shift and a
  // multiplier below 0 are out of the requantization's range.
  recs = records(q);
  recs[2].s = 63;
  EXPECT_HAS(error_of(net, encode(recs)), "layer 'sum' (add): requantization");
  recs = records(q);
  recs[4].m = -1;
  EXPECT_HAS(error_of(net, encode(recs)), "(multipliers in [0, 2^31), shift in [0, 62])");
}

TEST(WeightsFile, CorruptCountsFailBeforeAllocating) {
  const Network net = net_of(yaml());
  Bytes b = serialize_weights(quantized(net));
  // Record count 1000: the sixth record header runs into the trailer.
  Bytes n = b;
  n[16] = 0xe8;
  n[17] = 0x03;
  fix_crc(n);
  EXPECT_HAS(error_of(net, n), "record 5 of 1000 header needs 32 bytes but only 0 remain");
  // A name length of 2^32 - 1.
  Bytes l = b;
  for (int i = 0; i < 4; ++i) l[32 + i] = 0xff;
  fix_crc(l);
  EXPECT_HAS(error_of(net, l), "w.bin: byte 32: record 0 of 5: name length 4294967295");
}

}  // namespace
}  // namespace savp::mapper
