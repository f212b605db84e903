// Strict YAML reading on top of yaml-cpp (STYLE.md habit 3): every value read through these
// helpers knows its file, its line and column and its dotted field path ("chunks[1].ibuf.banks"),
// so any problem becomes a savp::ConfigError naming all of them and what is allowed. yaml-cpp
// exceptions never escape: syntax errors become ConfigError at the parser's line/column, and
// values are converted by our own strict parsers (no silent wrap of "-1" into an unsigned).
//
// Typical use:
//   yaml::Value root = yaml::load_file(path);
//   yaml::Map m = root.as_map();
//   m.check_keys({"name", "clock_mhz"});
//   m.read("clock_mhz", cfg.clock_mhz);                 // optional, keeps the default if absent
//   uint32_t rows = m.at("rows").as_uint32(1, 4096);    // required, range-checked
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/errors.hpp"

namespace savp::yaml {

class Map;

// One YAML node and where it came from.
class Value {
 public:
  Value(std::string file, YAML::Node node, std::string path, YAML::Mark mark);
  Value(const Value&) = default;
  // yaml-cpp's Node::operator= writes through to the document (it makes the old node an alias
  // of the new one); a Value must only rebind, so assignment uses Node::reset.
  Value& operator=(const Value& o);

  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }  // dotted field path; "" for the document
  SourceLocation location() const;                   // 1-based line/column (0 = unknown)
  // Throws ConfigError at this value: "file:line:col: field 'path': message (allowed: ...)".
  [[noreturn]] void fail(const std::string& message, const std::string& allowed = "") const;

  bool is_null() const { return node_.IsNull(); }
  bool is_scalar() const { return node_.IsScalar(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool is_map() const { return node_.IsMap(); }
  std::string text() const;  // the scalar's text ("" if not a scalar)

  // Integers: decimal or 0x-hex, range-checked (inclusive).
  uint64_t as_uint(uint64_t lo = 0, uint64_t hi = std::numeric_limits<uint64_t>::max()) const;
  uint32_t as_uint32(uint32_t lo = 0, uint32_t hi = std::numeric_limits<uint32_t>::max()) const;
  int64_t as_int(int64_t lo = std::numeric_limits<int64_t>::min(),
                 int64_t hi = std::numeric_limits<int64_t>::max()) const;
  double as_double() const;               // any finite number
  double as_positive_double() const;      // a finite number > 0
  double as_double_min(double lo) const;  // a finite number >= lo
  bool as_bool() const;                   // true/false (also yes/no, on/off)
  std::string as_string() const;          // any non-null scalar
  // The index of the scalar in `names`; the error lists them.
  size_t as_choice(const std::vector<std::string>& names) const;
  std::vector<Value> as_seq() const;  // elements get paths "path[i]"
  Map as_map() const;

  // "'abc'", "a map", "a sequence", "nothing (null)": what the value is, for messages.
  std::string describe() const;

 private:
  std::string file_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;
};

// A YAML map read strictly: keys must be plain, unique scalars.
class Map {
 public:
  explicit Map(const Value& v);  // throws ConfigError if v is not a map

  const Value& value() const { return self_; }
  bool has(const std::string& key) const;
  std::optional<Value> find(const std::string& key) const;
  // A required field: if absent, the error points at the map and says which key is missing.
  Value at(const std::string& key) const;
  // Rejects the first key not in `allowed`, at that key's location, listing the allowed keys.
  void check_keys(const std::vector<std::string>& allowed) const;
  // All entries in file order: (key, value); key values carry the key's own location.
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

  // Optional typed reads: leave `out` unchanged when the key is absent; return whether present.
  bool read(const std::string& key, uint32_t& out, uint32_t lo = 0,
            uint32_t hi = std::numeric_limits<uint32_t>::max()) const;
  bool read(const std::string& key, uint64_t& out, uint64_t lo = 0,
            uint64_t hi = std::numeric_limits<uint64_t>::max()) const;
  bool read(const std::string& key, bool& out) const;
  bool read(const std::string& key, std::string& out) const;
  bool read_positive(const std::string& key, double& out) const;  // > 0

 private:
  Value self_;
  std::vector<std::pair<Value, Value>> entries_;
};

// Parses YAML text (the first document). Syntax errors become ConfigError at their
// line/column in `origin`. Returns the document as a Value with path "".
Value parse(const std::string& text, const std::string& origin);
// Reads a file whole; a file that cannot be read is a ConfigError naming it.
std::string read_file(const std::string& path);
// Reads and parses a file (read_file, then parse).
Value load_file(const std::string& path);

// A file that a spec names with the key `v`: an absolute path, or one relative to `dir` (the
// spec's folder), then to the source tree. Returns the normalised path; a file found nowhere
// is reported at `v`, listing where it looked. Used by sweep specs and NAS search spaces.
std::string resolve_file(const Value& v, const std::string& dir);
// The whole file as text; a file that cannot be read is reported at `at`.
std::string read_text(const std::string& path, const Value& at);

// Helpers for messages.
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");
std::string child_path(const std::string& parent, const std::string& key);

}  // namespace savp::yaml
