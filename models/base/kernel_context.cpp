#include "models/base/kernel_context.hpp"

#include <systemc>

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

}  // namespace savp::models
