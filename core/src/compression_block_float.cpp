// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Block floating point (MSFP, Rouhani et al. 2020): a block of elements shares one 8-bit
// exponent; each element keeps a sign and an M-bit magnitude with no implicit leading one.
#include "quant_detail.h"

#include <algorithm>
#include <cmath>

namespace optiscope::core::detail {

namespace {

    // An 8-bit biased exponent (bias 127) holds -127..128; elements never exceed float32's 127.
    constexpr int kMinSharedExponent = -127;

} // namespace

std::int16_t quantizeBfpBlock(std::span<const float> values, const std::vector<std::int64_t>& offsets,
    const QuantSpec& spec, std::vector<float>& out)
{
    int shared = kMinSharedExponent;
    for (auto offset : offsets) {
        const float v = values[offset];
        if (std::isfinite(v) && v != 0.0f) {
            shared = std::max(shared, std::ilogb(v));
        }
    }
    // The largest element has its leading one in the top mantissa bit: its magnitude / quantum is
    // in [2^(M-1), 2^M), and rounding can reach 2^M, which saturates to 2^M - 1.
    const double quantum = std::ldexp(1.0, shared - spec.mantissaBits + 1);
    const double maxMantissa = std::ldexp(1.0, spec.mantissaBits) - 1;
    for (auto offset : offsets) {
        const float v = values[offset];
        if (!std::isfinite(v)) {
            out[offset] = v;
            continue;
        }
        // Dividing by a power of two is exact in double; nearbyint rounds ties to even.
        const double m = std::min(std::nearbyint(std::fabs(static_cast<double>(v)) / quantum), maxMantissa);
        const auto magnitude = static_cast<float>(m * quantum);
        out[offset] = std::signbit(v) ? -magnitude : magnitude;
    }
    return static_cast<std::int16_t>(shared);
}

} // namespace optiscope::core::detail
