// TEMPORARY (h-supernet only): a minimal `savp nas` parent so `savp nas search` runs before
// part A's app/cmd_nas.cpp (with `savp nas train|export` and kNasCommands) is merged. At the
// merge, add add_nas_search to part A's kNasCommands and delete this file.
#include <utility>
#include <vector>

#include "app/cmd_nas_search.hpp"
#include "app/commands.hpp"

namespace savp::app {

namespace {
using NasCommand = Action (*)(CLI::App&);
const NasCommand kNasCommands[] = {add_nas_search};
}  // namespace

Action add_nas(CLI::App& app) {
  auto* nas = app.add_subcommand("nas", "NAS frontend (LibTorch build)");
  nas->require_subcommand(1);
  std::vector<std::pair<CLI::App*, Action>> kids;
  for (NasCommand add : kNasCommands) {
    const size_t before = nas->get_subcommands({}).size();
    Action a = add(*nas);
    kids.emplace_back(nas->get_subcommands({})[before], std::move(a));
  }
  return [kids]() {
    for (const auto& [sub, a] : kids)
      if (sub->parsed()) return a();
    return 1;
  };
}

}  // namespace savp::app
