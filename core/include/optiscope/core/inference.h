// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// fp32 forward pass for GPT-2, BERT and ViT with optional captures.
#include "optiscope/core/cancel.h"
#include "optiscope/core/model.h"
#include "optiscope/core/result.h"
#include "optiscope/optrace/op_trace.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace optiscope::core {

struct RunInput {
    std::vector<std::int32_t> tokenIds;     // text models
    std::vector<std::uint8_t> attentionMask; // 1 = real token, 0 = padding; empty = all real
    std::vector<std::int32_t> tokenTypeIds; // BERT; empty = all 0
    std::vector<float> pixels;              // ViT: [channels][imageSize][imageSize], already normalised
};

struct CaptureOptions {
    bool attention = false;
    bool hiddenStates = false;
    bool opTrace = false;
    // The input of every linear layer (before any activation quantization), for activation histograms.
    bool linearInputs = false;
};

// One linear layer's input x [rows × cols] (row-major, tokens × input features) as the layer received it.
struct LinearInput {
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::vector<float> values;
};

struct RunResult {
    int tokens = 0;      // T (ViT: patches + 1)
    int logitRows = 0;   // T for LM / MLM, 1 for classifiers; T for bare encoders (last hidden state)
    int logitCols = 0;   // vocab, labels, or hidden
    std::vector<float> logits;       // [logitRows][logitCols] row-major
    std::vector<float> pooledOutput; // [hidden]: BertModel / ViTModel pooler, when the checkpoint has one
    int layers = 0;
    int heads = 0;
    // [layer][head][T][T] row-major, when captured. With token pruning, rows and columns of tokens
    // a layer did not compute are zero (an EViT fused token's share is left out).
    std::vector<float> attentions;
    // Token pruning (Model::tokenPruning()): [layer] → positions the layer computed, ascending, and
    // the EViT fused tokens that took part besides them. Empty when the model prunes no tokens.
    std::vector<std::vector<int>> keptTokens;
    std::vector<int> fusedTokens;
    int hiddenSize = 0;
    // [layers + 1][T][hidden], when captured; HF output_hidden_states: embeddings first (BERT: after
    // their LayerNorm), then each layer's output; GPT-2's last entry is after ln_f, ViT's entries
    // never include the final layernorm.
    std::vector<float> hiddenStates;
    optrace::OpTrace opTrace;        // when captured
    // llm_int8 layers (activation_quantization.h): weight name as the op trace names it → input
    // features kept in fp this run (outlier columns). Always filled; empty without llm_int8 steps.
    std::map<std::string, std::int64_t> int8OutlierColumns;
    // CaptureOptions::linearInputs: weight name as the op trace names it → that layer's input.
    std::map<std::string, LinearInput> linearInputs;
    double elapsedMs = 0;

    float attention(int layer, int head, int query, int key) const
    {
        return attentions[((static_cast<std::size_t>(layer) * heads + head) * tokens + query) * tokens + key];
    }
};

Result<RunResult> run(const Model& model, const RunInput& input, const CaptureOptions& capture = {},
    const CancelToken* cancel = nullptr);

// Tokenizes text the way the model expects (BERT: [CLS] … [SEP]); errors on empty text,
// a missing tokenizer, ids outside the vocabulary or more tokens than positions.
Result<RunInput> textInput(const Model& model, std::string_view utf8Text);
// Checks ids against the vocabulary and the position table.
Result<RunInput> idsInput(const Model& model, std::vector<std::int32_t> ids);

struct GenerateOptions {
    int maxNewTokens = 20;
    int topK = 0;             // 0 = greedy
    float temperature = 1.0f; // used when topK > 0
    std::uint64_t seed = 0;
};

// GPT-2 only: autoregressive generation with a KV cache. Returns prompt + new tokens;
// stops early at eos or at the position limit.
Result<std::vector<std::int32_t>> generate(const Model& model, const std::vector<std::int32_t>& prompt,
    const GenerateOptions& options, const CancelToken* cancel = nullptr);

} // namespace optiscope::core
