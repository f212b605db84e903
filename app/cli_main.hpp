// The body of savp's two executables: `savp` (everything but the NAS frontend) and, in a
// build with LibTorch, `savp-nas` (the `savp nas ...` commands). LibTorch costs every process
// that links it about 0.7 s of CPU at start-up (dynamic linking and static initialisers of
// ~290 libraries), more than a whole timing run of ResNet-20, so only `savp-nas` links it and
// `savp nas ...` hands over to it (exec, same arguments).
#pragma once

#include <initializer_list>

#include "app/commands.hpp"

namespace savp::app {

using Register = Action (*)(CLI::App&);

// Parses argv with the given subcommands and runs the chosen one. Every savp::Error (bad
// input) becomes one message and exit status 1; a usage error exits with CLI11's status.
int run_cli(int argc, char** argv, std::initializer_list<Register> commands);

// `savp nas ...`: replaces this process by the `savp-nas` executable next to it, with the
// same arguments. Returns (exit status 1, with a message) only if that cannot be done: a build
// without LibTorch, or the executable missing.
int exec_nas(int argc, char** argv);

// Registers `nas` on savp's own command line, so `savp --help` lists it; savp's main hands
// `savp nas ...` to exec_nas before parsing, so this subcommand's action never runs.
Action add_nas_forward(CLI::App& app);

}  // namespace savp::app
