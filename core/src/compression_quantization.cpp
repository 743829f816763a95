// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/quantization.h"

#include "optiscope/core/check.h"
#include "optiscope/core/compression/number_format.h"

#include <algorithm>
#include <cmath>

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
    }
    return 32;
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
    }
    return "?";
}

namespace {

    // Quantizes one group, given as storage offsets, in place into out.
    void quantizeGroup(std::span<const float> values, const std::vector<std::int64_t>& offsets, const QuantSpec& spec,
        std::vector<float>& out, QuantParams& params)
    {
        if (spec.symmetric) {
            const double qmax = std::ldexp(1.0, spec.bits - 1) - 1;
            double maxAbs = 0;
            for (auto offset : offsets) {
                maxAbs = std::max(maxAbs, std::fabs(static_cast<double>(values[offset])));
            }
            const auto scale = static_cast<float>(maxAbs / qmax);
            params.scales.push_back(scale);
            for (auto offset : offsets) {
                if (scale == 0.0f) {
                    out[offset] = 0.0f;
                    continue;
                }
                const double q = std::clamp(std::nearbyint(values[offset] / static_cast<double>(scale)), -qmax, qmax);
                out[offset] = static_cast<float>(q * scale);
            }
            return;
        }
        const double qmax = std::ldexp(1.0, spec.bits) - 1;
        double lo = 0, hi = 0;
        for (auto offset : offsets) {
            lo = std::min(lo, static_cast<double>(values[offset]));
            hi = std::max(hi, static_cast<double>(values[offset]));
        }
        const auto scale = static_cast<float>((hi - lo) / qmax);
        const double zero = scale == 0.0f ? 0.0 : std::clamp(std::nearbyint(-lo / scale), 0.0, qmax);
        params.scales.push_back(scale);
        params.zeroPoints.push_back(static_cast<std::int32_t>(zero));
        for (auto offset : offsets) {
            if (scale == 0.0f) {
                out[offset] = 0.0f;
                continue;
            }
            const double q = std::clamp(std::nearbyint(values[offset] / static_cast<double>(scale)) + zero, 0.0, qmax);
            out[offset] = static_cast<float>((q - zero) * scale);
        }
    }

} // namespace

QuantizedTensor quantizeDequantize(std::span<const float> values, const MatrixShape& shape, const QuantSpec& spec)
{
    OPTISCOPE_CHECK(static_cast<std::int64_t>(values.size()) == shape.elementCount());
    QuantizedTensor result;
    result.params.spec = spec;
    result.values.resize(values.size());
    if (spec.format != NumberFormat::Int) {
        float (*round)(float) = nullptr;
        switch (spec.format) {
        case NumberFormat::Fp16:
            round = roundToFp16;
            break;
        case NumberFormat::Bf16:
            round = roundToBf16;
            break;
        case NumberFormat::Fp8E4M3:
            round = roundToFp8E4M3;
            break;
        default:
            round = roundToFp8E5M2;
            break;
        }
        std::transform(values.begin(), values.end(), result.values.begin(), round);
        return result;
    }
    OPTISCOPE_CHECK(spec.bits >= 2 && spec.bits <= 16);
    std::vector<std::int64_t> offsets;
    switch (spec.granularity) {
    case QuantGranularity::PerTensor:
        offsets.resize(values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            offsets[i] = static_cast<std::int64_t>(i);
        }
        quantizeGroup(values, offsets, spec, result.values, result.params);
        break;
    case QuantGranularity::PerChannel:
    case QuantGranularity::Group: {
        const std::int64_t groupSize = spec.granularity == QuantGranularity::Group ? spec.groupSize : shape.inFeatures;
        OPTISCOPE_CHECK(groupSize > 0 && shape.inFeatures % groupSize == 0);
        for (std::int64_t out = 0; out < shape.outFeatures; ++out) {
            for (std::int64_t begin = 0; begin < shape.inFeatures; begin += groupSize) {
                offsets.clear();
                for (std::int64_t in = begin; in < begin + groupSize; ++in) {
                    offsets.push_back(shape.index(out, in));
                }
                quantizeGroup(values, offsets, spec, result.values, result.params);
            }
        }
        break;
    }
    }
    return result;
}

QuantErrorStats quantError(std::span<const float> reference, std::span<const float> approximation)
{
    OPTISCOPE_CHECK(reference.size() == approximation.size());
    QuantErrorStats stats;
    for (std::size_t i = 0; i < reference.size(); ++i) {
        const double diff = static_cast<double>(approximation[i]) - reference[i];
        stats.mse += diff * diff;
        stats.maxAbsError = std::max(stats.maxAbsError, std::fabs(diff));
    }
    if (!reference.empty()) {
        stats.mse /= static_cast<double>(reference.size());
    }
    return stats;
}

} // namespace optiscope::core
