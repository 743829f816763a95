// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// ViT pixel preprocessing without Qt: the front ends decode the file (QImage) and hand over
// 8-bit interleaved pixels; this checks the size and normalises like ViTImageProcessor.
#include "optiscope/core/model_config.h"
#include "optiscope/core/result.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace optiscope::core {

struct RawImage {
    int width = 0;
    int height = 0;
    int channels = 0;                // 1 (grey) or 3 (RGB)
    std::vector<std::uint8_t> bytes; // [height][width][channels]
};

struct ImageNormalization {
    std::vector<float> mean { 0.5f, 0.5f, 0.5f };
    std::vector<float> std { 0.5f, 0.5f, 0.5f };
    float rescale = 1.0f / 255.0f;
};

// Reads preprocessor_config.json (image_mean, image_std, rescale_factor) when the folder has
// one; defaults otherwise.
Result<ImageNormalization> loadImageNormalization(const std::filesystem::path& modelFolder);

// Returns [config.channels][imageSize][imageSize] floats. Grey input is replicated to 3
// channels when the model wants RGB; RGB input for a 1-channel model is an error, as is any
// size other than imageSize × imageSize. sourceName names the file in errors.
Result<std::vector<float>> imageToPixels(const RawImage& image, const ModelConfig& config,
    const ImageNormalization& normalization, const std::string& sourceName);

} // namespace optiscope::core
