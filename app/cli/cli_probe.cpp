// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli probe: held-out accuracy of a logistic-regression probe on USE Lite sentence
// embeddings (core/text_probe.h), for the base encoder and, with --recipe, the compressed one.
#include "cli_common.h"
#include "cli_options.h"

#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/text_probe.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace optiscope::cli {

namespace {

    namespace fs = std::filesystem;

    template <typename T> std::optional<T> parseNumber(const std::string& text)
    {
        T value {};
        const char* end = text.data() + text.size();
        auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (ec != std::errc() || ptr != end || text.empty()) {
            return std::nullopt;
        }
        return value;
    }

    // A directory stands for its *.json files (sentiment@5.0.2's test/fixtures), sorted by name.
    std::expected<std::vector<std::string>, CliFailure> dataFiles(const std::vector<std::string>& sources)
    {
        std::vector<std::string> files;
        for (const auto& source : sources) {
            std::error_code error;
            if (fs::is_directory(source, error)) {
                std::vector<std::string> found;
                for (const auto& entry : fs::directory_iterator(source, error)) {
                    if (entry.path().extension() == ".json") {
                        found.push_back(entry.path().string());
                    }
                }
                if (found.empty()) {
                    return inputError(source + ": no .json data files in the folder");
                }
                std::sort(found.begin(), found.end());
                files.insert(files.end(), found.begin(), found.end());
            } else if (fs::exists(source, error)) {
                files.push_back(source);
            } else {
                return inputError(source + ": no such file or folder (--data)");
            }
        }
        return files;
    }

    double minCosine(const std::vector<float>& a, const std::vector<float>& b, std::size_t dim)
    {
        double result = 1;
        for (std::size_t row = 0; row * dim < a.size(); ++row) {
            double dot = 0, na = 0, nb = 0;
            for (std::size_t k = row * dim; k < (row + 1) * dim; ++k) {
                dot += double(a[k]) * b[k];
                na += double(a[k]) * a[k];
                nb += double(b[k]) * b[k];
            }
            result = std::min(result, dot / std::sqrt(std::max(na * nb, 1e-300)));
        }
        return result;
    }

    struct SetReport {
        std::string file;
        int skippedBlank = 0;
        core::TextProbeResult base;
        std::optional<core::TextProbeResult> compressed;
        double minCosine = 1;
    };

} // namespace

std::expected<ParsedCommandLine, CliFailure> parseProbe(const std::vector<std::string>& args)
{
    ParsedCommandLine parsed;
    parsed.command = Command::Probe;
    ProbeOptions& options = parsed.probe;
    auto fraction = [](const std::string& option, double& target) -> ValueHandler {
        const bool l2 = option == "--l2";
        return [option, l2, &target](const std::string& value) -> std::expected<void, CliFailure> {
            const auto number = parseNumber<double>(value);
            if (!number || !std::isfinite(*number) || *number <= 0 || (!l2 && *number >= 1)) {
                return usageError("option " + option + ": '" + value + "' is not "
                    + (l2 ? "a positive number" : "a fraction in (0, 1)"));
            }
            target = *number;
            return {};
        };
    };
    auto scanned = scanOptions(args,
        { "probe", { { "--json", &options.json } },
            { { "--data",
                  [&options](const std::string& value) -> std::expected<void, CliFailure> {
                      options.data.push_back(value);
                      return {};
                  } },
                { "--recipe", storeIn(options.recipe) },
                { "--seed",
                    [&options](const std::string& value) -> std::expected<void, CliFailure> {
                        const auto seed = parseNumber<std::uint64_t>(value);
                        if (!seed) {
                            return usageError("option --seed: '" + value + "' is not a non-negative integer");
                        }
                        options.seed = *seed;
                        return {};
                    } },
                { "--l2", fraction("--l2", options.l2) },
                { "--train-fraction", fraction("--train-fraction", options.trainFraction) } } });
    if (!scanned) {
        return std::unexpected(scanned.error());
    }
    if (scanned->help) {
        return commandOnly(Command::Help);
    }
    const auto& positional = scanned->positional;
    if (positional.size() != 1) {
        return usageError(
            "probe: expected exactly one USE_LITE_DIR argument, got " + std::to_string(positional.size()));
    }
    if (options.data.empty()) {
        return usageError("probe: --data FILE.json|DIR is required");
    }
    options.modelDir = positional.front();
    return parsed;
}

CliResult runProbe(const ProbeOptions& options)
{
    std::error_code error;
    if (!fs::is_directory(options.modelDir, error)) {
        return inputError(options.modelDir + ": not a folder (expected the USE Lite package's dist/)");
    }
    auto files = dataFiles(options.data);
    if (!files) {
        return std::unexpected(files.error());
    }
    // Recipe problems are reported before the slow part.
    std::optional<core::Recipe> recipe;
    if (options.recipe) {
        auto loaded = core::loadRecipe(*options.recipe);
        if (!loaded) {
            return engineError(loaded.error());
        }
        recipe = std::move(*loaded);
    }
    std::vector<core::LabelledTexts> sets;
    for (const auto& file : *files) {
        auto texts = core::loadLabelledTexts(file);
        if (!texts) {
            return engineError(texts.error());
        }
        sets.push_back(std::move(*texts));
    }
    auto base = core::UseLiteModel::load(options.modelDir);
    if (!base) {
        return engineError(base.error());
    }
    std::optional<core::UseLiteModel> compressed;
    if (recipe) {
        auto model = base->compressed(*recipe);
        if (!model) {
            return engineError(model.error());
        }
        compressed = std::move(*model);
    }
    core::TextProbeOptions probeOptions;
    probeOptions.logistic.l2 = options.l2;
    probeOptions.seed = options.seed;
    probeOptions.trainFraction = options.trainFraction;
    const int dim = base->embeddingSize();

    std::vector<SetReport> reports;
    for (std::size_t s = 0; s < sets.size(); ++s) {
        SetReport report;
        report.file = (*files)[s];
        report.skippedBlank = sets[s].skippedBlank;
        auto embeddings = core::embedTexts(*base, sets[s].items);
        if (!embeddings) {
            return inputError(report.file + ": " + embeddings.error().message);
        }
        auto result = core::runTextProbe(*embeddings, dim, sets[s].items, probeOptions);
        if (!result) {
            return inputError(report.file + ": " + result.error().message);
        }
        report.base = std::move(*result);
        if (compressed) {
            auto compressedEmbeddings = core::embedTexts(*compressed, sets[s].items);
            if (!compressedEmbeddings) {
                return inputError(report.file + ": " + compressedEmbeddings.error().message);
            }
            auto compressedResult = core::runTextProbe(*compressedEmbeddings, dim, sets[s].items, probeOptions);
            if (!compressedResult) {
                return inputError(report.file + ": " + compressedResult.error().message);
            }
            report.compressed = std::move(*compressedResult);
            report.minCosine = minCosine(*embeddings, *compressedEmbeddings, static_cast<std::size_t>(dim));
        }
        reports.push_back(std::move(report));
    }

    if (options.json) {
        nlohmann::json out;
        out["model"] = options.modelDir;
        out["recipe"] = options.recipe ? nlohmann::json(*options.recipe) : nlohmann::json();
        out["l2"] = options.l2;
        out["seed"] = options.seed;
        out["train_fraction"] = options.trainFraction;
        out["sets"] = nlohmann::json::array();
        for (const auto& r : reports) {
            nlohmann::json row { { "file", r.file }, { "examples", r.base.examples },
                { "skipped_blank", r.skippedBlank }, { "train", r.base.trainCount }, { "held_out", r.base.testCount },
                { "base",
                    { { "train_accuracy", r.base.trainAccuracy }, { "held_out_accuracy", r.base.testAccuracy } } } };
            if (r.compressed) {
                row["compressed"] = { { "train_accuracy", r.compressed->trainAccuracy },
                    { "held_out_accuracy", r.compressed->testAccuracy }, { "min_embedding_cosine", r.minCosine } };
            }
            out["sets"].push_back(std::move(row));
        }
        std::cout << out.dump(2) << "\n" << std::flush;
        return {};
    }
    std::ostringstream text;
    char line[512];
    std::snprintf(line, sizeof line,
        "model: %s (USE Lite, %d-d embeddings)\nprobe: logistic regression, l2 %g, %.0f %% train / %.0f %% held out "
        "(seed %llu)\n",
        options.modelDir.c_str(), dim, options.l2, 100 * options.trainFraction, 100 * (1 - options.trainFraction),
        static_cast<unsigned long long>(options.seed));
    text << line;
    if (options.recipe) {
        text << "recipe: " << *options.recipe << " (" << recipe->steps.size()
             << (recipe->steps.size() == 1 ? " step)\n" : " steps)\n");
    }
    text << "data                examples  train  held_out  train_acc  held_out_acc"
         << (options.recipe ? "  recipe_held_out  delta    min_cosine" : "") << "\n";
    for (const auto& r : reports) {
        std::snprintf(line, sizeof line, "%-18s  %8d  %5d  %8d  %9.4f  %12.4f", fs::path(r.file).filename().c_str(),
            r.base.examples, r.base.trainCount, r.base.testCount, r.base.trainAccuracy, r.base.testAccuracy);
        text << line;
        if (r.compressed) {
            std::snprintf(line, sizeof line, "  %15.4f  %+7.4f  %10.6f", r.compressed->testAccuracy,
                r.compressed->testAccuracy - r.base.testAccuracy, r.minCosine);
            text << line;
        }
        text << "\n";
    }
    std::cout << text.str() << std::flush;
    return {};
}

} // namespace optiscope::cli
