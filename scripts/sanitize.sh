#!/usr/bin/env bash
# Builds savp and every test suite with AddressSanitizer + UndefinedBehaviorSanitizer
# (-DSAVP_SANITIZE=ON, RelWithDebInfo) in build-asan/ and runs the suite there (every test but
# the few slowest, labelled 'long'). Any sanitizer report fails the test that triggered it
# (halt_on_error; LeakSanitizer reports at exit). CI runs it after the default suite
# (scripts/test.sh): the whole tree, not a subset, fits the CI time limit.
# Extra arguments go to ctest, e.g. scripts/sanitize.sh -R Assembler.
#
# SystemC: Debian's libsystemc announces its coroutine switches to ASan (weak fiber hooks) but
# not the main stack, so code that calls sc_start() calls models::resync_main_stack() after it
# (models/base/kernel_context.hpp); without it every throw after a simulation left stale
# redzones behind and later calls reported false stack-buffer-overflows.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
build="$root/build-asan"
cmake -S "$root" -B "$build" -DSAVP_SANITIZE=ON -DSAVP_WITH_TORCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSAVP_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"
# SystemC switches coroutine stacks, which ASan's stack-use-after-return detection can't follow.
# tests/sanitizers/asan.supp: the one report ASan makes about its own sigaltstack call once
# SystemC's coroutines have hidden the main stack's bounds (explained in the file).
export ASAN_OPTIONS="detect_stack_use_after_return=0:detect_leaks=1:halt_on_error=1:abort_on_error=0:suppressions=$root/tests/sanitizers/asan.supp:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
cd "$build"
ctest --output-on-failure -j"$(nproc)" -LE long "$@"
