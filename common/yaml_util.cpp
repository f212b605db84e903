#include "common/yaml_util.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef SAVP_SOURCE_DIR
#define SAVP_SOURCE_DIR "."
#endif

namespace savp::yaml {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Parses an unsigned integer: decimal or 0x-hex digits, an optional leading '+'.
// Returns false on anything else (sign, fraction, trailing text) or on overflow.
bool parse_u64(const std::string& text, uint64_t& out) {
  std::string s = trim(text);
  if (!s.empty() && s[0] == '+') s = s.substr(1);
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s = s.substr(2);
  }
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (base == 16 && std::isxdigit(static_cast<unsigned char>(c))) {
      d = std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    } else {
      return false;
    }
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) /
                static_cast<uint64_t>(base))
      return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  out = v;
  return true;
}

std::string range_text(uint64_t lo, uint64_t hi) {
  if (hi == std::numeric_limits<uint64_t>::max()) return ">= " + std::to_string(lo);
  return std::to_string(lo) + ".." + std::to_string(hi);
}

std::string mark_text(const YAML::Mark& m) {
  if (m.is_null()) return "";
  return "line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1);
}

}  // namespace

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) s += sep;
    s += items[i];
  }
  return s;
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

// ---- Value ----------------------------------------------------------------------------------

Value::Value(std::string file, YAML::Node node, std::string path, YAML::Mark mark)
    : file_(std::move(file)), node_(std::move(node)), path_(std::move(path)), mark_(mark) {}

Value& Value::operator=(const Value& o) {
  if (this != &o) {
    file_ = o.file_;
    node_.reset(o.node_);
    path_ = o.path_;
    mark_ = o.mark_;
  }
  return *this;
}

SourceLocation Value::location() const {
  SourceLocation loc;
  loc.file = file_;
  if (!mark_.is_null()) {
    loc.line = mark_.line + 1;
    loc.column = mark_.column + 1;
  }
  return loc;
}

void Value::fail(const std::string& message, const std::string& allowed) const {
  throw ConfigError(location(), path_, message, allowed);
}

std::string Value::text() const { return node_.IsScalar() ? node_.Scalar() : std::string(); }

std::string Value::describe() const {
  if (!node_.IsDefined() || node_.IsNull()) return "nothing (null)";
  if (node_.IsMap()) return "a map";
  if (node_.IsSequence()) return "a sequence";
  // At most 64 characters of the value: a message quotes it, it does not repeat the file.
  const std::string& v = node_.Scalar();
  if (v.size() > 64) return "'" + v.substr(0, 64) + "...' (" + std::to_string(v.size()) + " characters)";
  return "'" + v + "'";
}

uint64_t Value::as_uint(uint64_t lo, uint64_t hi) const {
  uint64_t v = 0;
  if (!node_.IsScalar() || !parse_u64(node_.Scalar(), v)) {
    std::string s = node_.IsScalar() ? trim(node_.Scalar()) : "";
    if (!s.empty() && s[0] == '-')
      fail("expected an unsigned integer, got " + describe() + " (negative)", range_text(lo, hi));
    fail("expected an unsigned integer, got " + describe(), range_text(lo, hi));
  }
  if (v < lo || v > hi) {
    fail("value " + std::to_string(v) + " is out of range", range_text(lo, hi));
  }
  return v;
}

uint32_t Value::as_uint32(uint32_t lo, uint32_t hi) const {
  return static_cast<uint32_t>(as_uint(lo, hi));
}

int64_t Value::as_int(int64_t lo, int64_t hi) const {
  std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  if (!node_.IsScalar()) fail("expected an integer, got " + describe(), range);
  std::string s = trim(node_.Scalar());
  bool neg = !s.empty() && s[0] == '-';
  uint64_t mag = 0;
  if (!parse_u64(neg ? s.substr(1) : s, mag) || (neg && s.size() > 1 && s[1] == '+'))
    fail("expected an integer, got " + describe(), range);
  const uint64_t lim = neg ? (uint64_t{1} << 63) : static_cast<uint64_t>(INT64_MAX);
  if (mag > lim) fail("value " + s + " is out of range", range);
  int64_t v = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
  if (v < lo || v > hi) fail("value " + std::to_string(v) + " is out of range", range);
  return v;
}

double Value::as_double() const {
  if (!node_.IsScalar()) fail("expected a number, got " + describe());
  std::string s = trim(node_.Scalar());
  if (s.empty()) fail("expected a number, got " + describe());
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  // strtod also accepts hex floats, "inf" and "nan": accept only plain finite decimals.
  bool plain = s.find_first_not_of("+-.0123456789eE") == std::string::npos;
  if (!plain || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v))
    fail("expected a finite number, got " + describe());
  return v;
}

double Value::as_positive_double() const {
  double v = as_double();
  if (!(v > 0)) fail("must be greater than 0, got " + text(), "> 0");
  return v;
}

double Value::as_double_min(double lo) const {
  double v = as_double();
  if (v < lo) {
    std::ostringstream os;
    os << lo;
    fail("must be at least " + os.str() + ", got " + text(), ">= " + os.str());
  }
  return v;
}

bool Value::as_bool() const {
  if (node_.IsScalar()) {
    std::string s = lower(trim(node_.Scalar()));
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  fail("expected a boolean, got " + describe(), "true, false");
}

std::string Value::as_string() const {
  if (!node_.IsScalar()) fail("expected a string, got " + describe());
  return node_.Scalar();
}

size_t Value::as_choice(const std::vector<std::string>& names) const {
  if (node_.IsScalar()) {
    const std::string s = trim(node_.Scalar());
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == s) return i;
    fail("unknown value " + describe(), join(names));
  }
  fail("expected a name, got " + describe(), join(names));
}

std::vector<Value> Value::as_seq() const {
  if (!node_.IsSequence()) fail("expected a sequence, got " + describe());
  std::vector<Value> out;
  size_t i = 0;
  for (auto it = node_.begin(); it != node_.end(); ++it, ++i) {
    const YAML::Node e = *it;
    YAML::Mark m = e.Mark();
    if (m.is_null() || e.IsNull()) m = mark_;
    out.emplace_back(file_, e, path_ + "[" + std::to_string(i) + "]", m);
  }
  return out;
}

Map Value::as_map() const { return Map(*this); }

// ---- Map ------------------------------------------------------------------------------------

Map::Map(const Value& v) : self_(v) {
  if (!v.is_map()) {
    if (v.path().empty()) v.fail("the document must be a map of fields, got " + v.describe());
    v.fail("expected a map, got " + v.describe());
  }
  for (auto it = v.node().begin(); it != v.node().end(); ++it) {
    // Copies: the iterator's operator-> yields a temporary pair.
    const YAML::Node k = it->first;
    const YAML::Node val = it->second;
    Value key(v.file(), k, v.path(), k.Mark());
    if (!k.IsScalar()) key.fail("a key must be a plain name, got " + key.describe());
    const std::string name = k.Scalar();
    Value keyv(v.file(), k, child_path(v.path(), name), k.Mark());
    for (const auto& e : entries_) {
      if (e.first.text() == name) {
        keyv.fail("duplicate key '" + name + "' (first given at " +
                  mark_text(e.first.node().Mark()) + ")");
      }
    }
    // A null value ("key:" with nothing after it) carries the next token's mark: point at the
    // key instead.
    YAML::Mark vm = val.Mark();
    if (vm.is_null() || val.IsNull()) vm = k.Mark();
    entries_.emplace_back(keyv, Value(v.file(), val, child_path(v.path(), name), vm));
  }
}

bool Map::has(const std::string& key) const { return find(key).has_value(); }

std::optional<Value> Map::find(const std::string& key) const {
  for (const auto& e : entries_)
    if (e.first.text() == key) return e.second;
  return std::nullopt;
}

Value Map::at(const std::string& key) const {
  if (auto v = find(key)) return *v;
  throw ConfigError(self_.location(), child_path(self_.path(), key),
                    "missing required field '" + key + "'");
}

void Map::check_keys(const std::vector<std::string>& allowed) const {
  for (const auto& e : entries_) {
    bool ok = false;
    for (const auto& a : allowed) ok = ok || a == e.first.text();
    if (!ok) e.first.fail("unknown field '" + e.first.text() + "'", join(allowed));
  }
}

bool Map::read(const std::string& key, uint32_t& out, uint32_t lo, uint32_t hi) const {
  auto v = find(key);
  if (v) out = v->as_uint32(lo, hi);
  return v.has_value();
}

bool Map::read(const std::string& key, uint64_t& out, uint64_t lo, uint64_t hi) const {
  auto v = find(key);
  if (v) out = v->as_uint(lo, hi);
  return v.has_value();
}

bool Map::read(const std::string& key, bool& out) const {
  auto v = find(key);
  if (v) out = v->as_bool();
  return v.has_value();
}

bool Map::read(const std::string& key, std::string& out) const {
  auto v = find(key);
  if (v) out = v->as_string();
  return v.has_value();
}

bool Map::read_positive(const std::string& key, double& out) const {
  auto v = find(key);
  if (v) out = v->as_positive_double();
  return v.has_value();
}

// ---- parsing --------------------------------------------------------------------------------

Value parse(const std::string& text, const std::string& origin) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    SourceLocation loc;
    loc.file = origin;
    if (!e.mark.is_null()) {
      loc.line = e.mark.line + 1;
      loc.column = e.mark.column + 1;
    }
    throw ConfigError(loc, "", "YAML syntax error: " + e.msg);
  }
  YAML::Mark m = doc.Mark();
  if (m.is_null()) {  // empty document: point at the start of the file
    m.line = 0;
    m.column = 0;
    m.pos = 0;
  }
  return Value(origin, doc, "", m);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(SourceLocation{path, 0, 0}, "", "cannot open the file for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ConfigError(SourceLocation{path, 0, 0}, "", "cannot read the file");
  return ss.str();
}

Value load_file(const std::string& path) { return parse(read_file(path), path); }

std::string resolve_file(const Value& v, const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string p = v.as_string();
  std::vector<std::string> tried;
  for (const fs::path& c : {fs::path(p).is_absolute() ? fs::path(p) : fs::path(dir) / p,
                            fs::path(SAVP_SOURCE_DIR) / p}) {
    tried.push_back(c.lexically_normal().string());
    if (fs::is_regular_file(c)) return c.lexically_normal().string();
    if (fs::path(p).is_absolute()) break;
  }
  v.fail("file '" + p + "' not found (looked at " + join(tried) + ")",
         "a path relative to the spec's folder or the source tree");
}

std::string read_text(const std::string& path, const Value& at) {
  std::ifstream in(path, std::ios::binary);
  if (!in) at.fail("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace savp::yaml
