// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "tensor_view_data.h"

#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/quantization.h"

#include <cmath>

namespace optiscope::gui {

using widgets::MaskCell;

std::vector<MaskCell> classifyMask(
    const core::MatrixShape& shape, std::span<const float> values, std::span<const std::uint8_t> mask)
{
    const auto rows = shape.outFeatures;
    const auto cols = shape.inFeatures;
    std::vector<MaskCell> cells(static_cast<std::size_t>(rows * cols));
    std::vector<std::int64_t> keptInCol(static_cast<std::size_t>(cols), 0);
    std::vector<bool> rowPruned(static_cast<std::size_t>(rows), false);
    for (std::int64_t r = 0; r < rows; ++r) {
        std::int64_t kept = 0;
        for (std::int64_t c = 0; c < cols; ++c) {
            const auto i = static_cast<std::size_t>(shape.index(r, c));
            const bool isKept = mask.empty() ? values[i] != 0.0f : mask[i] != 0;
            cells[static_cast<std::size_t>(r * cols + c)] = isKept ? MaskCell::Kept : MaskCell::Pruned;
            kept += isKept;
            keptInCol[static_cast<std::size_t>(c)] += isKept;
        }
        rowPruned[static_cast<std::size_t>(r)] = kept == 0;
    }
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) {
            auto& cell = cells[static_cast<std::size_t>(r * cols + c)];
            if (rowPruned[static_cast<std::size_t>(r)]) {
                cell = MaskCell::PrunedRow;
            } else if (keptInCol[static_cast<std::size_t>(c)] == 0) {
                cell = MaskCell::PrunedColumn;
            }
        }
    }
    return cells;
}

std::vector<double> integerGridLevels(int bits, bool symmetric, double scale, int zeroPoint)
{
    constexpr int kMaxLevelBits = 10;
    std::vector<double> levels;
    if (bits < 1 || bits > kMaxLevelBits) {
        return levels;
    }
    const int low = symmetric ? -((1 << (bits - 1)) - 1) : 0;
    const int high = symmetric ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    for (int v = low; v <= high; ++v) {
        levels.push_back((v - (symmetric ? 0 : zeroPoint)) * scale);
    }
    return levels;
}

std::vector<double> quantizationLevels(const core::Model& model, const std::string& name)
{
    const auto* compressed = dynamic_cast<const core::CompressedModel*>(&model);
    const core::CompressedTensor* tensor = compressed ? compressed->compressed(name) : nullptr;
    if (tensor && tensor->quant && tensor->quant->spec.format == core::NumberFormat::Gobo) {
        return { tensor->quant->codebook.begin(), tensor->quant->codebook.end() }; // GOBO: the centroids
    }
    if (!tensor || !tensor->quant || tensor->quant->scales.empty()) {
        return {};
    }
    const core::QuantParams& q = *tensor->quant;
    if (q.spec.format != core::NumberFormat::Int) {
        return {};
    }
    return integerGridLevels(
        q.spec.bits, q.spec.symmetric, q.scales.front(), q.zeroPoints.empty() ? 0 : q.zeroPoints.front());
}

namespace {

    const char* granularityName(core::QuantGranularity granularity)
    {
        switch (granularity) {
        case core::QuantGranularity::PerTensor:
            return "per tensor";
        case core::QuantGranularity::PerChannel:
            return "per channel, levels of channel 0";
        case core::QuantGranularity::Group:
            return "per group, levels of group 0";
        case core::QuantGranularity::PerHead:
            return "per head, levels of head 0";
        }
        return "";
    }

} // namespace

std::optional<TensorViewData> tensorViewData(const core::Model& model, const std::string& name, QString* error)
{
    const core::Weight* current = model.weight(name);
    const auto* compressed = dynamic_cast<const core::CompressedModel*>(&model);
    const core::Model& baseModel = compressed ? *compressed->base() : model;
    const core::Weight* base = baseModel.weight(name);
    const auto shape = current ? core::matrixShape(model.config(), name, current->shape) : std::nullopt;
    if (!current || !base || !shape) {
        *error = QObject::tr("%1 is not a weight matrix of this model").arg(QString::fromStdString(name));
        return std::nullopt;
    }
    if (shape->elementCount() > kMaxInspectedElements) {
        *error = QObject::tr("%1 has %2 elements, more than the %3 the inspector draws")
                     .arg(QString::fromStdString(name))
                     .arg(shape->elementCount())
                     .arg(kMaxInspectedElements);
        return std::nullopt;
    }
    const std::span<const float> values(current->data, static_cast<std::size_t>(current->elementCount()));
    const std::span<const float> baseValues(base->data, static_cast<std::size_t>(base->elementCount()));
    const core::CompressedTensor* tensor = compressed ? compressed->compressed(name) : nullptr;
    const std::span<const std::uint8_t> mask = tensor ? std::span<const std::uint8_t>(tensor->mask) : std::span<const std::uint8_t> {};

    TensorViewData data;
    const auto cells = classifyMask(*shape, values, mask);
    data.mask = std::make_shared<widgets::MaskPyramid>(
        static_cast<int>(shape->outFeatures), static_cast<int>(shape->inFeatures), cells);
    if (tensor && tensor->nmM > 0) {
        data.pattern.groupSize = tensor->nmM;
    }

    data.histogram = widgets::makeHistogram(baseValues, kHistogramBins);
    data.histogram.title = QObject::tr("Base weights of %1").arg(QString::fromStdString(name));
    data.histogram.valueLabel = QObject::tr("weight value");
    data.histogram.levels = quantizationLevels(model, name);
    if (!data.histogram.levels.empty()) {
        data.histogram.hasClipRange = true;
        data.histogram.clipLow = data.histogram.levels.front();
        data.histogram.clipHigh = data.histogram.levels.back();
    }
    const core::WeightAnnotation annotation = model.weightAnnotation(name);
    QString format = QObject::tr("fp32");
    if (tensor && tensor->quant) {
        const auto& spec = tensor->quant->spec;
        format = spec.format == core::NumberFormat::Int
            ? QObject::tr("int%1 %2 (%3)")
                  .arg(spec.bits)
                  .arg(spec.symmetric ? QObject::tr("sym.") : QObject::tr("asym."))
                  .arg(QString::fromUtf8(granularityName(spec.granularity)))
            : QString::fromUtf8(core::numberFormatName(spec.format));
    }
    if (tensor) {
        const core::QuantErrorStats stats = core::quantError(baseValues, values);
        double power = 0;
        for (float v : baseValues) {
            power += static_cast<double>(v) * v;
        }
        power /= static_cast<double>(baseValues.size());
        const double sqnr = stats.mse > 0 ? 10.0 * std::log10(power / stats.mse) : INFINITY;
        data.histogram.note = QObject::tr("%1 \u00b7 error of all steps vs the base weights: MSE %2, max |error| %3, SQNR %4 dB")
                                  .arg(format)
                                  .arg(stats.mse, 0, 'g', 3)
                                  .arg(stats.maxAbsError, 0, 'g', 3)
                                  .arg(sqnr, 0, 'f', 1);
    } else {
        data.histogram.note = QObject::tr("%1, unchanged by the recipe").arg(format);
    }
    data.summary = QObject::tr("[%1 out \u00d7 %2 in] \u00b7 %3 % nonzero \u00b7 %4 bits stored%5")
                       .arg(shape->outFeatures)
                       .arg(shape->inFeatures)
                       .arg(100.0 * annotation.density, 0, 'f', 1)
                       .arg(annotation.bits)
                       .arg(annotation.nmM > 0 ? QObject::tr(" \u00b7 %1:%2 along the input").arg(annotation.nmN).arg(annotation.nmM)
                                               : QString());
    return data;
}

} // namespace optiscope::gui
