// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Weight quantize-dequantize: uniform integer (symmetric or asymmetric, 2–16 bits, per tensor,
// per output channel or in groups along the input dimension; min/max, percentile or MSE clipping;
// nearest or stochastic rounding), ternary and binary with a scale per group, block floating point
// with a shared exponent per block, element-wise float formats, and GOBO (outliers kept in fp32,
// the rest clustered to a 2^b-entry codebook).
#include "optiscope/core/compression/matrix_shape.h"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace optiscope::core {

// Ternary / Binary: {-a, 0, +a} / {-a, +a} per quantization group; Bfp: block floating point
// (MSFP-style shared exponent per block along the input dimension).
// Gobo: GOBO (Zadeh et al. 2020), see goboCluster().
enum class NumberFormat { Int, Fp16, Bf16, Fp8E4M3, Fp8E5M2, Tf32, Ternary, Binary, Bfp, Gobo };
// PerHead: one group per attention head's slice of a Q/K/V projection (headSize output features)
// or of the output projection's input (headSize input features); the applier sets headSize and
// headAlongInput from the tensor's role.
enum class QuantGranularity { PerTensor, PerChannel, Group, PerHead };
enum class QuantRounding { Nearest, Stochastic };
// How an int group's range is chosen: its min/max, a percentile of its values, or the clipping
// ratio (of 100 candidates) with the lowest quantization MSE.
enum class QuantClip { MinMax, Percentile, Mse };

struct QuantSpec {
    NumberFormat format = NumberFormat::Int;
    int bits = 8; // Int: 2..16; Gobo: index bits 2..8
    bool symmetric = true; // Int only
    QuantGranularity granularity = QuantGranularity::PerTensor; // Int, Ternary, Binary
    int groupSize = 0; // Group only; must divide the input dimension
    int headSize = 0; // PerHead only: features per head (hidden / heads)
    bool headAlongInput = false; // PerHead only: heads split the input features (output projection)
    QuantRounding rounding = QuantRounding::Nearest; // Int only
    std::uint64_t seed = 0; // Stochastic only
    QuantClip clip = QuantClip::MinMax; // Int only
    double percentile = 99.9; // Percentile only, in [50, 100]
    int blockSize = 16; // Bfp only: elements sharing one exponent, along the input dimension
    int mantissaBits = 3; // Bfp only: magnitude bits per element, besides its sign
    double goboSigma = 3.0; // Gobo only: weights farther than goboSigma·σ from the mean are outliers
    // Bits per element as stored: 16 for FP16/BF16, 8 for FP8, 32 for TF32 (NVIDIA keeps it in
    // 32-bit words), 2 ternary, 1 binary, 1 + mantissaBits for Bfp (shared exponents apart).
    int storedBits() const;
    // storedBits plus the per-element share of a Bfp block's 8-bit shared exponent (8 / blockSize);
    // equal to storedBits for every other format.
    double bitsPerElement() const;
    // The size that must divide a tensor's input dimension (group or Bfp block); 0 if none.
    int inputBlockSize() const;
};

// "int", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "tf32", "ternary", "binary", "bfp"
const char* numberFormatName(NumberFormat format);

// One scale (and zero point when asymmetric) per quantization group:
// per tensor 1; per channel [outFeatures]; group [outFeatures][inFeatures / groupSize].
// per head [outFeatures or inFeatures / headSize].
// Ternary / Binary: the scale is a. Bfp: no scales; one shared exponent per block instead.
// Gobo: no scales; the codebook and the outliers' offsets instead.
struct QuantParams {
    QuantSpec spec;
    std::vector<float> scales;
    std::vector<std::int32_t> zeroPoints; // empty when symmetric
    // Bfp: unbiased exponent E of each block, [outFeatures][inFeatures / blockSize]; an element is
    // sign · m · 2^(E - mantissaBits + 1) with m in [0, 2^mantissaBits - 1].
    std::vector<std::int16_t> sharedExponents;
    // Gobo: the 2^bits centroids (ascending) and the storage offsets of the outliers (ascending),
    // which keep their fp32 value; every other element equals one centroid.
    std::vector<float> codebook;
    std::vector<std::int64_t> outlierOffsets;
    // Gobo: storedBits plus the share of the codebook (fp32 each) and of the outliers (fp32 value
    // and 32-bit position each; their index slots stay in the dense index array). Other formats:
    // spec.bitsPerElement(). elements > 0.
    double bitsPerElement(std::int64_t elements) const;
    // Bytes besides the element codes: scales (fp32), zero points (packed at the element width),
    // Bfp exponents (1 byte each), Gobo codebook (4 bytes each) and outliers (8 bytes each).
    std::int64_t metadataBytes() const;
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
// Clipping replaces max|x| (symmetric) or min/max (asymmetric) by a percentile of the group's
// values (linear interpolation at rank p/100·(n-1) of the sorted values; the low end uses 100-p)
// or by r·max|x| (r·min, r·max) with r in {0.01, ..., 1.00} minimising the group's MSE under
// round to nearest (ties to the larger r, so never worse than min/max). Stochastic rounding:
// q = floor(x / s + u), u uniform in [0, 1) from a counter-based generator keyed on
// (seed, storage offset), so the result does not depend on threads; unbiased inside the range.
// Ternary (TWN): D = 0.7·mean|x|, a = mean of |x| over |x| > D, x' = sign(x)·a where |x| > D,
// else 0. Binary (XNOR-Net): a = mean|x|, x' = +a for x >= 0, -a otherwise. Both per group.
// Bfp: see QuantParams::sharedExponents; E = the largest element exponent floor(log2|x|) of the
// block (clamped to >= -127 like an 8-bit biased exponent), m = round(|x| / 2^(E - M + 1)) to
// nearest even, saturated at 2^M - 1 when rounding overflows the mantissa (the exponent is not
// bumped); non-finite elements pass through and do not set E; an all-zero block has E = -127.
// Per head: the groups are consecutive runs of headSize output features (all inputs), or with
// headAlongInput of headSize input features (all outputs). Gobo: see goboCluster().
// Preconditions (checked): Int bits in [2, 16]; the group / block / head size divides its dimension.
QuantizedTensor quantizeDequantize(std::span<const float> values, const MatrixShape& shape, const QuantSpec& spec);

// GOBO (Zadeh et al., MICRO 2020) on one tensor: μ, σ of all its values (population σ, in double);
// outliers are the elements with |w − μ| > sigma·σ, kept exactly. The others are clustered by 1-D
// k-means (Lloyd) into 2^bits centroids initialised at the equally spaced quantiles (i + 0.5)/2^bits
// of the sorted inliers (percentileOfSorted's interpolation); each iteration assigns every inlier
// to its nearest centroid (ties to the lower one) and moves each centroid to its cluster's mean
// (an empty cluster keeps its centroid), until no assignment changes or maxIterations. Centroids
// are kept in double while iterating and stored as float32; values then take the nearest float32
// centroid. inlierMse[i] is the mean squared distance of the inliers to their centroids after
// iteration i's update (non-increasing for Lloyd's algorithm).
struct GoboClustering {
    double mean = 0;
    double sigma = 0;
    std::vector<float> centroids; // ascending, 2^bits (fewer distinct when inliers are fewer)
    std::vector<std::int64_t> outlierOffsets; // ascending
    std::vector<float> values; // dequantized
    std::vector<double> inlierMse;
    int iterations = 0;
    bool converged = false;
};
GoboClustering goboCluster(std::span<const float> values, int bits, double sigma, int maxIterations = 100);

// A per-tensor seed for stochastic rounding: seed mixed with the tensor's name (FNV-1a), so
// tensors with equal values do not get the same rounding noise.
std::uint64_t tensorSeed(std::uint64_t seed, std::string_view tensorName);

struct QuantErrorStats {
    double mse = 0;
    double maxAbsError = 0;
    // 10·log10(mean(reference²) / mse): +inf when exact, -inf when the reference is all zero and
    // the approximation is not.
    double sqnrDb = 0;
};
QuantErrorStats quantError(std::span<const float> reference, std::span<const float> approximation);

} // namespace optiscope::core
