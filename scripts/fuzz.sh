#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang-14, ASan + UBSan) in build-fuzz/ and runs
# each for SECONDS (default 600) in turn. New inputs go to build-fuzz/fuzz/corpus/<target>/,
# crash reproducers to build-fuzz/fuzz/artifacts/<target>/ (copy a reproducer into
# tests/fuzz/<target>/ with its fix and regression test). The short version of the same runs
# is `ctest --test-dir build-fuzz -L fuzz` (SAVP_FUZZ_SECONDS each, 20 by default).
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 3600 fuzz_assembler
# Extra libFuzzer flags: FUZZ_FLAGS="-jobs=4 -workers=4" scripts/fuzz.sh 600
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-600}"
shift || true
"$root/scripts/setup.sh"
missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
build="$root/build-fuzz"
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DSAVP_FUZZ=ON -DSAVP_WITH_TORCH=OFF -DSAVP_BUILD_TESTS=OFF \
  -DSAVP_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cd "$root/tests/fuzz" && ls fuzz_*.cpp | sed 's/\.cpp$//')
fi
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
status=0
for t in "${targets[@]}"; do
  name="${t#fuzz_}"
  mkdir -p "$build/fuzz/corpus/$name" "$build/fuzz/artifacts/$name"
  log="$build/fuzz/$t.log"
  echo "== $t: ${seconds} s (log: $log)"
  # Seeds: tests/fuzz/<target>/ (if any) and the shipped folders of tests/fuzz/shipped_seeds.txt.
  seeds=()
  [[ -d "$root/tests/fuzz/$name" ]] && seeds+=("$root/tests/fuzz/$name")
  while read -r target dirs; do
    [[ "$target" == "$name" ]] || continue
    for d in $dirs; do seeds+=("$root/$d"); done
  done < <(grep -v '^#' "$root/tests/fuzz/shipped_seeds.txt")
  # shellcheck disable=SC2086
  if ! "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 \
      -print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$name/" ${FUZZ_FLAGS:-} \
      "$build/fuzz/corpus/$name" "${seeds[@]}" >"$log" 2>&1; then
    echo "   FAILED: see $log and $build/fuzz/artifacts/$name/"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|Done [0-9]+ runs" "$log" | sed 's/^/   /' || true
done
exit $status
