// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Pruning steps that live outside compression_apply.cpp (each in its own file), called by
// applyStep once targets are selected and shape-checked. `where` is "<file>: steps[i]." .
#include "optiscope/core/compression/compressed_model.h"

#include <memory>
#include <string>
#include <vector>

namespace optiscope::core::detail {

// SparseGPT on each named tensor (compression_sparsegpt_step.cpp). Needs calibration data.
Result<std::vector<std::shared_ptr<const CompressedTensor>>> sparseGptTensors(const CompressedModel& current,
    const std::vector<std::string>& names, const RecipeStep& step, const std::string& where,
    const CalibrationData* calibration);

// prune_layers (compression_layer_drop.cpp): marks the blocks skipped and masks every weight
// matrix of theirs to zero, so sizes, nonzeros and mask views show the removal too.
Result<std::shared_ptr<const CompressedModel>> dropLayers(
    const std::shared_ptr<const CompressedModel>& current, const RecipeStep& step, const std::string& where);

// prune_heads with saliency "ablation" (compression_head_importance.cpp): scores every head on
// the calibration data, then removes the least important ones through a plain prune_heads step.
Result<std::shared_ptr<const CompressedModel>> pruneHeadsByAblation(
    const std::shared_ptr<const CompressedModel>& current, const RecipeStep& step, const std::string& file,
    std::size_t stepIndex, const CalibrationData* calibration);

// quantize_activations and llm_int8 on the selected (stored) weight names
// (compression_activation_step.cpp). Static activation scales need calibration data.
Result<std::shared_ptr<const CompressedModel>> applyActivationStep(const std::shared_ptr<const CompressedModel>& current,
    const std::vector<std::string>& names, const RecipeStep& step, const std::string& where,
    const CalibrationData* calibration);

} // namespace optiscope::core::detail
