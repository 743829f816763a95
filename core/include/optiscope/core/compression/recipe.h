// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A compression recipe: {"schema": 1, "steps": [...]}, an ordered list of pruning and
// quantization steps, parsed and validated once. The schema is documented in RECIPE_SCHEMA.md
// beside this header. Checks that need the model (patterns matching nothing, N:M or group sizes
// not dividing a dimension) happen when the recipe is applied.
#include "optiscope/core/compression/activation_quantization.h"
#include "optiscope/core/compression/pruning.h"
#include "optiscope/core/compression/quantization.h"
#include "optiscope/core/compression/token_pruning.h"
#include "optiscope/core/result.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace optiscope::core {

enum class StepType { Prune, Quantize, PruneHeads, PruneLayers, PruneTokens, QuantizeActivations, LlmInt8 };
enum class PrunePattern { Unstructured, NM, Block, OutputChannels, InputChannels, BankBalanced };
enum class PruneScope { PerTensor, Global };
// Magnitude: |w|. Wanda: |w_ij|·‖x_j‖₂ over calibration activations, compared per output feature.
// SparseGpt: OBS saliency with the layer Hessian, and the kept weights updated (sparsegpt.h).
enum class Saliency { Magnitude, Wanda, SparseGpt };

struct RecipeStep {
    StepType type = StepType::Prune;
    std::vector<std::string> targets; // glob patterns over tensor names, at least one
    std::vector<std::string> exclude; // glob patterns removed from the selection
    // Prune
    PrunePattern pattern = PrunePattern::Unstructured;
    Saliency saliency = Saliency::Magnitude;
    PruneScope scope = PruneScope::PerTensor; // Unstructured only
    double ratio = 0; // all patterns but NM
    int n = 0, m = 0; // NM
    int blockOut = 0, blockIn = 0; // Block
    double dampening = 0.01; // SparseGpt: λ = dampening · mean(diag H)
    int sparseGptBlockSize = 128; // SparseGpt: input features per lazy-update block
    int bankSize = 0; // BankBalanced: consecutive input features per bank
    // Quantize
    QuantSpec quant;
    // QuantizeActivations: how the inputs of the selected weights' linear layers are quantized
    ActivationQuantSpec activation;
    // LlmInt8: |x| above which an input feature stays in fp
    double outlierThreshold = 6.0;
    // PruneHeads: (layer, head) pairs; targets stay empty (the attention projections are implied)
    std::vector<std::pair<int, int>> heads;
    // PruneHeads by ablation importance (head_importance.h) instead of a list: the headCount
    // heads (or round(ratio · all heads) when headCount < 0) whose masking raises the calibration
    // loss least.
    bool headAblation = false;
    int headCount = -1;
    // PruneLayers: transformer blocks to remove (0-based, sorted, unique)
    std::vector<int> layers;
    // PruneTokens: the policy run() applies (token_pruning.h); no targets
    TokenPruningPolicy tokenPruning;
    // The step re-serialised with defaults filled in and keys sorted: equal steps have equal
    // keys, which is what the applier's cache compares.
    std::string cacheKey;
};

struct Recipe {
    int schema = 1;
    std::string fileName; // for error messages
    std::vector<RecipeStep> steps;
};

inline constexpr int kRecipeSchemaVersion = 1;

Result<Recipe> parseRecipe(std::string_view json, const std::string& fileNameForErrors);
Result<Recipe> loadRecipe(const std::filesystem::path& path);

// The fields of a quantize step without type/targets (e.g. {"bits": 4, "granularity": "group",
// "group_size": 128}); errors read "<source>: <field>: problem".
Result<QuantSpec> parseQuantSpec(std::string_view json, const std::string& sourceForErrors);

// '*' matches any run of characters (dots included), '?' one character; everything else literally.
bool globMatch(std::string_view pattern, std::string_view name);

} // namespace optiscope::core
