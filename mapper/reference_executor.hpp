// The reference executor (issue 3, "Correctness"): the network's integer arithmetic computed
// directly, layer by layer, with common/arith.hpp's functions. The platform's functional outputs
// must equal these bit for bit, so the semantics are those of the chunks' tile kernels
// (models/chunk/tile_kernels.cpp):
//  - conv / linear: each accumulator starts at the output channel's int32 bias and adds
//    arith::pe_term(op, x, w) over the window modulo 2^32 (arith::pe_accumulate); a padded input
//    position is x = 0 (so an adder layer adds -|w| there, mult and shift add 0); the result is
//    arith::requantize(acc, multiplier, shift, act_bits, relu). Linear reads its input flattened
//    in HWC order.
//  - maxpool: the max over the window's in-bounds elements (padding is skipped), no
//    requantization.
//  - avgpool / global_avgpool: the int32 sum of the window's in-bounds elements, requantized
//    with (multiplier, shift), no ReLU.
//  - add: arith::residual_add(a, b, multiplier, multiplier2, shift, act_bits, relu), a the
//    layer's first input.
//  - flatten: the input unchanged (HWC order).
//  - batch_norm is only a flag: a folded batch norm is already in the bias and the multiplier.
#pragma once

#include <cstdint>
#include <vector>

#include "mapper/quantized_network.hpp"

namespace savp::mapper {

// Runs the whole network on `input` (h*w*c int8 HWC); returns every layer's output activations
// ([h][w][c] int8), indexed like net.layers. Throws savp::Error naming the layer and the sizes
// if the parameters or the input do not match the network.
std::vector<std::vector<int8_t>> run_reference(const QuantizedNetwork& q,
                                               const std::vector<int8_t>& input);

// One layer's int32 accumulators (conv / linear: bias + PE terms; avgpool / global_avgpool:
// window sums), [h][w][c] like its output, before requantization. `inputs` are the layer's
// input activations in the order of layer.inputs. Used by calibration.
std::vector<int32_t> layer_accumulators(const Layer& layer, const LayerParams& p,
                                        const std::vector<const std::vector<int8_t>*>& inputs);

// One layer's output activations from its inputs (the same order as layer.inputs).
std::vector<int8_t> run_layer(const Layer& layer, const LayerParams& p,
                              const std::vector<const std::vector<int8_t>*>& inputs);

// Checks that `p` fits `layer` (weight and bias counts, weight values valid for the operator
// kind and weight_bits, requantization ranges); throws savp::Error naming the layer.
void check_params(const Layer& layer, const LayerParams& p);

}  // namespace savp::mapper
