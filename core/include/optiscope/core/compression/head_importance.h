// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Attention-head importance by ablation (Michel, Levy & Neubig 2019, "Are Sixteen Heads Really
// Better than One?"): each head is removed alone, exactly as a prune_heads step removes it, and
// the language-model loss and output distribution on calibration text are compared with the
// model before removal.
//
// Windows as evaluateCompression(): each sequence is cut into non-overlapping windows of
// maxPositions tokens; every position counts for the KL, positions 0..T-2 predict the next token
// for the loss. Cost: one forward pass of the calibration text per head, plus one for the
// baseline, whose log-probabilities are kept in memory (4 bytes × tokens × vocab).
#include "optiscope/core/cancel.h"
#include "optiscope/core/compression/calibration.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/result.h"

#include <memory>
#include <vector>

namespace optiscope::core {

struct HeadImportance {
    int layer = 0;
    int head = 0;
    double lossDelta = 0; // mean NLL with the head removed − baseline mean NLL (nats per token)
    double klMean = 0; // mean over positions of KL(baseline ‖ head removed), nats
    bool alreadyRemoved = false; // an earlier step removed it (or its layer): both deltas are 0
};

struct HeadImportanceResult {
    double baseLoss = 0; // mean NLL of the model passed in
    std::int64_t tokensPredicted = 0;
    std::int64_t positions = 0;
    std::vector<HeadImportance> heads; // layer-major: [layer * heads + head]
};

// Errors: not a language model, no calibration tokens, ids outside the vocabulary, cancelled.
Result<HeadImportanceResult> scoreHeadsByAblation(const std::shared_ptr<const CompressedModel>& model,
    const CalibrationData& data, const CancelToken* cancel = nullptr, const ProgressCallback& progress = {});

} // namespace optiscope::core
