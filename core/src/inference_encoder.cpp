// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// BERT (post-LayerNorm) and ViT (pre-LayerNorm) encoders with their heads.
#include "inference_ops.h"

#include "model_names.h"
#include "optiscope/core/check.h"
#include "optiscope/core/compression/token_pruning.h"
#include "token_pruner.h"

#include <optional>

namespace optiscope::core::detail {

namespace {

    // Buffers one encoder layer needs; allocated once per run.
    struct EncoderScratch {
        RowMatrix x, qkv, context, projected, inner;
        std::vector<float> probs;
        EncoderScratch(int tokens, const ModelConfig& c, bool needProbs)
            : x(tokens, c.hidden)
            , qkv(tokens, 3 * c.hidden)
            , context(tokens, c.hidden)
            , projected(tokens, c.hidden)
            , inner(tokens, c.intermediate)
            , probs(needProbs ? static_cast<std::size_t>(c.heads) * tokens * tokens : 0)
        {
        }
        // Token pruning: the layer computes `rows` tokens (probs keeps its full-size capacity).
        void resizeRows(int rows, const ModelConfig& c)
        {
            if (x.rows() != rows) {
                x.resize(rows, c.hidden);
                qkv.resize(rows, 3 * c.hidden);
                context.resize(rows, c.hidden);
                projected.resize(rows, c.hidden);
                inner.resize(rows, c.intermediate);
            }
        }
    };

    std::optional<TokenPruner> makePruner(const Model& model, int tokens, const std::uint8_t* keyValid)
    {
        std::optional<TokenPruner> pruner;
        if (const TokenPruningPolicy* policy = model.tokenPruning(); policy && policy->enabled()) {
            pruner.emplace(*policy, model.config(), tokens, keyValid);
        }
        return pruner;
    }

    OpLabel label(const std::string& name, optrace::OpKind kind, int layer, const char* a, const std::string& b)
    {
        return { name, kind, layer, -1, a, b };
    }

    void torchLinear(const Model& model, const ConstMatrixRef& x, const std::string& name, MatrixRef out,
        OpRecorder& recorder, const OpLabel& opLabel)
    {
        linear(x, requireWeight(model, name + ".weight"), &requireWeight(model, name + ".bias"), WeightLayout::OutIn,
            out, recorder, opLabel);
    }

    void norm(const Model& model, const ConstMatrixRef& x, const std::string& name, MatrixRef out)
    {
        layerNorm(x, requireWeight(model, name + ".weight"), requireWeight(model, name + ".bias"),
            model.config().layerNormEps, out);
    }

    // Self-attention of one layer on x, leaving the output projection in s.projected.
    void selfAttention(const Model& model, int layer, const std::string& attentionPrefix, const ConstMatrixRef& x,
        const std::uint8_t* keyValid, float* probs, EncoderScratch& s, OpRecorder& recorder)
    {
        const ModelConfig& c = model.config();
        const int d = c.hidden;
        const std::string p = layerPrefix(c, layer);
        const std::string tag = "layer" + std::to_string(layer);
        // Three products into one [T × 3D] buffer: BERT and ViT store Q, K and V apart.
        const char* parts[] = { "query", "key", "value" };
        const char* suffixes[] = { ".attn.q", ".attn.k", ".attn.v" };
        for (int i = 0; i < 3; ++i) {
            const std::string name = p + attentionPrefix + parts[i];
            torchLinear(model, x, name, s.qkv.middleCols(i * d, d), recorder,
                label(tag + suffixes[i], optrace::OpKind::QkvProjection, layer, "hidden", name + ".weight"));
        }
        multiHeadAttention(s.qkv.leftCols(d), s.qkv.middleCols(d, d), s.qkv.rightCols(d), c.heads,
            AttentionMask { false, 0, keyValid }, probs, s.context, recorder, layer);
        torchLinear(model, s.context, p + "attention.output.dense", s.projected, recorder,
            label(tag + ".attn.out", optrace::OpKind::OutputProjection, layer, "context",
                p + "attention.output.dense.weight"));
    }

    // Feed-forward of one layer on x, leaving the down projection in s.projected.
    void feedForward(const Model& model, int layer, const ConstMatrixRef& x, EncoderScratch& s, OpRecorder& recorder)
    {
        const std::string p = layerPrefix(model.config(), layer);
        const std::string tag = "layer" + std::to_string(layer);
        torchLinear(model, x, p + "intermediate.dense", s.inner, recorder,
            label(tag + ".ffn.up", optrace::OpKind::FfnUp, layer, "hidden", p + "intermediate.dense.weight"));
        applyActivation(model.config().activation, s.inner);
        torchLinear(model, s.inner, p + "output.dense", s.projected, recorder,
            label(tag + ".ffn.down", optrace::OpKind::FfnDown, layer, "ffn", p + "output.dense.weight"));
    }

    void prepareResult(const ModelConfig& c, int tokens, const CaptureOptions& capture, RunResult& result)
    {
        result.tokens = tokens;
        result.layers = c.layers;
        result.heads = c.heads;
        result.hiddenSize = c.hidden;
        if (capture.attention) {
            result.attentions.assign(static_cast<std::size_t>(c.layers) * c.heads * tokens * tokens, 0.0f);
        }
        if (capture.hiddenStates) {
            result.hiddenStates.assign(static_cast<std::size_t>(c.layers + 1) * tokens * c.hidden, 0.0f);
        }
    }

    // h: the rows the pruner (if any) keeps; the capture holds every token.
    void storeHidden(const CaptureOptions& capture, RunResult& result, int index, const RowMatrix& h,
        const std::optional<TokenPruner>& pruner)
    {
        if (!capture.hiddenStates) {
            return;
        }
        const std::size_t stride = static_cast<std::size_t>(result.tokens) * result.hiddenSize;
        float* out = result.hiddenStates.data() + static_cast<std::size_t>(index) * stride;
        if (pruner && pruner->compacted()) {
            pruner->expand(h, Eigen::Map<RowMatrix>(out, result.tokens, result.hiddenSize));
        } else {
            std::copy(h.data(), h.data() + h.size(), out);
        }
    }

    float* capturedProbs(const CaptureOptions& capture, RunResult& result, int layer, int tokens)
    {
        return capture.attention
            ? result.attentions.data() + static_cast<std::size_t>(layer) * result.heads * tokens * tokens
            : nullptr;
    }

    // Where a layer's attention goes: straight into the capture unless the pruner compacted the
    // rows (then into scratch, scattered afterwards by finishAttention).
    float* layerProbs(const CaptureOptions& capture, RunResult& result, EncoderScratch& s, int layer, int tokens,
        const std::optional<TokenPruner>& pruner)
    {
        float* captured = capturedProbs(capture, result, layer, tokens);
        return captured && !(pruner && pruner->compacted()) ? captured : s.probs.data();
    }

    void finishAttention(const CaptureOptions& capture, RunResult& result, const float* probs, int layer, int tokens,
        std::optional<TokenPruner>& pruner)
    {
        if (!pruner) {
            return;
        }
        if (float* captured = capturedProbs(capture, result, layer, tokens); captured && captured != probs) {
            pruner->scatterAttention(probs, result.heads, captured);
        }
        pruner->observe(probs, result.heads);
    }

    // After the last layer: every token's hidden state (pruned ones as they were when pruned).
    void expandRows(std::optional<TokenPruner>& pruner, RowMatrix& h, EncoderScratch& s, const ModelConfig& c,
        int tokens, RunResult& result)
    {
        if (!pruner) {
            return;
        }
        if (pruner->compacted()) {
            RowMatrix full(tokens, c.hidden);
            pruner->expand(h, full);
            h = std::move(full);
            s.resizeRows(tokens, c);
        }
        result.keptTokens = pruner->keptHistory();
        result.fusedTokens = pruner->fusedHistory();
    }

    void setLogits(RunResult& result, const RowMatrix& logits)
    {
        result.logitRows = static_cast<int>(logits.rows());
        result.logitCols = static_cast<int>(logits.cols());
        result.logits.assign(logits.data(), logits.data() + logits.size());
    }

    // tanh(dense(first token)), BertPooler / ViTPooler.
    RowMatrix pool(const Model& model, const RowMatrix& sequence, OpRecorder& recorder)
    {
        RowMatrix pooled(1, model.config().hidden);
        torchLinear(model, sequence.topRows(1), "pooler.dense", pooled, recorder,
            label("pooler", optrace::OpKind::Head, -1, "hidden[0]", "pooler.dense.weight"));
        pooled = pooled.array().tanh().matrix();
        return pooled;
    }

    bool hasPooler(const Model& model)
    {
        return model.weight("pooler.dense.weight") && model.weight("pooler.dense.bias");
    }

} // namespace

Result<void> runBert(const Model& model, const RunInput& input, const CaptureOptions& capture, RunResult& result,
    const CancelToken* cancel)
{
    const ModelConfig& c = model.config();
    const int n = static_cast<int>(input.tokenIds.size());
    const int d = c.hidden;
    prepareResult(c, n, capture, result);
    OpRecorder recorder(capture.opTrace ? &result.opTrace : nullptr, &model);
    recorder.setOutlierSink(&result.int8OutlierColumns);
    if (capture.linearInputs) {
        recorder.setLinearInputSink(&result.linearInputs);
    }
    const std::uint8_t* inputValid = input.attentionMask.empty() ? nullptr : input.attentionMask.data();
    auto pruner = makePruner(model, n, inputValid);
    EncoderScratch s(n, c, !capture.attention || pruner);

    const auto words = asMatrix(requireWeight(model, "embeddings.word_embeddings.weight"), c.vocabSize, d);
    const auto positions = asMatrix(requireWeight(model, "embeddings.position_embeddings.weight"), c.maxPositions, d);
    const auto types = asMatrix(requireWeight(model, "embeddings.token_type_embeddings.weight"), c.typeVocabSize, d);
    for (int t = 0; t < n; ++t) {
        const int type = input.tokenTypeIds.empty() ? 0 : input.tokenTypeIds[t];
        s.projected.row(t) = words.row(input.tokenIds[t]) + types.row(type) + positions.row(t);
    }
    RowMatrix h(n, d);
    norm(model, s.projected, "embeddings.LayerNorm", h);
    storeHidden(capture, result, 0, h, pruner);

    for (int layer = 0; layer < c.layers; ++layer) {
        if (cancelled(cancel)) {
            return fail(ErrorCode::Cancelled, "run: cancelled");
        }
        if (pruner) {
            pruner->beforeLayer(layer, model.layerSkipped(layer), h);
            s.resizeRows(static_cast<int>(h.rows()), c);
        }
        if (model.layerSkipped(layer)) { // removed block: the hidden state passes through
            storeHidden(capture, result, layer + 1, h, pruner);
            continue;
        }
        const std::string p = layerPrefix(c, layer);
        const std::uint8_t* keyValid = pruner ? pruner->keyValid() : inputValid;
        float* probs = layerProbs(capture, result, s, layer, n, pruner);
        selfAttention(model, layer, "attention.self.", h, keyValid, probs, s, recorder);
        finishAttention(capture, result, probs, layer, n, pruner);
        s.projected += h;
        norm(model, s.projected, p + "attention.output.LayerNorm", s.x); // s.x: attention block output
        feedForward(model, layer, s.x, s, recorder);
        s.projected += s.x;
        norm(model, s.projected, p + "output.LayerNorm", h);
        storeHidden(capture, result, layer + 1, h, pruner);
    }
    expandRows(pruner, h, s, c, n, result);

    switch (c.head) {
    case ModelHead::MaskedLm: {
        torchLinear(model, h, "cls.predictions.transform.dense", s.x, recorder,
            label("mlm.transform", optrace::OpKind::Head, -1, "hidden", "cls.predictions.transform.dense.weight"));
        applyActivation(c.activation, s.x);
        norm(model, s.x, "cls.predictions.transform.LayerNorm", s.projected);
        RowMatrix logits(n, c.vocabSize);
        linear(s.projected, requireWeight(model, "cls.predictions.decoder.weight"),
            &requireWeight(model, "cls.predictions.bias"), WeightLayout::OutIn, logits, recorder,
            label("mlm.decoder", optrace::OpKind::Head, -1, "hidden", "cls.predictions.decoder.weight"));
        setLogits(result, logits);
        break;
    }
    case ModelHead::SequenceClassification: {
        const RowMatrix pooled = pool(model, h, recorder);
        RowMatrix logits(1, c.numLabels);
        torchLinear(model, pooled, "classifier", logits, recorder,
            label("classifier", optrace::OpKind::Head, -1, "pooled", "classifier.weight"));
        setLogits(result, logits);
        break;
    }
    default:
        setLogits(result, h);
        if (hasPooler(model)) {
            const RowMatrix pooled = pool(model, h, recorder);
            result.pooledOutput.assign(pooled.data(), pooled.data() + pooled.size());
        }
        break;
    }
    return {};
}

Result<void> runVit(const Model& model, const RunInput& input, const CaptureOptions& capture, RunResult& result,
    const CancelToken* cancel)
{
    const ModelConfig& c = model.config();
    const int d = c.hidden;
    const int side = c.imageSize / c.patchSize;
    const int patches = side * side;
    const int n = patches + 1;
    const int patchValues = c.channels * c.patchSize * c.patchSize;
    prepareResult(c, n, capture, result);
    OpRecorder recorder(capture.opTrace ? &result.opTrace : nullptr, &model);
    recorder.setOutlierSink(&result.int8OutlierColumns);
    if (capture.linearInputs) {
        recorder.setLinearInputSink(&result.linearInputs);
    }
    auto pruner = makePruner(model, n, nullptr);
    EncoderScratch s(n, c, !capture.attention || pruner);

    // The stride-p convolution as one GEMM: each patch unrolled in the weight's (channel, y, x) order.
    RowMatrix unrolled(patches, patchValues);
    for (int py = 0; py < side; ++py) {
        for (int px = 0; px < side; ++px) {
            float* out = unrolled.row(py * side + px).data();
            for (int ch = 0; ch < c.channels; ++ch) {
                for (int y = 0; y < c.patchSize; ++y) {
                    const float* in = input.pixels.data()
                        + (static_cast<std::size_t>(ch) * c.imageSize + py * c.patchSize + y) * c.imageSize
                        + px * c.patchSize;
                    out = std::copy(in, in + c.patchSize, out);
                }
            }
        }
    }
    const Weight& projection = requireWeight(model, "embeddings.patch_embeddings.projection.weight");
    const Weight flatProjection { { d, patchValues }, projection.data };
    RowMatrix h(n, d);
    linear(unrolled, flatProjection, &requireWeight(model, "embeddings.patch_embeddings.projection.bias"),
        WeightLayout::OutIn, h.bottomRows(patches), recorder,
        label("patch_embedding", optrace::OpKind::Embedding, -1, "patches",
            "embeddings.patch_embeddings.projection.weight"));
    h.row(0) = asMatrix(requireWeight(model, "embeddings.cls_token"), 1, d);
    h += asMatrix(requireWeight(model, "embeddings.position_embeddings"), n, d);
    storeHidden(capture, result, 0, h, pruner);

    for (int layer = 0; layer < c.layers; ++layer) {
        if (cancelled(cancel)) {
            return fail(ErrorCode::Cancelled, "run: cancelled");
        }
        if (pruner) {
            pruner->beforeLayer(layer, model.layerSkipped(layer), h);
            s.resizeRows(static_cast<int>(h.rows()), c);
        }
        if (model.layerSkipped(layer)) { // removed block: the hidden state passes through
            storeHidden(capture, result, layer + 1, h, pruner);
            continue;
        }
        const std::string p = layerPrefix(c, layer);
        norm(model, h, p + "layernorm_before", s.x);
        float* probs = layerProbs(capture, result, s, layer, n, pruner);
        selfAttention(model, layer, "attention.attention.", s.x, nullptr, probs, s, recorder);
        finishAttention(capture, result, probs, layer, n, pruner);
        h += s.projected;
        norm(model, h, p + "layernorm_after", s.x);
        feedForward(model, layer, s.x, s, recorder);
        h += s.projected;
        storeHidden(capture, result, layer + 1, h, pruner); // HF: encoder outputs, before the final layernorm
    }
    expandRows(pruner, h, s, c, n, result);
    RowMatrix sequence(n, d);
    norm(model, h, "layernorm", sequence);
    if (c.head == ModelHead::ImageClassification) {
        RowMatrix logits(1, c.numLabels);
        torchLinear(model, sequence.topRows(1), "classifier", logits, recorder,
            label("classifier", optrace::OpKind::Head, -1, "hidden[0]", "classifier.weight"));
        setLogits(result, logits);
    } else {
        setLogits(result, sequence);
        if (hasPooler(model)) {
            const RowMatrix pooled = pool(model, sequence, recorder);
            result.pooledOutput.assign(pooled.data(), pooled.data() + pooled.size());
        }
    }
    return {};
}

} // namespace optiscope::core::detail
