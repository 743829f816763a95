// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "export_compact_codec.h"

#include "optiscope/core/check.h"
#include "optiscope/core/compression/number_format.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace optiscope::core::detail {

namespace {

    std::uint32_t lowBits(std::int64_t value, int bits)
    {
        const std::uint64_t mask = bits >= 32 ? 0xFFFFFFFFull : (std::uint64_t { 1 } << bits) - 1;
        return static_cast<std::uint32_t>(static_cast<std::uint64_t>(value) & mask);
    }

    std::int64_t signExtend(std::uint32_t code, int bits)
    {
        const std::int64_t value = code;
        const std::int64_t half = std::int64_t { 1 } << (bits - 1);
        return value >= half ? value - 2 * half : value;
    }

    // Mirrors the quantizer's arithmetic (quant_detail.h): (q - z) · s in double, stored as float.
    float intValue(std::int64_t q, double zero, float scale)
    {
        return static_cast<float>((static_cast<double>(q) - zero) * static_cast<double>(scale));
    }

    double bfpQuantum(std::int16_t exponent, int mantissaBits) { return std::ldexp(1.0, exponent - mantissaBits + 1); }

} // namespace

std::int64_t CompactCodec::groupOf(std::int64_t out, std::int64_t in) const
{
    if (!quantized) {
        return 0;
    }
    if (spec.format != NumberFormat::Bfp && spec.granularity == QuantGranularity::PerHead && spec.headSize > 0) {
        return spec.headAlongInput ? in / spec.headSize : out / spec.headSize;
    }
    std::int64_t size = 0;
    if (spec.format == NumberFormat::Bfp) {
        size = spec.blockSize;
    } else if (spec.granularity == QuantGranularity::PerChannel) {
        size = matrix.inFeatures;
    } else if (spec.granularity == QuantGranularity::Group) {
        size = spec.groupSize;
    }
    return size == 0 ? 0 : out * (matrix.inFeatures / size) + in / size;
}

std::optional<std::uint32_t> CompactCodec::encode(float value, std::int64_t out, std::int64_t in) const
{
    if (!quantized) {
        return std::bit_cast<std::uint32_t>(value);
    }
    const int b = bits();
    switch (spec.format) {
    case NumberFormat::Fp16:
        return encodeFp16(value);
    case NumberFormat::Bf16:
        return encodeBf16(value);
    case NumberFormat::Fp8E4M3:
        return encodeFp8E4M3(value);
    case NumberFormat::Fp8E5M2:
        return encodeFp8E5M2(value);
    case NumberFormat::Tf32:
        return encodeTf32(value);
    case NumberFormat::Int: {
        const std::int64_t g = groupOf(out, in);
        const float scale = scales[g];
        const std::int64_t zero = zeroPoints.empty() ? 0 : zeroPoints[g];
        if (!std::isfinite(value)) {
            return std::nullopt;
        }
        const std::int64_t k = scale == 0.0f ? 0 : static_cast<std::int64_t>(std::nearbyint(double(value) / scale));
        const std::int64_t q = k + zero;
        const std::int64_t qmax = spec.symmetric ? (std::int64_t { 1 } << (b - 1)) - 1 : (std::int64_t { 1 } << b) - 1;
        const std::int64_t qmin = spec.symmetric ? -qmax : 0;
        if (q < qmin || q > qmax) {
            return std::nullopt;
        }
        return lowBits(q, b);
    }
    case NumberFormat::Ternary: {
        const float a = scales[groupOf(out, in)];
        if (value == 0.0f) {
            return 0u;
        }
        return value == a ? std::optional<std::uint32_t>(1u)
            : value == -a ? std::optional<std::uint32_t>(3u)
                          : std::nullopt;
    }
    case NumberFormat::Binary: {
        const float a = scales[groupOf(out, in)];
        return std::fabs(value) == a ? std::optional<std::uint32_t>(std::signbit(value) ? 1u : 0u) : std::nullopt;
    }
    case NumberFormat::Bfp: {
        if (!std::isfinite(value)) {
            return std::nullopt;
        }
        const int mantissaBits = spec.mantissaBits;
        const double m
            = std::nearbyint(std::fabs(double(value)) / bfpQuantum(sharedExponents[groupOf(out, in)], mantissaBits));
        if (m > std::ldexp(1.0, mantissaBits) - 1) {
            return std::nullopt;
        }
        return (std::signbit(value) ? 1u << mantissaBits : 0u) | static_cast<std::uint32_t>(m);
    }
    case NumberFormat::Gobo: {
        if (isOutlier(out, in)) {
            return 0u; // the value is stored apart
        }
        const auto it = std::find(codebook.begin(), codebook.end(), value);
        if (it == codebook.end()) {
            return std::nullopt;
        }
        return static_cast<std::uint32_t>(it - codebook.begin());
    }
    }
    return std::nullopt;
}

float CompactCodec::decode(std::uint32_t code, std::int64_t out, std::int64_t in) const
{
    if (!quantized) {
        return std::bit_cast<float>(code);
    }
    switch (spec.format) {
    case NumberFormat::Fp16:
        return decodeFp16(static_cast<std::uint16_t>(code));
    case NumberFormat::Bf16:
        return decodeBf16(static_cast<std::uint16_t>(code));
    case NumberFormat::Fp8E4M3:
        return decodeFp8E4M3(static_cast<std::uint8_t>(code));
    case NumberFormat::Fp8E5M2:
        return decodeFp8E5M2(static_cast<std::uint8_t>(code));
    case NumberFormat::Tf32:
        return decodeTf32(code);
    case NumberFormat::Int: {
        const std::int64_t g = groupOf(out, in);
        const float scale = scales[g];
        if (scale == 0.0f) {
            return 0.0f; // the quantizer's all-zero group
        }
        const std::int64_t q = spec.symmetric ? signExtend(code, bits()) : static_cast<std::int64_t>(code);
        return intValue(q, zeroPoints.empty() ? 0.0 : double(zeroPoints[g]), scale);
    }
    case NumberFormat::Ternary:
        return code == 0 ? 0.0f : static_cast<float>(signExtend(code, 2)) * scales[groupOf(out, in)];
    case NumberFormat::Binary: {
        const float a = scales[groupOf(out, in)];
        return code ? -a : a;
    }
    case NumberFormat::Bfp: {
        const int mantissaBits = spec.mantissaBits;
        const std::uint32_t m = code & ((1u << mantissaBits) - 1);
        const auto magnitude
            = static_cast<float>(double(m) * bfpQuantum(sharedExponents[groupOf(out, in)], mantissaBits));
        return (code >> mantissaBits) & 1u ? -magnitude : magnitude;
    }
    case NumberFormat::Gobo:
        return code < codebook.size() ? codebook[code] : 0.0f;
    }
    OPTISCOPE_CHECK(false);
    return 0.0f;
}

std::int64_t CompactCodec::metadataBytes() const
{
    return 4 * static_cast<std::int64_t>(scales.size())
        + packedBytes(static_cast<std::int64_t>(zeroPoints.size()), bits())
        + static_cast<std::int64_t>(sharedExponents.size()) + 4 * static_cast<std::int64_t>(codebook.size())
        + 8 * static_cast<std::int64_t>(outlierOffsets.size());
}

bool CompactCodec::isOutlier(std::int64_t out, std::int64_t in) const
{
    return quantized && spec.format == NumberFormat::Gobo
        && std::binary_search(outlierOffsets.begin(), outlierOffsets.end(), matrix.index(out, in));
}

void BitWriter::put(std::uint32_t code, int bits)
{
    for (int done = 0; done < bits;) {
        const std::int64_t byte = m_bitCount / 8;
        const int shift = static_cast<int>(m_bitCount % 8);
        if (byte == static_cast<std::int64_t>(m_bytes.size())) {
            m_bytes.push_back(std::byte { 0 });
        }
        const int take = std::min(8 - shift, bits - done);
        const std::uint32_t chunk = (code >> done) & ((1u << take) - 1);
        m_bytes[byte] |= static_cast<std::byte>(chunk << shift);
        done += take;
        m_bitCount += take;
    }
}

std::uint32_t readBits(std::span<const std::byte> bytes, std::int64_t index, int bits)
{
    std::int64_t bit = index * bits;
    std::uint32_t code = 0;
    for (int done = 0; done < bits;) {
        const int shift = static_cast<int>(bit % 8);
        const int take = std::min(8 - shift, bits - done);
        const auto byte = static_cast<std::uint32_t>(bytes[bit / 8]);
        code |= ((byte >> shift) & ((1u << take) - 1)) << done;
        done += take;
        bit += take;
    }
    return code;
}

int indexBits(std::int64_t count)
{
    int bits = 1;
    while ((std::int64_t { 1 } << bits) < count) {
        ++bits;
    }
    return bits;
}

} // namespace optiscope::core::detail
