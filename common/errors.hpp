// The project's small exception hierarchy (STYLE.md habit 7). Everything thrown at a
// boundary (input files, CLI) derives from savp::Error; the CLI prints what() and exits 1.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace savp {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where in an input file something went wrong. line/column are 1-based; 0 = unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;  // "file:line:column" (parts that are unknown are left out)
};

// A configuration or network-description error: names file, line, column, the field and
// what is allowed. what() = "file:line:col: field 'x.y': message (allowed: ...)".
class ConfigError : public Error {
 public:
  ConfigError(SourceLocation loc, std::string field, std::string message, std::string allowed = "");
  const SourceLocation& location() const { return loc_; }
  const std::string& field() const { return field_; }

 private:
  SourceLocation loc_;
  std::string field_;
};

// A malformed firmware image or assembly source.
class FirmwareError : public Error {
 public:
  using Error::Error;
};

// A fault raised while the platform runs firmware (bad opcode, address out of range,
// deadlock). what() carries the instruction address and the engines' states.
class SimulationError : public Error {
 public:
  using Error::Error;
};

}  // namespace savp
