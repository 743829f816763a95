// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Hugging Face folder export of a compressed model: config.json and the tokenizer files copied
// from the base folder, and model.safetensors with the compressed weights materialised as float32
// (pruned elements are zeros, quantized ones their dequantized values), so any loader that reads
// the base model reads the export unchanged. Unchanged tensors keep their stored dtype and bytes;
// tensor names are the base checkpoint's (a tied head stays tied). Blocks removed by prune_layers
// are deleted and the rest renumbered, with the config's layer count lowered. Pruned heads stay in
// place as zeros: stock configs have one head count for every layer (COMPACT_FORMAT.md).
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/result.h"

#include <filesystem>

namespace optiscope::core {

struct HuggingFaceExportOptions {
    bool overwrite = false; // replace an existing folder; otherwise an existing target is an error
};

// The folder appears whole or not at all: it is written as a hidden sibling and renamed into
// place (an overwritten folder is moved aside first and removed after the rename).
Result<void> exportHuggingFace(
    const CompressedModel& model, const std::filesystem::path& folder, const HuggingFaceExportOptions& options = {});

} // namespace optiscope::core
