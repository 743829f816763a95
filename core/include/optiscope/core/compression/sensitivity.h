// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Per-layer quantization sensitivity: each transformer layer's weight matrices are quantized
// alone (everything else stays fp32) and the model is measured against its base on one token
// sequence, as evaluateCompression does.
#include "optiscope/core/cancel.h"
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/recipe.h"

#include <memory>
#include <string>
#include <vector>

namespace optiscope::core {

struct LayerSensitivity {
    int layer = 0;
    std::vector<std::string> tensors; // stored names quantized
    double perplexity = 0; // of the model with only this layer quantized
    double klMean = 0; // mean KL(base ‖ quantized) per position, nats
    double top1Agreement = 0;
    double weightMse = 0; // over the layer's quantized elements
    double weightSqnrDb = 0; // over the layer's quantized elements
};

struct SensitivityScan {
    QuantSpec spec;
    double basePerplexity = 0;
    std::int64_t tokensPredicted = 0;
    std::vector<LayerSensitivity> layers; // by layer index
};

// The quantize step the scan applies for one layer: targets "<layer prefix>*" (e.g. "h.3.*",
// "encoder.layer.3.*"), i.e. every weight matrix of that layer.
RecipeStep layerQuantizeStep(const ModelConfig& config, int layer, const QuantSpec& spec);

// Layers run in parallel (oneTBB); progress (fraction of layers done) is called from worker
// threads, one call at a time. Errors: as evaluateCompression, a group/block size not dividing a
// layer's input dimension, Cancelled when the token is set.
Result<SensitivityScan> scanLayerSensitivity(const std::shared_ptr<const Model>& base, const QuantSpec& spec,
    const std::vector<std::int32_t>& tokens, const CancelToken* cancel = nullptr,
    const ProgressCallback& progress = {});

} // namespace optiscope::core
