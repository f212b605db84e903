// The tracing options shared by savp run and savp sim (--trace, --trace-window,
// --trace-max-mb, --trace-counter-us, --vcd).
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "common/errors.hpp"

namespace savp::app {

namespace {
// "START:END" in simulated us; either side may be empty ("100:", ":250").
void parse_window(const std::string& s, TraceOptions& t) {
  const std::string allowed =
      "expected START:END in simulated microseconds from the run's "
      "start, e.g. 100:250, 100: or :250";
  const size_t colon = s.find(':');
  if (colon == std::string::npos || s.find(':', colon + 1) != std::string::npos)
    throw Error(fmt::format("--trace-window '{}': {}", s, allowed));
  auto number = [&](const std::string& part, double fallback) {
    if (part.empty()) return fallback;
    char* end = nullptr;
    const double v = std::strtod(part.c_str(), &end);
    if (end != part.c_str() + part.size() || !(v >= 0) || v > 1e15)
      throw Error(fmt::format("--trace-window '{}': '{}' is not a non-negative number; {}", s, part,
                              allowed));
    return v;
  };
  t.window_start_us = number(s.substr(0, colon), 0.0);
  t.window_end_us = number(s.substr(colon + 1), 0.0);
  if (colon + 1 < s.size() && t.window_end_us <= t.window_start_us)
    throw Error(
        fmt::format("--trace-window '{}': the end must be after the start; {}", s, allowed));
}
}  // namespace

std::function<TraceOptions()> add_trace_options(CLI::App* sub) {
  struct Raw {
    std::string timeline, window, vcd;
    double max_mb = 256, counter_us = 1.0;
  };
  auto r = std::make_shared<Raw>();
  sub->add_option("--trace", r->timeline,
                  "write a Chrome/Perfetto trace-event JSON timeline here (savp analyze reads it)");
  sub->add_option("--trace-window", r->window,
                  "record only START:END of simulated time (us from the run's start)");
  sub->add_option("--trace-max-mb", r->max_mb,
                  "stop recording the timeline at this file size (MiB; the run goes on)")
      ->check(CLI::Range(0.1, 1e6));
  sub->add_option("--trace-counter-us", r->counter_us,
                  "window of the timeline's DRAM bandwidth counter (simulated us)")
      ->check(CLI::Range(1e-3, 1e6));
  sub->add_option("--vcd", r->vcd, "write waveforms (engine busy, DRAM banks, queues) as VCD");
  return [r] {
    TraceOptions t;
    t.timeline_path = r->timeline;
    if (!r->window.empty()) {
      if (r->timeline.empty()) throw Error("--trace-window needs --trace FILE");
      parse_window(r->window, t);
    }
    t.max_bytes = static_cast<uint64_t>(r->max_mb * 1024 * 1024);
    t.counter_window_us = r->counter_us;
    t.vcd_path = r->vcd;
    return t;
  };
}

}  // namespace savp::app
