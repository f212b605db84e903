// SystemC has one global simulation context per process and no way to elaborate again
// after sc_start(). Code that builds a second set of models in one process (a new Platform,
// or a test harness) calls fresh_kernel_context() first: the first call uses the initial
// context, each later one installs a new context (the old one's modules must be gone).
#pragma once

namespace savp::models {

void fresh_kernel_context();

// Call on the thread that called sc_start(), after it returned, before anything may throw
// there (a no-op unless built with AddressSanitizer).
//
// Why: Debian's SystemC 2.3.4 tells ASan about its QuickThreads coroutine switches through the
// weak __sanitizer_start/finish_switch_fiber hooks, but it does not know the main stack's
// bounds, so when it switches back to the main stack ASan is left with bounds that are not
// the main stack's (0..0, or a coroutine's). The next C++ throw on the main stack then makes
// __asan_handle_no_return give up ("ASan is ignoring requested __asan_handle_no_return"), so
// the redzones of the frames the exception unwinds stay poisoned and a later, unrelated call
// at that depth reports a false stack-buffer-overflow (tests/sanitizers/asan.supp explains
// the one such report that is ASan's own). This re-declares the main stack to ASan through the
// same fiber API (start + finish a "switch" to the stack we are on, with its true bounds from
// pthread_getattr_np): ASan then unpoisons unwound frames as on any thread. Exceptions thrown
// and caught on a coroutine stack need nothing: SystemC gives ASan those stacks' bounds.
void resync_main_stack();

}  // namespace savp::models
