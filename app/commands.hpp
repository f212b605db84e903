// The `savp` subcommands; each registers itself on the CLI11 app and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "platform/trace/trace_options.hpp"

namespace savp::app {

// A registered subcommand's action; throws savp::Error on bad input.
using Action = std::function<int()>;

Action add_validate(CLI::App& app);
Action add_asm(CLI::App& app);
Action add_disasm(CLI::App& app);
Action add_sim(CLI::App& app);
Action add_run(CLI::App& app);
Action add_replay(CLI::App& app);
Action add_map(CLI::App& app);
Action add_analyze(CLI::App& app);
Action add_allocate(CLI::App& app);
Action add_sweep(CLI::App& app);   // explore/: design-space sweeps into SQLite
Action add_pareto(CLI::App& app);
#ifdef SAVP_WITH_TORCH
Action add_nas(CLI::App& app);  // savp nas ... (app/cmd_nas*.cpp)
#endif

// Adds --trace, --trace-window, --trace-max-mb, --trace-counter-us and --vcd to a run
// subcommand; the returned function (call it after parsing) gives the checked options.
std::function<TraceOptions()> add_trace_options(CLI::App* sub);

}  // namespace savp::app
