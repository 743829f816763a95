// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include "optiscope/accelsim/result.h"
#include "optiscope/optrace/op_trace.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optiscope::accelsim {

// A convolution as SCALE-Sim's topology CSV states it.
struct ConvShape {
    std::int64_t ifmapHeight = 0;
    std::int64_t ifmapWidth = 0;
    std::int64_t filterHeight = 0;
    std::int64_t filterWidth = 0;
    std::int64_t channels = 0;
    std::int64_t numFilters = 0;
    std::int64_t strideHeight = 1;
    std::int64_t strideWidth = 1;

    // SCALE-Sim's output size: ceil((in - filter + stride) / stride), which is floor((in - filter) / stride) + 1.
    std::int64_t ofmapHeight() const { return (ifmapHeight - filterHeight + strideHeight - 1) / strideHeight + 1; }
    std::int64_t ofmapWidth() const { return (ifmapWidth - filterWidth + strideWidth - 1) / strideWidth + 1; }
};

// One GEMM ifmap A[M x K] * filter B[K x N] -> ofmap [M x N].
struct Layer {
    std::string name;
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::optional<ConvShape> conv; // set when the layer came from a topology CSV
    // 0 = use the ArrayConfig's widths.
    int ifmapBits = 0;
    int filterBits = 0;
    // Weight sparsity carried from the op trace (not yet exploited by the timing model).
    int nmN = 0;
    int nmM = 0;
    double filterDensity = 1.0;

    std::int64_t macs() const { return m * n * k; }
};

struct Workload {
    std::string name;
    std::vector<Layer> layers;
};

// SCALE-Sim's im2col convention: M = ofmap pixels (h*w), K = filter h*w*channels, N = filters.
// where prefixes error messages ("alexnet.csv:2").
Result<Layer> layerFromConv(std::string name, const ConvShape& conv, std::string_view where);

// A layer from M, N, K; rejects non-positive sizes.
Result<Layer> layerFromGemm(std::string name, std::int64_t m, std::int64_t n, std::int64_t k, std::string_view where);

// Every matrix product the inference performed, in order, with its operand widths and sparsity.
Result<Workload> workloadFromOpTrace(const optrace::OpTrace& trace, std::string name = "op trace");

} // namespace optiscope::accelsim
