// The savp assembler: turns firmware assembly (syntax in firmware/README.md) into an Image.
// Errors are savp::FirmwareError "file:line:column: message", the column being that of the
// offending token (or the character inside it); the assembler never crashes on bad input.
#pragma once

#include "common/splitmix64.hpp"

#include <cstdint>
#include <string>

#include "firmware/image.hpp"

namespace savp::fw {

// `origin` names the source in messages; .incbin paths are relative to its directory.
Image assemble(const std::string& source_text, const std::string& origin);
Image assemble_file(const std::string& path);  // throws savp::Error if the file can't be read

// The deterministic generator behind `.random` and `.shiftw` (splitmix64, Steele et al.,
// "Fast splittable pseudorandom number generators", OOPSLA 2014): state += golden gamma,
// then the murmur3-style finalizer. Value i of `.random A LEN SEED LO HI` is
// LO + (splitmix64 output i % (HI - LO + 1)), the state starting at SEED.
using savp::SplitMix64;  // common/splitmix64.hpp

}  // namespace savp::fw
