#include "platform/trace/timeline_writer.hpp"

#include <fmt/format.h>

#include <iostream>

#include "common/errors.hpp"

namespace savp::trace {

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
  return out;
}

std::string ps_to_us(int64_t ps) {
  const bool neg = ps < 0;
  const uint64_t a = neg ? static_cast<uint64_t>(-(ps + 1)) + 1 : static_cast<uint64_t>(ps);
  return fmt::format("{}{}.{:06}", neg ? "-" : "", a / 1000000, a % 1000000);
}

namespace {
constexpr std::string_view kHead = "{\"traceEvents\":[\n";
}  // namespace

TimelineWriter::TimelineWriter(const std::string& path, uint64_t max_bytes)
    : path_(path), max_bytes_(max_bytes) {
  if (max_bytes_ < kHead.size() + kTailReserve + 1024)
    throw Error(fmt::format("trace {}: a size limit of {} bytes is too small (at least {} bytes)",
                            path, max_bytes_, kHead.size() + kTailReserve + 1024));
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) throw Error(fmt::format("trace {}: cannot open for writing", path));
  buffer_.resize(1 << 16);
  std::setvbuf(f_, buffer_.data(), _IOFBF, buffer_.size());
  put(kHead);
}

TimelineWriter::~TimelineWriter() {
  if (closed_) return;
  try {
    close(nlohmann::json{{"savp", {{"note", "the recorder was destroyed before the run ended"}}}});
  } catch (const std::exception&) {
    // A destructor must not throw; the file may be incomplete after an I/O error.
  }
}

void TimelineWriter::put(std::string_view s) {
  if (std::fwrite(s.data(), 1, s.size(), f_) != s.size())
    throw Error(fmt::format("trace {}: write failed (disk full?)", path_));
  written_ += s.size();
}

bool TimelineWriter::event(std::string_view ev) {
  if (closed_ || truncated_) {
    ++dropped_;
    return false;
  }
  // ",\n" before every event but the first.
  const uint64_t need = ev.size() + 2;
  if (written_ + need + kTailReserve > max_bytes_) {
    truncated_ = true;
    ++dropped_;
    std::cerr << fmt::format(
        "savp: warning: trace {} reached its size limit of {:.1f} MiB: recording stopped at "
        "{} events (the run goes on; the file stays valid JSON)\n",
        path_, static_cast<double>(max_bytes_) / (1 << 20), events_);
    return false;
  }
  if (events_ > 0) put(",\n");
  put(ev);
  ++events_;
  return true;
}

void TimelineWriter::close(nlohmann::json metadata) {
  if (closed_) return;
  closed_ = true;
  nlohmann::json& s = metadata["savp"];
  s["events"] = events_;
  s["truncated"] = truncated_;
  s["dropped_events"] = dropped_;
  if (truncated_)
    s["truncation_note"] = fmt::format(
        "recording stopped when the file reached its size limit of {} bytes; {} later events "
        "were dropped (raise --trace-max-mb or narrow --trace-window)",
        max_bytes_, dropped_);
  std::string tail = "\n],\n\"displayTimeUnit\":\"ns\",\n\"metadata\":" + metadata.dump() + "}\n";
  bool ok = true;
  try {
    put(tail);
  } catch (const Error&) {
    ok = false;
  }
  ok = std::fclose(f_) == 0 && ok;
  f_ = nullptr;
  if (!ok) throw Error(fmt::format("trace {}: write failed (disk full?)", path_));
}

}  // namespace savp::trace
