// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/export/hugging_face.h"

#include "export_target.h"
#include "model_names.h"
#include "optiscope/core/atomic_write.h"
#include "optiscope/core/safetensors.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstring>
#include <fstream>
#include <system_error>

namespace optiscope::core {

namespace {

    namespace fs = std::filesystem;

    // Files a Hugging Face loader reads besides the weights; copied when the base folder has them.
    constexpr std::array kCopiedFiles { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "added_tokens.json", "vocab.json", "merges.txt", "vocab.txt", "spiece.model", "tokenizer.model",
        "sentencepiece.bpe.model", "generation_config.json", "preprocessor_config.json" };

    // Blocks removed by prune_layers are deleted from the export, the others renumbered from 0,
    // as `del model.transformer.h[i]` followed by save_pretrained does.
    struct LayerMap {
        std::vector<int> newIndex; // by old layer; -1 when removed
        int kept = 0;
        bool renumbers() const { return kept != static_cast<int>(newIndex.size()); }
    };

    LayerMap layerMap(const CompressedModel& model)
    {
        LayerMap map;
        for (int layer = 0; layer < model.config().layers; ++layer) {
            map.newIndex.push_back(model.layerSkipped(layer) ? -1 : map.kept++);
        }
        return map;
    }

    // The tensor's name in the export; empty when it belongs to a removed block.
    std::string exportedName(const std::string& name, const ModelConfig& config, const LayerMap& map)
    {
        const std::string classPrefix = detail::hfPrefix(config.architecture);
        const bool prefixed = name.starts_with(classPrefix);
        const std::string canonical = prefixed ? name.substr(classPrefix.size()) : name;
        for (int layer = 0; layer < config.layers; ++layer) {
            const std::string old = detail::layerPrefix(config, layer);
            if (canonical.starts_with(old)) {
                if (map.newIndex[layer] < 0) {
                    return {};
                }
                return (prefixed ? classPrefix : std::string()) + detail::layerPrefix(config, map.newIndex[layer])
                    + canonical.substr(old.size());
            }
        }
        return name;
    }

    // config.json with the layer count lowered (n_layer / num_hidden_layers).
    Result<void> writeRenumberedConfig(const fs::path& from, const fs::path& to, const LayerMap& map)
    {
        std::ifstream in(from, std::ios::binary);
        const auto config = nlohmann::ordered_json::parse(in, nullptr, false);
        if (!config.is_object()) {
            return fail(ErrorCode::Format, from.string() + ": not a JSON object");
        }
        if (config.value("scale_attn_by_inverse_layer_idx", false)) {
            return fail(ErrorCode::Config,
                from.string()
                    + ": scale_attn_by_inverse_layer_idx: attention scales depend on the layer index, so "
                      "removed layers cannot be expressed by renumbering");
        }
        auto updated = config;
        bool found = false;
        for (const char* key : { "n_layer", "num_hidden_layers" }) {
            if (updated.contains(key)) {
                updated[key] = map.kept;
                found = true;
            }
        }
        if (!found) {
            return fail(ErrorCode::Config, from.string() + ": no n_layer or num_hidden_layers to lower");
        }
        return writeFileAtomically(to, updated.dump(2) + "\n");
    }

    Result<void> copyFiles(const fs::path& from, const fs::path& to, const std::string& where)
    {
        std::error_code ec;
        if (!fs::is_regular_file(from / "config.json", ec)) {
            return fail(ErrorCode::Io, (from / "config.json").string() + ": base model folder has no config.json");
        }
        fs::copy_file(from / "config.json", to / "config.json", ec);
        for (const char* name : kCopiedFiles) {
            if (!ec && fs::is_regular_file(from / name)) {
                fs::copy_file(from / name, to / name, ec);
            }
        }
        if (ec) {
            return fail(ErrorCode::Io, where + ": cannot copy the base model's files: " + ec.message());
        }
        return {};
    }

    // Every stored tensor of the base, the compressed ones as float32 values.
    Result<void> writeWeights(const CompressedModel& model, const fs::path& file)
    {
        auto checkpoint = Checkpoint::open(model.folder());
        if (!checkpoint) {
            return std::unexpected(checkpoint.error());
        }
        const LayerMap map = layerMap(model);
        std::vector<TensorToWrite> tensors;
        for (const TensorInfo& info : model.tensorInfos()) {
            const std::string name = exportedName(info.name, model.config(), map);
            if (name.empty()) {
                continue;
            }
            const auto changed = model.compressedTensors().find(info.name);
            if (changed != model.compressedTensors().end()) {
                const auto& values = changed->second->values;
                tensors.push_back({ name, DType::F32, info.shape,
                    std::as_bytes(std::span<const float>(values.data(), values.size())) });
                continue;
            }
            const TensorView* view = checkpoint->find(info.name);
            if (!view) {
                return fail(ErrorCode::Format,
                    file.string() + ": tensor '" + info.name + "': missing from the base checkpoint");
            }
            tensors.push_back({ name, view->dtype, view->shape, view->bytes });
        }
        // Hugging Face's loader wants "format": "pt" in the metadata of PyTorch checkpoints.
        return writeSafetensors(file, tensors, { { "format", "pt" } });
    }

} // namespace

Result<void> exportHuggingFace(
    const CompressedModel& model, const fs::path& folder, const HuggingFaceExportOptions& options)
{
    if (auto ok = detail::checkExportTarget(folder, detail::TargetKind::Folder, options.overwrite); !ok) {
        return ok;
    }
    return writeFolderAtomically(folder, "out", [&](const fs::path& staging) {
        auto result = copyFiles(model.folder(), staging, folder.string());
        if (const LayerMap map = layerMap(model); result && map.renumbers()) {
            result = map.kept > 0
                ? writeRenumberedConfig(model.folder() / "config.json", staging / "config.json", map)
                : fail(ErrorCode::Config, folder.string() + ": every layer is removed (prune_layers), nothing to export");
        }
        if (result) {
            result = writeWeights(model, staging / "model.safetensors");
        }
        return result;
    });
}

} // namespace optiscope::core
