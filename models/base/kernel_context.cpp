#include "models/base/kernel_context.hpp"

#include <systemc>

#if defined(__SANITIZE_ADDRESS__)
#define SAVP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SAVP_ASAN 1
#endif
#endif
#ifdef SAVP_ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace savp::models {

void fresh_kernel_context() {
  static bool used = false;
  if (used) {
    // The previous context is leaked on purpose: its objects were already destroyed, and
    // deleting a context that has run is not supported by SystemC 2.3.
    sc_core::sc_curr_simcontext = new sc_core::sc_simcontext();
    sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
  }
  used = true;
}

void resync_main_stack() {
#ifdef SAVP_ASAN
  // The calling thread's stack never moves: ask glibc once per thread.
  struct Bounds {
    void* low = nullptr;
    size_t size = 0;
    bool known = false;
  };
  thread_local Bounds b = [] {
    Bounds r;
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      r.known = pthread_attr_getstack(&attr, &r.low, &r.size) == 0 && r.size > 0;
      pthread_attr_destroy(&attr);
    }
    return r;
  }();
  if (!b.known) return;
  void* fake_stack = nullptr;  // this stack's fake stack (use-after-return), kept as it is
  __sanitizer_start_switch_fiber(&fake_stack, b.low, b.size);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

}  // namespace savp::models
