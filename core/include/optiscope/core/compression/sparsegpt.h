// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// SparseGPT (Frantar & Alistarh 2023): one-shot pruning of a linear layer y = W·x with the layer
// Hessian H = XᵀX (calibration inputs), choosing the mask by the OBS saliency w²/[H⁻¹]_jj and
// updating the remaining weights to compensate each pruned one.
//
// As the reference implementation: dead inputs (H_jj = 0) get H_jj = 1 and their weights 0;
// λ = dampening·mean(diag H) is added to the diagonal; U = upper Cholesky factor of H⁻¹
// (UᵀU = H⁻¹); columns (input features) are processed in blocks of blockSize with lazy updates
// of the later columns. The mask is chosen per block from the weights as updated so far:
// unstructured prunes the round(ratio·outFeatures·blockColumns) lowest w²/U_jj² of the block
// (ties: lower output feature, then lower input feature first); N:M prunes, in every output
// feature, the m − n lowest scores of each group of m input features when its first column is
// reached. Elements already pruned (`previous`) count as the least salient and stay pruned.
#include "optiscope/core/compression/matrix_shape.h"
#include "optiscope/core/compression/pruning.h"
#include "optiscope/core/result.h"

#include <span>
#include <vector>

namespace optiscope::core {

struct SparseGptConfig {
    double ratio = 0; // unstructured (m == 0): fraction pruned, in [0, 1)
    int n = 0; // N:M when m > 0: n kept of every m consecutive input features; blockSize % m == 0
    int m = 0;
    double dampening = 0.01; // λ = dampening · mean(diag H)
    int blockSize = 128; // input features per lazy-update block
};

struct SparseGptResult {
    Mask mask; // storage order, 1 = kept
    std::vector<float> values; // storage order: kept weights updated, pruned ones 0
    double loss = 0; // Σ (w − q)² / (2·U_jj²) over pruned weights, the OBS error estimate
};

// values: the weight in storage order (see MatrixShape); hessian: [in × in] row-major (symmetric,
// so either order). previous: empty or one entry per element. Error (message without a field
// name) when H + λI is not positive definite.
Result<SparseGptResult> sparseGpt(std::span<const float> values, const MatrixShape& shape,
    std::span<const double> hessian, const Mask& previous, const SparseGptConfig& config);

} // namespace optiscope::core
