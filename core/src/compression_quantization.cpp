// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/quantization.h"

#include "optiscope/core/check.h"
#include "optiscope/core/compression/number_format.h"
#include "quant_detail.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace optiscope::core {

int QuantSpec::storedBits() const
{
    switch (format) {
    case NumberFormat::Int:
        return bits;
    case NumberFormat::Fp16:
    case NumberFormat::Bf16:
        return 16;
    case NumberFormat::Fp8E4M3:
    case NumberFormat::Fp8E5M2:
        return 8;
    case NumberFormat::Tf32:
        return 32;
    case NumberFormat::Ternary:
        return 2;
    case NumberFormat::Binary:
        return 1;
    case NumberFormat::Bfp:
        return 1 + mantissaBits;
    case NumberFormat::Gobo:
        return bits;
    }
    return 32;
}

double QuantSpec::bitsPerElement() const
{
    return format == NumberFormat::Bfp ? storedBits() + 8.0 / blockSize : static_cast<double>(storedBits());
}

int QuantSpec::inputBlockSize() const
{
    if (format == NumberFormat::Bfp) {
        return blockSize;
    }
    const bool grouped
        = format == NumberFormat::Int || format == NumberFormat::Ternary || format == NumberFormat::Binary;
    return grouped && granularity == QuantGranularity::Group ? groupSize : 0;
}

const char* numberFormatName(NumberFormat format)
{
    switch (format) {
    case NumberFormat::Int:
        return "int";
    case NumberFormat::Fp16:
        return "fp16";
    case NumberFormat::Bf16:
        return "bf16";
    case NumberFormat::Fp8E4M3:
        return "fp8_e4m3";
    case NumberFormat::Fp8E5M2:
        return "fp8_e5m2";
    case NumberFormat::Tf32:
        return "tf32";
    case NumberFormat::Ternary:
        return "ternary";
    case NumberFormat::Binary:
        return "binary";
    case NumberFormat::Bfp:
        return "bfp";
    case NumberFormat::Gobo:
        return "gobo";
    }
    return "?";
}

double QuantParams::bitsPerElement(std::int64_t elements) const
{
    OPTISCOPE_CHECK(elements > 0);
    if (spec.format != NumberFormat::Gobo) {
        return spec.bitsPerElement();
    }
    return spec.storedBits() + 8.0 * static_cast<double>(metadataBytes()) / static_cast<double>(elements);
}

std::int64_t QuantParams::metadataBytes() const
{
    const auto count = [](const auto& v) { return static_cast<std::int64_t>(v.size()); };
    return 4 * count(scales) + (count(zeroPoints) * spec.storedBits() + 7) / 8 + count(sharedExponents)
        + 4 * count(codebook) + 8 * count(outlierOffsets);
}

std::uint64_t tensorSeed(std::uint64_t seed, std::string_view tensorName)
{
    std::uint64_t hash = 14695981039346656037ull; // FNV-1a, stable across platforms
    for (char c : tensorName) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    }
    return seed ^ hash;
}

namespace {

    // splitmix64 of (seed, offset): a counter-based uniform in [0, 1), the same whatever thread
    // quantizes the element.
    double uniformAt(std::uint64_t seed, std::int64_t offset)
    {
        std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(offset) + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return static_cast<double>(z >> 11) * 0x1p-53;
    }

    struct GroupLayout {
        std::int64_t groupSize = 0; // along the input dimension; 0: the whole tensor
        std::int64_t perRow = 1;
        std::int64_t count = 1;
        std::int64_t headRows = 0; // per head: output features per group (all inputs)
        std::int64_t headColumns = 0; // per head along the input: input features per group (all outputs)
    };

    GroupLayout groupLayout(const MatrixShape& shape, const QuantSpec& spec)
    {
        GroupLayout layout;
        if (spec.format != NumberFormat::Bfp && spec.granularity == QuantGranularity::PerHead) {
            const std::int64_t extent = spec.headAlongInput ? shape.inFeatures : shape.outFeatures;
            OPTISCOPE_CHECK(spec.headSize > 0 && extent % spec.headSize == 0);
            (spec.headAlongInput ? layout.headColumns : layout.headRows) = spec.headSize;
            layout.count = extent / spec.headSize;
            return layout;
        }
        if (spec.format == NumberFormat::Bfp) {
            layout.groupSize = spec.blockSize;
        } else if (spec.granularity == QuantGranularity::PerChannel) {
            layout.groupSize = shape.inFeatures;
        } else if (spec.granularity == QuantGranularity::Group) {
            layout.groupSize = spec.groupSize;
        }
        if (layout.groupSize == 0) {
            return layout;
        }
        OPTISCOPE_CHECK(layout.groupSize > 0 && shape.inFeatures % layout.groupSize == 0);
        layout.perRow = shape.inFeatures / layout.groupSize;
        layout.count = shape.outFeatures * layout.perRow;
        return layout;
    }

    void groupOffsets(
        const MatrixShape& shape, const GroupLayout& layout, std::int64_t group, std::vector<std::int64_t>& offsets)
    {
        offsets.clear();
        if (layout.headRows > 0 || layout.headColumns > 0) {
            // Per head: input order within each output feature, output features in order.
            const std::int64_t outBegin = layout.headRows > 0 ? group * layout.headRows : 0;
            const std::int64_t outEnd = layout.headRows > 0 ? outBegin + layout.headRows : shape.outFeatures;
            const std::int64_t inBegin = layout.headColumns > 0 ? group * layout.headColumns : 0;
            const std::int64_t inEnd = layout.headColumns > 0 ? inBegin + layout.headColumns : shape.inFeatures;
            for (std::int64_t out = outBegin; out < outEnd; ++out) {
                for (std::int64_t in = inBegin; in < inEnd; ++in) {
                    offsets.push_back(shape.index(out, in));
                }
            }
            return;
        }
        if (layout.groupSize == 0) {
            for (std::int64_t i = 0; i < shape.elementCount(); ++i) {
                offsets.push_back(i);
            }
            return;
        }
        const std::int64_t out = group / layout.perRow;
        const std::int64_t begin = (group % layout.perRow) * layout.groupSize;
        for (std::int64_t in = begin; in < begin + layout.groupSize; ++in) {
            offsets.push_back(shape.index(out, in));
        }
    }

    void quantizeIntGroup(std::span<const float> values, const std::vector<std::int64_t>& offsets,
        const QuantSpec& spec, std::vector<float>& out, QuantParams& params, std::int64_t group)
    {
        std::vector<double> data(offsets.size());
        for (std::size_t i = 0; i < offsets.size(); ++i) {
            data[i] = values[offsets[i]];
        }
        const detail::IntGrid grid = detail::makeIntGrid(detail::chooseClipRange(data, spec), spec);
        params.scales[group] = grid.scale;
        if (!spec.symmetric) {
            params.zeroPoints[group] = static_cast<std::int32_t>(grid.zero);
        }
        const bool stochastic = spec.rounding == QuantRounding::Stochastic;
        for (std::size_t i = 0; i < offsets.size(); ++i) {
            const double u = stochastic ? uniformAt(spec.seed, offsets[i]) : -1.0;
            out[offsets[i]] = detail::dequantizeOnGrid(data[i], grid, u);
        }
    }

    // Ternary (TWN) and binary (XNOR-Net): one scale a per group, levels {-a, 0, +a} / {-a, +a}.
    void quantizeSignGroup(std::span<const float> values, const std::vector<std::int64_t>& offsets,
        const QuantSpec& spec, std::vector<float>& out, QuantParams& params, std::int64_t group)
    {
        double sumAbs = 0;
        for (auto offset : offsets) {
            sumAbs += std::fabs(static_cast<double>(values[offset]));
        }
        const double meanAbs = sumAbs / static_cast<double>(offsets.size());
        if (spec.format == NumberFormat::Binary) {
            const auto alpha = static_cast<float>(meanAbs);
            params.scales[group] = alpha;
            for (auto offset : offsets) {
                out[offset] = values[offset] >= 0.0f ? alpha : -alpha;
            }
            return;
        }
        const double threshold = 0.7 * meanAbs;
        double sumAbove = 0;
        std::int64_t above = 0;
        for (auto offset : offsets) {
            const double magnitude = std::fabs(static_cast<double>(values[offset]));
            if (magnitude > threshold) {
                sumAbove += magnitude;
                ++above;
            }
        }
        const auto alpha = above ? static_cast<float>(sumAbove / static_cast<double>(above)) : 0.0f;
        params.scales[group] = alpha;
        for (auto offset : offsets) {
            const double v = values[offset];
            out[offset] = std::fabs(v) > threshold ? (v > 0 ? alpha : -alpha) : 0.0f;
        }
    }

    // Int per output channel, min/max, round to nearest: the common case (int8 per channel), done in
    // storage order so a Conv1D weight ([in, out], a channel strided across rows) is read row by row
    // instead of one cache line per element. Same grids and values as the group-wise path: min, max
    // and max|x| do not depend on the order they are taken in.
    bool quantizeChannelsInStorageOrder(
        std::span<const float> values, const MatrixShape& shape, const QuantSpec& spec, QuantizedTensor& result)
    {
        if (spec.format != NumberFormat::Int || spec.granularity != QuantGranularity::PerChannel
            || spec.clip != QuantClip::MinMax || spec.rounding != QuantRounding::Nearest || !shape.inputMajor) {
            return false;
        }
        const std::int64_t outs = shape.outFeatures, ins = shape.inFeatures;
        std::vector<detail::IntGrid> grids(static_cast<std::size_t>(outs));
        // Threads take slices of output channels: a contiguous run of every storage row.
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, outs, 64), [&](const auto& range) {
            const std::int64_t begin = range.begin(), end = range.end();
            std::vector<detail::ClipRange> ranges(static_cast<std::size_t>(end - begin));
            for (std::int64_t in = 0; in < ins; ++in) {
                const float* row = values.data() + in * outs;
                for (std::int64_t out = begin; out < end; ++out) {
                    const double v = row[out];
                    detail::ClipRange& r = ranges[static_cast<std::size_t>(out - begin)];
                    if (spec.symmetric) {
                        r.hi = std::max(r.hi, std::fabs(v));
                    } else {
                        r.lo = std::min(r.lo, v);
                        r.hi = std::max(r.hi, v);
                    }
                }
            }
            for (std::int64_t out = begin; out < end; ++out) {
                detail::ClipRange r = ranges[static_cast<std::size_t>(out - begin)];
                if (spec.symmetric) {
                    r.lo = -r.hi;
                }
                const detail::IntGrid grid = detail::makeIntGrid(r, spec);
                grids[static_cast<std::size_t>(out)] = grid;
                result.params.scales[static_cast<std::size_t>(out)] = grid.scale;
                if (!spec.symmetric) {
                    result.params.zeroPoints[static_cast<std::size_t>(out)] = static_cast<std::int32_t>(grid.zero);
                }
            }
            for (std::int64_t in = 0; in < ins; ++in) {
                const float* row = values.data() + in * outs;
                float* target = result.values.data() + in * outs;
                for (std::int64_t out = begin; out < end; ++out) {
                    target[out] = detail::dequantizeOnGrid(row[out], grids[static_cast<std::size_t>(out)], -1.0);
                }
            }
        });
        return true;
    }

    float (*elementwiseRounding(NumberFormat format))(float)
    {
        switch (format) {
        case NumberFormat::Fp16:
            return roundToFp16;
        case NumberFormat::Bf16:
            return roundToBf16;
        case NumberFormat::Fp8E4M3:
            return roundToFp8E4M3;
        case NumberFormat::Fp8E5M2:
            return roundToFp8E5M2;
        case NumberFormat::Tf32:
            return roundToTf32;
        default:
            return nullptr;
        }
    }

} // namespace

QuantizedTensor quantizeDequantize(std::span<const float> values, const MatrixShape& shape, const QuantSpec& spec)
{
    OPTISCOPE_CHECK(static_cast<std::int64_t>(values.size()) == shape.elementCount());
    QuantizedTensor result;
    result.params.spec = spec;
    result.values.resize(values.size());
    if (auto round = elementwiseRounding(spec.format)) {
        std::transform(values.begin(), values.end(), result.values.begin(), round);
        return result;
    }
    if (spec.format == NumberFormat::Gobo) {
        OPTISCOPE_CHECK(spec.bits >= 2 && spec.bits <= 8 && spec.goboSigma > 0);
        GoboClustering gobo = goboCluster(values, spec.bits, spec.goboSigma);
        result.values = std::move(gobo.values);
        result.params.codebook = std::move(gobo.centroids);
        result.params.outlierOffsets = std::move(gobo.outlierOffsets);
        return result;
    }
    if (spec.format == NumberFormat::Int) {
        OPTISCOPE_CHECK(spec.bits >= 2 && spec.bits <= 16);
        OPTISCOPE_CHECK(spec.clip != QuantClip::Percentile || (spec.percentile >= 50 && spec.percentile <= 100));
    }
    if (spec.format == NumberFormat::Bfp) {
        OPTISCOPE_CHECK(spec.mantissaBits >= 1 && spec.mantissaBits <= 23);
    }
    const GroupLayout layout = groupLayout(shape, spec);
    QuantParams& params = result.params;
    if (spec.format == NumberFormat::Bfp) {
        params.sharedExponents.resize(layout.count);
    } else {
        params.scales.resize(layout.count);
        if (spec.format == NumberFormat::Int && !spec.symmetric) {
            params.zeroPoints.resize(layout.count);
        }
    }
    if (quantizeChannelsInStorageOrder(values, shape, spec, result)) {
        return result;
    }
    // Groups are disjoint and write their own params slot, so they can run in any order.
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, layout.count), [&](const auto& range) {
        std::vector<std::int64_t> offsets;
        for (std::int64_t group = range.begin(); group < range.end(); ++group) {
            groupOffsets(shape, layout, group, offsets);
            if (spec.format == NumberFormat::Int) {
                quantizeIntGroup(values, offsets, spec, result.values, params, group);
            } else if (spec.format == NumberFormat::Bfp) {
                params.sharedExponents[group] = detail::quantizeBfpBlock(values, offsets, spec, result.values);
            } else {
                quantizeSignGroup(values, offsets, spec, result.values, params, group);
            }
        }
    });
    return result;
}

QuantErrorStats quantError(std::span<const float> reference, std::span<const float> approximation)
{
    OPTISCOPE_CHECK(reference.size() == approximation.size());
    QuantErrorStats stats;
    double power = 0;
    for (std::size_t i = 0; i < reference.size(); ++i) {
        const double diff = static_cast<double>(approximation[i]) - reference[i];
        stats.mse += diff * diff;
        stats.maxAbsError = std::max(stats.maxAbsError, std::fabs(diff));
        power += static_cast<double>(reference[i]) * reference[i];
    }
    if (!reference.empty()) {
        stats.mse /= static_cast<double>(reference.size());
        power /= static_cast<double>(reference.size());
    }
    constexpr double kInf = std::numeric_limits<double>::infinity();
    stats.sqnrDb = stats.mse == 0 ? kInf : power == 0 ? -kInf : 10.0 * std::log10(power / stats.mse);
    return stats;
}

} // namespace optiscope::core
