// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/sparsegpt.h"
#include "prune_steps.h"

#include "model_names.h"
#include "optiscope/core/check.h"

#include <tbb/parallel_for.h>

#include <map>
#include <optional>

namespace optiscope::core::detail {

Result<std::vector<std::shared_ptr<const CompressedTensor>>> sparseGptTensors(const CompressedModel& current,
    const std::vector<std::string>& names, const RecipeStep& step, const std::string& where,
    const CalibrationData* calibration)
{
    if (!calibration || calibration->sequences.empty()) {
        return fail(ErrorCode::Config, where + "saliency: 'sparsegpt' needs calibration data, none given");
    }
    for (const auto& name : names) {
        const CompressedTensor* previous = current.compressed(name);
        if (previous && previous->quant) {
            // SparseGPT moves the kept weights off the quantization grid.
            return fail(ErrorCode::Config,
                where + "saliency: 'sparsegpt' updates kept weights, so it must come before quantizing '" + name + "'");
        }
    }
    // As the reference implementation: blocks in order, each calibrated on the model with the
    // earlier blocks already pruned (so later layers compensate for the earlier error), and the
    // Hessians of one block only in memory at a time.
    std::map<int, std::vector<std::size_t>> byLayer;
    const ModelConfig& c = current.config();
    for (std::size_t i = 0; i < names.size(); ++i) {
        int layer = -1;
        for (int l = 0; l < c.layers && layer < 0; ++l) {
            const std::string block = hfPrefix(c.architecture) + layerPrefix(c, l);
            layer = names[i].starts_with(block) || names[i].starts_with(layerPrefix(c, l)) ? l : -1;
        }
        if (layer < 0) {
            return fail(ErrorCode::Config,
                where + "saliency: no calibration activations for '" + names[i]
                    + "' (SparseGPT covers attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj)");
        }
        byLayer[layer].push_back(i);
    }
    SparseGptConfig config;
    config.ratio = step.pattern == PrunePattern::NM ? 0.0 : step.ratio;
    config.n = step.pattern == PrunePattern::NM ? step.n : 0;
    config.m = step.pattern == PrunePattern::NM ? step.m : 0;
    config.dampening = step.dampening;
    config.blockSize = step.sparseGptBlockSize;

    std::vector<std::shared_ptr<const CompressedTensor>> changed(names.size());
    std::shared_ptr<const CompressedModel> model = current.with({});
    for (const auto& [layer, indices] : byLayer) {
        std::vector<std::string> group;
        for (auto i : indices) {
            group.push_back(names[i]);
        }
        auto hessians = collectLayerHessians(*model, *calibration, group);
        if (!hessians) {
            return fail(hessians.error().code, where + "saliency: " + hessians.error().message);
        }
        for (const auto& name : group) {
            if (!hessians->hessians.contains(name)) {
                return fail(ErrorCode::Config,
                    where + "saliency: no calibration activations for '" + name
                        + "' (SparseGPT covers attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj)");
            }
        }
        std::vector<std::optional<Error>> errors(indices.size());
        tbb::parallel_for(std::size_t { 0 }, indices.size(), [&](std::size_t k) {
            const std::string& name = names[indices[k]];
            const Weight* weight = current.weight(name);
            OPTISCOPE_CHECK(weight != nullptr);
            const auto matrix = matrixShape(c, name, weight->shape);
            OPTISCOPE_CHECK(matrix.has_value());
            const CompressedTensor* previous = current.compressed(name);
            auto result = sparseGpt({ weight->data, static_cast<std::size_t>(matrix->elementCount()) }, *matrix,
                hessians->hessians.at(name), previous ? previous->mask : Mask {}, config);
            if (!result) {
                errors[k] = Error { ErrorCode::Input, where + "dampening: '" + name + "': " + result.error().message };
                return;
            }
            NmPattern nm { config.n, config.m };
            if (nm.m == 0 && previous) {
                nm = { previous->nmN, previous->nmM }; // masks only combine: an earlier N:M still holds
            }
            changed[indices[k]] = makeCompressedTensor(
                name, *matrix, weight->shape, std::move(result->values), std::move(result->mask), std::nullopt, nm);
        });
        for (auto& error : errors) {
            if (error) {
                return std::unexpected(*error);
            }
        }
        std::vector<std::shared_ptr<const CompressedTensor>> done;
        for (auto i : indices) {
            done.push_back(changed[i]);
        }
        model = model->with(std::move(done));
    }
    return changed;
}

} // namespace optiscope::core::detail
