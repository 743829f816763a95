// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A model's weight matrix turned into what the tensor views draw: its mask classified element by element
// (kept, pruned, whole row, whole column), the pattern to outline, and the value histogram of the base
// weights with the quantization levels and the error statistics of the compressed values.
#include "histogram_view.h"
#include "mask_pyramid.h"
#include "sparsity_view.h"

#include "optiscope/core/compression/matrix_shape.h"
#include "optiscope/core/model.h"

#include <QString>

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace optiscope::gui {

// Tensors above this many elements are not drawn element by element (GPT-2's 38.6 M-element embedding
// table would take 150 MiB of image); the inspector says so instead.
inline constexpr std::int64_t kMaxInspectedElements = std::int64_t { 1 } << 24;
inline constexpr int kHistogramBins = 160;

struct TensorViewData {
    std::shared_ptr<const widgets::MaskPyramid> mask;
    widgets::MaskPattern pattern;
    widgets::HistogramData histogram;
    QString summary; // one line: shape, sparsity, format, error
};

// [out x in] cells, row-major. kept(i) = mask[i] when a mask is given, else value != 0. Rows whose
// elements are all pruned become PrunedRow; columns all pruned (in rows not wholly pruned) PrunedColumn.
std::vector<widgets::MaskCell> classifyMask(
    const core::MatrixShape& shape, std::span<const float> values, std::span<const std::uint8_t> mask);

// The values an integer grid can represent, (q − zero) · scale: q in ±(2^(bits−1) − 1) when symmetric,
// else in [0, 2^bits − 1]; empty above 10 bits (too many to draw).
std::vector<double> integerGridLevels(int bits, bool symmetric, double scale, int zeroPoint);

// The quantization levels of one scale group (the first: output feature 0 / group 0 of it) of an int
// quantization; empty for float formats and widths above 10 bits.
std::vector<double> quantizationLevels(const core::Model& model, const std::string& name);

// nullopt with *error set when the name is no weight matrix or it is too large.
std::optional<TensorViewData> tensorViewData(const core::Model& model, const std::string& name, QString* error);

} // namespace optiscope::gui
