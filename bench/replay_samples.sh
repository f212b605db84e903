#!/usr/bin/env bash
# Replayed total time and mean latency of every sample trace (traces/) on the LPDDR4-3200
# (configs/hw/default.yaml) and DDR4-2400 (the same file with `preset: DDR4-2400`) DRAM models:
# the figures of traces/README.md "Fidelity against DRAMSys". Extra arguments go to every
# `savp replay` (e.g. --channel-routing split).
# Usage: bench/replay_samples.sh [REPLAY-ARGS...]   (build first: scripts/build.sh;
# SAVP=path/to/savp to use another build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
savp="${SAVP:-$root/build/app/savp}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/hw"
sed 's/preset: LPDDR4-3200/preset: DDR4-2400/' "$root/configs/hw/default.yaml" > "$tmp/hw/ddr4.yaml"
printf '%-16s %-12s %14s %14s %8s %8s %10s\n' trace dram total_ns mean_lat_ns hits misses conflicts
for t in seq_read random_read tile2d_read rw_mix resnet20_hybrid; do
  f="$root/traces/$t.stl"; [ -f "$f" ] || f="$root/traces/$t.rstl"
  for hw in "$root/configs/hw/default.yaml" "$tmp/hw/ddr4.yaml"; do
    name=LPDDR4-3200; [ "$hw" = "$tmp/hw/ddr4.yaml" ] && name=DDR4-2400
    "$savp" replay --hw "$hw" --stl "$f" --json "$@" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("%-16s %-12s %14.1f %14.1f %8d %8d %10d" % (sys.argv[1], sys.argv[2], d["total_time_ns"],
      d["latency_ns"]["mean"], d["row_hits"], d["row_misses"], d["row_conflicts"]))' "$t" "$name"
  done
done
