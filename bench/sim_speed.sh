#!/usr/bin/env bash
# Whole-process simulation speed: `savp sim` on a long firmware, timing-only, repeated;
# prints the median wall time and the transactions per second from the reports.
# Usage: bench/sim_speed.sh [TILES] [REPEATS]   (build first: scripts/build.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tiles="${1:-4000}"; reps="${2:-5}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$root/build/bench/make_long_image" "$tiles" "$tmp/long.img"
for i in $(seq "$reps"); do
  s=$(date +%s.%N)
  "$root/build/app/savp" sim --hw "$root/configs/hw/default.yaml" --image "$tmp/long.img" \
    --timing-only --report "$tmp/r$i.json" >/dev/null
  e=$(date +%s.%N)
  tps=$(python3 -c "import json;print(json.load(open('$tmp/r$i.json'))['simulator']['transactions_per_second'])")
  tr=$(python3 -c "import json;print(json.load(open('$tmp/r$i.json'))['simulator']['transactions'])")
  echo "$(echo "$e - $s" | bc) $tps $tr"
done | sort -n | awk '{w[NR]=$1; t[NR]=$2; n=$3} END {m=int((NR+1)/2); printf "tiles=%s transactions=%d median_process_wall_s=%.3f median_in_sim_transactions_per_s=%.0f\n", "'"$tiles"'", n, w[m], t[m]}'
