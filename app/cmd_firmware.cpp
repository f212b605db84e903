// savp asm / savp disasm.
#include <fmt/format.h>

#include <iostream>

#include "app/commands.hpp"
#include "firmware/assembler.hpp"
#include "firmware/disassembler.hpp"
#include "firmware/image.hpp"

namespace savp::app {

Action add_asm(CLI::App& app) {
  auto* sub = app.add_subcommand("asm", "Assemble a firmware source (.s) into an image");
  auto src = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  sub->add_option("source", *src, "assembly source file")->required();
  sub->add_option("-o,--output", *out, "image file to write")->required();
  return [src, out] {
    fw::Image img = fw::assemble_file(*src);
    fw::write_image(img, *out);
    std::cout << fmt::format("{}: {} instructions, {} data segments, {} outputs -> {}\n", *src,
                             img.code.size(), img.segments.size(), img.outputs.size(), *out);
    return 0;
  };
}

Action add_disasm(CLI::App& app) {
  auto* sub = app.add_subcommand("disasm", "Print a firmware image as assembly");
  auto img = std::make_shared<std::string>();
  auto no_data = std::make_shared<bool>(false);
  auto addrs = std::make_shared<bool>(false);
  sub->add_option("image", *img, "image file")->required();
  sub->add_flag("--no-data", *no_data, "leave out the DRAM data segments");
  sub->add_flag("--addresses", *addrs, "prefix each instruction with its address");
  return [img, no_data, addrs] {
    fw::DisasmOptions o;
    o.with_data = !*no_data;
    o.with_addresses = *addrs;
    std::cout << fw::disassemble(fw::read_image(*img), o);
    return 0;
  };
}

}  // namespace savp::app
