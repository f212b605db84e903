// savp: the command-line front end. Every savp::Error (bad input) becomes one message and
// exit status 1; a usage error exits with CLI11's status.
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <vector>

#include "app/commands.hpp"
#include "common/errors.hpp"

int main(int argc, char** argv) {
  setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  CLI::App app{"savp: a virtual platform for multiplication-reduced DNN accelerators"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, savp::app::Action>> cmds;
  auto reg = [&](savp::app::Action (*add)(CLI::App&)) {
    size_t before = app.get_subcommands({}).size();
    savp::app::Action a = add(app);
    cmds.emplace_back(app.get_subcommands({})[before], std::move(a));
  };
  reg(savp::app::add_validate);
  reg(savp::app::add_asm);
  reg(savp::app::add_disasm);
  reg(savp::app::add_sim);
  reg(savp::app::add_run);
  reg(savp::app::add_replay);
  reg(savp::app::add_map);
  reg(savp::app::add_analyze);
  reg(savp::app::add_allocate);
  reg(savp::app::add_sweep);
  reg(savp::app::add_pareto);
#ifdef SAVP_WITH_TORCH
  reg(savp::app::add_nas);
#endif
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
