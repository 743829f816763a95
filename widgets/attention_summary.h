// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Summaries of a run's attention that the per-head maps do not show at a glance:
// - head entropy: how spread out a head's attention is (0 bits = every query looks at one key; a
//   causal row i can reach at most log2(i + 1) bits), averaged over the queries the layer computed;
// - attention rollout (Abnar & Zuidema, 2020): how much each output position draws on each input
//   token through all layers so far, modelling the residual path as an identity half of each layer.
#include "attention_data.h"

#include <vector>

namespace optiscope::widgets {

// Entropy of one probability row in bits; zero entries contribute nothing.
double rowEntropyBits(const float* row, int length);

// [layer * heads + head]: mean row entropy in bits over the queries each layer kept (token pruning
// leaves pruned rows at zero; they are skipped). Empty for invalid or signed (difference) data.
std::vector<float> headEntropies(const AttentionData& data);

// The largest possible mean entropy of a head of this input: log2 of the number of keys each query
// may see, averaged over queries (causal when the first layer's upper triangle is all zero).
float maximumMeanEntropy(const AttentionData& data);

// Rollout through layers 0..l for every l, as attention data with one "head" per layer:
//   Â_l = 0.5 · mean_h A_l + 0.5 · I, rows renormalised;  R_0 = Â_0,  R_l = Â_l · R_{l-1}.
// Row q of R_l: the share of position q's representation after layer l that comes from each input
// token. nullptr for invalid or signed data.
AttentionDataPtr attentionRollout(const AttentionData& data);

} // namespace optiscope::widgets
