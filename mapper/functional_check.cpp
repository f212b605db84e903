#include "mapper/functional_check.hpp"

#include <fmt/format.h>

#include "common/errors.hpp"

namespace savp::mapper {

FunctionalCheck check_outputs(const Network& net, const std::vector<std::vector<int8_t>>& expected,
                              const std::map<std::string, std::vector<uint8_t>>& outputs) {
  if (expected.size() != net.layers.size())
    throw Error(fmt::format("functional check: {} reference outputs for the {} layers of '{}'",
                            expected.size(), net.layers.size(), net.name));
  FunctionalCheck r;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const std::string& name = net.layers[i].name;
    auto it = outputs.find(name);
    if (it == outputs.end()) {
      r.ok = false;
      r.message = fmt::format("functional check: layer '{}' has no output region", name);
      return r;
    }
    const std::vector<uint8_t>& got = it->second;
    const std::vector<int8_t>& want = expected[i];
    // Elements first, so a short region that is right as far as it goes names its size.
    for (size_t e = 0; e < want.size() && e < got.size(); ++e) {
      const int g = static_cast<int8_t>(got[e]);
      if (g != want[e]) {
        r.ok = false;
        r.message =
            fmt::format("functional check: layer '{}' element {} differs: got {}, expected {}",
                        name, e, g, static_cast<int>(want[e]));
        return r;
      }
    }
    if (got.size() != want.size()) {
      r.ok = false;
      r.message =
          fmt::format("functional check: layer '{}' output region has {} bytes, expected {}", name,
                      got.size(), want.size());
      return r;
    }
    ++r.layers_checked;
  }
  return r;
}

}  // namespace savp::mapper
