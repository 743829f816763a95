// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "prune_steps.h"

#include "model_names.h"
#include "optiscope/core/check.h"

namespace optiscope::core::detail {

Result<std::shared_ptr<const CompressedModel>> dropLayers(
    const std::shared_ptr<const CompressedModel>& current, const RecipeStep& step, const std::string& where)
{
    const ModelConfig& c = current->config();
    for (std::size_t i = 0; i < step.layers.size(); ++i) {
        if (step.layers[i] >= c.layers) {
            return fail(ErrorCode::Config,
                where + "layers[" + std::to_string(i) + "]: layer " + std::to_string(step.layers[i])
                    + " out of range, the model has " + std::to_string(c.layers) + " layers");
        }
    }
    const std::string prefix = hfPrefix(c.architecture);
    std::vector<std::shared_ptr<const CompressedTensor>> changed;
    for (int layer : step.layers) {
        const std::string block = layerPrefix(c, layer);
        for (const auto& info : current->tensorInfos()) {
            const std::string canonical = info.name.starts_with(prefix) ? info.name.substr(prefix.size()) : info.name;
            const Weight* weight = current->weight(info.name);
            const auto matrix = weight ? matrixShape(c, info.name, weight->shape) : std::nullopt;
            if (!canonical.starts_with(block) || !matrix) {
                continue; // biases and LayerNorm vectors stay (they are not read once skipped)
            }
            const CompressedTensor* previous = current->compressed(info.name);
            changed.push_back(makeCompressedTensor(info.name, *matrix, weight->shape,
                std::vector<float>(static_cast<std::size_t>(matrix->elementCount()), 0.0f),
                Mask(static_cast<std::size_t>(matrix->elementCount()), 0), previous ? previous->quant : std::nullopt,
                previous ? NmPattern { previous->nmN, previous->nmM } : NmPattern {}));
        }
    }
    return current->withSkippedLayers(step.layers, std::move(changed));
}

} // namespace optiscope::core::detail
