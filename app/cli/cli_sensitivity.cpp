// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli sensitivity: per-layer quantization sensitivity (core::scanLayerSensitivity).
#include "cli_common.h"
#include "cli_options.h"

#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/compression/sensitivity.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace optiscope::cli {

namespace {

    std::string describe(const core::QuantSpec& q)
    {
        std::string text = core::numberFormatName(q.format);
        if (q.format == core::NumberFormat::Int) {
            text += std::to_string(q.bits) + (q.symmetric ? " symmetric" : " asymmetric");
        }
        if (q.format == core::NumberFormat::Bfp) {
            text += " block " + std::to_string(q.blockSize) + ", " + std::to_string(q.mantissaBits) + "-bit mantissa";
        }
        const bool grouped = q.format == core::NumberFormat::Int || q.format == core::NumberFormat::Ternary
            || q.format == core::NumberFormat::Binary;
        if (grouped) {
            text += q.granularity == core::QuantGranularity::PerTensor ? " per tensor"
                : q.granularity == core::QuantGranularity::PerChannel  ? " per channel"
                                                                       : " group " + std::to_string(q.groupSize);
        }
        char bits[32];
        std::snprintf(bits, sizeof bits, " (%.3g bits/weight)", q.bitsPerElement());
        return text + bits;
    }

    nlohmann::json finiteOrNull(double value)
    {
        return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json();
    }

    std::string scanJson(const SensitivityOptions& options, const core::SensitivityScan& scan)
    {
        nlohmann::json out;
        out["model"] = options.modelDir;
        out["quant"] = nlohmann::json::parse(options.quantJson);
        out["text_file"] = options.textFile;
        out["bits_per_weight"] = scan.spec.bitsPerElement();
        out["base_perplexity"] = scan.basePerplexity;
        out["tokens_predicted"] = scan.tokensPredicted;
        out["layers"] = nlohmann::json::array();
        for (const auto& layer : scan.layers) {
            out["layers"].push_back({ { "layer", layer.layer }, { "tensors", layer.tensors },
                { "perplexity", layer.perplexity }, { "delta_perplexity", layer.perplexity - scan.basePerplexity },
                { "kl_mean", layer.klMean }, { "top1_agreement", layer.top1Agreement },
                { "weight_mse", layer.weightMse }, { "weight_sqnr_db", finiteOrNull(layer.weightSqnrDb) } });
        }
        return out.dump(2) + "\n";
    }

    std::string scanTable(const SensitivityOptions& options, const core::SensitivityScan& scan)
    {
        std::ostringstream text;
        char line[256];
        text << "model: " << options.modelDir << "\nquant: " << describe(scan.spec) << "\ntext: " << options.textFile
             << " (" << scan.tokensPredicted << " predicted tokens)\n";
        std::snprintf(line, sizeof line, "base perplexity: %.4f\n", scan.basePerplexity);
        text << line;
        text << "layer  tensors  perplexity  delta_ppl  kl_mean    top1    weight_sqnr_db\n";
        for (const auto& layer : scan.layers) {
            std::snprintf(line, sizeof line, "%5d  %7zu  %10.4f  %+9.4f  %9.6f  %6.4f  %14.2f\n", layer.layer,
                layer.tensors.size(), layer.perplexity, layer.perplexity - scan.basePerplexity, layer.klMean,
                layer.top1Agreement, layer.weightSqnrDb);
            text << line;
        }
        return text.str();
    }

} // namespace

std::expected<ParsedCommandLine, CliFailure> parseSensitivity(const std::vector<std::string>& args)
{
    ParsedCommandLine parsed;
    parsed.command = Command::Sensitivity;
    SensitivityOptions& options = parsed.sensitivity;
    std::optional<std::string> quant, textFile;
    auto scanned = scanOptions(args,
        { "sensitivity", { { "--json", &options.json } },
            { { "--quant", storeIn(quant) }, { "--text-file", storeIn(textFile) } } });
    if (!scanned) {
        return std::unexpected(scanned.error());
    }
    if (scanned->help) {
        return commandOnly(Command::Help);
    }
    const auto& positional = scanned->positional;
    if (positional.size() != 1) {
        return usageError(
            "sensitivity: expected exactly one MODEL_DIR argument, got " + std::to_string(positional.size()));
    }
    if (!quant || !textFile) {
        return usageError("sensitivity: --quant and --text-file are required");
    }
    auto spec = core::parseQuantSpec(*quant, "--quant");
    if (!spec) {
        return usageError(spec.error().message);
    }
    options.modelDir = positional.front();
    options.quant = *spec;
    options.quantJson = *quant;
    options.textFile = *textFile;
    return parsed;
}

CliResult runSensitivity(const SensitivityOptions& options)
{
    std::ifstream stream(options.textFile, std::ios::binary);
    if (!stream) {
        return inputError(options.textFile + ": cannot open");
    }
    std::ostringstream text;
    text << stream.rdbuf();
    auto model = loadModelFolder(options.modelDir);
    if (!model) {
        return std::unexpected(model.error());
    }
    if (!(*model)->tokenizer()) {
        return inputError(options.modelDir + ": model has no tokenizer to read --text-file");
    }
    const auto tokens = (*model)->tokenizer()->encode(text.str());
    auto scan = core::scanLayerSensitivity(*model, options.quant, tokens);
    if (!scan) {
        return engineError(scan.error());
    }
    std::cout << (options.json ? scanJson(options, *scan) : scanTable(options, *scan)) << std::flush;
    return {};
}

} // namespace optiscope::cli
