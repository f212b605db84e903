// Operator-kind fallback (issue 3, "Mapping"): a layer whose operator kind the platform has no
// chunk for is an error naming the layer, unless the hardware config's `fallback:` names a
// chunk kind to run it on (common/hw_config.hpp, Fallback). The only exact fallback is a shift
// layer on a multiplier chunk: each shift weight (sign s, exponent e; common/arith.hpp) becomes
// the multiplier weight s * 2^e, so x * w on the multiplier equals the shifter's result bit for
// bit, and the requantization is unchanged. The converted layer uses the narrowest weight width
// the multiplier chunk supports that holds every converted weight; a layer whose exponents need
// more is an error naming the layer, its largest exponent and the widths the chunk offers.
#pragma once

#include "common/hw_config.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::mapper {

// Whether some weighted layer of q has no chunk of its kind on hw (a fallback would apply).
bool needs_fallback(const QuantizedNetwork& q, const HwConfig& hw);

// q with every layer that has no chunk of its kind converted to its fallback kind's arithmetic
// (rules above). Throws savp::Error naming the layer when there is no chunk and no fallback, or
// the conversion cannot be exact.
QuantizedNetwork apply_fallbacks(const QuantizedNetwork& q, const HwConfig& hw);

}  // namespace savp::mapper
