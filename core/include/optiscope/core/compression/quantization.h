// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Weight quantize-dequantize: uniform integer (symmetric or asymmetric, 2–16 bits, per tensor,
// per output channel or in groups along the input dimension) and element-wise float formats.
#include "optiscope/core/compression/matrix_shape.h"

#include <cstdint>
#include <span>
#include <vector>

namespace optiscope::core {

enum class NumberFormat { Int, Fp16, Bf16, Fp8E4M3, Fp8E5M2 };
enum class QuantGranularity { PerTensor, PerChannel, Group };

struct QuantSpec {
    NumberFormat format = NumberFormat::Int;
    int bits = 8; // Int only: 2..16
    bool symmetric = true; // Int only
    QuantGranularity granularity = QuantGranularity::PerTensor; // Int only
    int groupSize = 0; // Group only; must divide the input dimension
    int storedBits() const; // bits per element as stored (16 for FP16/BF16, 8 for FP8)
};

const char* numberFormatName(NumberFormat format); // "int", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2"

// One scale (and zero point when asymmetric) per quantization group:
// per tensor 1; per channel [outFeatures]; group [outFeatures][inFeatures / groupSize].
struct QuantParams {
    QuantSpec spec;
    std::vector<float> scales;
    std::vector<std::int32_t> zeroPoints; // empty when symmetric
};

struct QuantizedTensor {
    std::vector<float> values; // dequantized, same storage order as the input
    QuantParams params;
};

// Symmetric: q = clamp(round(x / s), -(2^(b-1) - 1), 2^(b-1) - 1), s = max|x| / (2^(b-1) - 1) (the
// narrow range, so the grid is symmetric and 0 exact). Asymmetric: the range [min(x, 0), max(x, 0)]
// maps to 0..2^b - 1 with s = range / (2^b - 1), z = round(-min / s), q = clamp(round(x / s) + z),
// x' = (q - z) · s, so 0 is exact too. round = nearest, ties to even; scales computed in double
// and stored as float32 (the stored value is the one used). A group of zeros gets scale 0.
// Preconditions (checked): Int bits in [2, 16]; Group size divides inFeatures.
QuantizedTensor quantizeDequantize(std::span<const float> values, const MatrixShape& shape, const QuantSpec& spec);

struct QuantErrorStats {
    double mse = 0;
    double maxAbsError = 0;
};
QuantErrorStats quantError(std::span<const float> reference, std::span<const float> approximation);

} // namespace optiscope::core
