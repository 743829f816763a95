// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A weight tensor seen as a matrix of output features × input features, whatever its storage
// order. "Input dimension" is the one a GEMM reduces over (K):
// - GPT-2 Conv1D weights (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj) are stored [in, out]
//   (y = x·W): input = axis 0, output = axis 1.
// - nn.Linear weights (BERT, ViT, classifiers, poolers) are stored [out, in] (y = x·Wᵀ), and so are
//   embedding tables [vocab, hidden] (as a tied LM head they are [out = vocab, in = hidden]).
// - Higher-rank weights (ViT patch projection [d, C, p, p]) are [out, in = product of the rest].
#include "optiscope/core/model_config.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace optiscope::core {

struct MatrixShape {
    std::int64_t outFeatures = 0;
    std::int64_t inFeatures = 0;
    bool inputMajor = false; // true: stored [in, out] (Conv1D)

    std::int64_t elementCount() const { return outFeatures * inFeatures; }
    // Offset of element (out, in) in the stored row-major data.
    std::int64_t index(std::int64_t out, std::int64_t in) const
    {
        return inputMajor ? in * outFeatures + out : out * inFeatures + in;
    }
};

// nullopt for tensors of rank < 2 (biases, norms). name: canonical or HF name.
std::optional<MatrixShape> matrixShape(
    const ModelConfig& config, const std::string& name, const std::vector<std::int64_t>& shape);

} // namespace optiscope::core
