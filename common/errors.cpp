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
  return s;
}

ConfigError::ConfigError(SourceLocation loc, std::string field, std::string message,
                         std::string allowed)
    : Error(format_config_error(loc, field, message, allowed)),
      loc_(std::move(loc)),
      field_(std::move(field)) {}

}  // namespace savp
