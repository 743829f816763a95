// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli eval: held-out perplexity or accuracy of a model (core/evaluate.h), and with
// --recipe the compressed model against its base (KL, top-1 agreement).
#include "cli_common.h"
#include "cli_options.h"

#include "optiscope/core/evaluate.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace optiscope::cli {

namespace {
    namespace fs = std::filesystem;

    // Named data sets are looked up above the working directory and above the executable, so the
    // CLI finds third_party_cache/ from the source tree and from the build tree.
    std::vector<fs::path> dataSearchRoots()
    {
        std::vector<fs::path> roots { fs::current_path() };
        std::error_code error;
        if (const fs::path exe = fs::read_symlink("/proc/self/exe", error); !error) {
            roots.push_back(exe.parent_path());
        }
        return roots;
    }

    const char* taskName(core::EvalTask task) { return task == core::EvalTask::Perplexity ? "perplexity" : "accuracy"; }
} // namespace

std::expected<ParsedCommandLine, CliFailure> parseEval(const std::vector<std::string>& args)
{
    ParsedCommandLine parsed;
    parsed.command = Command::Eval;
    EvalCommandOptions& options = parsed.eval;
    auto scanned = scanOptions(args,
        { "eval", { { "--json", &options.json } },
            { { "--task", storeIn(options.task) }, { "--data", storeIn(options.data) },
                { "--recipe", storeIn(options.recipe) }, { "--calibration-text", storeIn(options.calibrationText) },
                { "--limit",
                    [&options](const std::string& value) -> std::expected<void, CliFailure> {
                        std::int64_t limit = 0;
                        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
                        if (ec != std::errc() || end != value.data() + value.size() || limit <= 0) {
                            return usageError("option --limit: '" + value + "' is not a positive integer");
                        }
                        options.limit = limit;
                        return {};
                    } } } });
    if (!scanned) {
        return std::unexpected(scanned.error());
    }
    if (scanned->help) {
        return commandOnly(Command::Help);
    }
    if (scanned->positional.size() != 1) {
        return usageError(
            "eval: expected exactly one MODEL_DIR argument, got " + std::to_string(scanned->positional.size()));
    }
    if (options.task && *options.task != "perplexity" && *options.task != "accuracy") {
        return usageError("option --task: '" + *options.task + "' is not perplexity or accuracy");
    }
    options.modelDir = scanned->positional.front();
    return parsed;
}

CliResult runEval(const EvalCommandOptions& options)
{
    auto model = loadModelFolder(options.modelDir, options.recipe, options.calibrationText);
    if (!model) {
        return std::unexpected(model.error());
    }
    std::shared_ptr<const core::Model> base;
    if (options.recipe) {
        auto loaded = loadModelFolder(options.modelDir);
        if (!loaded) {
            return std::unexpected(loaded.error());
        }
        base = std::move(*loaded);
    }
    auto task = core::evalTaskFor(**model);
    if (!task) {
        return engineError(task.error());
    }
    if (options.task && *options.task != taskName(*task)) {
        return inputError(options.modelDir + ": --task " + *options.task + " does not fit this model (it is evaluated by "
            + taskName(*task) + ")");
    }
    auto data = core::loadEvalData(**model, options.data.value_or(core::defaultEvalDataName(*task)), dataSearchRoots());
    if (!data) {
        return engineError(data.error());
    }
    core::EvalOptions evalOptions;
    evalOptions.limit = options.limit;
    auto result = core::evaluate(**model, base.get(), *data, evalOptions);
    if (!result) {
        return engineError(result.error());
    }
    const bool perplexity = result->task == core::EvalTask::Perplexity;
    if (options.json) {
        auto score = [&](const core::EvalScore& s) {
            nlohmann::json out { { "value", s.value } };
            if (perplexity) {
                out["mean_nll"] = s.meanNll;
            } else {
                out["correct"] = s.correct;
            }
            return out;
        };
        nlohmann::json out { { "model", options.modelDir }, { "task", taskName(result->task) },
            { "data", result->dataName }, { "samples", result->samples }, { "seconds", result->seconds },
            { "recipe", options.recipe ? nlohmann::json(*options.recipe) : nlohmann::json() },
            { "metric", perplexity ? "perplexity" : "accuracy" }, { "result", score(result->model) } };
        if (perplexity) {
            out["windows"] = result->windows;
        }
        if (result->baseline) {
            out["baseline"] = score(*result->baseline);
            out["kl_mean"] = *result->klMean;
            out["top1_agreement"] = *result->top1Agreement;
        }
        std::cout << out.dump(2) << "\n" << std::flush;
        return {};
    }
    std::ostringstream text;
    char line[512];
    std::snprintf(line, sizeof line, "model: %s%s%s\ndata: %s (%lld %s)\n", options.modelDir.c_str(),
        options.recipe ? " with recipe " : "", options.recipe ? options.recipe->c_str() : "", result->dataName.c_str(),
        static_cast<long long>(result->samples), perplexity ? "predicted tokens" : "images");
    text << line;
    auto print = [&](const char* who, const core::EvalScore& s) {
        if (perplexity) {
            std::snprintf(line, sizeof line, "%s perplexity: %.4f (%.5f nats/token)\n", who, s.value, s.meanNll);
        } else {
            std::snprintf(line, sizeof line, "%s accuracy: %.4f (%lld / %lld)\n", who, s.value,
                static_cast<long long>(s.correct), static_cast<long long>(result->samples));
        }
        text << line;
    };
    if (result->baseline) {
        print("base", *result->baseline);
        print("compressed", result->model);
        std::snprintf(line, sizeof line, "KL(base || compressed): %.6f nats, top-1 agreement: %.4f\n", *result->klMean,
            *result->top1Agreement);
        text << line;
    } else {
        print("held-out", result->model);
    }
    std::snprintf(line, sizeof line, "time: %.2f s\n", result->seconds);
    text << line;
    std::cout << text.str() << std::flush;
    return {};
}

} // namespace optiscope::cli
