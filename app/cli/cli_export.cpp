// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli export: the compressed model as a Hugging Face folder, a compact safetensors file
// or a SCALE-Sim study (GEMM topology + array config).
#include "cli_common.h"
#include "cli_options.h"

#include "optiscope/accelsim/scalesim_io.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/export/compact.h"
#include "optiscope/core/export/gguf.h"
#include "optiscope/core/export/hugging_face.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <system_error>


namespace optiscope::cli {

namespace {

    namespace fs = std::filesystem;

    std::expected<void, CliFailure> parseFormat(const std::string& text, ExportOptions& options)
    {
        if (text == "hf") {
            options.format = ExportFormat::HuggingFace;
        } else if (text == "compact") {
            options.format = ExportFormat::Compact;
        } else if (text == "scalesim") {
            options.format = ExportFormat::ScaleSim;
        } else if (text == "gguf" || text.starts_with("gguf:")) {
            options.format = ExportFormat::Gguf;
            options.ggufType = text == "gguf" ? "f16" : text.substr(5);
            if (options.ggufType != "f16" && options.ggufType != "q8_0" && options.ggufType != "q4_0") {
                return usageError("option --format: '" + text + "' is not gguf, gguf:f16, gguf:q8_0 or gguf:q4_0");
            }
        } else {
            return usageError("option --format: '" + text + "' is not one of hf, compact, scalesim, gguf[:type]");
        }
        return {};
    }

    std::expected<std::shared_ptr<const core::CompressedModel>, CliFailure> loadCompressed(const ExportOptions& options)
    {
        std::optional<core::Recipe> recipe;
        if (options.recipe) {
            auto parsed = core::loadRecipe(*options.recipe);
            if (!parsed) {
                return engineError(parsed.error());
            }
            recipe = std::move(*parsed);
        }
        auto base = loadModelFolder(options.modelDir);
        if (!base) {
            return std::unexpected(base.error());
        }
        if (!recipe) {
            return std::make_shared<const core::CompressedModel>(*base);
        }
        auto compressed = core::applyRecipe(*base, *recipe);
        if (!compressed) {
            return engineError(compressed.error());
        }
        return std::move(*compressed);
    }

    CliResult exportCompactFile(const core::CompressedModel& model, const ExportOptions& options)
    {
        if (auto ok = core::exportCompact(model, options.out, { .overwrite = options.overwrite }); !ok) {
            return engineError(ok.error());
        }
        std::map<std::string, int> encodings;
        for (const auto& [name, tensor] : model.compressedTensors()) {
            ++encodings[core::compactEncodingName(core::compactLayout(*tensor).encoding)];
        }
        std::error_code ec;
        std::cout << "wrote " << options.out << ": " << fs::file_size(options.out, ec) << " bytes, "
                  << model.compressedTensors().size() << " compressed tensors (";
        const char* separator = "";
        for (const auto& [encoding, count] : encodings) {
            std::cout << separator << count << " " << encoding;
            separator = ", ";
        }
        std::cout << ")\n";
        return {};
    }

    CliResult exportGgufFile(const core::CompressedModel& model, const ExportOptions& options)
    {
        auto type = core::parseGgufTensorType(options.ggufType);
        if (!type) {
            return engineError(type.error());
        }
        core::GgufExportReport report;
        core::GgufOptions gguf;
        gguf.weightType = *type;
        gguf.overwrite = options.overwrite;
        if (auto ok = core::writeGguf(model, options.out, gguf, &report); !ok) {
            return engineError(ok.error());
        }
        int fellBack = 0;
        double maxError = 0;
        for (const auto& tensor : report.tensors) {
            fellBack += tensor.fellBack ? 1 : 0;
            maxError = std::max(maxError, tensor.maxAbsError);
        }
        std::cout << "wrote " << options.out << ": " << report.fileBytes << " bytes, GGUF v" << core::kGgufVersion
                  << ", " << report.tensors.size() << " tensors, 2-D weights " << core::ggufTensorTypeName(*type);
        if (fellBack > 0) {
            std::cout << " (" << fellBack << " as F16: rows not a multiple of 32)";
        }
        std::cout << ", max |exported - compressed| " << maxError << "\n";
        return {};
    }

    CliResult writeScaleSimFiles(
        const accelsim::Workload& workload, const accelsim::ArrayConfig& config, const fs::path& dir)
    {
        if (auto ok = accelsim::writeFileAtomically(dir / "gemm_topology.csv", accelsim::formatGemmCsv(workload));
            !ok) {
            return inputError(ok.error().message);
        }
        if (auto ok = accelsim::writeScaleSimConfig(dir / "scale.cfg", config); !ok) {
            return inputError(ok.error().message);
        }
        return {};
    }

    CliResult exportScaleSim(const ExportOptions& options)
    {
        auto config = loadArrayConfig(*options.config);
        if (!config) {
            return std::unexpected(config.error());
        }
        SimulateOptions source;
        source.modelDir = options.modelDir;
        source.recipe = options.recipe;
        source.text = options.text;
        auto workload = modelWorkload(source);
        if (!workload) {
            return std::unexpected(workload.error());
        }
        const fs::path out(options.out);
        // Both files appear together.
        const CliResult written = writeFolderAtomically(
            out, [&](const fs::path& staging) { return writeScaleSimFiles(*workload, *config, staging); });
        if (!written) {
            return written;
        }
        std::cout << "wrote " << (out / "gemm_topology.csv").string() << " (" << workload->layers.size()
                  << " GEMMs) and " << (out / "scale.cfg").string() << "\nrun: python3 scalesim/scale.py -c "
                  << (out / "scale.cfg").string() << " -t " << (out / "gemm_topology.csv").string() << " -i gemm\n";
        return {};
    }

} // namespace

std::expected<ParsedCommandLine, CliFailure> parseExport(const std::vector<std::string>& args)
{
    ParsedCommandLine parsed;
    parsed.command = Command::Export;
    ExportOptions& options = parsed.exportOptions;
    std::optional<std::string> format, out;
    auto scanned = scanOptions(args,
        { "export", { { "--overwrite", &options.overwrite } },
            { { "--recipe", storeIn(options.recipe) }, { "--format", storeIn(format) }, { "--out", storeIn(out) },
                { "--text", storeIn(options.text) }, { "--config", storeIn(options.config) } } });
    if (!scanned) {
        return std::unexpected(scanned.error());
    }
    if (scanned->help) {
        return commandOnly(Command::Help);
    }
    const auto& positional = scanned->positional;
    if (positional.size() != 1) {
        return usageError("export: expected exactly one MODEL_DIR argument, got " + std::to_string(positional.size()));
    }
    if (!format || !out) {
        return usageError("export: --format and --out are required");
    }
    if (auto ok = parseFormat(*format, options); !ok) {
        return std::unexpected(ok.error());
    }
    const bool scaleSim = options.format == ExportFormat::ScaleSim;
    if (scaleSim && (!options.text || !options.config)) {
        return usageError("export: --format scalesim needs --text and --config");
    }
    if (!scaleSim && (options.text || options.config)) {
        return usageError("export: --text and --config only apply with --format scalesim");
    }
    options.modelDir = positional.front();
    options.out = *out;
    return parsed;
}

CliResult runExport(const ExportOptions& options)
{
    const bool wantsFolder
        = options.format == ExportFormat::HuggingFace || options.format == ExportFormat::ScaleSim;
    if (auto ok = checkOutTarget(options.out, options.overwrite, wantsFolder); !ok) {
        return ok;
    }
    if (options.format == ExportFormat::ScaleSim) {
        return exportScaleSim(options);
    }
    auto model = loadCompressed(options);
    if (!model) {
        return std::unexpected(model.error());
    }
    switch (options.format) {
    case ExportFormat::HuggingFace:
        if (auto ok = core::exportHuggingFace(**model, options.out, { .overwrite = options.overwrite }); !ok) {
            return engineError(ok.error());
        }
        std::cout << "wrote " << options.out
                  << " (config.json, tokenizer files, model.safetensors: " << (*model)->compressedTensors().size()
                  << " compressed tensors materialised as float32)\n";
        return {};
    case ExportFormat::Compact:
        return exportCompactFile(**model, options);
    case ExportFormat::Gguf:
        return exportGgufFile(**model, options);
    case ExportFormat::ScaleSim:
        break;
    }
    return {};
}

} // namespace optiscope::cli
