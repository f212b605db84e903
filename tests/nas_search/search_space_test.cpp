// The search-space spec (configs/nas/*.yaml) and its strict loader.
#include "nas/search/search_space.hpp"

#include <gtest/gtest.h>

#include <string>

namespace savp::nas::search {
namespace {

const std::string kDir = std::string(SAVP_SOURCE_DIR) + "/configs/nas/";

// A minimal valid spec; tests replace one line to break it.
std::string minimal(const std::string& extra_search = "", const std::string& hw_extra = "") {
  return "name: t\n"
         "skeleton:\n"
         "  stages:\n"
         "    - {channels: 8, stride: 2, blocks: 1}\n"
         "training:\n"
         "  phases:\n"
         "    - {train: [mult], epochs: 1}\n"
         "search:\n"
         "  population: 4\n" +
         extra_search +
         "hardware:\n"
         "  config: ../hw/default.yaml\n" +
         hw_extra;
}

std::string error_of(const std::string& text) {
  try {
    parse_search_space(text, kDir + "t.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(SearchSpace, ShippedSpecsLoad) {
  const SearchSpace s = load_search_space(kDir + "fmnist.yaml");
  EXPECT_EQ(s.name, "fmnist");
  EXPECT_EQ(s.input_h, 28u);
  EXPECT_EQ(s.input_c, 1u);
  EXPECT_EQ(s.stages.size(), 4u);
  EXPECT_EQ(s.blocks(), 7u);
  EXPECT_EQ(s.ops.size(), 3u);
  EXPECT_EQ(s.kernels, (std::vector<uint32_t>{3, 5}));
  EXPECT_EQ(s.expansions, (std::vector<uint32_t>{1, 3, 6}));
  ASSERT_EQ(s.training.phases.size(), 3u);  // NASA: mult+shift, adder (others frozen), joint
  EXPECT_EQ(s.training.phases[1].train, std::vector<OpKind>{OpKind::Adder});
  EXPECT_EQ(s.training.phases[1].frozen, (std::vector<OpKind>{OpKind::Mult, OpKind::Shift}));
  EXPECT_EQ(s.training.epochs, 10u);
  EXPECT_EQ(s.search.mode, SearchMode::Nsga2);
  EXPECT_EQ(s.search.max_weight_bytes, 262144.0);
  EXPECT_EQ(s.hardware.config, std::string(SAVP_SOURCE_DIR) + "/configs/hw/default.yaml");
  EXPECT_EQ(s.hash.size(), 16u);

  const SearchSpace c = load_search_space(kDir + "fmnist-codesign.yaml");
  EXPECT_EQ(c.hardware.parameters.size(), 4u);
  EXPECT_EQ(c.bit_levels(), 2u);
  EXPECT_EQ(c.weight_bits[static_cast<size_t>(OpKind::Shift)], (std::vector<uint32_t>{4, 5}));
  EXPECT_EQ(c.sparsity, (std::vector<double>{0.0, 0.5}));

  const SearchSpace t = load_search_space(kDir + "tiny.yaml");
  EXPECT_EQ(t.blocks(), 2u);
}

TEST(SearchSpace, DefaultsOfAMinimalSpec) {
  const SearchSpace s = parse_search_space(minimal(), kDir + "t.yaml");
  EXPECT_EQ(s.stem_op, OpKind::Mult);
  EXPECT_EQ(s.bit_levels(), 1u);
  EXPECT_EQ(s.weight_bits[1], std::vector<uint32_t>{5});
  EXPECT_EQ(s.baselines.ops.size(), 3u);  // all of choices.ops
  EXPECT_EQ(s.search.objectives.size(), 3u);
}

TEST(SearchSpace, UnknownKeyNamesLineColumnFieldAndAllowed) {
  const std::string e = error_of(minimal("  popluation: 8\n"));
  EXPECT_NE(e.find("t.yaml:10:3"), std::string::npos) << e;
  EXPECT_NE(e.find("popluation"), std::string::npos) << e;
  EXPECT_NE(e.find("population"), std::string::npos) << e;  // the allowed keys
}

TEST(SearchSpace, WrongTypesAndRanges) {
  EXPECT_NE(error_of(minimal("  generations: many\n")).find("search.generations"),
            std::string::npos);
  std::string odd = minimal();
  odd.replace(odd.find("population: 4"), 13, "population: 5");
  EXPECT_NE(error_of(odd).find("odd"), std::string::npos);
  EXPECT_NE(error_of(minimal("  mode: random\n")).find("nsga2"), std::string::npos);
  EXPECT_NE(error_of(minimal("  objectives: [latency_ms]\n")).find("two objectives"),
            std::string::npos);
  EXPECT_NE(error_of(minimal("  crossover_prob: 1.5\n")).find("above 1"), std::string::npos);
  std::string s = minimal();
  s.replace(s.find("stride: 2"), 9, "stride: 3");
  EXPECT_NE(error_of(s).find("skeleton.stages[0].stride"), std::string::npos);
  s = minimal() + "choices: {kernels: [3, 4]}\n";
  EXPECT_NE(error_of(s).find("choices.kernels[1]"), std::string::npos);
  s = minimal() + "choices: {sparsity: [0.5, 1.0]}\n";
  EXPECT_NE(error_of(s).find("outside [0, 1)"), std::string::npos);
  // Issue 8: the offending entry by field path (and its line, below the skeleton's).
  EXPECT_NE(error_of(s).find("field 'choices.sparsity[1]'"), std::string::npos) << error_of(s);
  s = minimal() + "choices: {sparsity: [-0.1]}\n";
  EXPECT_NE(error_of(s).find("choices.sparsity[0]"), std::string::npos) << error_of(s);
}

TEST(SearchSpace, WeightBitsPerKindAndLevels) {
  std::string e = error_of(minimal() + "choices: {weight_bits: {shift: [8]}}\n");
  EXPECT_NE(e.find("shift weights cannot be 8 bits"), std::string::npos) << e;
  EXPECT_NE(e.find("2, 3, 4, 5, 6"), std::string::npos) << e;
  EXPECT_NE(e.find("field 'choices.weight_bits.shift[0]'"), std::string::npos) << e;
  e = error_of(minimal() + "choices: {weight_bits: {mult: [3], shift: [5], adder: [8]}}\n");
  EXPECT_NE(e.find("choices.weight_bits.mult[0]"), std::string::npos) << e;
  e = error_of(minimal() + "choices: {weight_bits: {mult: [4, 8], shift: [5]}}\n");
  EXPECT_NE(e.find("same number of levels"), std::string::npos) << e;
}

TEST(SearchSpace, TrainingPhasesAreChecked) {
  std::string s = minimal();
  s.replace(s.find("{train: [mult], epochs: 1}"), 26, "{train: [mult], frozen: [mult], epochs: 1}");
  EXPECT_NE(error_of(s).find("both trains and is frozen"), std::string::npos);
  s = minimal();
  s.replace(s.find("training:\n"), 10, "training:\n  epochs: 3\n");
  EXPECT_NE(error_of(s).find("phases add up to 1"), std::string::npos);
}

TEST(SearchSpace, HardwareParametersFailAtTheirLine) {
  std::string e =
      error_of(minimal("", "  parameters:\n    - {path: \"chunks[mult0].colz\", values: [8]}\n"));
  EXPECT_NE(e.find("t.yaml:13"), std::string::npos) << e;
  EXPECT_NE(e.find("colz"), std::string::npos) << e;
  e = error_of(minimal("", "  parameters:\n    - {path: \"chunks[mult0].cols\", values: [0]}\n"));
  EXPECT_NE(e.find("t.yaml:13"), std::string::npos) << e;
  e = error_of(minimal("", "  parameters:\n    - {path: \"chunks[mult0].cols\", values: []}\n"));
  EXPECT_NE(e.find("empty value list"), std::string::npos) << e;
  std::string s = minimal();
  s.replace(s.find("../hw/default.yaml"), 18, "../hw/nope.yaml");
  EXPECT_NE(error_of(s).find("not found"), std::string::npos);
}

TEST(SearchSpace, SkeletonShapeRules) {
  std::string s = minimal();
  s.replace(
      s.find("    - {channels: 8, stride: 2, blocks: 1}\n"), 42,
      "    - {channels: 8, stride: 2, blocks: 1}\n    - {channels: 8, stride: 2, blocks: 1}\n"
      "    - {channels: 8, stride: 2, blocks: 1}\n    - {channels: 8, stride: 2, blocks: 1}\n"
      "    - {channels: 8, stride: 2, blocks: 1}\n    - {channels: 8, stride: 2, blocks: 1}\n");
  EXPECT_NE(error_of(s).find("1x1 feature map"), std::string::npos);
  EXPECT_NE(error_of(minimal() + "baselines: {expansion: 4}\n").find("baselines.expansion"),
            std::string::npos);
}

}  // namespace
}  // namespace savp::nas::search
