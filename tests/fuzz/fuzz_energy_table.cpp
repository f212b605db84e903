// libFuzzer target: energy tables (common/energy_table.cpp). The loader reads a path, so each
// input goes through one temporary file of this process.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/energy_table.hpp"
#include "common/errors.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      (std::filesystem::temp_directory_path() /
       ("savp_fuzz_energy_" + std::to_string(::getpid()) + ".yaml"))
          .string();
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    savp::EnergyTable t = savp::load_energy_table(path);
    // A table that loads gives finite, non-negative energies and areas everywhere.
    for (int k = 0; k < savp::kNumOpKinds; ++k)
      for (int bits : {2, 4, 8, 16}) {
        double e = t.pe_op(static_cast<savp::OpKind>(k), bits);
        double a = t.pe_area(static_cast<savp::OpKind>(k), bits);
        if (!std::isfinite(e) || e < 0 || !std::isfinite(a) || a < 0)
          savp::fuzz::fail("pe_op/pe_area not finite and >= 0");
      }
    for (uint64_t cap : {uint64_t{1}, uint64_t{4096}, uint64_t{1} << 20, uint64_t{1} << 40}) {
      double e = t.sram_access(cap, 8), a = t.sram_area(cap);
      if (!std::isfinite(e) || e < 0 || !std::isfinite(a) || a < 0)
        savp::fuzz::fail("sram_access/sram_area not finite and >= 0");
    }
    for (const auto& [family, pj] : t.dram_pj_per_bit)
      if (t.dram_bit(family) != pj) savp::fuzz::fail("dram_bit lookup");
  } catch (const savp::Error&) {
  }
  return 0;
}
