#!/usr/bin/env bash
# Builds savp and runs the default test suite (everything not labelled 'long'), then the
# sanitizer suite when SAVP_CI_SANITIZE=1 (scripts/sanitize.sh: ASan + UBSan build in
# build-asan/, label 'sanitize'). Off by default: Debian's SystemC switches coroutine stacks
# without ASan's fiber annotations, so every simulation reports a false stack-buffer-overflow
# under ASan (BENCHMARKS.md, "Robustness runs").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j"$(nproc)" -LE long "$@"
if [[ "${SAVP_CI_SANITIZE:-0}" == "1" ]]; then
  "$root/scripts/sanitize.sh" -L sanitize "$@"
fi
