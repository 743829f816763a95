// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Pieces of quantizeDequantize shared between its source files. A group is given as the storage
// offsets of its elements, in input order.
#include "optiscope/core/compression/quantization.h"

#include <cstdint>
#include <span>
#include <vector>

namespace optiscope::core::detail {

// The value range an int group maps onto its grid, before widening to include 0.
// Symmetric specs use only hi (= the clipping magnitude, lo = -hi).
struct ClipRange {
    double lo = 0;
    double hi = 0;
};

// The p-th percentile of values (sorted in place), linear interpolation at rank p/100·(n-1).
double percentileOfSorted(const std::vector<double>& sorted, double percentile);

// Range of one group under spec.clip (min/max, percentile or MSE search).
ClipRange chooseClipRange(const std::vector<double>& group, const QuantSpec& spec);

// One int grid: x' = (q - zero) · scale with q in [qmin, qmax].
struct IntGrid {
    float scale = 0;
    double zero = 0;
    double qmin = 0;
    double qmax = 0;
};
IntGrid makeIntGrid(const ClipRange& range, const QuantSpec& spec);
// Round to nearest even (u < 0) or stochastically with u in [0, 1).
float dequantizeOnGrid(double x, const IntGrid& grid, double u);

// Bfp: one block; returns its shared exponent.
std::int16_t quantizeBfpBlock(std::span<const float> values, const std::vector<std::int64_t>& offsets,
    const QuantSpec& spec, std::vector<float>& out);

} // namespace optiscope::core::detail
