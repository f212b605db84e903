#include "app/cli_main.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "common/errors.hpp"

namespace savp::app {

int run_cli(int argc, char** argv, std::initializer_list<Register> commands) {
  setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  CLI::App app{"savp: a virtual platform for multiplication-reduced DNN accelerators"};
  app.name("savp");
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, Action>> cmds;
  for (Register add : commands) {
    const size_t before = app.get_subcommands({}).size();
    Action a = add(app);
    cmds.emplace_back(app.get_subcommands({})[before], std::move(a));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, action] : cmds)
      if (sub->parsed()) return action();
  } catch (const savp::Error& e) {
    std::cerr << "savp: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "savp: internal error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}

int exec_nas(int argc, char** argv) {
  (void)argc;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::filesystem::path nas = self.parent_path() / "savp-nas";
  if (ec || !std::filesystem::exists(nas, ec)) {
    std::cerr << fmt::format(
        "savp: error: `savp nas` needs the LibTorch NAS frontend, and this build has none ({} "
        "does not exist): install libtorch-dev (scripts/setup.sh does) and configure with "
        "-DSAVP_WITH_TORCH=AUTO or ON\n",
        ec ? std::string("savp-nas next to savp") : nas.string());
    return 1;
  }
  execv(nas.c_str(), argv);
  std::cerr << fmt::format("savp: error: cannot run {}: {}\n", nas.string(), std::strerror(errno));
  return 1;
}

Action add_nas_forward(CLI::App& app) {
  auto* nas = app.add_subcommand(
      "nas", "The NAS frontend (LibTorch): train, export, search (runs savp-nas)");
  nas->allow_extras();
  return [] { return 1; };
}

}  // namespace savp::app
