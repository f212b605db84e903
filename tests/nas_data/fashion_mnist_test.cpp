// The Fashion-MNIST loader (nas/data/fashion_mnist.hpp): the shipped files, the split, the input
// quantization rule, and bad files (missing, truncated, corrupt gzip, wrong magic, trailing
// bytes, mismatched counts, out-of-range labels).
#include "nas/data/fashion_mnist.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "common/errors.hpp"

namespace fs = std::filesystem;
using namespace savp::nas::data;

namespace {

bool have_dataset() { return fs::exists(std::string(kDefaultDir) + "/t10k-images-idx3-ubyte.gz"); }

// A temporary directory removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("savp_fmnist_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& n) const { return (path / n).string(); }
};

void put_be32(std::vector<uint8_t>& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}

std::vector<uint8_t> idx_images(uint32_t n, uint32_t rows, uint32_t cols) {
  std::vector<uint8_t> b;
  put_be32(b, 0x803);
  put_be32(b, n);
  put_be32(b, rows);
  put_be32(b, cols);
  for (uint32_t i = 0; i < n * rows * cols; ++i) b.push_back(static_cast<uint8_t>(i * 7));
  return b;
}

std::vector<uint8_t> idx_labels(uint32_t n) {
  std::vector<uint8_t> b;
  put_be32(b, 0x801);
  put_be32(b, n);
  for (uint32_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(i % 10));
  return b;
}

void write_gz(const std::string& path, const std::vector<uint8_t>& b) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, b.data(), static_cast<unsigned>(b.size())), static_cast<int>(b.size()));
  gzclose(f);
}

void write_raw(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                              static_cast<std::streamsize>(b.size()));
}

std::vector<uint8_t> read_raw(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

// Expects load_idx to throw a savp::Error whose message contains both strings.
void expect_error(const std::string& images, const std::string& labels, const std::string& a,
                  const std::string& b) {
  try {
    load_idx(images, labels);
    FAIL() << "no error; expected " << a << " / " << b;
  } catch (const savp::Error& e) {
    EXPECT_NE(std::string(e.what()).find(a), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(b), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(FashionMnist, ShippedTestSplit) {
  if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const Dataset t = load_split(Split::Test, kDefaultDir);
  ASSERT_EQ(t.size(), 10000u);
  EXPECT_EQ(t.rows, 28u);
  EXPECT_EQ(t.cols, 28u);
  // Fashion-MNIST's test set is balanced: 1,000 images per class (Xiao et al. 2017).
  std::vector<int> count(10, 0);
  for (uint8_t l : t.labels) ++count[l];
  for (int c = 0; c < 10; ++c) EXPECT_EQ(count[c], 1000) << "class " << c;
  // The first test image is an ankle boot (class 9), the second a pullover (2) — as every
  // Fashion-MNIST reader shows them.
  EXPECT_EQ(t.labels[0], 9);
  EXPECT_EQ(t.labels[1], 2);
}

TEST(FashionMnist, TrainValSplitIsAPartitionAndDeterministic) {
  if (!have_dataset()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const Dataset tr = load_split(Split::Train, kDefaultDir, 5000, 7);
  const Dataset va = load_split(Split::Val, kDefaultDir, 5000, 7);
  ASSERT_EQ(tr.size(), 55000u);
  ASSERT_EQ(va.size(), 5000u);
  // Together they hold each training image exactly once: compare multisets of image hashes
  // against the unsplit file.
  const Dataset all = load_idx(std::string(kDefaultDir) + "/train-images-idx3-ubyte.gz",
                               std::string(kDefaultDir) + "/train-labels-idx1-ubyte.gz");
  auto hash = [](const Dataset& d, size_t i) {
    uint64_t h = 1469598103934665603ull ^ d.labels[i];
    for (size_t k = 0; k < d.image_bytes(); ++k) h = (h ^ d.image(i)[k]) * 1099511628211ull;
    return h;
  };
  std::multiset<uint64_t> a, b;
  for (size_t i = 0; i < all.size(); ++i) a.insert(hash(all, i));
  for (size_t i = 0; i < tr.size(); ++i) b.insert(hash(tr, i));
  for (size_t i = 0; i < va.size(); ++i) b.insert(hash(va, i));
  EXPECT_TRUE(a == b);
  // Same seed, same split; another seed, another one.
  const Dataset va2 = load_split(Split::Val, kDefaultDir, 5000, 7);
  EXPECT_EQ(va.labels, va2.labels);
  EXPECT_EQ(va.pixels, va2.pixels);
  const Dataset va3 = load_split(Split::Val, kDefaultDir, 5000, 8);
  EXPECT_NE(va.pixels, va3.pixels);
}

TEST(FashionMnist, InputQuantizationRule) {
  // q = (p * qmax + 127) / 255: 0 -> 0, 255 -> qmax, halves round up.
  EXPECT_EQ(quantize_pixel(0, 8), 0);
  EXPECT_EQ(quantize_pixel(255, 8), 127);
  EXPECT_EQ(quantize_pixel(1, 8), 0);    // 127 / 255 = 0.498 -> 0
  EXPECT_EQ(quantize_pixel(2, 8), 1);    // 254 / 255 = 0.996 -> 1
  EXPECT_EQ(quantize_pixel(128, 8), 64);  // 128 * 127 / 255 = 63.75 -> 64
  EXPECT_EQ(quantize_pixel(255, 4), 7);
  EXPECT_EQ(quantize_pixel(18, 4), 0);   // 18 * 7 / 255 = 0.494 -> 0
  EXPECT_EQ(quantize_pixel(19, 4), 1);   // 0.522 -> 1
  EXPECT_EQ(quantize_pixel(255, 2), 1);
  Dataset d;
  d.rows = 1;
  d.cols = 3;
  d.pixels = {0, 128, 255};
  d.labels = {4};
  EXPECT_EQ(quantize_image(d, 0, 8), (std::vector<int8_t>{0, 64, 127}));
}

TEST(FashionMnist, ParseSplit) {
  EXPECT_EQ(parse_split("val"), Split::Val);
  EXPECT_THROW(parse_split("validation"), savp::Error);
  try {
    parse_split("dev");
  } catch (const savp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("allowed: train, val, test"), std::string::npos);
  }
}

TEST(FashionMnist, SmallFilesRoundTripGzipAndPlain) {
  TempDir t;
  write_gz(t.file("i.gz"), idx_images(3, 2, 4));
  write_raw(t.file("l"), idx_labels(3));
  const Dataset d = load_idx(t.file("i.gz"), t.file("l"));
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d.rows, 2u);
  EXPECT_EQ(d.cols, 4u);
  EXPECT_EQ(d.image(2)[1], static_cast<uint8_t>((2 * 8 + 1) * 7));
  EXPECT_EQ(d.labels[2], 2);
  EXPECT_EQ(head(d, 2).size(), 2u);
  EXPECT_EQ(head(d, 2).pixels.size(), 16u);
}

TEST(FashionMnist, BadFiles) {
  TempDir t;
  write_raw(t.file("l"), idx_labels(3));
  // Missing file.
  expect_error(t.file("nope.gz"), t.file("l"), "nope.gz", "file not found");
  // Truncated payload.
  std::vector<uint8_t> img = idx_images(3, 2, 4);
  std::vector<uint8_t> cut(img.begin(), img.end() - 5);
  write_gz(t.file("cut.gz"), cut);
  expect_error(t.file("cut.gz"), t.file("l"), "cut.gz", "file truncated: 35 bytes, the header announces 40");
  // Truncated header.
  write_raw(t.file("hdr"), std::vector<uint8_t>{0, 0, 8, 3, 0});
  expect_error(t.file("hdr"), t.file("l"), "hdr", "IDX header needs 16");
  // Trailing bytes.
  std::vector<uint8_t> longer = img;
  longer.push_back(1);
  write_gz(t.file("long.gz"), longer);
  expect_error(t.file("long.gz"), t.file("l"), "long.gz", "1 trailing bytes");
  // Wrong magic: a label file given as images.
  write_gz(t.file("lab.gz"), idx_labels(3));
  expect_error(t.file("lab.gz"), t.file("l"), "lab.gz", "bad magic 0x00000801, expected 0x00000803");
  // A cut gzip stream (the compressed file truncated).
  write_gz(t.file("ok.gz"), idx_images(50, 28, 28));
  std::vector<uint8_t> gz = read_raw(t.file("ok.gz"));
  write_raw(t.file("cutgz.gz"), std::vector<uint8_t>(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)));
  write_raw(t.file("l50"), idx_labels(50));
  expect_error(t.file("cutgz.gz"), t.file("l50"), "cutgz.gz", "gzip");
  // Corrupt gzip data (bytes flipped inside the deflate stream).
  std::vector<uint8_t> bad = gz;
  for (size_t i = 20; i < 60 && i < bad.size(); ++i) bad[i] ^= 0x5a;
  write_raw(t.file("bad.gz"), bad);
  expect_error(t.file("bad.gz"), t.file("l50"), "bad.gz", "gzip");
  // Counts differ.
  write_raw(t.file("l2"), idx_labels(2));
  write_gz(t.file("i3.gz"), img);
  expect_error(t.file("i3.gz"), t.file("l2"), "l2", "2 labels, but");
  // A label out of range.
  std::vector<uint8_t> l = idx_labels(3);
  l.back() = 10;
  write_raw(t.file("l10"), l);
  expect_error(t.file("i3.gz"), t.file("l10"), "l10", "label 2 is 10 (expected 0..9)");
  // A zero dimension.
  write_raw(t.file("z"), idx_images(3, 0, 4));
  expect_error(t.file("z"), t.file("l"), "z", "dimension 1 is 0");
  // A directory without the files.
  try {
    load_split(Split::Test, t.path.string());
    FAIL();
  } catch (const savp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("t10k-images-idx3-ubyte.gz: file not found"),
              std::string::npos)
        << e.what();
  }
}
