#include "nas/data/fashion_mnist.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <cstdlib>
#include <numeric>
#include <sys/stat.h>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "common/splitmix64.hpp"

namespace savp::nas::data {

namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned byte, 1 dimension
// The largest file we accept after decompression (Fashion-MNIST train images: 47 MB); stops a
// gzip bomb or a wrong file from eating the memory.
constexpr size_t kMaxBytes = size_t{1} << 30;

// The whole decompressed content of `path` (zlib reads plain files unchanged).
std::vector<uint8_t> read_gz(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    throw Error(fmt::format("{}: file not found (expected a Fashion-MNIST IDX file; install "
                            "Debian's dataset-fashion-mnist or pass the dataset directory)",
                            path));
  if (!S_ISREG(st.st_mode)) throw Error(fmt::format("{}: not a regular file", path));
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw Error(fmt::format("{}: cannot open", path));
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    const int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int err = 0;
      const std::string msg = gzerror(f, &err);
      gzclose(f);
      throw Error(fmt::format("{}: corrupt gzip data ({}); expected a gzip'd IDX file", path, msg));
    }
    if (n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + n);
    if (out.size() > kMaxBytes) {
      gzclose(f);
      throw Error(fmt::format("{}: more than {} bytes; not a Fashion-MNIST IDX file", path,
                              kMaxBytes));
    }
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  if (err != Z_OK && err != Z_STREAM_END) {
    const std::string m = msg;
    gzclose(f);
    throw Error(fmt::format("{}: corrupt or truncated gzip data ({})", path, m));
  }
  const int rc = gzclose(f);
  if (rc != Z_OK)
    throw Error(fmt::format("{}: corrupt or truncated gzip data (zlib error {})", path, rc));
  return out;
}

uint32_t be32(const std::vector<uint8_t>& b, size_t off) {
  return (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) | (uint32_t{b[off + 2]} << 8) |
         uint32_t{b[off + 3]};
}

// Checks the header and the payload length; returns the header size.
size_t check_idx(const std::vector<uint8_t>& b, const std::string& path, uint32_t magic,
                 int dims) {
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  if (b.size() >= 4 && be32(b, 0) != magic)
    throw Error(fmt::format("{}: bad magic 0x{:08x}, expected 0x{:08x} (IDX unsigned byte, {} "
                            "dimension{})",
                            path, be32(b, 0), magic, dims, dims > 1 ? "s" : ""));
  if (b.size() < header)
    throw Error(fmt::format("{}: file truncated: {} bytes, an IDX header needs {}", path, b.size(),
                            header));
  uint64_t payload = 1;
  for (int d = 0; d < dims; ++d) {
    const uint32_t v = be32(b, 4 + 4 * static_cast<size_t>(d));
    if (v == 0 && d > 0)
      throw Error(fmt::format("{}: dimension {} is 0 (expected >= 1)", path, d));
    payload *= v;
    if (payload > kMaxBytes)
      throw Error(fmt::format("{}: dimensions give more than {} bytes", path, kMaxBytes));
  }
  const uint64_t want = header + payload;
  if (b.size() < want)
    throw Error(fmt::format("{}: file truncated: {} bytes, the header announces {}", path,
                            b.size(), want));
  if (b.size() > want)
    throw Error(fmt::format("{}: {} trailing bytes after the {} the header announces", path,
                            b.size() - want, want));
  return header;
}

Dataset select(const Dataset& d, const std::vector<size_t>& idx) {
  Dataset r;
  r.rows = d.rows;
  r.cols = d.cols;
  r.pixels.resize(idx.size() * d.image_bytes());
  r.labels.resize(idx.size());
  for (size_t i = 0; i < idx.size(); ++i) {
    std::copy(d.image(idx[i]), d.image(idx[i]) + d.image_bytes(),
              r.pixels.begin() + static_cast<std::ptrdiff_t>(i * d.image_bytes()));
    r.labels[i] = d.labels[idx[i]];
  }
  return r;
}

}  // namespace

Split parse_split(const std::string& s) {
  if (s == "train") return Split::Train;
  if (s == "val") return Split::Val;
  if (s == "test") return Split::Test;
  throw Error(fmt::format("unknown dataset split '{}' (allowed: train, val, test)", s));
}

const char* to_string(Split s) {
  switch (s) {
    case Split::Train:
      return "train";
    case Split::Val:
      return "val";
    case Split::Test:
      return "test";
  }
  return "?";
}

std::string default_dir() {
  const char* env = std::getenv("SAVP_FASHION_MNIST_DIR");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(kDefaultDir);
}

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  const std::vector<uint8_t> ib = read_gz(images_path);
  const size_t ih = check_idx(ib, images_path, kImagesMagic, 3);
  const std::vector<uint8_t> lb = read_gz(labels_path);
  const size_t lh = check_idx(lb, labels_path, kLabelsMagic, 1);
  const uint32_t n = be32(ib, 4);
  if (be32(lb, 4) != n)
    throw Error(fmt::format("{}: {} labels, but {} has {} images (expected the same count)",
                            labels_path, be32(lb, 4), images_path, n));
  Dataset d;
  d.rows = be32(ib, 8);
  d.cols = be32(ib, 12);
  d.pixels.assign(ib.begin() + static_cast<std::ptrdiff_t>(ih), ib.end());
  d.labels.assign(lb.begin() + static_cast<std::ptrdiff_t>(lh), lb.end());
  for (size_t i = 0; i < d.labels.size(); ++i)
    if (d.labels[i] >= kNumClasses)
      throw Error(fmt::format("{}: label {} is {} (expected 0..{})", labels_path, i,
                              d.labels[i], kNumClasses - 1));
  return d;
}

Dataset load_split(Split split, const std::string& dir, size_t validation, uint64_t split_seed) {
  if (split == Split::Test)
    return load_idx(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
  const Dataset all =
      load_idx(dir + "/train-images-idx3-ubyte.gz", dir + "/train-labels-idx1-ubyte.gz");
  if (validation >= all.size())
    throw Error(fmt::format("validation split of {} images leaves none of the {} training images",
                            validation, all.size()));
  // Fisher-Yates with SplitMix64: the first `validation` of the permutation are the val split.
  std::vector<size_t> perm(all.size());
  std::iota(perm.begin(), perm.end(), size_t{0});
  SplitMix64 rng(split_seed);
  for (size_t i = perm.size() - 1; i > 0; --i)
    std::swap(perm[i], perm[static_cast<size_t>(rng.below(i + 1))]);
  std::vector<char> is_val(all.size(), 0);
  std::vector<size_t> val(perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(validation));
  for (size_t i : val) is_val[i] = 1;
  if (split == Split::Val) return select(all, val);
  std::vector<size_t> train;
  train.reserve(all.size() - validation);
  for (size_t i = 0; i < all.size(); ++i)
    if (!is_val[i]) train.push_back(i);
  return select(all, train);
}

FashionMnist load_fashion_mnist(const std::string& dir, size_t validation, uint64_t split_seed) {
  FashionMnist f;
  f.train = load_split(Split::Train, dir, validation, split_seed);
  f.val = load_split(Split::Val, dir, validation, split_seed);
  f.test = load_split(Split::Test, dir, validation, split_seed);
  return f;
}

Dataset head(const Dataset& d, size_t n) {
  if (n == 0 || n >= d.size()) return d;
  Dataset r;
  r.rows = d.rows;
  r.cols = d.cols;
  r.pixels.assign(d.pixels.begin(), d.pixels.begin() + static_cast<std::ptrdiff_t>(n * d.image_bytes()));
  r.labels.assign(d.labels.begin(), d.labels.begin() + static_cast<std::ptrdiff_t>(n));
  return r;
}

int8_t quantize_pixel(uint8_t p, int act_bits) {
  const int32_t qmax = arith::qmax(act_bits);
  return static_cast<int8_t>((int32_t{p} * qmax + 127) / 255);
}

std::vector<int8_t> quantize_image(const Dataset& d, size_t i, int act_bits) {
  std::vector<int8_t> out(d.image_bytes());
  const uint8_t* px = d.image(i);
  for (size_t k = 0; k < out.size(); ++k) out[k] = quantize_pixel(px[k], act_bits);
  return out;
}

}  // namespace savp::nas::data
