// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include "optiscope/accelsim/result.h"
#include "optiscope/optrace/op_trace.h"

#include <cstdint>
#include <memory>
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

// Operand values of one GEMM, row-major: a is the ifmap A[M x K], b the filter B[K x N]. Optional: only small
// arrays and teaching views need the values that move through the array (Stepper::peOperands).
struct GemmOperands {
    std::vector<float> a;
    std::vector<float> b;
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
    // Weight sparsity carried from the op trace: an N:M pattern along K (used by ArrayParams::sparseWeights)
    // and the density (informational).
    int nmN = 0;
    int nmM = 0;
    double filterDensity = 1.0;
    // Unstructured weight sparsity: the nonzero count of each of B's N columns (K x N), used by
    // ArrayParams::unstructuredSparseWeights (simulate.h). Absent: not known, treated as dense. Shared, so
    // copying a workload stays cheap.
    std::shared_ptr<const std::vector<std::int64_t>> filterColumnNonzeros;
    // Operand values; absent by default so big models cost nothing. Set through attachOperands (checks sizes).
    std::shared_ptr<const GemmOperands> operands;

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

// Attaches operand values: a must hold M*K floats and b K*N (row-major), else Input error naming the layer.
Result<void> attachOperands(Layer& layer, std::vector<float> a, std::vector<float> b);

// Opt-in operand values for teaching views: every layer with at most maxValues values (M*K + K*N) and no
// operands yet gets deterministic pseudo-random A and B in [-1, 1) from seed, B zeroed to match the layer's
// sparsity (nmN random nonzeros in each group of an N:M pattern, filterColumnNonzeros[c] random nonzeros in
// column c), so sparse planes accept it. Returns how many layers got data; bigger layers stay without.
std::size_t attachDemoOperands(Workload& workload, std::uint64_t seed = 1, std::int64_t maxValues = std::int64_t { 1 } << 16);

// Nonzeros in each column of a row-major K x N matrix (b.size() must be K*N).
std::vector<std::int64_t> columnNonzeros(const std::vector<float>& b, std::int64_t k, std::int64_t n);

// Checks a layer's optional data against its shape: operand sizes M*K and K*N, N column counts each in [0, K].
Result<void> checkLayerData(const Layer& layer, std::string_view where);

// Every matrix product the inference performed, in order, with its operand widths and sparsity.
Result<Workload> workloadFromOpTrace(const optrace::OpTrace& trace, std::string name = "op trace");

} // namespace optiscope::accelsim
