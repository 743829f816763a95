// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/number_format.h"

#include <bit>
#include <cmath>

namespace optiscope::core {

namespace {

    struct FloatFormat {
        int expBits;
        int manBits;
        int bias;
        bool hasInfinity; // IEEE-like: the all-ones exponent holds inf/NaN
        bool saturate; // out-of-range finite values and ±inf become ±max
    };

    constexpr FloatFormat kFp16 { 5, 10, 15, true, false };
    constexpr FloatFormat kBf16 { 8, 7, 127, true, false };
    constexpr FloatFormat kE4M3 { 4, 3, 7, false, true };
    constexpr FloatFormat kE5M2 { 5, 2, 15, true, true };
    constexpr FloatFormat kTf32 { 8, 10, 127, true, false };

    int totalBits(const FloatFormat& f) { return 1 + f.expBits + f.manBits; }

    std::uint32_t maxExponentField(const FloatFormat& f)
    {
        const std::uint32_t allOnes = (1u << f.expBits) - 1;
        return f.hasInfinity ? allOnes - 1 : allOnes;
    }

    // Largest finite mantissa field at the largest exponent (E4M3 gives up 111 for NaN).
    std::uint32_t maxMantissaField(const FloatFormat& f)
    {
        const std::uint32_t allOnes = (1u << f.manBits) - 1;
        return f.hasInfinity ? allOnes : allOnes - 1;
    }

    double maxFinite(const FloatFormat& f)
    {
        const int exponent = static_cast<int>(maxExponentField(f)) - f.bias;
        return std::ldexp(1.0 + std::ldexp(static_cast<double>(maxMantissaField(f)), -f.manBits), exponent);
    }

    std::uint32_t nanCode(const FloatFormat& f, std::uint32_t sign)
    {
        const std::uint32_t expAll = ((1u << f.expBits) - 1) << f.manBits;
        const std::uint32_t quiet = f.hasInfinity ? (1u << (f.manBits - 1)) : ((1u << f.manBits) - 1);
        return sign | expAll | quiet;
    }

    std::uint32_t maxCode(const FloatFormat& f, std::uint32_t sign)
    {
        return sign | (maxExponentField(f) << f.manBits) | maxMantissaField(f);
    }

    std::uint32_t encode(float value, const FloatFormat& f)
    {
        const std::uint32_t sign = std::signbit(value) ? (1u << (totalBits(f) - 1)) : 0u;
        if (std::isnan(value)) {
            return nanCode(f, sign);
        }
        const std::uint32_t infCode = sign | (((1u << f.expBits) - 1) << f.manBits);
        if (std::isinf(value)) {
            return f.saturate ? maxCode(f, sign) : infCode;
        }
        const double magnitude = std::fabs(static_cast<double>(value));
        if (magnitude == 0.0) {
            return sign;
        }
        // Round on the grid of the value's binade (the subnormal grid below the smallest normal);
        // dividing a float by a power of two is exact in double, and nearbyint rounds ties to even.
        const int minExponent = 1 - f.bias;
        const int exponent = std::max(std::ilogb(magnitude), minExponent);
        const double quantum = std::ldexp(1.0, exponent - f.manBits);
        const double rounded = std::nearbyint(magnitude / quantum) * quantum;
        if (rounded > maxFinite(f)) {
            return f.saturate ? maxCode(f, sign) : infCode;
        }
        if (rounded == 0.0) {
            return sign;
        }
        if (rounded < std::ldexp(1.0, minExponent)) {
            return sign | static_cast<std::uint32_t>(rounded / std::ldexp(1.0, minExponent - f.manBits));
        }
        const int e = std::ilogb(rounded);
        const auto mantissa = static_cast<std::uint32_t>(rounded / std::ldexp(1.0, e - f.manBits)) - (1u << f.manBits);
        return sign | (static_cast<std::uint32_t>(e + f.bias) << f.manBits) | mantissa;
    }

    float decode(std::uint32_t bits, const FloatFormat& f)
    {
        const bool negative = (bits >> (totalBits(f) - 1)) & 1u;
        const std::uint32_t expField = (bits >> f.manBits) & ((1u << f.expBits) - 1);
        const std::uint32_t manField = bits & ((1u << f.manBits) - 1);
        const std::uint32_t expAll = (1u << f.expBits) - 1;
        double magnitude = 0;
        if (f.hasInfinity && expField == expAll) {
            magnitude = manField == 0 ? INFINITY : NAN;
        } else if (!f.hasInfinity && expField == expAll && manField == ((1u << f.manBits) - 1)) {
            magnitude = NAN;
        } else if (expField == 0) {
            magnitude = std::ldexp(static_cast<double>(manField), 1 - f.bias - f.manBits);
        } else {
            magnitude = std::ldexp(
                static_cast<double>(manField + (1u << f.manBits)), static_cast<int>(expField) - f.bias - f.manBits);
        }
        const auto result = static_cast<float>(magnitude);
        return negative ? -result : result;
    }

} // namespace

std::uint16_t encodeFp16(float value) { return static_cast<std::uint16_t>(encode(value, kFp16)); }
float decodeFp16(std::uint16_t bits) { return decode(bits, kFp16); }

std::uint16_t encodeBf16(float value)
{
    if (std::isnan(value)) {
        // Keep the payload's top bits, as hardware conversions do, with the quiet bit set.
        return static_cast<std::uint16_t>((std::bit_cast<std::uint32_t>(value) >> 16) | 0x0040u);
    }
    return static_cast<std::uint16_t>(encode(value, kBf16));
}
float decodeBf16(std::uint16_t bits) { return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16); }

std::uint8_t encodeFp8E4M3(float value) { return static_cast<std::uint8_t>(encode(value, kE4M3)); }
float decodeFp8E4M3(std::uint8_t bits) { return decode(bits, kE4M3); }
std::uint8_t encodeFp8E5M2(float value) { return static_cast<std::uint8_t>(encode(value, kE5M2)); }
float decodeFp8E5M2(std::uint8_t bits) { return decode(bits, kE5M2); }

std::uint32_t encodeTf32(float value)
{
    if (std::isnan(value)) {
        return (std::bit_cast<std::uint32_t>(value) >> 13) | (1u << 9);
    }
    return encode(value, kTf32);
}
// TF32 is the top 19 bits of a float32.
float decodeTf32(std::uint32_t bits) { return std::bit_cast<float>((bits & 0x7FFFFu) << 13); }

float roundToFp16(float value) { return decodeFp16(encodeFp16(value)); }
float roundToBf16(float value) { return decodeBf16(encodeBf16(value)); }
float roundToFp8E4M3(float value) { return decodeFp8E4M3(encodeFp8E4M3(value)); }
float roundToFp8E5M2(float value) { return decodeFp8E5M2(encodeFp8E5M2(value)); }
float roundToTf32(float value) { return decodeTf32(encodeTf32(value)); }

} // namespace optiscope::core
