// libFuzzer target: firmware image files (firmware/image.cpp). An image that deserializes must
// pass check_image, survive serialize -> deserialize unchanged, and disassemble to text that
// re-assembles to the same image (firmware/README.md, "Canonical form").
#include "common/errors.hpp"
#include "firmware/assembler.hpp"
#include "firmware/disassembler.hpp"
#include "firmware/image.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace savp::fw;
  Image img;
  try {
    img = deserialize(data, size, "fuzz.img");
  } catch (const savp::Error&) {
    return 0;
  }
  std::string why = check_image(img);
  if (!why.empty()) savp::fuzz::fail("deserialize accepted an image check_image rejects", why);
  std::vector<uint8_t> bytes = serialize(img);
  try {
    if (deserialize(bytes.data(), bytes.size(), "again.img") != img)
      savp::fuzz::fail("serialize -> deserialize changed the image");
  } catch (const savp::Error& e) {
    savp::fuzz::fail("the serialized image does not deserialize", e.what());
  }
  std::string text = disassemble(img);
  try {
    if (assemble(text, "fuzz.s") != img)
      savp::fuzz::fail("disassemble -> assemble changed the image", text);
  } catch (const savp::Error& e) {
    savp::fuzz::fail("the disassembly does not assemble", std::string(e.what()) + "\n" + text);
  }
  return 0;
}
