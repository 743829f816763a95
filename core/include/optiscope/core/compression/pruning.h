// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Pruning masks (1 = kept, 0 = pruned), in the tensor's storage order. Saliency is the magnitude
// of the values passed in (already-pruned zeros are the least salient); ties go to the lower
// storage index being pruned first, so masks are deterministic. A pruned count is
// round(ratio × candidates) (half away from zero), so it is within half an element of the request.
#include "optiscope/core/compression/matrix_shape.h"

#include <cstdint>
#include <span>
#include <vector>

namespace optiscope::core {

using Mask = std::vector<std::uint8_t>;

// Unstructured: the round(ratio·size) smallest |x| are pruned. ratio in [0, 1).
Mask magnitudeMask(std::span<const float> values, double ratio);
// Unstructured over several tensors with one threshold: the round(ratio·total) smallest |x| of
// all tensors together are pruned.
std::vector<Mask> globalMagnitudeMasks(const std::vector<std::span<const float>>& tensors, double ratio);
// N:M along the input dimension: in every run of m consecutive input features of one output
// feature, the n largest |x| are kept. Preconditions: 0 < n < m, inFeatures % m == 0.
Mask nmMask(std::span<const float> values, const MatrixShape& shape, int n, int m);
// Blocks of blockOut × blockIn (output × input features) with the smallest L2 norm are pruned,
// round(ratio·blocks) of them. Preconditions: both block sizes divide their dimension.
Mask blockMask(std::span<const float> values, const MatrixShape& shape, int blockOut, int blockIn, double ratio);

// Bank-balanced (Cao et al. 2019): every output feature is cut into banks of bankSize consecutive
// input features and each bank loses its round(ratio·bankSize) smallest |x| (ties: lower input
// feature first), so all banks keep the same count. Precondition: bankSize divides inFeatures.
Mask bankBalancedMask(std::span<const float> values, const MatrixShape& shape, int bankSize, double ratio);

enum class ChannelAxis { Output, Input };
// Whole output features (rows of y: FFN neurons for mlp.c_fc) or input features with the smallest
// L2 norm, round(ratio·count) of them.
Mask channelMask(std::span<const float> values, const MatrixShape& shape, ChannelAxis axis, double ratio);

// Score-based variants (scores in storage order, e.g. Wanda's |W_ij|·‖X_j‖₂): per output feature,
// the round(ratio·inFeatures) lowest scores are pruned (Wanda's comparison group), or N:M keeps
// the n highest scores of every group.
Mask rowwiseScoreMask(std::span<const double> scores, const MatrixShape& shape, double ratio);
Mask nmScoreMask(std::span<const double> scores, const MatrixShape& shape, int n, int m);

std::int64_t countKept(const Mask& mask);

} // namespace optiscope::core
