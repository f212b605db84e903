// `savp nas search SPEC --out DIR [--quick] [--resume]` (issue 4, part C): registered as a
// child of `savp nas` (part A's kNasCommands in app/cmd_nas.cpp).
#pragma once

#include "app/commands.hpp"

namespace savp::app {

Action add_nas_search(CLI::App& nas);

}  // namespace savp::app
