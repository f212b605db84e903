// savp-nas: the `savp nas ...` commands (LibTorch), run by `savp nas ...` (app/cli_main.hpp)
// with the same arguments; it can also be run directly: `savp-nas nas train ...`.
#include "app/cli_main.hpp"

int main(int argc, char** argv) { return savp::app::run_cli(argc, argv, {savp::app::add_nas}); }
