// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A compressed language model measured against its base on one token sequence, plus its size
// and work. The sequence is cut into non-overlapping windows of at most maxPositions tokens;
// each window predicts its tokens 1..T-1 from the ones before.
#include "optiscope/core/cancel.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/result.h"

#include <cstdint>
#include <vector>

namespace optiscope::core {

struct CompressionMetrics {
    std::int64_t positions = 0; // logit rows compared (every position of every window)
    std::int64_t tokensPredicted = 0; // next-token predictions scored for perplexity
    double basePerplexity = 0; // exp(mean NLL), base model
    double compressedPerplexity = 0;
    double klMean = 0; // mean over positions of KL(base ‖ compressed), nats
    double top1Agreement = 0; // fraction of positions with the same argmax
    std::int64_t parameters = 0; // every stored tensor
    std::int64_t nonzeros = 0; // nonzero values over every stored tensor, compressed values where changed
    // Unchanged tensors at their stored dtype; changed ones at their stored bit width with zeros
    // kept in place, plus quantization metadata (scales fp32, zero points at the element width,
    // Bfp shared exponents 8 bits each).
    std::int64_t bytesDense = 0;
    // The compact export's tensor bytes (export/compact.h, compactLayout): masked tensors in the
    // smallest of dense, N:M (kept values + indices), BSR, bitmap (kept values + 1 bit per element)
    // and CSR; the file is this plus its safetensors header.
    std::int64_t bytesSparse = 0;
    std::int64_t baseBytes = 0; // the checkpoint as stored
    // From the op trace of one window of the first window's length: every GEMM, dense; effective
    // scales weight GEMMs by the kept fraction of the weight's mask. Both leave out the GEMMs of
    // removed blocks (prune_layers); shapes are the compressed run's (token pruning shrinks M).
    std::int64_t macsDense = 0;
    double macsEffective = 0;
};

// Errors: fewer than 2 tokens, a model that is not a language model, ids outside the vocabulary.
Result<CompressionMetrics> evaluateCompression(
    const CompressedModel& model, const std::vector<std::int32_t>& tokens, const CancelToken* cancel = nullptr);

} // namespace optiscope::core
