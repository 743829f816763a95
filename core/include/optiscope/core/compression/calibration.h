// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Calibration activations for data-aware saliency (Wanda: |W_ij| · ‖X_j‖₂; SparseGPT: XᵀX).
//
// What is measured: for every GPT-2 linear weight (attn.c_attn, attn.c_proj, mlp.c_fc,
// mlp.c_proj) the squared L2 norm, over all calibration tokens, of each input feature of that
// linear layer: ln_1(h) for c_attn, the attention context for attn.c_proj, ln_2(h + attn) for
// c_fc and gelu(c_fc(...)) for mlp.c_proj. run() with CaptureOptions.hiddenStates only gives the
// block inputs h_l, so each block is recomputed from h_l with the inference building blocks and
// the recomputed block output is compared with the captured h_{l+1} (maxRecomputeDiff).
// The activations are those of the model passed in (for a recipe step: the model after the
// earlier steps), one pass, not Wanda's layer-by-layer re-propagation.
#include "optiscope/core/cancel.h"
#include "optiscope/core/model.h"
#include "optiscope/core/result.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace optiscope::core {

struct CalibrationData {
    // Token sequences; longer ones are cut into windows of maxPositions.
    std::vector<std::vector<std::int32_t>> sequences;
};

struct ActivationNorms {
    std::map<std::string, std::vector<double>> squaredNorms; // stored weight name → [inFeatures]
    std::int64_t tokens = 0;
    double maxRecomputeDiff = 0; // max |recomputed block output − captured hidden state|
};

// Errors: not GPT-2, no tokens, ids outside the vocabulary.
Result<ActivationNorms> collectActivationNorms(
    const Model& model, const CalibrationData& data, const CancelToken* cancel = nullptr);

// SparseGPT's layer Hessians H = 2/N · XᵀX of the same linear-layer inputs X [N tokens × inFeatures]
// (the reference implementation's scaling; SparseGPT's masks and updates do not depend on it).
struct LayerHessians {
    std::map<std::string, std::vector<double>> hessians; // stored weight name → [in × in], symmetric
    std::int64_t tokens = 0;
    double maxRecomputeDiff = 0;
};

// Every input value of the named linear layers (stored weight names; empty = all) over the
// calibration data, as float32 in token order: what static activation quantization calibrates on.
// Earlier activation quantization is not applied while recomputing the blocks. Errors as
// collectActivationNorms.
Result<std::map<std::string, std::vector<float>>> collectLinearInputs(const Model& model, const CalibrationData& data,
    const std::vector<std::string>& only = {}, const CancelToken* cancel = nullptr);

// only: stored weight names to collect (GPT-2 small's c_fc alone is 4.7 MB); empty = all.
// Errors as collectActivationNorms.
Result<LayerHessians> collectLayerHessians(const Model& model, const CalibrationData& data,
    const std::vector<std::string>& only = {}, const CancelToken* cancel = nullptr);

} // namespace optiscope::core
