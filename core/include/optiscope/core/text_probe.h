// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Sentence classification by a linear probe on USE Lite embeddings: labelled sentences (npm
// sentiment@5.0.2's test/fixtures/{imdb,yelp,amazon}.json), their embeddings, a deterministic
// split, logistic regression on the training part and accuracy on the held-out part.
#include "optiscope/core/cancel.h"
#include "optiscope/core/linear_probe.h"
#include "optiscope/core/result.h"
#include "optiscope/core/use_lite_model.h"

#include <filesystem>
#include <string>
#include <vector>

namespace optiscope::core {

struct LabelledText {
    std::string text;
    int label = 0; // 0 or 1
};

struct LabelledTexts {
    std::vector<LabelledText> items;
    int skippedBlank = 0; // records whose text is empty or only whitespace
};

// A JSON array of {"text": string, "class": 0 | 1}. Errors name the file and the record, e.g.
// "imdb.json: [12].class: 2 is not 0 or 1".
Result<LabelledTexts> loadLabelledTexts(const std::filesystem::path& jsonFile);

// [texts][embeddingSize] row-major, computed in parallel (oneTBB); deterministic, since each
// embedding is computed alone. progress gets the fraction done; cancel is polled per sentence.
Result<std::vector<float>> embedTexts(const UseLiteModel& model, const std::vector<LabelledText>& texts,
    const ProgressCallback& progress = {}, const CancelToken* cancel = nullptr);

struct TextProbeOptions {
    double trainFraction = 0.8;
    std::uint64_t seed = 20240601; // of the split
    LogisticProbeOptions logistic;
};

struct TextProbeResult {
    int examples = 0;
    int trainCount = 0;
    int testCount = 0;
    double trainAccuracy = 0;
    double testAccuracy = 0; // held out
    LogisticProbe probe;
};

// Splits, trains and scores on precomputed embeddings (from embedTexts).
Result<TextProbeResult> runTextProbe(const std::vector<float>& embeddings, int dim,
    const std::vector<LabelledText>& texts, const TextProbeOptions& options);

} // namespace optiscope::core
