// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "cli_common.h"

#include "optiscope/core/model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace optiscope::cli {

namespace {

    std::string shapeText(const std::vector<std::int64_t>& shape)
    {
        std::string text = "[";
        for (std::size_t i = 0; i < shape.size(); ++i) {
            text += (i > 0 ? ", " : "") + std::to_string(shape[i]);
        }
        return text + "]";
    }

    const char* headName(core::ModelHead head)
    {
        switch (head) {
        case core::ModelHead::None:
            return "none";
        case core::ModelHead::LanguageModel:
            return "language-model";
        case core::ModelHead::MaskedLm:
            return "masked-lm";
        case core::ModelHead::SequenceClassification:
            return "sequence-classification";
        case core::ModelHead::ImageClassification:
            return "image-classification";
        }
        return "unknown";
    }

    nlohmann::json infoJson(const core::Model& model)
    {
        const core::ModelConfig& config = model.config();
        nlohmann::json json;
        json["folder"] = model.folder().string();
        json["architecture"] = core::architectureName(config.architecture);
        json["class_name"] = config.className;
        json["head"] = headName(config.head);
        json["layers"] = config.layers;
        json["heads"] = config.heads;
        json["hidden"] = config.hidden;
        json["ffn"] = config.intermediate;
        json["vocab"] = config.vocabSize;
        json["positions"] = config.maxPositions;
        if (config.architecture == core::Architecture::Vit) {
            json["image_size"] = config.imageSize;
            json["patch_size"] = config.patchSize;
            json["channels"] = config.channels;
        }
        if (config.numLabels > 0) {
            json["labels"] = config.numLabels;
        }
        json["tokenizer"] = model.tokenizer() != nullptr;
        json["parameters"] = model.parameterCount();
        nlohmann::json tensors = nlohmann::json::array();
        for (const core::TensorInfo& info : model.tensorInfos()) {
            tensors.push_back({ { "name", info.name }, { "dtype", core::dtypeName(info.storedDType) },
                { "shape", info.shape }, { "bytes", info.bytes } });
        }
        json["tensors"] = std::move(tensors);
        return json;
    }

    void printTable(const core::Model& model, std::ostream& out)
    {
        const core::ModelConfig& config = model.config();
        out << "folder:        " << model.folder().string() << '\n'
            << "architecture:  " << core::architectureName(config.architecture) << " (" << config.className << ", head "
            << headName(config.head) << ")\n"
            << "layers:        " << config.layers << '\n'
            << "heads:         " << config.heads << '\n'
            << "hidden:        " << config.hidden << '\n'
            << "ffn:           " << config.intermediate << '\n'
            << "vocab:         " << config.vocabSize << '\n'
            << "positions:     " << config.maxPositions << '\n';
        if (config.architecture == core::Architecture::Vit) {
            out << "image:         " << config.imageSize << "x" << config.imageSize << ", patch " << config.patchSize
                << ", " << config.channels << " channel(s)\n";
        }
        if (config.numLabels > 0) {
            out << "labels:        " << config.numLabels << '\n';
        }
        out << "tokenizer:     " << (model.tokenizer() != nullptr ? "yes" : "no") << '\n'
            << "parameters:    " << model.parameterCount() << '\n'
            << "tensors:       " << model.tensorInfos().size() << "\n\n";

        std::size_t nameWidth = 4;
        for (const core::TensorInfo& info : model.tensorInfos()) {
            nameWidth = std::max(nameWidth, info.name.size());
        }
        char line[512];
        const int width = static_cast<int>(std::min<std::size_t>(nameWidth, 200));
        std::snprintf(line, sizeof line, "%-*s  %-5s  %-22s  %12s\n", width, "name", "dtype", "shape", "bytes");
        out << line;
        for (const core::TensorInfo& info : model.tensorInfos()) {
            std::snprintf(line, sizeof line, "%-*s  %-5s  %-22s  %12lld\n", width, info.name.c_str(),
                core::dtypeName(info.storedDType), shapeText(info.shape).c_str(), static_cast<long long>(info.bytes));
            out << line;
        }
    }

} // namespace

std::expected<std::shared_ptr<const core::Model>, CliFailure> loadModelFolder(const std::string& folder)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) {
        return inputError(folder + ": model folder does not exist");
    }
    auto model = core::loadModel(folder);
    if (!model) {
        return engineError(model.error());
    }
    return std::move(*model);
}

CliResult runInfo(const InfoOptions& options)
{
    auto model = loadModelFolder(options.modelDir);
    if (!model) {
        return std::unexpected(model.error());
    }
    // Build the whole text first so a failure cannot leave half a table on stdout.
    std::ostringstream text;
    if (options.json) {
        text << infoJson(**model).dump(2) << '\n';
    } else {
        printTable(**model, text);
    }
    std::cout << text.str() << std::flush;
    return {};
}

} // namespace optiscope::cli
