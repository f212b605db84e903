// Sweep specifications (explore/sweep_spec.hpp): sampling, applying points to the base config,
// and bad specs giving a ConfigError at the right line.
#include "explore/sweep_spec.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

using namespace savp;
using namespace savp::explore;

const std::string kSrc = SAVP_SOURCE_DIR;

// A spec in the source tree's configs/sweeps/ folder, so relative paths resolve as shipped.
SweepSpec spec_of(const std::string& body) {
  return parse_sweep_spec(
      "base: ../hw/default.yaml\nnetworks: [../nets/fmnist-hybrid.yaml]\n" + body,
      kSrc + "/configs/sweeps/test.yaml");
}

// The message of the ConfigError that parsing `body` throws ("" if none).
std::string error_of(const std::string& body) {
  try {
    SweepSpec s = spec_of(body);
    for (const Point& p : sample_points(s)) apply_point(s, p);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(SweepSpec, GridIsTheCartesianProductFirstParameterSlowest) {
  SweepSpec s = spec_of(
      "parameters:\n"
      "  - {path: clock_mhz, values: [250, 500]}\n"
      "  - {path: \"chunks[shift0].cols\", range: {min: 8, max: 24, step: 8}}\n");
  std::vector<Point> pts = sample_points(s);
  ASSERT_EQ(pts.size(), 6u);
  EXPECT_EQ(pts[0].values[0].text, "250");
  EXPECT_EQ(pts[0].values[1].text, "8");
  EXPECT_EQ(pts[2].values[1].text, "24");
  EXPECT_EQ(pts[3].values[0].text, "500");
  EXPECT_EQ(pts[3].values[1].text, "8");
  EXPECT_EQ(pts[5].id, 5u);
  // The point's values land in the config: shift0 (chunk 1) gets 24 columns, clock 500.
  HwConfig hw = apply_point(s, pts[5]);
  EXPECT_EQ(hw.clock_mhz, 500.0);
  EXPECT_EQ(hw.chunks[1].cols, 24u);
  EXPECT_EQ(hw.chunks[0].cols, 16u);  // untouched
  EXPECT_EQ(params_json(s, pts[5]), R"({"clock_mhz":500,"chunks[shift0].cols":24})");
}

TEST(SweepSpec, ListZipsAndWildcardSetsEveryChunk) {
  SweepSpec s = spec_of(
      "sampling: list\n"
      "parameters:\n"
      "  - {path: \"chunks[*].ibuf.capacity_bytes\", values: [16384, 32768]}\n"
      "  - {path: dram.preset, values: [DDR4-2400, HBM2]}\n");
  std::vector<Point> pts = sample_points(s);
  ASSERT_EQ(pts.size(), 2u);
  HwConfig hw = apply_point(s, pts[1]);
  for (const ChunkConfig& c : hw.chunks) EXPECT_EQ(c.ibuf.capacity_bytes, 32768u);
  EXPECT_EQ(hw.dram.preset, "HBM2");
  EXPECT_EQ(hw.chunks[0].wbuf.capacity_bytes, 65536u);  // the base's value
}

TEST(SweepSpec, GeometricRange) {
  SweepSpec s = spec_of(
      "parameters:\n  - {path: global_buffer.capacity_bytes, range: {min: 65536, max: 524288, "
      "factor: 2}}\n");
  std::vector<Point> pts = sample_points(s);
  ASSERT_EQ(pts.size(), 4u);  // 64K, 128K, 256K, 512K
  EXPECT_EQ(pts[3].values[0].text, "524288");
}

TEST(SweepSpec, RandomIsSeededAndDeterministic) {
  const std::string body =
      "sampling: random\nsamples: 20\nsample_seed: SEED\n"
      "parameters:\n  - {path: clock_mhz, range: {min: 100, max: 1000}}\n";
  auto with = [&](const std::string& seed) {
    std::string b = body;
    b.replace(b.find("SEED"), 4, seed);
    std::vector<std::string> v;
    for (const Point& p : sample_points(spec_of(b))) v.push_back(p.values[0].text);
    return v;
  };
  EXPECT_EQ(with("3"), with("3"));
  EXPECT_NE(with("3"), with("4"));
  for (const std::string& t : with("3")) {
    const int mhz = std::stoi(t);  // integer bounds: integer values
    EXPECT_GE(mhz, 100);
    EXPECT_LE(mhz, 1000);
  }
}

TEST(SweepSpec, LatinHypercubeUsesEveryStratumOnce) {
  // 10 samples of a continuous [0, 1000) clock: stratum k = [100k, 100k + 100) holds one point.
  SweepSpec s = spec_of(
      "sampling: latin_hypercube\nsamples: 10\n"
      "parameters:\n  - {path: clock_mhz, range: {min: 0.5, max: 1000.5}}\n"
      "  - {path: \"chunks[mult0].rows\", range: {min: 4.5, max: 64.5}}\n");
  std::vector<Point> pts = sample_points(s);
  ASSERT_EQ(pts.size(), 10u);
  for (size_t k = 0; k < 2; ++k) {
    std::set<int> strata;
    const double lo = k == 0 ? 0.5 : 4.5, width = k == 0 ? 100.0 : 6.0;
    for (const Point& p : pts) strata.insert(static_cast<int>((p.values[k].number - lo) / width));
    EXPECT_EQ(strata.size(), 10u) << "parameter " << k;
  }
}

TEST(SweepSpec, ConstraintsParseAndCompare) {
  SweepSpec s = spec_of(
      "parameters:\n  - {path: clock_mhz, values: [500]}\nconstraints: [\"area_mm2 <= 6\", \"pes > "
      "100\"]\n");
  ASSERT_EQ(s.constraints.size(), 2u);
  EXPECT_TRUE(s.constraints[0].holds(6.0));
  EXPECT_FALSE(s.constraints[0].holds(6.01));
  EXPECT_FALSE(s.constraints[1].holds(100));
  EXPECT_EQ(s.constraints[1].where.line, 5);  // two lines of base and networks, then 3
}

TEST(SweepSpec, HashCoversTheSpecText) {
  const std::string a = "parameters:\n  - {path: clock_mhz, values: [500]}\n";
  EXPECT_EQ(spec_of(a).hash, spec_of(a).hash);
  EXPECT_NE(spec_of(a).hash, spec_of(a + "seed: 2\n").hash);
}

TEST(SweepSpecErrors, UnknownPathNamesTheSpecLine) {
  std::string e = error_of(
      "parameters:\n  - {path: clock_mhz, values: [500]}\n  - {path: \"chunks[shift0].colz\", "
      "values: [8]}\n");
  EXPECT_NE(e.find("test.yaml:5:"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown parameter path 'chunks[shift0].colz'"), std::string::npos) << e;
  EXPECT_NE(e.find("cols"), std::string::npos) << e;  // the fields that exist there
  e = error_of("parameters:\n  - {path: \"chunks[shift9].cols\", values: [8]}\n");
  EXPECT_NE(e.find("test.yaml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("no element 'shift9'"), std::string::npos) << e;
  EXPECT_NE(e.find("mult0"), std::string::npos) << e;
  e = error_of("parameters:\n  - {path: \"chunks[.cols\", values: [8]}\n");
  EXPECT_NE(e.find("bad parameter path"), std::string::npos) << e;
}

TEST(SweepSpecErrors, EmptyGridsAndRanges) {
  std::string e = error_of("parameters:\n  - {path: clock_mhz, values: []}\n");
  EXPECT_NE(e.find("test.yaml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("empty value list"), std::string::npos) << e;
  e = error_of("parameters:\n  - {path: clock_mhz, range: {min: 9, max: 3, step: 1}}\n");
  EXPECT_NE(e.find("empty range"), std::string::npos) << e;
  e = error_of("parameters: []\n");
  EXPECT_NE(e.find("no parameter"), std::string::npos) << e;
  e = error_of(
      "parameters:\n  - {path: clock_mhz, range: {min: 1, max: 3}}\n");  // continuous, grid
  EXPECT_NE(e.find("needs random or latin_hypercube"), std::string::npos) << e;
}

TEST(SweepSpecErrors, OtherBadFields) {
  EXPECT_NE(error_of("parameters:\n  - {path: clock_mhz, values: [1]}\nobjective: speed\n")
                .find("objective"),
            std::string::npos);
  EXPECT_NE(
      error_of("parameters:\n  - {path: clock_mhz, values: [1]}\nconstraints: [\"volume < 3\"]\n")
          .find("unknown figure 'volume'"),
      std::string::npos);
  EXPECT_NE(error_of("sampling: list\nparameters:\n  - {path: clock_mhz, values: [1, 2]}\n"
                     "  - {path: dram.preset, values: [HBM2]}\n")
                .find("has 1 values and the first has 2"),
            std::string::npos);
  EXPECT_NE(error_of("sampling: random\nparameters:\n  - {path: clock_mhz, values: [1]}\n")
                .find("'samples'"),
            std::string::npos);
  EXPECT_NE(error_of("parameters:\n  - {path: clock_mhz, values: [1]}\nfoo: 1\n")
                .find("unknown field 'foo'"),
            std::string::npos);
}

TEST(SweepSpecErrors, AValueTheConfigRejectsNamesThePoint) {
  const std::string e = error_of(
      "parameters:\n  - {path: clock_mhz, values: [500]}\n"
      "  - {path: \"chunks[mult0].rows\", values: [16, 0]}\n");
  EXPECT_NE(e.find("test.yaml:5:"), std::string::npos) << e;  // the rows parameter's line
  EXPECT_NE(e.find("point 1"), std::string::npos) << e;
  EXPECT_NE(e.find("\"chunks[mult0].rows\":0"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range (allowed: 1..4096)"), std::string::npos) << e;
}

TEST(SweepSpec, ShippedSweepsLoad) {
  for (const char* n :
       {"pe-split", "pe-split-wide", "buffer-sizes", "dram-standards", "fold-overlap"}) {
    SweepSpec s = load_sweep_spec(kSrc + "/configs/sweeps/" + n + ".yaml");
    std::vector<Point> pts = sample_points(s);
    EXPECT_GT(pts.size(), 1u) << n;
    for (const Point& p : pts) apply_point(s, p);  // every point is a valid config
  }
}

}  // namespace

namespace {

// Regression tests for what fuzzing the spec parser (tests/fuzz/fuzz_sweep_spec.cpp) is after.
// A step range's count was converted to uint64 before the 1e6 check: (max - min) / step far
// beyond 2^64 is undefined behaviour (UBSan: float-cast-overflow) and could pass the check.
TEST(SweepSpecErrors, AStepRangeBeyondAnyIntegerIsTooManyValues) {
  std::string e = error_of(
      "parameters:\n  - {path: clock_mhz, range: {min: -1e300, max: 1e300, step: 1}}\n");
  EXPECT_NE(e.find("test.yaml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("values is too many"), std::string::npos) << e;
  e = error_of("parameters:\n  - {path: clock_mhz, range: {min: 1, max: 2, step: 1e-300}}\n");
  EXPECT_NE(e.find("values is too many"), std::string::npos) << e;
  EXPECT_NE(e.find("at most 1000000 values"), std::string::npos) << e;
}

// A geometric range had no bound at all: factor 1.0000001 from 1e-300 to 1e300 is 1.4e10
// values (minutes of work and ~600 GB before this check).
TEST(SweepSpecErrors, AGeometricRangeIsBoundedLikeAStepRange) {
  std::string e = error_of(
      "parameters:\n  - {path: clock_mhz, range: {min: 1e-300, max: 1e300, factor: 1.0000001}}\n");
  EXPECT_NE(e.find("test.yaml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("more than 1000000 values"), std::string::npos) << e;
  // Up to the largest double: x * factor overflows to inf, which is not a value.
  SweepSpec s = spec_of(
      "parameters:\n  - {path: clock_mhz, range: {min: 1e307, max: 1.7e308, factor: 10}}\n");
  ASSERT_EQ(s.parameters[0].values.size(), 2u);
  EXPECT_EQ(s.parameters[0].values[1].text, "1e+308");
}

// An integer range past int64 was written into the config as llround's unspecified result
// (-9223372036854775808 on x86-64), a value nobody asked for; it prints as a double now.
TEST(SweepSpec, IntegerValuesBeyondInt64PrintAsDoubles) {
  SweepSpec s = spec_of(
      "parameters:\n  - {path: clock_mhz, range: {min: 1000000000000000, max: 1e20, "
      "factor: 10}}\n");
  const auto& v = s.parameters[0].values;
  ASSERT_EQ(v.size(), 6u);  // 1e15 .. 1e20
  EXPECT_EQ(v[0].text, "1000000000000000");
  EXPECT_EQ(v[4].text, "1e+19");
  EXPECT_EQ(v[5].text, "1e+20");
  EXPECT_DOUBLE_EQ(v[5].number, 1e20);
}

}  // namespace

namespace {

// Found by fuzz_sweep_spec (tests/fuzz/sweep_spec/invalid_utf8_path.yaml): a parameter path
// with a byte that is not UTF-8 made params_json throw nlohmann's type_error, which savp sweep
// did not expect (it died); the byte becomes U+FFFD and the path is an unknown field.
TEST(SweepSpecErrors, APathThatIsNotUtf8IsAnUnknownFieldNotACrash) {
  SweepSpec s = spec_of("parameters:\n  - {path: \"chunks[*].wb\x89uf.capacity_bytes\", "
                        "values: [16384]}\n");
  const std::vector<Point> pts = sample_points(s);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(params_json(s, pts[0]), "{\"chunks[*].wb\xEF\xBF\xBDuf.capacity_bytes\":16384}");
  try {
    apply_point(s, pts[0]);
    ADD_FAILURE() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("test.yaml:4:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("has no field"), std::string::npos) << e.what();
  }
}

}  // namespace
