// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli sweep: a recipe template evaluated over the product of parameter values
// (compression/sweep.h), points in parallel on oneTBB, one CSV row per point. The CSV is rewritten
// atomically after every point, so an interrupted sweep resumes where it stopped: rows whose
// parameter values match a point are kept and the point is skipped.
#include "cli_common.h"
#include "cli_options.h"

#include "optiscope/core/atomic_write.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/sweep.h"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>

namespace optiscope::cli {

namespace {

    namespace fs = std::filesystem;

    std::expected<std::string, CliFailure> readFile(const std::string& file)
    {
        std::ifstream stream(file, std::ios::binary);
        if (!stream) {
            return inputError(file + ": cannot open");
        }
        std::ostringstream text;
        text << stream.rdbuf();
        return text.str();
    }

    // The rows already in --out; an existing file with other columns is refused rather than mixed.
    std::expected<core::CsvTable, CliFailure> existingResults(
        const std::string& file, const std::vector<std::string>& columns)
    {
        std::error_code ec;
        if (!fs::exists(file, ec)) {
            return core::CsvTable { columns, {} };
        }
        auto text = readFile(file);
        if (!text) {
            return std::unexpected(text.error());
        }
        auto table = core::parseCsv(*text, file);
        if (!table) {
            return engineError(table.error());
        }
        if (table->columns != columns) {
            std::string expected;
            for (const auto& column : columns) {
                if (column.starts_with(core::kSweepParamPrefix)) {
                    expected += (expected.empty() ? "" : ", ") + column;
                }
            }
            return inputError(file + ": --out: header differs from this sweep's columns (parameters " + expected
                + "); resume only with the same --param names, or choose another --out");
        }
        return std::move(*table);
    }

    std::string describePoint(const std::vector<core::SweepParameter>& parameters, const core::SweepPoint& point)
    {
        std::string text;
        for (std::size_t p = 0; p < parameters.size(); ++p) {
            text += (p > 0 ? ", " : "") + parameters[p].path + "=" + point.cells[p];
        }
        return text;
    }

    // Shared by the worker tasks; every member is guarded by `mutex`.
    struct SweepState {
        std::mutex mutex;
        core::CsvTable table; // header + resumed rows
        std::map<std::size_t, std::vector<std::string>> computed; // point index → row
        std::optional<CliFailure> failure;
        std::size_t done = 0;
    };

    core::Result<void> writeResults(const std::string& file, const SweepState& state)
    {
        std::string text = core::formatCsvLine(state.table.columns);
        for (const auto& row : state.table.rows) {
            text += core::formatCsvLine(row);
        }
        for (const auto& [index, row] : state.computed) {
            text += core::formatCsvLine(row);
        }
        return core::writeFileAtomically(file, text);
    }

} // namespace

std::expected<std::vector<std::int32_t>, CliFailure> readTextTokens(const core::Model& model, const std::string& file)
{
    auto text = readFile(file);
    if (!text) {
        return std::unexpected(text.error());
    }
    if (!model.tokenizer()) {
        return inputError(file + ": the model has no tokenizer to read it");
    }
    return model.tokenizer()->encode(*text);
}

std::expected<ParsedCommandLine, CliFailure> parseSweep(const std::vector<std::string>& args)
{
    ParsedCommandLine parsed;
    parsed.command = Command::Sweep;
    SweepOptions& options = parsed.sweep;
    std::optional<std::string> recipeTemplate, out, textFile;
    auto scanned = scanOptions(args,
        { "sweep", {},
            { { "--recipe-template", storeIn(recipeTemplate) }, { "--out", storeIn(out) },
                { "--text-file", storeIn(textFile) }, { "--calibration-text", storeIn(options.calibrationText) },
                { "--param",
                    [&options](const std::string& value) -> std::expected<void, CliFailure> {
                        options.params.push_back(value);
                        return {};
                    } },
                { "--threads",
                    [&options](const std::string& value) -> std::expected<void, CliFailure> {
                        int threads = 0;
                        const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), threads);
                        if (ec != std::errc() || ptr != value.data() + value.size() || threads < 1) {
                            return usageError("option --threads: '" + value + "' is not a positive integer");
                        }
                        options.threads = threads;
                        return {};
                    } } } });
    if (!scanned) {
        return std::unexpected(scanned.error());
    }
    if (scanned->help) {
        return commandOnly(Command::Help);
    }
    const auto& positional = scanned->positional;
    if (positional.size() != 1) {
        return usageError("sweep: expected exactly one MODEL_DIR argument, got " + std::to_string(positional.size()));
    }
    if (!recipeTemplate || !out || !textFile || options.params.empty()) {
        return usageError("sweep: --recipe-template, at least one --param, --out and --text-file are required");
    }
    options.modelDir = positional.front();
    options.recipeTemplate = *recipeTemplate;
    options.out = *out;
    options.textFile = *textFile;
    return parsed;
}

CliResult runSweep(const SweepOptions& options)
{
    // Everything that can be checked without the model is checked first (every point's recipe too).
    std::vector<core::SweepParameter> parameters;
    for (const auto& text : options.params) {
        auto parameter = core::parseSweepParameter(text);
        if (!parameter) {
            return inputError(options.recipeTemplate + ": " + parameter.error().message);
        }
        parameters.push_back(std::move(*parameter));
    }
    auto templateText = readFile(options.recipeTemplate);
    if (!templateText) {
        return std::unexpected(templateText.error());
    }
    auto points = core::expandSweep(*templateText, options.recipeTemplate, parameters);
    if (!points) {
        return engineError(points.error());
    }
    const fs::path outPath(options.out);
    std::error_code ec;
    if (!fs::is_directory(outPath.parent_path().empty() ? fs::path(".") : outPath.parent_path(), ec)) {
        return inputError(options.out + ": --out: parent folder does not exist");
    }
    SweepState state;
    auto existing = existingResults(options.out, core::sweepColumns(parameters));
    if (!existing) {
        return std::unexpected(existing.error());
    }
    state.table = std::move(*existing);
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < points->size(); ++i) {
        bool found = false;
        for (const auto& row : state.table.rows) {
            found = found || std::equal((*points)[i].cells.begin(), (*points)[i].cells.end(), row.begin());
        }
        if (!found) {
            pending.push_back(i);
        }
    }
    const std::size_t resumed = points->size() - pending.size();
    if (pending.empty()) {
        std::cout << "all " << points->size() << " points already in " << options.out << ": 0 computed, " << resumed
                  << " resumed\n";
        return {};
    }

    auto base = loadModelFolder(options.modelDir);
    if (!base) {
        return std::unexpected(base.error());
    }
    auto tokens = readTextTokens(**base, options.textFile);
    if (!tokens) {
        return std::unexpected(tokens.error());
    }
    // Patterns that match no tensor of this model fail here, before any point is evaluated.
    for (std::size_t index : pending) {
        const core::Recipe& recipe = (*points)[index].recipe;
        for (std::size_t s = 0; s < recipe.steps.size(); ++s) {
            if (recipe.steps[s].targets.empty()) {
                continue;
            }
            if (auto selected = core::selectTensors(**base, recipe.steps[s], recipe.fileName, s); !selected) {
                return engineError(selected.error());
            }
        }
    }
    core::CalibrationData calibration;
    if (options.calibrationText) {
        auto calibrationTokens = readTextTokens(**base, *options.calibrationText);
        if (!calibrationTokens) {
            return std::unexpected(calibrationTokens.error());
        }
        calibration.sequences.push_back(std::move(*calibrationTokens));
    }
    std::cerr << "sweep: " << points->size() << " points, " << resumed << " already in " << options.out
              << ", computing " << pending.size() << "\n";

    core::CancelToken cancel; // set by the first failure: the other points stop early
    const auto evaluatePoint = [&](std::size_t index) {
        const core::SweepPoint& point = (*points)[index];
        const auto started = std::chrono::steady_clock::now();
        std::optional<CliFailure> failure;
        std::vector<std::string> row;
        try {
            auto model = core::applyRecipe(*base, point.recipe, &calibration);
            if (!model) {
                failure = CliFailure { kExitBadInput, model.error().message };
            } else if (auto metrics = core::evaluateCompression(**model, *tokens, &cancel); !metrics) {
                failure = CliFailure { kExitBadInput,
                    options.textFile + " (" + describePoint(parameters, point) + "): " + metrics.error().message };
            } else {
                const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
                row = core::sweepRowCells(point, *metrics, elapsed.count());
            }
        } catch (const std::exception& e) {
            failure = CliFailure { kExitBadInput, std::string("internal error: ") + e.what() };
        }
        const std::lock_guard lock(state.mutex);
        if (failure) {
            if (!state.failure && !cancel.isCancelled()) {
                state.failure = failure;
            }
            cancel.cancel();
            return;
        }
        state.computed.emplace(index, std::move(row));
        if (auto ok = writeResults(options.out, state); !ok && !state.failure) {
            state.failure = CliFailure { kExitBadInput, ok.error().message };
            cancel.cancel();
        }
        ++state.done;
        const auto& cells = state.computed.at(index);
        char numbers[96];
        std::snprintf(numbers, sizeof numbers, ": perplexity %.4f, %.2f s", std::stod(cells[parameters.size()]),
            std::stod(cells[parameters.size() + core::sweepMetricColumns().size() - 1]));
        std::cerr << "sweep: " << state.done << "/" << pending.size() << " " << describePoint(parameters, point)
                  << numbers << "\n";
    };
    tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
    arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, pending.size(), 1), [&](const auto& range) {
            for (std::size_t i = range.begin(); i != range.end(); ++i) {
                if (!cancel.isCancelled()) {
                    evaluatePoint(pending[i]);
                }
            }
        });
    });
    if (state.failure) {
        return std::unexpected(*state.failure);
    }
    std::cout << "wrote " << options.out << ": " << state.table.rows.size() + state.computed.size() << " rows ("
              << state.computed.size() << " computed, " << resumed << " resumed)\n";
    return {};
}

} // namespace optiscope::cli
