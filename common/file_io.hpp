// Writing result files so that a failure never leaves a half-written one (DESIGN.md, Errors).
#pragma once

#include <string>
#include <string_view>

namespace savp {

// Writes `bytes` to `path` through `path + ".tmp"` and a rename, so `path` holds either its
// old contents or the whole new file. On failure the temporary is removed and savp::Error says
// "cannot write <what> '<path>'" (`what` empty: "cannot write '<path>'") with the system's
// reason.
void write_file_atomic(const std::string& path, std::string_view bytes,
                       const std::string& what = "");

}  // namespace savp
