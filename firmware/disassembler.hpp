// The savp disassembler: the inverse of the assembler. disassemble() prints a whole source
// file in canonical form, so assemble(disassemble(img)) == img and disassembling that again
// gives the same text (firmware/README.md, "Canonical form").
#pragma once

#include <string>

#include "firmware/image.hpp"

namespace savp::fw {

// One line, canonical: the mnemonic, the engine (nop, compute), every operand of the opcode
// in isa::operand_fields order, then flags=, wait=, signal= when non-zero. An instruction that
// this form can't express exactly (reserved bits set, an unknown opcode) prints as
// `.inst w0 ... w7` (its eight words in hex).
std::string disassemble_instruction(const isa::Instruction&);

struct DisasmOptions {
  bool with_data = true;        // false: segments appear as comments only (not reassemblable)
  bool with_addresses = false;  // append "# [index] address" to each instruction
};
std::string disassemble(const Image&, const DisasmOptions& = {});

// Names of the flag bits and their inverse (used by the assembler and disassembler).
std::string flags_to_string(uint32_t flags);  // "relu|no_bias", unknown bits as hex, "0" if none
std::string engine_mask_to_string(uint32_t mask);   // "load,chunk0"
uint32_t parse_flag_name(const std::string& name);  // "relu" -> isa::kFlagRelu; 0 if unknown

}  // namespace savp::fw
