#!/usr/bin/env bash
# Tracing overhead: `savp run --timing-only` on each network with and without
# `--trace` (Chrome/Perfetto timeline), median of REPEATS runs each, whole process and the
# simulation alone (the report's simulator.wall_seconds). The issue's bound: at most 2x.
# Usage: bench/trace_overhead.sh [REPEATS] [NETWORK...]   (build first: scripts/build.sh;
# SAVP=path/to/savp to use another build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
savp="${SAVP:-$root/build/app/savp}"
reps="${1:-5}"; shift || true
nets=("$@"); [ ${#nets[@]} -gt 0 ] || nets=(resnet20-hybrid mbconv-fbnet)
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{v[NR]=$1} END {m=int((NR+1)/2); printf "%.4f", v[m]}'; }
for net in "${nets[@]}"; do
  for mode in plain trace; do
    : > "$tmp/$mode.proc"; : > "$tmp/$mode.sim"
    for i in $(seq "$reps"); do
      extra=(); [ "$mode" = trace ] && extra=(--trace "$tmp/t.json")
      s=$(date +%s.%N)
      "$savp" run --hw "$root/configs/hw/default.yaml" --net "$root/configs/nets/$net.yaml" \
        --timing-only --report "$tmp/r.json" "${extra[@]}" >/dev/null
      e=$(date +%s.%N)
      echo "$e - $s" | bc >> "$tmp/$mode.proc"
      python3 -c "import json;print(json.load(open('$tmp/r.json'))['simulator']['wall_seconds'])" >> "$tmp/$mode.sim"
    done
  done
  pp=$(median < "$tmp/plain.proc"); tp=$(median < "$tmp/trace.proc")
  ps=$(median < "$tmp/plain.sim"); ts=$(median < "$tmp/trace.sim")
  size=$(stat -c %s "$tmp/t.json")
  instr=$(python3 -c "import json;print(json.load(open('$tmp/r.json'))['simulator']['instructions'])")
  awk -v n="$net" -v pp="$pp" -v tp="$tp" -v ps="$ps" -v ts="$ts" -v sz="$size" -v ni="$instr" \
    'BEGIN {printf "%s: %d instructions, timeline %.2f MB; process %.3f s -> %.3f s (x%.2f); simulation %.3f s -> %.3f s (x%.2f)\n", n, ni, sz/1e6, pp, tp, tp/pp, ps, ts, ts/ps}'
done
