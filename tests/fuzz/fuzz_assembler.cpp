// libFuzzer target: firmware assembly (firmware/assembler.cpp). A source that assembles gives
// a consistent image whose disassembly re-assembles to the same image.
#include "common/errors.hpp"
#include "firmware/assembler.hpp"
#include "firmware/disassembler.hpp"
#include "firmware/image.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace savp::fw;
  Image img;
  try {
    // The origin's folder is where relative .incbin paths resolve: the shipped examples.
    img = assemble(savp::fuzz::text_of(data, size), SAVP_SOURCE_DIR "/firmware/examples/fuzz.s");
  } catch (const savp::Error&) {
    return 0;
  }
  std::string why = check_image(img);
  if (!why.empty()) savp::fuzz::fail("the assembler produced an inconsistent image", why);
  std::string text = disassemble(img);
  try {
    if (assemble(text, "again.s") != img)
      savp::fuzz::fail("disassemble -> assemble changed the image", text);
  } catch (const savp::Error& e) {
    savp::fuzz::fail("the disassembly does not assemble", std::string(e.what()) + "\n" + text);
  }
  return 0;
}
