// `savp map` and `savp run --weights` through the savp binary: the four output files, the
// listing reassembling to the identical image, the image running under `savp sim`, the saved
// weights reproducing the seeded run's cycles and passing the functional check, and bad input
// (a truncated, corrupted or mismatched weights file; an unwritable output) giving one clear
// message, exit status 1 and no half-written file.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/savp_cli.hpp"

namespace {

using namespace savp::test;

namespace fs = std::filesystem;
const std::string kHw = kSrc + "/configs/hw/default.yaml";
std::string net_yaml(const std::string& n) { return kSrc + "/configs/nets/" + n + ".yaml"; }

nlohmann::json json_file(const std::string& path) { return nlohmann::json::parse(slurp(path)); }

class Map : public TempDirTest {
 protected:
  Map() : TempDirTest("savp_map_") {}
  // Files in the folder whose name ends with ".tmp" (left-overs of a non-atomic write).
  int tmp_files(const std::string& sub) const {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / sub))
      if (e.path().extension() == ".tmp") ++n;
    return n;
  }
};

TEST_F(Map, RoundTripImageListingWeightsAndPrediction) {
  const std::string out = path("fw");
  Result m = run("map --hw " + kHw + " --net " + net_yaml("fmnist-hybrid") + " --seed 3 -o " + out);
  ASSERT_EQ(m.status, 0) << m.out;
  for (const char* f :
       {"fmnist-hybrid.img", "fmnist-hybrid.s", "fmnist-hybrid.weights", "predicted.json"})
    EXPECT_TRUE(fs::is_regular_file(out + "/" + f)) << f;
  EXPECT_EQ(tmp_files("fw"), 0);
  // The table names every layer and the totals.
  for (const char* l : {"conv1", "conv2", "conv3", "pool", "fc", "total"})
    EXPECT_NE(m.out.find(l), std::string::npos) << l << "\n" << m.out;

  // predicted.json: one entry per layer, totals that add up, the chunk of each operator kind.
  const nlohmann::json pj = json_file(out + "/predicted.json");
  ASSERT_EQ(pj["layers"].size(), 5u);
  uint64_t sum = 0, instrs = 0;
  for (const auto& l : pj["layers"]) {
    sum += l["predicted_cycles"].get<uint64_t>();
    instrs += l["instructions"].get<uint64_t>();
    EXPECT_GT(l["predicted_cycles"].get<uint64_t>(), 0u) << l.dump();
    EXPECT_GE(l["predicted_cycles"].get<uint64_t>(), l["roofline_cycles"].get<uint64_t>())
        << l.dump();
    EXPECT_GT(l["tile"]["rows"].get<uint64_t>(), 0u) << l.dump();
  }
  EXPECT_EQ(pj["totals"]["predicted_cycles"].get<uint64_t>(), sum);
  EXPECT_EQ(pj["totals"]["instructions"].get<uint64_t>(), instrs);
  EXPECT_EQ(pj["layers"][1]["op"], "conv/shift");
  EXPECT_EQ(pj["layers"][2]["op"], "conv/adder");
  EXPECT_GT(pj["layers"][0]["pe_ops"].get<uint64_t>(), 0u);
  EXPECT_EQ(pj["seed"], 3);

  // The listing names each layer at its first instruction and reassembles to the same image.
  const std::string listing = slurp(out + "/fmnist-hybrid.s");
  for (const char* l : {"conv1", "conv2", "conv3", "pool", "fc"})
    EXPECT_NE(listing.find(std::string("# ---- layer '") + l + "'"), std::string::npos) << l;
  EXPECT_NE(listing.find("tile: "), std::string::npos);
  const std::string img2 = path("re.img");
  Result a = run("asm " + out + "/fmnist-hybrid.s -o " + img2);
  ASSERT_EQ(a.status, 0) << a.out;
  const std::string img = slurp(out + "/fmnist-hybrid.img");
  EXPECT_FALSE(img.empty());
  EXPECT_EQ(slurp(img2), img);
  // The data segments are .incbin of side files in fmnist-hybrid.data/, not inline bytes, so
  // the listing stays small (ResNet-50's went from about 100 MB to 2.4 MB).
  EXPECT_EQ(listing.find(".bytes"), std::string::npos);
  EXPECT_NE(listing.find(".incbin 0x"), std::string::npos);
  EXPECT_TRUE(fs::exists(out + "/fmnist-hybrid.data/0000.bin"));
  EXPECT_LT(listing.size(), img.size());
  EXPECT_FALSE(fs::exists(out + "/fmnist-hybrid.data/0000.bin.tmp"));
  // Every instruction counted in the JSON is in the image (plus barriers between layers and
  // the final halt).
  EXPECT_GE(pj["totals"]["image_instructions"].get<uint64_t>(), instrs + 1);

  // The image runs under savp sim.
  Result s = run("sim --hw " + kHw + " --image " + out + "/fmnist-hybrid.img --report " +
                 path("sim.json"));
  ASSERT_EQ(s.status, 0) << s.out;
  const uint64_t sim_cycles = json_file(path("sim.json"))["cycles"].get<uint64_t>();
  EXPECT_GT(sim_cycles, 0u);

  // savp run with the saved weights = savp run with the seed: same cycles; and the weights
  // pass the functional check.
  Result r1 = run("run --hw " + kHw + " --net " + net_yaml("fmnist-hybrid") +
                  " --seed 3 --timing-only --report " + path("seed.json"));
  ASSERT_EQ(r1.status, 0) << r1.out;
  Result r2 =
      run("run --hw " + kHw + " --net " + net_yaml("fmnist-hybrid") + " --seed 3 --weights " + out +
          "/fmnist-hybrid.weights --functional --report " + path("weights.json"));
  ASSERT_EQ(r2.status, 0) << r2.out;
  EXPECT_NE(r2.out.find("functional check: 5 layers bit-exact"), std::string::npos) << r2.out;
  const uint64_t c1 = json_file(path("seed.json"))["cycles"].get<uint64_t>();
  const uint64_t c2 = json_file(path("weights.json"))["cycles"].get<uint64_t>();
  EXPECT_EQ(c1, c2);
  EXPECT_EQ(c1, sim_cycles);  // the same image, so the same cycles as savp sim
}

TEST_F(Map, MapWithWeightsFromAFileGivesTheSameImage) {
  ASSERT_EQ(
      run("map --hw " + kHw + " --net " + net_yaml("fmnist-shift") + " --seed 9 -o " + path("a"))
          .status,
      0);
  Result b = run("map --hw " + kHw + " --net " + net_yaml("fmnist-shift") + " --seed 9 --weights " +
                 path("a/fmnist-shift.weights") + " -o " + path("b"));
  ASSERT_EQ(b.status, 0) << b.out;
  EXPECT_EQ(slurp(path("a/fmnist-shift.img")), slurp(path("b/fmnist-shift.img")));
  EXPECT_EQ(slurp(path("a/fmnist-shift.weights")), slurp(path("b/fmnist-shift.weights")));
  // Another seed gives other weights (so the equality above is not trivial).
  ASSERT_EQ(
      run("map --hw " + kHw + " --net " + net_yaml("fmnist-shift") + " --seed 10 -o " + path("c"))
          .status,
      0);
  EXPECT_NE(slurp(path("a/fmnist-shift.weights")), slurp(path("c/fmnist-shift.weights")));
  // With --weights the seed picks only the input: seed 10 with seed 9's weights writes seed 9's
  // weights back, and an image that differs from seed 9's only in the input.
  Result d = run("map --hw " + kHw + " --net " + net_yaml("fmnist-shift") +
                 " --seed 10 --weights " + path("a/fmnist-shift.weights") + " -o " + path("d"));
  ASSERT_EQ(d.status, 0) << d.out;
  EXPECT_EQ(slurp(path("a/fmnist-shift.weights")), slurp(path("d/fmnist-shift.weights")));
  EXPECT_NE(slurp(path("a/fmnist-shift.img")), slurp(path("d/fmnist-shift.img")));
}

TEST_F(Map, BadWeightsFilesThroughTheBinary) {
  ASSERT_EQ(
      run("map --hw " + kHw + " --net " + net_yaml("fmnist-hybrid") + " -o " + path("fw")).status,
      0);
  const std::string good = slurp(path("fw/fmnist-hybrid.weights"));
  const std::string run_args =
      "run --hw " + kHw + " --net " + net_yaml("fmnist-hybrid") + " --timing-only --weights ";
  // Truncated.
  const std::string cut = path("cut.weights");
  std::ofstream(cut, std::ios::binary) << good.substr(0, good.size() - 40);
  Result t = run(run_args + cut);
  EXPECT_EQ(t.status, 1) << t.out;
  EXPECT_NE(t.out.find("savp: error: " + cut + ": byte "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("file truncated"), std::string::npos) << t.out;
  // One flipped bit: the checksum.
  std::string flipped = good;
  flipped[200] = static_cast<char>(flipped[200] ^ 0x10);
  const std::string bad = path("bad.weights");
  std::ofstream(bad, std::ios::binary) << flipped;
  Result c = run(run_args + bad);
  EXPECT_EQ(c.status, 1) << c.out;
  EXPECT_NE(c.out.find("checksum mismatch"), std::string::npos) << c.out;
  // Weights of another network of the same layer names: conv1 of fmnist-hybrid is mult 8-bit,
  // of fmnist-shift shift 5-bit.
  Result k = run("map --hw " + kHw + " --net " + net_yaml("fmnist-shift") + " --weights " +
                 path("fw/fmnist-hybrid.weights") + " -o " + path("x"));
  EXPECT_EQ(k.status, 1) << k.out;
  EXPECT_NE(k.out.find("record 0 (layer 'conv1'): the record is for a conv mult"),
            std::string::npos)
      << k.out;
  EXPECT_FALSE(fs::exists(path("x/fmnist-shift.img")));
  // Weights of a network whose conv1 is narrower (8 output channels instead of 16): the
  // message names the file, the layer and both sizes (3*3*1*16 = 144 and 3*3*1*8 = 72 bytes).
  std::string narrow = slurp(net_yaml("fmnist-hybrid"));
  const size_t at = narrow.find("out_channels: 16");
  ASSERT_NE(at, std::string::npos);
  narrow.replace(at, 16, "out_channels: 8");
  const std::string narrow_yaml = path("narrow.yaml");
  std::ofstream(narrow_yaml) << narrow;
  Result w = run("run --hw " + kHw + " --net " + narrow_yaml + " --timing-only --weights " +
                 path("fw/fmnist-hybrid.weights"));
  EXPECT_EQ(w.status, 1) << w.out;
  EXPECT_NE(w.out.find("savp: error: " + path("fw/fmnist-hybrid.weights") + ": byte "),
            std::string::npos)
      << w.out;
  EXPECT_NE(w.out.find("record 0 (layer 'conv1'): 144 weight bytes in the file, the network's "
                       "layer needs 72"),
            std::string::npos)
      << w.out;
  // A missing file.
  Result m = run(run_args + path("nope.weights"));
  EXPECT_EQ(m.status, 1) << m.out;
  EXPECT_NE(m.out.find("cannot read weights file"), std::string::npos) << m.out;
}

TEST_F(Map, AFailedWriteLeavesNothingHalfWritten) {
  // The weights' temporary name is taken by a folder, so that write fails after the image's
  // and the listing's temporaries were written: none of the four files appears, and the
  // temporaries are gone.
  const std::string out = path("fw");
  fs::create_directories(out + "/fmnist-mult.weights.tmp");
  Result m = run("map --hw " + kHw + " --net " + net_yaml("fmnist-mult") + " -o " + out);
  EXPECT_EQ(m.status, 1) << m.out;
  EXPECT_NE(m.out.find("savp: error: savp map: cannot write '" + out + "/fmnist-mult.weights'"),
            std::string::npos)
      << m.out;
  for (const char* f : {"fmnist-mult.img", "fmnist-mult.s", "fmnist-mult.weights", "predicted.json",
                        "fmnist-mult.img.tmp", "fmnist-mult.s.tmp", "fmnist-mult.data"})
    EXPECT_FALSE(fs::exists(out + "/" + f)) << f;
  // An output "folder" that is a file.
  std::ofstream(path("file")) << "x";
  Result f = run("map --hw " + kHw + " --net " + net_yaml("fmnist-mult") + " -o " + path("file"));
  EXPECT_EQ(f.status, 1) << f.out;
  EXPECT_NE(f.out.find("cannot create output folder"), std::string::npos) << f.out;
  // An unknown objective is a usage error naming the allowed values.
  Result o =
      run("map --hw " + kHw + " --net " + net_yaml("fmnist-mult") + " --objective speed -o " + out);
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.out.find("latency"), std::string::npos) << o.out;
}

}  // namespace
