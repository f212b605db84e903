// The `savp` subcommands; each registers itself on the CLI11 app and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace savp::app {

// A registered subcommand's action; throws savp::Error on bad input.
using Action = std::function<int()>;

Action add_validate(CLI::App& app);
Action add_asm(CLI::App& app);
Action add_disasm(CLI::App& app);
Action add_sim(CLI::App& app);
Action add_run(CLI::App& app);

}  // namespace savp::app
