#!/usr/bin/env bash
# Builds savp and runs the default test suite (everything not labelled 'long'), then the
# sanitizer suite (scripts/sanitize.sh: ASan + UBSan build in build-asan/, label 'sanitize').
# SAVP_CI_SANITIZE=0 skips the sanitizer suite (it roughly triples the time; BENCHMARKS.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j"$(nproc)" -LE long "$@"
if [[ "${SAVP_CI_SANITIZE:-1}" != "0" ]]; then
  "$root/scripts/sanitize.sh" -L sanitize "$@"
fi
