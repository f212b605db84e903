// libFuzzer target: DRAMSys .stl / .rstl request traces (models/dram/stl_trace.cpp, read by
// `savp replay`). The input is read line by line through StlReader::parse_line, once with
// absolute and once with relative timestamps, with the capacity check on. Accepted requests
// must lie inside the capacity and, in absolute files, never go back in time.
#include <optional>
#include <string>

#include "common/errors.hpp"
#include "models/dram/stl_trace.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

void read_all(const std::string& text, savp::dram::StlTimestamps ts) {
  savp::dram::StlReaderOptions opt;
  opt.timestamps = ts;
  opt.default_bytes = 64;
  opt.capacity_bytes = uint64_t{1} << 30;
  std::optional<uint64_t> prev, end;
  size_t begin = 0;
  for (uint64_t line_no = 1; begin <= text.size(); ++line_no) {
    size_t nl = text.find('\n', begin);
    if (nl == std::string::npos) nl = text.size();
    savp::dram::StlRequest r;
    if (savp::dram::StlReader::parse_line(text.substr(begin, nl - begin), line_no, "fuzz.stl",
                                          opt, prev, r, &end)) {
      if (r.bytes == 0 || r.address >= opt.capacity_bytes ||
          r.bytes > opt.capacity_bytes - r.address)
        savp::fuzz::fail("an accepted request lies outside the capacity");
      if (prev && r.cycle < *prev) savp::fuzz::fail("an accepted request goes back in time");
      if (r.line != line_no) savp::fuzz::fail("the request has the wrong line number");
      prev = r.cycle;
    }
    begin = nl + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = savp::fuzz::text_of(data, size);
  for (auto ts : {savp::dram::StlTimestamps::Absolute, savp::dram::StlTimestamps::Relative}) {
    try {
      read_all(text, ts);
    } catch (const savp::Error&) {
    }
  }
  return 0;
}
