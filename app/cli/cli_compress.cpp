// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli compress: the model compressed by a recipe, as one folder holding both exports
// (export/hugging_face.h for the dense weights with zeros, export/compact.h for codes, sparse
// structure and quantization parameters) and the recipe itself. No writer of its own.
#include "cli_common.h"
#include "cli_options.h"

#include "optiscope/core/atomic_write.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/export/compact.h"
#include "optiscope/core/export/hugging_face.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>


namespace optiscope::cli {

namespace {

    namespace fs = std::filesystem;

    CliResult writeParts(const core::CompressedModel& model, const std::string& recipeText, const fs::path& staging)
    {
        // staging exists (empty): the Hugging Face writer replaces it with the model's files.
        if (auto ok = core::exportHuggingFace(model, staging, { .overwrite = true }); !ok) {
            return engineError(ok.error());
        }
        if (auto ok = core::exportCompact(model, staging / "compact.safetensors"); !ok) {
            return engineError(ok.error());
        }
        if (auto ok = core::writeFileAtomically(staging / "recipe.json", recipeText); !ok) {
            return engineError(ok.error());
        }
        return {};
    }

    // The folder appears whole or not at all (core::writeFolderAtomically).
    CliResult writeFolder(
        const core::CompressedModel& model, const std::string& recipeText, const CompressOptions& options)
    {
        return writeFolderAtomically(
            options.outDir, [&](const fs::path& staging) { return writeParts(model, recipeText, staging); });
    }

} // namespace

std::expected<ParsedCommandLine, CliFailure> parseCompress(const std::vector<std::string>& args)
{
    ParsedCommandLine parsed;
    parsed.command = Command::Compress;
    CompressOptions& options = parsed.compress;
    std::optional<std::string> recipe, out;
    auto scanned = scanOptions(args,
        { "compress", { { "--overwrite", &options.overwrite } },
            { { "--recipe", storeIn(recipe) }, { "--out", storeIn(out) },
                { "--calibration-text", storeIn(options.calibrationText) } } });
    if (!scanned) {
        return std::unexpected(scanned.error());
    }
    if (scanned->help) {
        return commandOnly(Command::Help);
    }
    const auto& positional = scanned->positional;
    if (positional.size() != 1) {
        return usageError(
            "compress: expected exactly one MODEL_DIR argument, got " + std::to_string(positional.size()));
    }
    if (!recipe || !out) {
        return usageError("compress: --recipe and --out are required");
    }
    options.modelDir = positional.front();
    options.recipe = *recipe;
    options.outDir = *out;
    return parsed;
}

CliResult runCompress(const CompressOptions& options)
{
    if (auto ok = checkOutTarget(options.outDir, options.overwrite, true); !ok) {
        return ok;
    }
    std::ifstream stream(options.recipe, std::ios::binary);
    if (!stream) {
        return inputError(options.recipe + ": cannot open");
    }
    std::ostringstream recipeText;
    recipeText << stream.rdbuf();
    auto recipe = core::parseRecipe(recipeText.str(), options.recipe);
    if (!recipe) {
        return engineError(recipe.error());
    }
    auto base = loadModelFolder(options.modelDir);
    if (!base) {
        return std::unexpected(base.error());
    }
    core::CalibrationData calibration;
    if (options.calibrationText) {
        auto tokens = readTextTokens(**base, *options.calibrationText);
        if (!tokens) {
            return std::unexpected(tokens.error());
        }
        calibration.sequences.push_back(std::move(*tokens));
    }
    auto model = core::applyRecipe(*base, *recipe, &calibration);
    if (!model) {
        return engineError(model.error());
    }
    if (auto ok = writeFolder(**model, recipeText.str(), options); !ok) {
        return ok;
    }
    const fs::path out(options.outDir);
    std::error_code ec;
    std::cout << "wrote " << options.outDir << ": model.safetensors (" << fs::file_size(out / "model.safetensors", ec)
              << " bytes, " << (*model)->compressedTensors().size()
              << " compressed tensors as float32), compact.safetensors ("
              << fs::file_size(out / "compact.safetensors", ec) << " bytes), recipe.json, config and tokenizer files\n";
    return {};
}

} // namespace optiscope::cli
