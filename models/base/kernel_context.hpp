// SystemC has one global simulation context per process and no way to elaborate again
// after sc_start(). Code that builds a second set of models in one process (a new Platform,
// or a test harness) calls fresh_kernel_context() first: the first call uses the initial
// context, each later one installs a new context (the old one's modules must be gone).
#pragma once

namespace savp::models {

void fresh_kernel_context();

}  // namespace savp::models
