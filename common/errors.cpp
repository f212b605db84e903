#include "common/errors.hpp"

namespace savp {

std::string SourceLocation::str() const {
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

static std::string format_config_error(const SourceLocation& loc, const std::string& field,
                                       const std::string& message, const std::string& allowed) {
  std::string s = loc.str() + ": ";
  if (!field.empty()) s += "field '" + field + "': ";
  s += message;
  if (!allowed.empty()) s += " (allowed: " + allowed + ")";
  // One line whatever the input held: values quoted from a file (a block scalar, a key with a
  // tab, binary garbage) get their control characters escaped.
  std::string out;
  out.reserve(s.size());
  static const char kHex[] = "0123456789abcdef";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

ConfigError::ConfigError(SourceLocation loc, std::string field, std::string message,
                         std::string allowed)
    : Error(format_config_error(loc, field, message, allowed)),
      loc_(std::move(loc)),
      field_(std::move(field)) {}

}  // namespace savp
