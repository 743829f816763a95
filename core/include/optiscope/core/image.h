// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Image input for ViT without Qt: binary PGM (P5) and PPM (P6). Resizing is the caller's
// job; a size mismatch is an error naming the file.
#include "optiscope/core/model_config.h"
#include "optiscope/core/result.h"

#include <filesystem>
#include <vector>

namespace optiscope::core {

// Reads the image and returns [channels][imageSize][imageSize] floats normalised with
// mean 0.5 / std 0.5 (ViTImageProcessor defaults), or preprocessor_config.json values.
Result<std::vector<float>> loadImageForModel(const std::filesystem::path& imageFile, const ModelConfig& config,
    const std::filesystem::path& modelFolder);

} // namespace optiscope::core
