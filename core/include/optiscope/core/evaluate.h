// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Held-out evaluation of a model (and, when given, its uncompressed baseline) on a data set:
// perplexity of a language model on a text, top-1 accuracy of an image classifier on labelled
// images. The CLI (`optiscope-cli eval`) and the GUI's Evaluate action both call evaluate(), with
// the data sets named here, so their numbers are the same.
//
// Perplexity: the text is tokenized whole and cut into windows of maxPositions + 1 tokens that
// start every maxPositions tokens (stride = context); each window feeds its first maxPositions
// tokens and scores the next token at every position, so every token but the first is predicted
// exactly once, with 0..maxPositions-1 tokens of context. This is samples/train_tiny_gpt2.py's
// evaluate_nll, so the numbers are comparable with the model card's.
#include "optiscope/core/cancel.h"
#include "optiscope/core/image.h"
#include "optiscope/core/model.h"
#include "optiscope/core/result.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optiscope::core {

enum class EvalTask { Perplexity, Accuracy };

struct LabelledImages {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels; // [count][height][width], grey
    std::vector<std::uint8_t> labels; // [count]
    std::size_t count() const { return labels.size(); }
};

// Reads an IDX image file (magic 0x803) and an IDX label file (0x801), gzipped (".gz") or not.
// Errors name the file and field, e.g. "t10k-labels-idx1-ubyte.gz: count 9999 != images 10000".
Result<LabelledImages> loadIdxImages(const std::filesystem::path& imagesFile, const std::filesystem::path& labelsFile);

// samples/train_tiny_gpt2.py's split_text: the held-out part is the text after the first paragraph
// break ("\n\n") at or after 90 % of the characters (Unicode code points, as Python counts them).
std::string heldOutPart(std::string_view utf8Text, double heldOutFraction = 0.1);

struct EvalData {
    EvalTask task = EvalTask::Perplexity;
    std::string name; // what the numbers are about, e.g. "moby-dick (held-out 10 %)"
    std::vector<std::int32_t> tokens; // Perplexity
    LabelledImages images; // Accuracy
    ImageNormalization normalization; // Accuracy: the model folder's preprocessor_config.json
};

struct EvalOptions {
    std::int64_t limit = 0; // > 0: only the first `limit` windows / images
};

struct EvalScore {
    double value = 0; // perplexity, or accuracy in [0, 1]
    double meanNll = 0; // Perplexity: nats per predicted token
    std::int64_t correct = 0; // Accuracy
};

struct EvalResult {
    EvalTask task = EvalTask::Perplexity;
    std::string dataName;
    std::int64_t samples = 0; // predicted tokens, or images
    std::int64_t windows = 0; // Perplexity: forward passes per model
    EvalScore model;
    std::optional<EvalScore> baseline; // when a baseline model was given
    // Against the baseline, over every scored position (token or image): mean KL(baseline ‖ model)
    // in nats and the fraction with the same argmax.
    std::optional<double> klMean;
    std::optional<double> top1Agreement;
    double seconds = 0; // wall clock of the whole evaluation
};

// The first existing `relative` under any of `starts` or their ancestors (nearest first); lets the
// front ends find samples/ and third_party_cache/ from the build tree and from the source tree.
std::optional<std::filesystem::path> findInAncestors(
    const std::vector<std::filesystem::path>& starts, const std::filesystem::path& relative);

// The data set a task uses by default: "moby-dick" (Perplexity), "fashion-mnist" (Accuracy).
std::string defaultEvalDataName(EvalTask task);

// Named data sets:
//  - "moby-dick": the held-out 10 % (heldOutPart) of third_party_cache/moby_dick/package/data/data.txt
//    (fetched by scripts/fetch_moby_dick.sh), the text samples/tiny-gpt2 never saw;
//  - "fashion-mnist": the 10,000 official test images of Debian's dataset-fashion-mnist
//    (/usr/share/datasets/fashion-mnist/t10k-*-ubyte.gz), the ones samples/tiny-vit never saw.
// Or a path: a UTF-8 text file, scored whole; a folder with t10k-images-idx3-ubyte[.gz] and
// t10k-labels-idx1-ubyte[.gz]. The text is tokenized with the model's tokenizer; images get the
// model folder's preprocessor_config.json. searchFrom: where findInAncestors looks for
// third_party_cache/. Errors name the data set and the script that fetches it.
Result<EvalData> loadEvalData(
    const Model& model, const std::string& nameOrPath, const std::vector<std::filesystem::path>& searchFrom);

// The task a model is evaluated on: Perplexity for language models, Accuracy for image
// classifiers; an error for anything else.
Result<EvalTask> evalTaskFor(const Model& model);

// Parallel over windows / images (oneTBB), summed in order: the result does not depend on the
// thread count. progress gets the fraction done; cancel is polled per window / image.
// Errors: wrong task for the model, no samples, ids outside the vocabulary, image size mismatch.
Result<EvalResult> evaluate(const Model& model, const Model* baseline, const EvalData& data, const EvalOptions& options = {},
    const ProgressCallback& progress = {}, const CancelToken* cancel = nullptr);

} // namespace optiscope::core
