#!/usr/bin/env bash
# The main job on the shipped defaults: map the default hybrid network (ResNet-20 with
# mult/shift/adder layers) onto the default platform, simulate it, and check every layer
# bit-exact against the reference executor; then assemble and simulate a shipped firmware.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
out="${SAVP_OUT:-/tmp/savp-demo}"
mkdir -p "$out"
savp="$root/build/app/savp"
"$savp" run --hw "$root/configs/hw/default.yaml" --net "$root/configs/nets/resnet20-hybrid.yaml" \
  --functional --report "$out/resnet20-hybrid.json"
"$savp" asm "$root/firmware/examples/double_buffer.s" -o "$out/double_buffer.img"
"$savp" sim --hw "$root/configs/hw/default.yaml" --image "$out/double_buffer.img" \
  --report "$out/double_buffer.json"
