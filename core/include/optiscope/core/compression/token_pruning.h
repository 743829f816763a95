// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Token (patch) pruning policy of a compressed model, set by a "prune_tokens" recipe step and
// applied by run(): pruned tokens leave the computation of later layers (neither queries nor
// keys), and their hidden state is carried unchanged to the final norm and head. Semantics in
// RECIPE_SCHEMA.md.
#include <string>

namespace optiscope::core {

enum class TokenPruningMethod {
    None,
    // SpAtten: importance = attention received, summed over heads, queries and the layers so far;
    // keep the top-k of the tokens still alive before each layer from startLayer on.
    Cascade,
    // LTP: before each layer from startLayer on, prune tokens whose mean received attention in the
    // previous computed layer is below threshold.
    Threshold,
    // EViT (ViT only): keep the top-k patches by CLS attention (mean over heads, previous layer),
    // fuse the others into one token weighted by that attention.
    Evit,
};

struct TokenPruningPolicy {
    TokenPruningMethod method = TokenPruningMethod::None;
    int startLayer = 1; // first layer whose input is pruned; >= 1, importance needs a layer before
    double keepRatio = 1.0; // Cascade, Evit: fraction of the candidates kept, in (0, 1]
    int keepCount = 0; // Cascade, Evit: > 0 keeps this many candidates instead of a ratio
    double threshold = 0; // Threshold: in [0, 1]

    bool enabled() const { return method != TokenPruningMethod::None; }
};

const char* tokenPruningMethodName(TokenPruningMethod method);

} // namespace optiscope::core
