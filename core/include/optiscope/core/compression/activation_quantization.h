// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Quantization of the inputs of linear layers during inference (quantize_activations steps), and
// LLM.int8's mixed int8/fp16 decomposition (llm_int8 steps). A CompressedModel holds one
// ActivationQuantization per linear weight whose input is quantized; run() and generate() apply it
// to that layer's input just before its GEMM.
#include "optiscope/core/compression/quantization.h"

#include <cstdint>
#include <span>
#include <vector>

namespace optiscope::core {

// Static: one grid calibrated on calibration text (per tensor). Dynamic: the grid is computed from
// each input at run time, per tensor or per token (row).
enum class ActivationScaling { Static, Dynamic };
enum class ActivationGranularity { PerTensor, PerToken };

struct ActivationQuantSpec {
    int bits = 8; // 2..16
    bool symmetric = true;
    ActivationScaling scaling = ActivationScaling::Dynamic;
    ActivationGranularity granularity = ActivationGranularity::PerToken; // PerToken needs Dynamic
    QuantClip clip = QuantClip::MinMax; // Static only; Dynamic always uses min/max
    double percentile = 99.9; // Static with Percentile only
};

struct ActivationQuantization {
    ActivationQuantSpec spec;
    // Static: the calibrated grid x' = (clamp(round(x / scale) + zero) − zero) · scale.
    float scale = 0;
    std::int32_t zeroPoint = 0;
    // LLM.int8 (Dettmers et al. 2022): input features (columns of x) with |x| > outlierThreshold in
    // any row of the input stay in fp32 and multiply those rows of outlierWeights (the weight before
    // the step, rounded to fp16, storage order of the weight); the other columns are quantized int8
    // per token (absmax / 127 over the non-outlier columns) and multiply the tensor's values (int8
    // per output channel, quantized over all input features).
    bool mixedInt8 = false;
    double outlierThreshold = 6.0;
    std::vector<float> outlierWeights;
};

// Quantize-dequantize x [rows × cols] (row-major) with the weight quantizer's arithmetic
// (quant_detail.h: scale = range / qmax in double stored as float32, round half to even, narrow
// symmetric range ±(2^(b−1) − 1)). Dynamic per token: each row's own min/max (symmetric: max|x|);
// dynamic per tensor: of all of x; static: the stored grid, values outside it saturate. A row or
// tensor of zeros stays zero.
std::vector<float> quantizeActivations(
    std::span<const float> x, std::int64_t rows, std::int64_t cols, const ActivationQuantization& quantization);

// LLM.int8 on a plain product y = x · w with x [rows × in] and w [in × out] (row-major): w is
// quantized int8 per output column (symmetric, absmax), its fp16 copy serves the outlier rows.
// Exactly what inference does for an llm_int8 layer (without bias).
struct MixedInt8Product {
    std::vector<float> y; // [rows × out]
    std::vector<std::int64_t> outlierColumns; // ascending
};
MixedInt8Product llmInt8Matmul(std::span<const float> x, std::span<const float> w, std::int64_t rows, std::int64_t in,
    std::int64_t out, double threshold = 6.0);

} // namespace optiscope::core
