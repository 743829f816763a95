// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// GPT-2 (pre-LayerNorm decoder) forward pass with a key/value cache, and generate().
#include "inference_ops.h"

#include "model_names.h"
#include "optiscope/core/check.h"
#include "optiscope/core/compression/token_pruning.h"
#include "token_pruner.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <random>

namespace optiscope::core::detail {

namespace {

    // Keys and values of every layer for positions [0, length), capacity = rows.
    struct KvCache {
        std::vector<RowMatrix> keys; // [layer] → [capacity × hidden]
        std::vector<RowMatrix> values; // [layer] → [capacity × hidden]
        int length = 0;

        KvCache(int layers, int capacity, int hidden)
            : keys(layers, RowMatrix(capacity, hidden))
            , values(layers, RowMatrix(capacity, hidden))
        {
        }
        int capacity() const { return keys.empty() ? 0 : static_cast<int>(keys.front().rows()); }
    };

    struct StepCaptures {
        float* attentions = nullptr; // [layers][heads][n][keys] or nullptr
        float* hiddenStates = nullptr; // [layers + 1][n][hidden] or nullptr
        OpRecorder* recorder = nullptr; // always set
        TokenPruner* pruner = nullptr; // run() of a model that prunes tokens; the cache then starts empty
    };

    // Runs tokens ids at positions [cache.length, cache.length + n) and appends them to the cache.
    // keyValid covers every key position [0, cache.length + n) or is null. Writes logits of the last
    // row only when lastRowOnly (generation), else of every row, into logits ([rows × vocab], or the
    // last hidden state [rows × hidden] for GPT2Model); returns the number of columns.
    Result<int> forwardChunk(const Model& model, std::span<const std::int32_t> ids, KvCache& cache,
        const std::uint8_t* keyValid, bool lastRowOnly, const StepCaptures& captures, std::vector<float>& logits,
        const CancelToken* cancel)
    {
        const ModelConfig& c = model.config();
        const int n = static_cast<int>(ids.size());
        const int start = cache.length;
        const int keys = start + n;
        const int d = c.hidden;
        OPTISCOPE_CHECK(keys <= cache.capacity() && keys <= c.maxPositions);
        OpRecorder& recorder = *captures.recorder;
        TokenPruner* pruner = captures.pruner;
        OPTISCOPE_CHECK(!pruner || start == 0);

        const Weight& wte = requireWeight(model, "wte.weight");
        const Weight& wpe = requireWeight(model, "wpe.weight");
        RowMatrix h(n, d);
        for (int t = 0; t < n; ++t) {
            h.row(t) = asMatrix(wte, c.vocabSize, d).row(ids[t]) + asMatrix(wpe, c.maxPositions, d).row(start + t);
        }

        RowMatrix x(n, d), qkv(n, 3 * d), context(n, d), projected(n, d), inner(n, c.intermediate);
        std::vector<float> scratchProbs(
            captures.attentions && !pruner ? 0 : static_cast<std::size_t>(c.heads) * n * keys);
        const std::size_t hiddenStride = static_cast<std::size_t>(n) * d;
        const std::size_t attentionStride = static_cast<std::size_t>(c.heads) * n * keys;

        for (int layer = 0; layer < c.layers; ++layer) {
            if (cancelled(cancel)) {
                return fail(ErrorCode::Cancelled, "run: cancelled");
            }
            if (captures.hiddenStates) {
                Eigen::Map<RowMatrix> hidden(captures.hiddenStates + layer * hiddenStride, n, d);
                if (pruner && pruner->compacted()) {
                    pruner->expand(h, hidden);
                } else {
                    hidden = h;
                }
            }
            if (pruner) {
                pruner->beforeLayer(layer, model.layerSkipped(layer), h);
            }
            // Pruned tokens are neither queries nor keys: every product below has the kept rows only.
            const int rows = static_cast<int>(h.rows());
            const int layerKeys = start + rows;
            if (x.rows() != rows) {
                x.resize(rows, d);
                qkv.resize(rows, 3 * d);
                context.resize(rows, d);
                projected.resize(rows, d);
                inner.resize(rows, c.intermediate);
            }
            if (model.layerSkipped(layer)) {
                continue; // removed block: the residual stream passes through; no GEMMs recorded
            }
            const std::string p = layerPrefix(c, layer);
            const std::string tag = "layer" + std::to_string(layer);
            layerNorm(
                h, requireWeight(model, p + "ln_1.weight"), requireWeight(model, p + "ln_1.bias"), c.layerNormEps, x);
            linear(x, requireWeight(model, p + "attn.c_attn.weight"), &requireWeight(model, p + "attn.c_attn.bias"),
                WeightLayout::InOut, qkv, recorder,
                { tag + ".attn.qkv", optrace::OpKind::QkvProjection, layer, -1, "hidden", p + "attn.c_attn.weight" });
            cache.keys[layer].middleRows(start, rows) = qkv.middleCols(d, d);
            cache.values[layer].middleRows(start, rows) = qkv.middleCols(2 * d, d);

            const bool compacted = pruner && pruner->compacted();
            float* probs = captures.attentions && !compacted ? captures.attentions + layer * attentionStride
                                                             : scratchProbs.data();
            // Kept rows stay in position order, so "causal" among them is still "key position <= query's".
            const AttentionMask mask { true, start, pruner ? pruner->keyValid() : keyValid };
            multiHeadAttention(qkv.leftCols(d), cache.keys[layer].topRows(layerKeys),
                cache.values[layer].topRows(layerKeys), c.heads, mask, probs, context, recorder, layer);
            if (pruner) {
                if (captures.attentions && compacted) {
                    pruner->scatterAttention(probs, c.heads, captures.attentions + layer * attentionStride);
                }
                pruner->observe(probs, c.heads);
            }
            linear(context, requireWeight(model, p + "attn.c_proj.weight"),
                &requireWeight(model, p + "attn.c_proj.bias"), WeightLayout::InOut, projected, recorder,
                { tag + ".attn.out", optrace::OpKind::OutputProjection, layer, -1, "context",
                    p + "attn.c_proj.weight" });
            h += projected;

            layerNorm(
                h, requireWeight(model, p + "ln_2.weight"), requireWeight(model, p + "ln_2.bias"), c.layerNormEps, x);
            linear(x, requireWeight(model, p + "mlp.c_fc.weight"), &requireWeight(model, p + "mlp.c_fc.bias"),
                WeightLayout::InOut, inner, recorder,
                { tag + ".ffn.up", optrace::OpKind::FfnUp, layer, -1, "hidden", p + "mlp.c_fc.weight" });
            applyActivation(c.activation, inner);
            linear(inner, requireWeight(model, p + "mlp.c_proj.weight"), &requireWeight(model, p + "mlp.c_proj.bias"),
                WeightLayout::InOut, projected, recorder,
                { tag + ".ffn.down", optrace::OpKind::FfnDown, layer, -1, "ffn", p + "mlp.c_proj.weight" });
            h += projected;
        }
        cache.length = keys;
        if (pruner && pruner->compacted()) {
            // Pruned tokens reach ln_f and the head with the hidden state they had when pruned.
            RowMatrix full(n, d);
            pruner->expand(h, full);
            h = std::move(full);
            x.resize(n, d);
        }
        layerNorm(h, requireWeight(model, "ln_f.weight"), requireWeight(model, "ln_f.bias"), c.layerNormEps, x);
        if (captures.hiddenStates) {
            // HF's last hidden state of GPT-2 is taken after ln_f.
            Eigen::Map<RowMatrix>(captures.hiddenStates + c.layers * hiddenStride, n, d) = x;
        }
        const int rows = lastRowOnly ? 1 : n;
        if (c.head != ModelHead::LanguageModel) {
            logits.assign(x.bottomRows(rows).data(), x.bottomRows(rows).data() + static_cast<std::size_t>(rows) * d);
            return d; // GPT2Model: the last hidden state
        }
        // Written in place: GPT-2's logits are 25 MB at T = 128, a copy would cost milliseconds.
        logits.resize(static_cast<std::size_t>(rows) * c.vocabSize);
        Eigen::Map<RowMatrix> out(logits.data(), rows, c.vocabSize);
        linear(x.bottomRows(rows), requireWeight(model, "lm_head.weight"), nullptr, WeightLayout::OutIn, out, recorder,
            { "lm_head", optrace::OpKind::Head, -1, -1, "hidden", "lm_head.weight" });
        return c.vocabSize;
    }

    int argmax(const float* values, int count)
    {
        return static_cast<int>(std::max_element(values, values + count) - values);
    }

    // Top-k sampling at a temperature; ties keep the lower id first, so the draw is reproducible.
    int sampleTopK(const float* logits, int count, int topK, float temperature, std::mt19937_64& rng)
    {
        const int k = std::min(topK, count);
        std::vector<int> order(count);
        std::iota(order.begin(), order.end(), 0);
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
            [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
        std::vector<double> weights(k);
        const double top = logits[order[0]];
        double total = 0;
        for (int i = 0; i < k; ++i) {
            weights[i] = std::exp((logits[order[i]] - top) / temperature);
            total += weights[i];
        }
        // Inverse CDF on a 53-bit uniform: unlike std::discrete_distribution, the same on every
        // standard library.
        const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * total;
        double cumulative = 0;
        for (int i = 0; i < k; ++i) {
            cumulative += weights[i];
            if (u < cumulative) {
                return order[i];
            }
        }
        return order[k - 1];
    }

} // namespace

Result<void> runGpt2(const Model& model, const RunInput& input, const CaptureOptions& capture, RunResult& result,
    const CancelToken* cancel)
{
    const ModelConfig& c = model.config();
    const int n = static_cast<int>(input.tokenIds.size());
    result.tokens = n;
    result.layers = c.layers;
    result.heads = c.heads;
    result.hiddenSize = c.hidden;
    if (capture.attention) {
        result.attentions.assign(static_cast<std::size_t>(c.layers) * c.heads * n * n, 0.0f);
    }
    if (capture.hiddenStates) {
        result.hiddenStates.assign(static_cast<std::size_t>(c.layers + 1) * n * c.hidden, 0.0f);
    }
    OpRecorder recorder(capture.opTrace ? &result.opTrace : nullptr, &model);
    recorder.setOutlierSink(&result.int8OutlierColumns);
    if (capture.linearInputs) {
        recorder.setLinearInputSink(&result.linearInputs);
    }
    const std::uint8_t* keyValid = input.attentionMask.empty() ? nullptr : input.attentionMask.data();
    std::optional<TokenPruner> pruner;
    if (const TokenPruningPolicy* policy = model.tokenPruning(); policy && policy->enabled()) {
        pruner.emplace(*policy, c, n, keyValid);
    }
    const StepCaptures captures { capture.attention ? result.attentions.data() : nullptr,
        capture.hiddenStates ? result.hiddenStates.data() : nullptr, &recorder, pruner ? &*pruner : nullptr };
    KvCache cache(c.layers, n, c.hidden);
    auto columns = forwardChunk(model, input.tokenIds, cache, keyValid, false, captures, result.logits, cancel);
    if (!columns) {
        return std::unexpected(columns.error());
    }
    if (pruner) {
        result.keptTokens = pruner->keptHistory();
        result.fusedTokens = pruner->fusedHistory();
    }
    result.logitRows = n;
    result.logitCols = *columns;
    return {};
}

} // namespace optiscope::core::detail

namespace optiscope::core {

Result<std::vector<std::int32_t>> generate(const Model& model, const std::vector<std::int32_t>& prompt,
    const GenerateOptions& options, const CancelToken* cancel)
{
    using namespace detail;
    const ModelConfig& c = model.config();
    if (c.architecture != Architecture::Gpt2 || c.head != ModelHead::LanguageModel) {
        return fail(ErrorCode::Input, "generate: needs a GPT-2 language model, not " + c.className);
    }
    auto checked = idsInput(model, prompt);
    if (!checked) {
        return std::unexpected(checked.error());
    }
    if (options.maxNewTokens < 0) {
        return fail(ErrorCode::Input, "generate: maxNewTokens must not be negative");
    }
    if (options.topK < 0 || (options.topK > 0 && !(options.temperature > 0.0f))) {
        return fail(ErrorCode::Input, "generate: topK must be >= 0 and temperature > 0");
    }
    std::vector<std::int32_t> tokens = prompt;
    const int limit
        = std::min<std::int64_t>(c.maxPositions, static_cast<std::int64_t>(prompt.size()) + options.maxNewTokens);
    if (static_cast<int>(tokens.size()) >= limit) {
        return tokens;
    }
    std::mt19937_64 rng(options.seed);
    OpRecorder recorder(nullptr, &model); // no trace; the model's activation quantization applies
    const StepCaptures captures { nullptr, nullptr, &recorder };
    try {
        KvCache cache(c.layers, limit, c.hidden);
        tokens.reserve(static_cast<std::size_t>(limit));
        std::vector<float> logits;
        std::span<const std::int32_t> pending(tokens);
        while (static_cast<int>(tokens.size()) < limit) {
            auto columns = forwardChunk(model, pending, cache, nullptr, true, captures, logits, cancel);
            if (!columns) {
                return std::unexpected(columns.error());
            }
            const int next = options.topK > 0
                ? sampleTopK(logits.data(), c.vocabSize, options.topK, options.temperature, rng)
                : argmax(logits.data(), c.vocabSize);
            tokens.push_back(next);
            if (next == c.eosTokenId) {
                break;
            }
            pending = std::span<const std::int32_t>(&tokens.back(), 1);
        }
    } catch (const std::bad_alloc&) {
        return fail(ErrorCode::Internal, "generate: out of memory");
    }
    return tokens;
}

} // namespace optiscope::core
