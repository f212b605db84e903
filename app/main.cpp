// savp: the command-line front end (app/cli_main.hpp). `savp nas ...` runs the savp-nas
// executable, the only one that links LibTorch.
#include <string_view>

#include "app/cli_main.hpp"

int main(int argc, char** argv) {
  using namespace savp::app;
  if (argc > 1 && std::string_view(argv[1]) == "nas") return exec_nas(argc, argv);
  return run_cli(argc, argv,
                 {add_validate, add_asm, add_disasm, add_sim, add_run, add_replay, add_map,
                  add_analyze, add_allocate, add_sweep, add_pareto, add_report, add_nas_forward});
}
