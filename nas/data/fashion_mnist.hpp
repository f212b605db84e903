// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017: 60,000 training and 10,000 test images, 28x28
// grey, 10 classes) read from Debian's dataset-fashion-mnist package: the four gzip'd IDX files
// (LeCun's MNIST format) in /usr/share/datasets/fashion-mnist. Torch-free (target
// savp_nas_data), so `savp run --dataset` works in a build without LibTorch.
//
// IDX (http://yann.lecun.com/exdb/mnist/): big-endian int32 magic 0x00000803 (unsigned byte,
// 3 dims) for images then N, rows, cols; 0x00000801 (1 dim) for labels then N; then the bytes.
// A file is checked completely: gzip integrity, magic, dims (rows, cols >= 1), payload length
// exactly N*rows*cols (truncated: "file truncated", longer: "trailing bytes"), labels in 0..9,
// and the two files of a pair having the same N. Every failure is a savp::Error naming the file
// and what was expected.
//
// The input quantization rule (the ONE rule LibTorch training, the LibTorch integer inference
// and the platform share; nas/README.md): a uint8 pixel p in [0, 255] becomes the network
// input activation
//     q = (p * qmax + 127) / 255        (integer division; qmax = 2^(act_bits-1) - 1)
// i.e. round(p / 255 * qmax) with halves rounded up, in [0, qmax] (non-negative: no zero point,
// arith's symmetric format). Its real value is q / qmax, so the input scale is 1 / qmax.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace savp::nas::data {

inline constexpr int kNumClasses = 10;
inline constexpr const char* kDefaultDir = "/usr/share/datasets/fashion-mnist";
// The default train / validation split (55k / 5k) and its seed.
inline constexpr size_t kDefaultValidation = 5000;
inline constexpr uint64_t kDefaultSplitSeed = 1;

// Images (row-major uint8, rows x cols each) with their labels.
struct Dataset {
  uint32_t rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // size() * rows * cols
  std::vector<uint8_t> labels;  // 0..9
  size_t size() const { return labels.size(); }
  size_t image_bytes() const { return size_t{rows} * cols; }
  const uint8_t* image(size_t i) const { return pixels.data() + i * image_bytes(); }
};

enum class Split { Train, Val, Test };
// "train", "val", "test"; anything else: savp::Error listing them.
Split parse_split(const std::string& s);
const char* to_string(Split s);

// The dataset directory: $SAVP_FASHION_MNIST_DIR if set, else kDefaultDir.
std::string default_dir();

// Reads one IDX image file and its label file (gzip'd or plain: zlib reads both).
Dataset load_idx(const std::string& images_path, const std::string& labels_path);

// All three splits: train and val are a seeded random partition of the 60k training images
// (val gets `validation` of them, in permutation order; train the rest in file order), test the
// 10k test images in file order. Same (dir, validation, seed): the same split on every machine
// (SplitMix64 Fisher-Yates).
struct FashionMnist {
  Dataset train, val, test;
};
FashionMnist load_fashion_mnist(const std::string& dir = default_dir(),
                                size_t validation = kDefaultValidation,
                                uint64_t split_seed = kDefaultSplitSeed);
// One split only (the test split reads just the two t10k files).
Dataset load_split(Split split, const std::string& dir = default_dir(),
                   size_t validation = kDefaultValidation,
                   uint64_t split_seed = kDefaultSplitSeed);

// The first n images (all if n == 0 or n >= size).
Dataset head(const Dataset& d, size_t n);

// The input quantization rule above.
int8_t quantize_pixel(uint8_t p, int act_bits);
// Image i of d as the network input (HWC, c = 1): rows*cols int8.
std::vector<int8_t> quantize_image(const Dataset& d, size_t i, int act_bits);

}  // namespace savp::nas::data
