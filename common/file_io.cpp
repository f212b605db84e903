#include "common/file_io.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "common/errors.hpp"

namespace savp {

void write_file_atomic(const std::string& path, std::string_view bytes, const std::string& what) {
  const std::string tmp = path + ".tmp";
  bool ok;
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    ok = static_cast<bool>(f);
    if (ok)
      ok = static_cast<bool>(f.write(bytes.data(), static_cast<std::streamsize>(bytes.size())));
    if (ok) ok = static_cast<bool>(f.flush());
  }
  const int err = errno;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = ok ? errno : err;
    std::remove(tmp.c_str());
    throw Error(fmt::format("cannot write {}{}'{}'{}", what, what.empty() ? "" : " ", path,
                            e != 0 ? std::string(": ") + std::strerror(e) : std::string()));
  }
}

}  // namespace savp
