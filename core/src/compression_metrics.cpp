// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/compression_metrics.h"

#include "optiscope/core/check.h"
#include "optiscope/core/export/compact.h"
#include "optiscope/core/inference.h"

#include <algorithm>
#include <cmath>

namespace optiscope::core {

namespace {

    // log-softmax of one row, in double.
    void logSoftmax(const float* logits, int count, std::vector<double>& out)
    {
        out.resize(count);
        const double maxLogit = *std::max_element(logits, logits + count);
        double sum = 0;
        for (int i = 0; i < count; ++i) {
            sum += std::exp(logits[i] - maxLogit);
        }
        const double logSum = maxLogit + std::log(sum);
        for (int i = 0; i < count; ++i) {
            out[i] = logits[i] - logSum;
        }
    }

    std::int64_t bitsToBytes(std::int64_t bits) { return (bits + 7) / 8; }

    void addSizes(const CompressedModel& model, CompressionMetrics& metrics)
    {
        for (const auto& info : model.tensorInfos()) {
            metrics.parameters += info.bytes / static_cast<std::int64_t>(dtypeSize(info.storedDType));
            metrics.baseBytes += info.bytes;
            const CompressedTensor* tensor = model.compressed(info.name);
            const Weight* weight = model.weight(info.name);
            if (!tensor) {
                metrics.bytesDense += info.bytes;
                metrics.bytesSparse += info.bytes;
                if (weight) {
                    metrics.nonzeros += std::count_if(
                        weight->data, weight->data + weight->elementCount(), [](float v) { return v != 0.0f; });
                } else {
                    metrics.nonzeros += info.bytes / static_cast<std::int64_t>(dtypeSize(info.storedDType));
                }
                continue;
            }
            const std::int64_t elements = tensor->matrix.elementCount();
            const int bits = tensor->quant ? tensor->quant->spec.storedBits() : 32;
            // Scales, zero points, Bfp exponents, Gobo codebook and outliers (value + position).
            std::int64_t metadata = tensor->quant ? tensor->quant->metadataBytes() : 0;
            if (const ActivationQuantization* activation = model.activationQuantization(info.name);
                activation && activation->mixedInt8) {
                metadata += 2 * elements; // LLM.int8: the fp16 copy its outlier rows come from
            }
            metrics.nonzeros
                += std::count_if(tensor->values.begin(), tensor->values.end(), [](float v) { return v != 0.0f; });
            metrics.bytesDense += bitsToBytes(elements * bits) + metadata;
            // What the compact export writes for the tensor, so the number is the file's.
            metrics.bytesSparse += compactLayout(*tensor).payloadBytes;
        }
    }

} // namespace

Result<CompressionMetrics> evaluateCompression(
    const CompressedModel& model, const std::vector<std::int32_t>& tokens, const CancelToken* cancel)
{
    const ModelConfig& config = model.config();
    if (config.head != ModelHead::LanguageModel) {
        return fail(ErrorCode::Input, "evaluateCompression: model: not a language model (" + config.className + ")");
    }
    if (tokens.size() < 2) {
        return fail(
            ErrorCode::Input, "evaluateCompression: tokens: need at least 2, got " + std::to_string(tokens.size()));
    }
    const Model& base = *model.base();
    CompressionMetrics metrics;
    double baseNll = 0, compressedNll = 0, kl = 0;
    std::int64_t agree = 0;
    std::vector<double> logBase, logCompressed;
    const std::size_t window = static_cast<std::size_t>(config.maxPositions);
    for (std::size_t begin = 0; begin + 1 < tokens.size(); begin += window) {
        const std::size_t end = std::min(tokens.size(), begin + window);
        if (end - begin < 2) {
            break; // a last window of one token predicts nothing
        }
        auto input = idsInput(base, std::vector<std::int32_t>(tokens.begin() + begin, tokens.begin() + end));
        if (!input) {
            return std::unexpected(input.error());
        }
        const bool trace = begin == 0;
        CaptureOptions capture;
        capture.opTrace = trace;
        auto baseRun = run(base, *input, {}, cancel);
        if (!baseRun) {
            return std::unexpected(baseRun.error());
        }
        // The compressed run's own trace: its shapes are the real ones (token pruning shrinks M).
        auto compressedRun = run(model, *input, capture, cancel);
        if (!compressedRun) {
            return std::unexpected(compressedRun.error());
        }
        const int vocab = baseRun->logitCols;
        OPTISCOPE_CHECK(compressedRun->logitCols == vocab && baseRun->logitRows == static_cast<int>(end - begin));
        for (int row = 0; row < baseRun->logitRows; ++row) {
            const float* lb = baseRun->logits.data() + static_cast<std::size_t>(row) * vocab;
            const float* lc = compressedRun->logits.data() + static_cast<std::size_t>(row) * vocab;
            logSoftmax(lb, vocab, logBase);
            logSoftmax(lc, vocab, logCompressed);
            double rowKl = 0;
            for (int i = 0; i < vocab; ++i) {
                rowKl += std::exp(logBase[i]) * (logBase[i] - logCompressed[i]);
            }
            kl += rowKl;
            agree += (std::max_element(lb, lb + vocab) - lb) == (std::max_element(lc, lc + vocab) - lc);
            ++metrics.positions;
            if (begin + row + 1 < end) {
                const auto next = tokens[begin + row + 1];
                baseNll -= logBase[next];
                compressedNll -= logCompressed[next];
                ++metrics.tokensPredicted;
            }
        }
        if (trace) {
            for (const auto& op : compressedRun->opTrace.ops) {
                if (op.layer >= 0 && model.layerSkipped(op.layer)) {
                    continue; // a removed block (prune_layers) does no work at all
                }
                const auto macs = op.m * op.k * op.n;
                metrics.macsDense += macs;
                const CompressedTensor* tensor = model.compressed(op.bOperand);
                double density = 1.0;
                if (tensor && !tensor->mask.empty()) {
                    density = static_cast<double>(countKept(tensor->mask)) / tensor->matrix.elementCount();
                }
                metrics.macsEffective += static_cast<double>(macs) * density;
            }
        }
    }
    metrics.basePerplexity = std::exp(baseNll / static_cast<double>(metrics.tokensPredicted));
    metrics.compressedPerplexity = std::exp(compressedNll / static_cast<double>(metrics.tokensPredicted));
    metrics.klMean = kl / static_cast<double>(metrics.positions);
    metrics.top1Agreement = static_cast<double>(agree) / static_cast<double>(metrics.positions);
    addSizes(model, metrics);
    return metrics;
}

} // namespace optiscope::core
