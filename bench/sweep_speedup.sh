#!/usr/bin/env bash
# Sweep speed-up: the whole `savp sweep` command (wall time, fresh database each run) with one
# process, -j 2 worker processes, and 1 and 2 MPI ranks; prints every run and the medians.
# Usage: bench/sweep_speedup.sh [SPEC] [REPEATS] [BUILD_DIR]
#   default: configs/sweeps/pe-split-wide.yaml, 3 repeats, build/
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
spec="${1:-$root/configs/sweeps/pe-split-wide.yaml}"; reps="${2:-3}"
savp="${3:-$root/build}/app/savp"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi="mpirun --oversubscribe --bind-to none --mca btl self,vader --mca btl_vader_single_copy_mechanism none"
run() {  # label, launcher prefix ("" or mpirun ...), savp options
  local label="$1" prefix="$2" opts="$3"
  for i in $(seq "$reps"); do
    rm -f "$tmp"/s.db*
    local s e; s=$(date +%s.%N)
    $prefix "$savp" sweep "$spec" --db "$tmp/s.db" $opts > /dev/null
    e=$(date +%s.%N)
    echo "$label $(echo "$e - $s" | bc)"
  done
}
{
  run j1 "" "-j 1"
  run j2 "" "-j 2"
  run np1 "$mpi -np 1" ""
  run np2 "$mpi -np 2" ""
} | tee "$tmp/all.txt"
python3 - "$tmp/all.txt" <<'PY'
import statistics, sys
t = {}
for line in open(sys.argv[1]):
    k, v = line.split(); t.setdefault(k, []).append(float(v))
m = {k: statistics.median(v) for k, v in t.items()}
for k in t: print(f"{k}: median {m[k]:.2f} s of {', '.join(f'{x:.2f}' for x in t[k])}")
print(f"-j 2 over -j 1: {m['j1'] / m['j2']:.2f}x; 2 ranks over 1 rank: {m['np1'] / m['np2']:.2f}x; "
      f"2 ranks over -j 1: {m['j1'] / m['np2']:.2f}x")
PY
