#!/usr/bin/env bash
# The main job on the shipped defaults: assemble a shipped firmware and simulate it on the
# default platform, printing the summary and writing the JSON report.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
out="${SAVP_OUT:-/tmp/savp-demo}"
mkdir -p "$out"
"$root/build/app/savp" asm "$root/firmware/examples/double_buffer.s" -o "$out/double_buffer.img"
"$root/build/app/savp" sim --hw "$root/configs/hw/default.yaml" --image "$out/double_buffer.img" \
  --report "$out/report.json"
