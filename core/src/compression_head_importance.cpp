// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/head_importance.h"
#include "prune_steps.h"

#include "model_names.h"
#include "optiscope/core/check.h"
#include "optiscope/core/inference.h"

#include <algorithm>
#include <cmath>

namespace optiscope::core {

namespace {

    struct Window {
        std::vector<std::int32_t> ids;
        std::vector<double> logProbs; // baseline, [T × vocab]
    };

    void logSoftmax(const float* logits, int count, double* out)
    {
        const double maxLogit = *std::max_element(logits, logits + count);
        double sum = 0;
        for (int i = 0; i < count; ++i) {
            sum += std::exp(logits[i] - maxLogit);
        }
        const double logSum = maxLogit + std::log(sum);
        for (int i = 0; i < count; ++i) {
            out[i] = logits[i] - logSum;
        }
    }

    std::string outputProjection(const ModelConfig& c, int layer)
    {
        return detail::layerPrefix(c, layer)
            + (c.architecture == Architecture::Gpt2 ? "attn.c_proj.weight" : "attention.output.dense.weight");
    }

    // Removed when its layer is skipped or the output projection reads nothing of its context.
    bool headRemoved(const CompressedModel& model, int layer, int head)
    {
        if (model.layerSkipped(layer)) {
            return true;
        }
        const CompressedTensor* projection = model.compressed(outputProjection(model.config(), layer));
        if (!projection || projection->mask.empty()) {
            return false;
        }
        const std::int64_t dh = model.config().headDim();
        for (std::int64_t out = 0; out < projection->matrix.outFeatures; ++out) {
            for (std::int64_t j = head * dh; j < (head + 1) * dh; ++j) {
                if (projection->mask[projection->matrix.index(out, j)]) {
                    return false;
                }
            }
        }
        return true;
    }

    // Adds the masked model's NLL and KL(baseline ‖ masked) over every window.
    Result<void> compare(
        const Model& masked, const std::vector<Window>& windows, double& nll, double& kl, const CancelToken* cancel)
    {
        std::vector<double> logProbs;
        for (const auto& window : windows) {
            auto input = idsInput(masked, window.ids);
            if (!input) {
                return std::unexpected(input.error());
            }
            auto result = run(masked, *input, {}, cancel);
            if (!result) {
                return std::unexpected(result.error());
            }
            const int vocab = result->logitCols;
            logProbs.resize(static_cast<std::size_t>(vocab));
            for (int row = 0; row < result->logitRows; ++row) {
                logSoftmax(result->logits.data() + static_cast<std::size_t>(row) * vocab, vocab, logProbs.data());
                const double* base = window.logProbs.data() + static_cast<std::size_t>(row) * vocab;
                for (int i = 0; i < vocab; ++i) {
                    kl += std::exp(base[i]) * (base[i] - logProbs[i]);
                }
                if (row + 1 < result->logitRows) {
                    nll -= logProbs[window.ids[row + 1]];
                }
            }
        }
        return {};
    }

} // namespace

Result<HeadImportanceResult> scoreHeadsByAblation(const std::shared_ptr<const CompressedModel>& model,
    const CalibrationData& data, const CancelToken* cancel, const ProgressCallback& progress)
{
    OPTISCOPE_CHECK(model != nullptr);
    const ModelConfig& c = model->config();
    if (c.head != ModelHead::LanguageModel) {
        return fail(ErrorCode::Input, "scoreHeadsByAblation: model: not a language model (" + c.className + ")");
    }
    HeadImportanceResult out;
    std::vector<Window> windows;
    const auto size = static_cast<std::size_t>(c.maxPositions);
    for (const auto& sequence : data.sequences) {
        for (std::size_t begin = 0; begin + 1 < sequence.size(); begin += size) {
            const std::size_t end = std::min(sequence.size(), begin + size);
            if (end - begin >= 2) { // a window of one token predicts nothing
                windows.push_back({ { sequence.begin() + begin, sequence.begin() + end }, {} });
            }
        }
    }
    if (windows.empty()) {
        return fail(ErrorCode::Input, "scoreHeadsByAblation: calibration: fewer than 2 tokens");
    }
    double baseNll = 0;
    for (auto& window : windows) {
        auto input = idsInput(*model, window.ids);
        if (!input) {
            return fail(input.error().code, "scoreHeadsByAblation: calibration: " + input.error().message);
        }
        auto result = run(*model, *input, {}, cancel);
        if (!result) {
            return std::unexpected(result.error());
        }
        const int vocab = result->logitCols;
        window.logProbs.resize(static_cast<std::size_t>(result->logitRows) * vocab);
        for (int row = 0; row < result->logitRows; ++row) {
            double* logProbs = window.logProbs.data() + static_cast<std::size_t>(row) * vocab;
            logSoftmax(result->logits.data() + static_cast<std::size_t>(row) * vocab, vocab, logProbs);
            ++out.positions;
            if (row + 1 < result->logitRows) {
                baseNll -= logProbs[window.ids[row + 1]];
                ++out.tokensPredicted;
            }
        }
    }
    out.baseLoss = baseNll / static_cast<double>(out.tokensPredicted);

    const int total = c.layers * c.heads;
    for (int index = 0; index < total; ++index) {
        HeadImportance& h = out.heads.emplace_back();
        h.layer = index / c.heads;
        h.head = index % c.heads;
        h.alreadyRemoved = headRemoved(*model, h.layer, h.head);
        if (!h.alreadyRemoved) {
            // Removed exactly as a prune_heads step removes it.
            RecipeStep step;
            step.type = StepType::PruneHeads;
            step.heads = { { h.layer, h.head } };
            auto masked = applyStep(model, step, "scoreHeadsByAblation", 0);
            OPTISCOPE_CHECK(masked.has_value());
            double nll = 0, kl = 0;
            if (auto done = compare(**masked, windows, nll, kl, cancel); !done) {
                return std::unexpected(done.error());
            }
            h.lossDelta = nll / static_cast<double>(out.tokensPredicted) - out.baseLoss;
            h.klMean = kl / static_cast<double>(out.positions);
        }
        if (progress) {
            progress(static_cast<double>(index + 1) / total);
        }
    }
    return out;
}

namespace detail {

    Result<std::shared_ptr<const CompressedModel>> pruneHeadsByAblation(
        const std::shared_ptr<const CompressedModel>& current, const RecipeStep& step, const std::string& file,
        std::size_t stepIndex, const CalibrationData* calibration)
    {
        const std::string where = file + ": steps[" + std::to_string(stepIndex) + "].";
        if (!calibration || calibration->sequences.empty()) {
            return fail(ErrorCode::Config, where + "saliency: 'ablation' needs calibration data, none given");
        }
        auto scores = scoreHeadsByAblation(current, *calibration);
        if (!scores) {
            return fail(scores.error().code, where + "saliency: " + scores.error().message);
        }
        std::vector<HeadImportance> candidates;
        std::copy_if(scores->heads.begin(), scores->heads.end(), std::back_inserter(candidates),
            [](const HeadImportance& h) { return !h.alreadyRemoved; });
        const bool byCount = step.headCount >= 0;
        const auto count
            = byCount ? step.headCount : std::llround(step.ratio * static_cast<double>(scores->heads.size()));
        if (count > static_cast<long long>(candidates.size())) {
            return fail(ErrorCode::Config,
                where + (byCount ? "count" : "ratio") + ": " + std::to_string(count) + " heads to remove, only "
                    + std::to_string(candidates.size()) + " remain");
        }
        if (count == 0) {
            return current;
        }
        // Least important first: the smallest loss increase (ties: lower layer, then head).
        std::stable_sort(candidates.begin(), candidates.end(),
            [](const HeadImportance& a, const HeadImportance& b) { return a.lossDelta < b.lossDelta; });
        RecipeStep chosen = step;
        chosen.headAblation = false;
        chosen.heads.clear();
        for (long long i = 0; i < count; ++i) {
            chosen.heads.emplace_back(candidates[i].layer, candidates[i].head);
        }
        std::sort(chosen.heads.begin(), chosen.heads.end());
        return applyStep(current, chosen, file, stepIndex);
    }

} // namespace detail

} // namespace optiscope::core
