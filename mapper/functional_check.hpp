// The functional check of `savp run --functional` (issue 3, "Correctness"): every layer's output
// region, as the platform left it in DRAM, compared byte for byte with the reference executor's
// output of that layer. Kept here, next to the reference executor, so it is one testable
// function rather than code inside the CLI.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mapper/network.hpp"

namespace savp::mapper {

struct FunctionalCheck {
  bool ok = true;
  size_t layers_checked = 0;  // layers compared before the first difference (all when ok)
  std::string message;        // the first problem; empty when ok
};

// Compares, in layer order, outputs[layer name] with expected[i] (run_reference's result,
// indexed like net.layers; outputs hold raw int8 bytes). The first problem wins: a layer with no
// output region ("functional check: layer 'x' has no output region"), a region of another size
// ("functional check: layer 'x' output region has N bytes, expected M"), or the first differing
// element ("functional check: layer 'x' element E differs: got G, expected R").
FunctionalCheck check_outputs(const Network& net, const std::vector<std::vector<int8_t>>& expected,
                              const std::map<std::string, std::vector<uint8_t>>& outputs);

}  // namespace savp::mapper
