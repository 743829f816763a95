// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/matrix_shape.h"

namespace optiscope::core {

std::optional<MatrixShape> matrixShape(
    const ModelConfig& config, const std::string& name, const std::vector<std::int64_t>& shape)
{
    if (shape.size() < 2) {
        return std::nullopt;
    }
    MatrixShape matrix;
    const bool conv1d = config.architecture == Architecture::Gpt2 && shape.size() == 2
        && (name.find("attn.c_attn.") != std::string::npos || name.find("attn.c_proj.") != std::string::npos
            || name.find("mlp.c_fc.") != std::string::npos || name.find("mlp.c_proj.") != std::string::npos);
    if (conv1d) {
        matrix.inFeatures = shape[0];
        matrix.outFeatures = shape[1];
        matrix.inputMajor = true;
        return matrix;
    }
    matrix.outFeatures = shape[0];
    matrix.inFeatures = 1;
    for (std::size_t i = 1; i < shape.size(); ++i) {
        matrix.inFeatures *= shape[i];
    }
    return matrix;
}

} // namespace optiscope::core
