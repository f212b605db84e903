// Streams a Chrome / Perfetto trace-event JSON file ("JSON Object Format": an object whose
// "traceEvents" array holds the events, then "displayTimeUnit" and "metadata"). Events go
// to disk as they come, so a long run never holds its trace in memory; the closing of the
// array and the metadata are written by close() (or the destructor), so the file is valid
// JSON however the run ended. A size cap stops recording cleanly: later events are counted
// and dropped, the metadata notes the truncation, and one warning goes to stderr.
// Free of SystemC: times are integer picoseconds, written as microseconds with 6 decimals
// (exact to the picosecond, so a reader can add durations without rounding).
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace savp::trace {

// `s` as the inside of a JSON string literal.
std::string json_escape(std::string_view s);
// Picoseconds as microseconds, exact: 1234567 -> "1.234567".
std::string ps_to_us(int64_t ps);

class TimelineWriter {
 public:
  // Opens (truncates) `path`. Throws savp::Error if it cannot be written or the cap is too
  // small to hold the file's frame.
  TimelineWriter(const std::string& path, uint64_t max_bytes);
  ~TimelineWriter();
  TimelineWriter(const TimelineWriter&) = delete;
  TimelineWriter& operator=(const TimelineWriter&) = delete;

  // Appends one event, a complete JSON object. Returns false (and drops it) once the cap is
  // reached.
  bool event(std::string_view json_object);
  // Ends the array and writes the metadata object (kept under the reserved tail space).
  // Throws savp::Error on an I/O error. Idempotent.
  void close(nlohmann::json metadata);

  bool truncated() const { return truncated_; }
  uint64_t events() const { return events_; }
  uint64_t dropped() const { return dropped_; }
  uint64_t bytes() const { return written_; }
  const std::string& path() const { return path_; }

  // Bytes kept free for the closing metadata.
  static constexpr uint64_t kTailReserve = 16 * 1024;

 private:
  void put(std::string_view s);

  std::string path_;
  std::FILE* f_ = nullptr;
  std::vector<char> buffer_;
  uint64_t max_bytes_;
  uint64_t written_ = 0, events_ = 0, dropped_ = 0;
  bool truncated_ = false, closed_ = false;
};

}  // namespace savp::trace
