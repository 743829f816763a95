// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Token pruning inside one forward pass (compression_token_pruning.cpp): which rows of the hidden
// state a layer computes, and the hidden state of pruned tokens, carried to the final head.
#include "inference_ops.h"
#include "optiscope/core/compression/token_pruning.h"
#include "optiscope/core/model_config.h"

#include <vector>

namespace optiscope::core::detail {

// rowTokens() entry of an EViT fused token (it has no position of its own).
inline constexpr int kFusedToken = -1;

class TokenPruner {
public:
    // tokens: T of the input; keyValid: [T] padding mask or nullptr (copied).
    TokenPruner(const TokenPruningPolicy& policy, const ModelConfig& config, int tokens, const std::uint8_t* keyValid);

    // Before layer `layer` (skipped: removed by prune_layers, no decision then): chooses the
    // survivors from the attention observed so far and compacts h [rows × hidden] to them; rows
    // of pruned tokens are kept aside (EViT: fused into one new last row). Records the kept set.
    void beforeLayer(int layer, bool skipped, RowMatrix& h);
    // After the attention of a computed layer: probs [heads][rows][rows] of the current rows.
    void observe(const float* probs, int heads);

    int rows() const { return static_cast<int>(m_rowTokens.size()); }
    bool compacted() const { return rows() != m_tokens || m_fused; }
    // Position of each current row; kFusedToken for a fused row.
    const std::vector<int>& rowTokens() const { return m_rowTokens; }
    // Padding mask of the current rows, or nullptr when the input had none.
    const std::uint8_t* keyValid() const { return m_keyValid.empty() ? nullptr : m_rowValid.data(); }
    // [tokens × hidden]: the carried rows of pruned tokens and the current rows of alive ones.
    void expand(const RowMatrix& h, MatrixRef out) const;
    // compact [heads][rows][rows] → full [heads][tokens][tokens], zero for pruned rows and columns;
    // fused rows are left out.
    void scatterAttention(const float* compact, int heads, float* full) const;

    // [layer] → positions the layer computed (ascending); fused rows per layer.
    const std::vector<std::vector<int>>& keptHistory() const { return m_history; }
    const std::vector<int>& fusedHistory() const { return m_fusedHistory; }

private:
    bool isProtected(int token) const;
    // Rows to keep (ascending) and, for EViT, rows to fuse; empty keep = no change.
    void decide(std::vector<int>& keep, std::vector<int>& fuse) const;
    void compact(const std::vector<int>& keep, const std::vector<int>& fuse, RowMatrix& h);

    TokenPruningPolicy m_policy;
    bool m_causal = false;
    int m_tokens = 0;
    int m_protectedToken = 0; // CLS (encoders) or the last token (GPT-2)
    std::vector<std::uint8_t> m_keyValid; // [tokens], empty = all valid
    std::vector<std::uint8_t> m_rowValid; // [rows]
    std::vector<int> m_rowTokens;
    int m_fused = 0; // fused rows among the current rows
    bool m_observed = false; // some layer's attention has been seen
    std::vector<double> m_score; // Cascade: [tokens] accumulated received attention
    std::vector<double> m_rowImportance; // Threshold / Evit: [rows] from the last computed layer
    RowMatrix m_carried; // [tokens × hidden], rows of pruned tokens; allocated at the first pruning
    std::vector<std::vector<int>> m_history;
    std::vector<int> m_fusedHistory;
};

} // namespace optiscope::core::detail
