#!/usr/bin/env bash
# Builds savp and runs the default test suite (everything not labelled 'long').
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j"$(nproc)" -LE long "$@"
