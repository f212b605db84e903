// Opening a savp checkpoint (a torch archive) for `savp nas train` and the supernet's
// pretraining: a file torch cannot parse is a savp::Error naming it, not a c10::Error.
#pragma once

#include <torch/torch.h>

#include <string>

namespace savp::nas::train {

void open_checkpoint(torch::serialize::InputArchive& a, const std::string& path);

}  // namespace savp::nas::train
