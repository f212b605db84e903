#include "models/dram/stl_trace.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>

namespace savp::dram {

namespace {

constexpr const char* kEndDirective = "# savp: end ";
// The largest "(<bytes>)" accepted: one request of up to 1 GiB (DRAMSys takes an unsigned).
constexpr uint64_t kMaxRequestBytes = uint64_t{1} << 30;

struct Token {
  std::string text;
  int column = 0;  // 1-based
};

std::vector<Token> split(const std::string& line) {
  std::vector<Token> t;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    t.push_back(Token{line.substr(i, j - i), static_cast<int>(i) + 1});
    i = j;
  }
  return t;
}

// Parses digits of `base` (10 or 16) into v; false on an empty string, another character
// or overflow.
bool parse_uint(const std::string& s, int base, uint64_t& v) {
  if (s.empty()) return false;
  v = 0;
  for (char ch : s) {
    int d;
    if (ch >= '0' && ch <= '9')
      d = ch - '0';
    else if (base == 16 && ch >= 'a' && ch <= 'f')
      d = ch - 'a' + 10;
    else if (base == 16 && ch >= 'A' && ch <= 'F')
      d = ch - 'A' + 10;
    else
      return false;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) /
                static_cast<uint64_t>(base))
      return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  return true;
}

std::string strip_0x(const std::string& s) {
  return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s.substr(2) : s;
}

std::string hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

const char* kFormat = "<cycle>: [(<bytes>)] read|write 0x<address> [0x<data>]";

}  // namespace

StlTimestamps stl_timestamps_for(const std::string& path) {
  std::string ext = path.size() >= 5 ? path.substr(path.size() - 5) : "";
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".rstl" ? StlTimestamps::Relative : StlTimestamps::Absolute;
}

bool StlReader::parse_line(const std::string& raw, uint64_t line_no, const std::string& path,
                           const StlReaderOptions& opt, std::optional<uint64_t> prev_cycle,
                           StlRequest& out, std::optional<uint64_t>* end_directive) {
  std::string line = raw;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<Token> tok = split(line);
  if (tok.empty()) return false;
  if (tok[0].text[0] == '#') {
    if (end_directive && line.rfind(kEndDirective, 0) == 0) {
      uint64_t v = 0;
      std::string rest = line.substr(std::char_traits<char>::length(kEndDirective));
      while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back()))) rest.pop_back();
      if (!parse_uint(rest, 10, v))
        throw TraceError({path, static_cast<int>(line_no), 1}, "savp: end",
                         "'" + rest + "' is not a cycle count", "a decimal number of cycles");
      *end_directive = v;
    }
    return false;
  }
  auto fail = [&](size_t t, const std::string& field, const std::string& msg,
                  const std::string& allowed) -> TraceError {
    const int col = t < tok.size() ? tok[t].column : static_cast<int>(line.size()) + 1;
    return TraceError({path, static_cast<int>(line_no), col}, field, msg, allowed);
  };

  // Timestamp: digits with an optional ':'.
  std::string ts = tok[0].text;
  if (ts.back() == ':') ts.pop_back();
  uint64_t cycle = 0;
  if (!parse_uint(ts, 10, cycle))
    throw fail(0, "timestamp", "'" + tok[0].text + "' is not a cycle count",
               std::string("a decimal number of cycles, then ':' (") + kFormat + ")");
  size_t i = 1;
  // Optional "(<bytes>)".
  uint64_t bytes = opt.default_bytes;
  if (i < tok.size() && tok[i].text[0] == '(') {
    const std::string& l = tok[i].text;
    uint64_t v = 0;
    if (l.size() < 3 || l.back() != ')' || !parse_uint(l.substr(1, l.size() - 2), 10, v))
      throw fail(i, "length", "'" + l + "' is not a data length", "(<bytes>), e.g. (64)");
    if (v == 0 || v > kMaxRequestBytes)
      throw fail(i, "length", "is " + std::to_string(v) + " bytes",
                 "1 to " + std::to_string(kMaxRequestBytes));
    bytes = v;
    ++i;
  }
  if (i >= tok.size())
    throw fail(i, "command", "is missing (the line ends after the timestamp)", "read, write");
  bool is_write;
  if (tok[i].text == "read")
    is_write = false;
  else if (tok[i].text == "write")
    is_write = true;
  else
    throw fail(i, "command", "'" + tok[i].text + "' is not a command", "read, write");
  ++i;
  if (i >= tok.size())
    throw fail(i, "address", "is missing (the line ends after the command)",
               "a hexadecimal address, e.g. 0x1f40");
  uint64_t addr = 0;
  if (!parse_uint(strip_0x(tok[i].text), 16, addr))
    throw fail(i, "address", "'" + tok[i].text + "' is not a hexadecimal address",
               "a hexadecimal address, e.g. 0x1f40");
  const size_t addr_tok = i;
  ++i;
  if (i < tok.size() && is_write) {  // optional write data (DRAMSys storage mode)
    const std::string d = strip_0x(tok[i].text);
    uint64_t unused;
    bool ok = tok[i].text.size() > 2 && d.size() == 2 * bytes;
    for (size_t k = 0; ok && k < d.size(); k += 16)
      ok = parse_uint(d.substr(k, std::min<size_t>(16, d.size() - k)), 16, unused);
    if (!ok)
      throw fail(i, "data", "is not 0x followed by " + std::to_string(2 * bytes) + " hex digits",
                 "0x and two hex digits per byte of the request");
    ++i;
  }
  if (i < tok.size())
    throw fail(i, "line", "unexpected '" + tok[i].text + "' after the request", kFormat);
  if (opt.capacity_bytes != 0 &&
      (addr >= opt.capacity_bytes || bytes > opt.capacity_bytes - addr))
    throw fail(addr_tok, "address",
               "[" + hex(addr) + ", " + hex(addr + bytes) + ") is beyond the DRAM capacity " +
                   hex(opt.capacity_bytes),
               "addresses below " + hex(opt.capacity_bytes));

  if (opt.timestamps == StlTimestamps::Relative) {
    const uint64_t base = prev_cycle.value_or(0);
    if (cycle > std::numeric_limits<uint64_t>::max() - base)
      throw fail(0, "timestamp", "the sum of the relative cycles overflows", "smaller delays");
    cycle += base;
  } else if (prev_cycle && cycle < *prev_cycle) {
    throw fail(0, "timestamp",
               "cycle " + std::to_string(cycle) + " is before the previous request's cycle " +
                   std::to_string(*prev_cycle) + " (out of order)",
               "absolute cycles that do not decrease (>= " + std::to_string(*prev_cycle) +
                   "); relative delays belong in a .rstl file");
  }
  out.cycle = cycle;
  out.is_write = is_write;
  out.address = addr;
  out.bytes = static_cast<uint32_t>(bytes);
  out.line = line_no;
  return true;
}

StlReader::StlReader(const std::string& path, const StlReaderOptions& opt)
    : path_(path), opt_(opt), in_(path, std::ios::binary) {
  if (!in_) throw Error("cannot open DRAM trace '" + path + "'");
}

bool StlReader::next(StlRequest& r) {
  while (std::getline(in_, line_)) {
    ++line_no_;
    if (parse_line(line_, line_no_, path_, opt_, prev_cycle_, r, &end_cycle_)) {
      prev_cycle_ = r.cycle;
      ++requests_;
      return true;
    }
  }
  if (in_.bad()) throw Error("cannot read DRAM trace '" + path_ + "'");
  return false;
}

StlWriter::StlWriter(const std::string& path, const std::vector<std::string>& header,
                     uint32_t default_bytes)
    : path_(path),
      tmp_(path + ".tmp"),
      out_(tmp_, std::ios::binary | std::ios::trunc),
      ts_(stl_timestamps_for(path)),
      default_bytes_(default_bytes) {
  if (!out_) throw Error("cannot write DRAM trace '" + path + "'");
  for (const std::string& h : header) out_ << "# " << h << '\n';
}

StlWriter::~StlWriter() {
  if (!finished_) {
    out_.close();
    std::remove(tmp_.c_str());
  }
}

void StlWriter::write(uint64_t cycle, bool is_write, uint64_t address, uint32_t bytes) {
  if (requests_ > 0 && cycle < last_cycle_)
    throw Error("DRAM trace '" + path_ + "': request at cycle " + std::to_string(cycle) +
                " after one at cycle " + std::to_string(last_cycle_));
  const uint64_t stamp = ts_ == StlTimestamps::Relative && requests_ > 0 ? cycle - last_cycle_
                                                                         : cycle;
  char buf[96];
  int n;
  if (bytes == default_bytes_)
    n = std::snprintf(buf, sizeof buf, "%llu: %s 0x%llx\n", static_cast<unsigned long long>(stamp),
                      is_write ? "write" : "read", static_cast<unsigned long long>(address));
  else
    n = std::snprintf(buf, sizeof buf, "%llu: (%u) %s 0x%llx\n",
                      static_cast<unsigned long long>(stamp), bytes, is_write ? "write" : "read",
                      static_cast<unsigned long long>(address));
  out_.write(buf, n);
  last_cycle_ = cycle;
  ++requests_;
}

void StlWriter::finish(uint64_t end_cycle) {
  out_ << kEndDirective << std::max(end_cycle, last_cycle_) << '\n';
  out_.flush();
  if (!out_) throw Error("cannot write DRAM trace '" + path_ + "'");
  out_.close();
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::remove(tmp_.c_str());
    throw Error("cannot write DRAM trace '" + path_ + "'");
  }
  finished_ = true;
}

}  // namespace savp::dram
