// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "cli_common.h"
#include "cli_image.h"
#include "json_output.h"

#include "optiscope/core/image.h"
#include "optiscope/core/inference.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <numeric>
#include <sstream>

namespace optiscope::cli {

namespace {

    std::string tokenLabel(const core::Model& model, std::int32_t id)
    {
        if (const core::Tokenizer* tokenizer = model.tokenizer()) {
            return "'" + tokenizer->tokenLabel(id) + "'";
        }
        return "#" + std::to_string(id);
    }

    std::string classLabel(const core::ModelConfig& config, int index)
    {
        if (index >= 0 && index < static_cast<int>(config.labels.size())) {
            return config.labels[index];
        }
        return "LABEL_" + std::to_string(index);
    }

    struct Ranked {
        int index = 0;
        float logit = 0;
        double probability = 0;
    };

    // Top entries of one logit row with their softmax probabilities.
    std::vector<Ranked> topOfRow(const float* row, int count, int keep)
    {
        const float maxLogit = *std::max_element(row, row + count);
        double sum = 0;
        for (int i = 0; i < count; ++i) {
            sum += std::exp(static_cast<double>(row[i]) - maxLogit);
        }
        std::vector<int> order(count);
        std::iota(order.begin(), order.end(), 0);
        keep = std::min(keep, count);
        std::partial_sort(order.begin(), order.begin() + keep, order.end(),
            [row](int a, int b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
        std::vector<Ranked> ranked;
        for (int i = 0; i < keep; ++i) {
            const int index = order[i];
            ranked.push_back({ index, row[index], std::exp(static_cast<double>(row[index]) - maxLogit) / sum });
        }
        return ranked;
    }

    void printRanked(std::ostream& out, const std::vector<Ranked>& ranked, const std::function<std::string(int)>& label)
    {
        char line[64];
        for (std::size_t i = 0; i < ranked.size(); ++i) {
            std::snprintf(
                line, sizeof line, "  %zu. p=%.4f logit=%9.4f  ", i + 1, ranked[i].probability, ranked[i].logit);
            out << line << label(ranked[i].index) << " (id " << ranked[i].index << ")\n";
        }
    }

    std::expected<core::RunInput, CliFailure> buildInput(const core::Model& model, const RunOptions& options)
    {
        const core::ModelConfig& config = model.config();
        const bool vit = config.architecture == core::Architecture::Vit;
        if (options.imageFile) {
            if (!vit) {
                return inputError(options.modelDir + ": config.json: architecture "
                    + core::architectureName(config.architecture) + " takes --text or --input-ids, not --image");
            }
            auto raw = decodeImageFile(*options.imageFile);
            if (!raw) {
                return std::unexpected(raw.error());
            }
            auto normalization = core::loadImageNormalization(model.folder());
            if (!normalization) {
                return engineError(normalization.error());
            }
            auto pixels = core::imageToPixels(*raw, config, *normalization, *options.imageFile);
            if (!pixels) {
                return engineError(pixels.error());
            }
            core::RunInput input;
            input.pixels = std::move(*pixels);
            return input;
        }
        if (vit) {
            return inputError(options.modelDir + ": config.json: architecture vit takes --image, not token input");
        }
        auto input = options.text ? core::textInput(model, *options.text) : core::idsInput(model, *options.inputIds);
        if (!input) {
            // The engine names the field ("text", "input ids"); the folder tells which model refused it.
            return inputError(options.modelDir + ": " + input.error().message);
        }
        return std::move(*input);
    }

    void printSummary(
        std::ostream& out, const core::Model& model, const core::RunInput& input, const core::RunResult& result)
    {
        const core::ModelConfig& config = model.config();
        out << "model:    " << model.folder().string() << " (" << config.className << ")\n";
        out << "tokens:   " << result.tokens;
        if (!input.tokenIds.empty()) {
            out << "  [";
            for (std::size_t i = 0; i < input.tokenIds.size(); ++i) {
                out << (i > 0 ? " " : "") << input.tokenIds[i];
            }
            out << "]";
        }
        out << '\n';
        const auto tokenName = [&model](int id) { return tokenLabel(model, id); };
        const auto rowPointer
            = [&result](int row) { return result.logits.data() + static_cast<std::size_t>(row) * result.logitCols; };
        switch (config.head) {
        case core::ModelHead::LanguageModel:
            out << "top-5 next-token predictions:\n";
            printRanked(out, topOfRow(rowPointer(result.logitRows - 1), result.logitCols, 5), tokenName);
            break;
        case core::ModelHead::MaskedLm: {
            const std::int32_t mask = model.tokenizer() ? model.tokenizer()->specialTokens().mask : -1;
            bool anyMask = false;
            for (std::size_t t = 0; t < input.tokenIds.size() && static_cast<int>(t) < result.logitRows; ++t) {
                if (input.tokenIds[t] == mask) {
                    anyMask = true;
                    out << "top-5 predictions for the mask at position " << t << ":\n";
                    printRanked(out, topOfRow(rowPointer(static_cast<int>(t)), result.logitCols, 5), tokenName);
                }
            }
            if (!anyMask) {
                out << "top-1 per position:";
                for (int t = 0; t < result.logitRows; ++t) {
                    out << ' ' << tokenName(topOfRow(rowPointer(t), result.logitCols, 1).front().index);
                }
                out << '\n';
            }
            break;
        }
        case core::ModelHead::SequenceClassification:
        case core::ModelHead::ImageClassification: {
            const auto ranked = topOfRow(rowPointer(0), result.logitCols, 5);
            out << "predicted label: " << classLabel(config, ranked.front().index) << '\n';
            printRanked(out, ranked, [&config](int index) { return classLabel(config, index); });
            break;
        }
        case core::ModelHead::None:
            out << "output:   last hidden state [" << result.logitRows << " x " << result.logitCols << "]\n";
            break;
        }
        if (!result.int8OutlierColumns.empty()) {
            // llm_int8 steps: input features this run kept in fp, per layer (RECIPE_SCHEMA.md).
            out << "LLM.int8 outlier columns:";
            for (const auto& [weight, columns] : result.int8OutlierColumns) {
                out << ' ' << weight << '=' << columns;
            }
            out << '\n';
        }
        char elapsed[64];
        std::snprintf(elapsed, sizeof elapsed, "elapsed:  %.2f ms\n", result.elapsedMs);
        out << elapsed;
    }

} // namespace

CliResult runRun(const RunOptions& options)
{
    // Output folders are checked before the (possibly long) forward pass.
    if (options.dumpLogits) {
        if (auto ok = checkOutputPath(*options.dumpLogits, "--dump-logits"); !ok) {
            return ok;
        }
    }
    if (options.dumpAttention) {
        if (auto ok = checkOutputPath(*options.dumpAttention, "--dump-attention"); !ok) {
            return ok;
        }
    }
    auto loaded = loadModelFolder(options.modelDir, options.recipe, options.calibrationText);
    if (!loaded) {
        return std::unexpected(loaded.error());
    }
    const core::Model& model = **loaded;
    auto input = buildInput(model, options);
    if (!input) {
        return std::unexpected(input.error());
    }
    core::CaptureOptions capture;
    capture.attention = options.dumpAttention.has_value();
    auto result = core::run(model, *input, capture);
    if (!result) {
        return engineError(result.error());
    }

    std::ostringstream summary;
    printSummary(summary, model, *input, *result);
    if (options.generateTokens) {
        core::GenerateOptions generateOptions;
        generateOptions.maxNewTokens = *options.generateTokens;
        generateOptions.topK = options.topK;
        generateOptions.temperature = options.temperature;
        generateOptions.seed = options.seed;
        auto generated = core::generate(model, input->tokenIds, generateOptions);
        if (!generated) {
            return engineError(generated.error());
        }
        const std::vector<std::int32_t> newTokens(
            generated->begin() + static_cast<std::ptrdiff_t>(std::min(input->tokenIds.size(), generated->size())),
            generated->end());
        summary << "generated " << newTokens.size() << " token(s):";
        for (std::int32_t id : newTokens) {
            summary << ' ' << id;
        }
        summary << '\n';
        if (const core::Tokenizer* tokenizer = model.tokenizer()) {
            summary << "text:     " << tokenizer->decode(*generated) << '\n';
        }
    }

    // Everything is computed before the first file is written, so bad input never leaves one behind.
    std::string logitsText = options.dumpLogits ? logitsJson(*result) : std::string();
    std::string attentionText = options.dumpAttention ? attentionsJson(*result) : std::string();
    if (options.dumpLogits) {
        if (auto ok = writeOutputFile(*options.dumpLogits, logitsText); !ok) {
            return ok;
        }
    }
    if (options.dumpAttention) {
        if (auto ok = writeOutputFile(*options.dumpAttention, attentionText); !ok) {
            return ok;
        }
    }
    std::cout << summary.str() << std::flush;
    return {};
}

} // namespace optiscope::cli
