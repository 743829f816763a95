// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/evaluate.h"

#include "optiscope/core/inference.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>

namespace optiscope::core {

namespace {

    // One scored position (a next-token prediction or an image): what both models said about it.
    struct PositionScore {
        double nll = 0; // −log p(target), model
        double baseNll = 0;
        bool correct = false;
        bool baseCorrect = false;
        double kl = 0; // KL(baseline ‖ model)
        bool agree = false;
    };

    // log-softmax of one logit row into out (double, for stable sums).
    void logSoftmax(const float* row, int n, std::vector<double>& out)
    {
        out.resize(static_cast<std::size_t>(n));
        double max = -std::numeric_limits<double>::infinity();
        for (int i = 0; i < n; ++i) {
            max = std::max(max, static_cast<double>(row[i]));
        }
        double sum = 0;
        for (int i = 0; i < n; ++i) {
            sum += std::exp(row[i] - max);
        }
        const double logSum = max + std::log(sum);
        for (int i = 0; i < n; ++i) {
            out[static_cast<std::size_t>(i)] = row[i] - logSum;
        }
    }

    int argmax(const float* row, int n)
    {
        return static_cast<int>(std::max_element(row, row + n) - row);
    }

    // Scores rows [first, first + count) of the logits against targets; base may be null.
    void scoreRows(const RunResult& run, const RunResult* base, int firstRow, const std::vector<int>& targets,
        PositionScore* out)
    {
        std::vector<double> logp, baseLogp;
        const int cols = run.logitCols;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            const int row = firstRow + static_cast<int>(i);
            const float* logits = run.logits.data() + static_cast<std::size_t>(row) * static_cast<std::size_t>(cols);
            logSoftmax(logits, cols, logp);
            PositionScore& score = out[i];
            const int target = targets[i];
            const int top = argmax(logits, cols);
            score.nll = -logp[static_cast<std::size_t>(target)];
            score.correct = top == target;
            if (base) {
                const float* baseLogits
                    = base->logits.data() + static_cast<std::size_t>(row) * static_cast<std::size_t>(cols);
                logSoftmax(baseLogits, cols, baseLogp);
                score.baseNll = -baseLogp[static_cast<std::size_t>(target)];
                const int baseTop = argmax(baseLogits, cols);
                score.baseCorrect = baseTop == target;
                score.agree = baseTop == top;
                double kl = 0;
                for (int c = 0; c < cols; ++c) {
                    const double p = std::exp(baseLogp[static_cast<std::size_t>(c)]);
                    kl += p * (baseLogp[static_cast<std::size_t>(c)] - logp[static_cast<std::size_t>(c)]);
                }
                score.kl = std::max(kl, 0.0);
            }
        }
    }

    Result<RunResult> runChecked(const Model& model, const RunInput& input, int expectedRows, const CancelToken* cancel)
    {
        auto result = run(model, input, {}, cancel);
        if (result && result->logitRows != expectedRows) {
            return fail(ErrorCode::Shape,
                "evaluate: the model returned " + std::to_string(result->logitRows) + " logit rows, expected "
                    + std::to_string(expectedRows) + " (token pruning cannot be evaluated position by position)");
        }
        return result;
    }

    // Runs job(i) for i in [0, n) in parallel; the first error (lowest index) wins.
    template <typename Job>
    Result<void> parallelJobs(std::size_t n, const ProgressCallback& progress, const CancelToken* cancel, Job job)
    {
        std::vector<std::optional<Error>> errors(n);
        std::atomic<std::size_t> done { 0 };
        std::mutex progressMutex;
        tbb::parallel_for(std::size_t { 0 }, n, [&](std::size_t i) {
            if (cancel && cancel->isCancelled()) {
                errors[i] = Error { ErrorCode::Cancelled, "evaluate: cancelled" };
                return;
            }
            if (auto ok = job(i); !ok) {
                errors[i] = ok.error();
            }
            const std::size_t finished = ++done;
            if (progress) {
                std::lock_guard lock(progressMutex);
                progress(static_cast<double>(finished) / static_cast<double>(n));
            }
        });
        if (cancel && cancel->isCancelled()) {
            return fail(ErrorCode::Cancelled, "evaluate: cancelled");
        }
        for (auto& error : errors) {
            if (error) {
                return std::unexpected(*error);
            }
        }
        return {};
    }

    void summarise(const std::vector<PositionScore>& scores, bool withBaseline, EvalTask task, EvalResult& result)
    {
        double nll = 0, baseNll = 0, kl = 0;
        std::int64_t correct = 0, baseCorrect = 0, agree = 0;
        for (const PositionScore& s : scores) { // in order: deterministic sums
            nll += s.nll;
            baseNll += s.baseNll;
            kl += s.kl;
            correct += s.correct;
            baseCorrect += s.baseCorrect;
            agree += s.agree;
        }
        const double n = static_cast<double>(scores.size());
        auto score = [&](double sumNll, std::int64_t right) {
            EvalScore out;
            out.meanNll = sumNll / n;
            out.correct = right;
            out.value = task == EvalTask::Perplexity ? std::exp(out.meanNll) : static_cast<double>(right) / n;
            return out;
        };
        result.samples = static_cast<std::int64_t>(scores.size());
        result.model = score(nll, correct);
        if (withBaseline) {
            result.baseline = score(baseNll, baseCorrect);
            result.klMean = kl / n;
            result.top1Agreement = static_cast<double>(agree) / n;
        }
    }

} // namespace

Result<EvalTask> evalTaskFor(const Model& model)
{
    const ModelConfig& config = model.config();
    if (config.head == ModelHead::LanguageModel) {
        return EvalTask::Perplexity;
    }
    if (config.head == ModelHead::ImageClassification) {
        return EvalTask::Accuracy;
    }
    return fail(ErrorCode::Input,
        "evaluate: " + model.folder().filename().string()
            + ": no held-out task for this model (perplexity needs a language model, accuracy an image classifier)");
}

Result<EvalResult> evaluate(const Model& model, const Model* baseline, const EvalData& data, const EvalOptions& options,
    const ProgressCallback& progress, const CancelToken* cancel)
{
    const auto start = std::chrono::steady_clock::now();
    auto task = evalTaskFor(model);
    if (!task) {
        return std::unexpected(task.error());
    }
    if (*task != data.task) {
        return fail(ErrorCode::Input,
            "evaluate: " + data.name + " is "
                + (data.task == EvalTask::Perplexity ? "a text (perplexity)" : "labelled images (accuracy)")
                + " but the model needs " + (*task == EvalTask::Perplexity ? "a text" : "labelled images"));
    }
    EvalResult result;
    result.task = data.task;
    result.dataName = data.name;
    std::vector<PositionScore> scores;
    const ModelConfig& config = model.config();

    if (data.task == EvalTask::Perplexity) {
        const int context = config.maxPositions;
        const auto& tokens = data.tokens;
        if (tokens.size() < 2 || context < 1) {
            return fail(ErrorCode::Input, "evaluate: " + data.name + ": fewer than 2 tokens");
        }
        std::vector<std::size_t> starts;
        for (std::size_t s = 0; s + 1 < tokens.size(); s += static_cast<std::size_t>(context)) {
            starts.push_back(s);
        }
        if (options.limit > 0 && starts.size() > static_cast<std::size_t>(options.limit)) {
            starts.resize(static_cast<std::size_t>(options.limit));
        }
        std::vector<std::size_t> offsets(starts.size() + 1, 0); // first score of each window
        for (std::size_t w = 0; w < starts.size(); ++w) {
            offsets[w + 1] = offsets[w] + std::min<std::size_t>(context, tokens.size() - 1 - starts[w]);
        }
        scores.resize(offsets.back());
        result.windows = static_cast<std::int64_t>(starts.size());
        auto ok = parallelJobs(starts.size(), progress, cancel, [&](std::size_t w) -> Result<void> {
            const std::size_t length = offsets[w + 1] - offsets[w];
            auto input = idsInput(model, std::vector<std::int32_t>(tokens.begin() + static_cast<std::ptrdiff_t>(starts[w]),
                                             tokens.begin() + static_cast<std::ptrdiff_t>(starts[w] + length)));
            if (!input) {
                return std::unexpected(input.error());
            }
            std::vector<int> targets(length);
            for (std::size_t i = 0; i < length; ++i) {
                targets[i] = tokens[starts[w] + i + 1];
                if (targets[i] < 0 || targets[i] >= config.vocabSize) {
                    return fail(ErrorCode::Input, "evaluate: token id " + std::to_string(targets[i]) + " outside the vocabulary");
                }
            }
            auto out = runChecked(model, *input, static_cast<int>(length), cancel);
            if (!out) {
                return std::unexpected(out.error());
            }
            std::optional<RunResult> base;
            if (baseline) {
                auto ran = runChecked(*baseline, *input, static_cast<int>(length), cancel);
                if (!ran) {
                    return std::unexpected(ran.error());
                }
                base = std::move(*ran);
            }
            scoreRows(*out, base ? &*base : nullptr, 0, targets, scores.data() + offsets[w]);
            return {};
        });
        if (!ok) {
            return std::unexpected(ok.error());
        }
    } else {
        const auto& images = data.images;
        std::size_t count = images.count();
        if (options.limit > 0) {
            count = std::min(count, static_cast<std::size_t>(options.limit));
        }
        if (count == 0) {
            return fail(ErrorCode::Input, "evaluate: " + data.name + ": no images");
        }
        const std::size_t imageBytes = static_cast<std::size_t>(images.width) * static_cast<std::size_t>(images.height);
        scores.resize(count);
        auto ok = parallelJobs(count, progress, cancel, [&](std::size_t i) -> Result<void> {
            RawImage raw;
            raw.width = images.width;
            raw.height = images.height;
            raw.channels = 1;
            raw.bytes.assign(images.pixels.begin() + static_cast<std::ptrdiff_t>(i * imageBytes),
                images.pixels.begin() + static_cast<std::ptrdiff_t>((i + 1) * imageBytes));
            auto pixels = imageToPixels(raw, config, data.normalization, data.name + " image " + std::to_string(i));
            if (!pixels) {
                return std::unexpected(pixels.error());
            }
            RunInput input;
            input.pixels = std::move(*pixels);
            const int label = images.labels[i];
            if (label >= config.numLabels) {
                return fail(ErrorCode::Input,
                    "evaluate: " + data.name + ": label " + std::to_string(label) + " of image " + std::to_string(i)
                        + " is outside the model's " + std::to_string(config.numLabels) + " classes");
            }
            auto out = runChecked(model, input, 1, cancel);
            if (!out) {
                return std::unexpected(out.error());
            }
            std::optional<RunResult> base;
            if (baseline) {
                auto ran = runChecked(*baseline, input, 1, cancel);
                if (!ran) {
                    return std::unexpected(ran.error());
                }
                base = std::move(*ran);
            }
            scoreRows(*out, base ? &*base : nullptr, 0, { label }, &scores[i]);
            return {};
        });
        if (!ok) {
            return std::unexpected(ok.error());
        }
    }
    summarise(scores, baseline != nullptr, data.task, result);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

} // namespace optiscope::core
