// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/image.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <fstream>
#include <sstream>

namespace optiscope::core {

namespace {

    using nlohmann::json;

    // HF writes image_mean/image_std either as a list or as one number for all channels.
    Result<std::vector<float>> readChannelValues(
        const json& root, const char* field, const std::string& fileName, std::vector<float> fallback, bool positive)
    {
        const auto it = root.find(field);
        if (it == root.end() || it->is_null()) {
            return fallback;
        }
        std::vector<float> values;
        if (it->is_number()) {
            values.push_back(it->get<float>());
        } else if (it->is_array() && !it->empty() && it->size() <= 4) {
            for (const auto& value : *it) {
                if (!value.is_number()) {
                    return fail(ErrorCode::Config, fileName + ": field '" + field + "' holds a non-number");
                }
                values.push_back(value.get<float>());
            }
        } else {
            return fail(
                ErrorCode::Config, fileName + ": field '" + field + "' must be a number or a list of 1 to 4 numbers");
        }
        for (const float value : values) {
            if (!std::isfinite(value) || (positive && value <= 0.0f)) {
                return fail(ErrorCode::Config,
                    fileName + ": field '" + field + "' value " + std::to_string(value)
                        + (positive ? " must be finite and positive" : " must be finite"));
            }
        }
        return values;
    }

    Result<bool> readFlag(const json& root, const char* field, const std::string& fileName)
    {
        const auto it = root.find(field);
        if (it == root.end() || it->is_null()) {
            return true;
        }
        if (!it->is_boolean()) {
            return fail(ErrorCode::Config, fileName + ": field '" + field + "' must be true or false");
        }
        return it->get<bool>();
    }

    // One value per model channel. A single value applies to all channels; a grey model whose
    // config lists three equal values (the ImageNet "standard" 0.5 default) uses that value.
    Result<std::vector<float>> perChannel(
        const std::vector<float>& values, int channels, const char* field, const std::string& sourceName)
    {
        if (static_cast<int>(values.size()) == channels) {
            return values;
        }
        if (values.size() == 1) {
            return std::vector<float>(static_cast<std::size_t>(channels), values.front());
        }
        if (channels == 1 && std::all_of(values.begin(), values.end(), [&](float v) { return v == values.front(); })) {
            return std::vector<float> { values.front() };
        }
        return fail(ErrorCode::Config,
            sourceName + ": normalization " + field + " has " + std::to_string(values.size())
                + " values but the model has " + std::to_string(channels) + " channels");
    }

} // namespace

Result<ImageNormalization> loadImageNormalization(const std::filesystem::path& modelFolder)
{
    // Nothing below should throw; bad_alloc on a hostile size still must not cross the API.
    try {
        const auto path = modelFolder / "preprocessor_config.json";
        std::error_code ignored;
        if (!std::filesystem::exists(path, ignored)) {
            return ImageNormalization {};
        }
        const std::string fileName = path.string();
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return fail(ErrorCode::Io, fileName + ": cannot open");
        }
        std::stringstream text;
        text << in.rdbuf();
        json root;
        try {
            root = json::parse(text.str());
        } catch (const json::exception& e) {
            std::string message = fileName + ": malformed JSON: " + e.what();
            std::replace(message.begin(), message.end(), '\n', ' ');
            return fail(ErrorCode::Config, message);
        }
        if (!root.is_object()) {
            return fail(ErrorCode::Config, fileName + ": JSON is not an object");
        }

        const ImageNormalization defaults;
        ImageNormalization result;
        auto mean = readChannelValues(root, "image_mean", fileName, defaults.mean, false);
        if (!mean) {
            return std::unexpected(mean.error());
        }
        auto stddev = readChannelValues(root, "image_std", fileName, defaults.std, true);
        if (!stddev) {
            return std::unexpected(stddev.error());
        }
        auto rescale = readChannelValues(root, "rescale_factor", fileName, { defaults.rescale }, true);
        if (!rescale) {
            return std::unexpected(rescale.error());
        }
        if (rescale->size() != 1) {
            return fail(ErrorCode::Config, fileName + ": field 'rescale_factor' must be one number");
        }
        auto doNormalize = readFlag(root, "do_normalize", fileName);
        if (!doNormalize) {
            return std::unexpected(doNormalize.error());
        }
        auto doRescale = readFlag(root, "do_rescale", fileName);
        if (!doRescale) {
            return std::unexpected(doRescale.error());
        }
        // Switched-off steps become identities so imageToPixels needs no flags.
        result.mean = *doNormalize ? *mean : std::vector<float> { 0.0f };
        result.std = *doNormalize ? *stddev : std::vector<float> { 1.0f };
        result.rescale = *doRescale ? rescale->front() : 1.0f;
        return result;
    } catch (const std::exception& e) {
        return fail(ErrorCode::Internal, modelFolder.string() + ": " + e.what());
    }
}

Result<std::vector<float>> imageToPixels(const RawImage& image, const ModelConfig& config,
    const ImageNormalization& normalization, const std::string& sourceName)
{
    // Nothing below should throw; bad_alloc on a hostile size still must not cross the API.
    try {
        if (config.channels != 1 && config.channels != 3) {
            return fail(ErrorCode::Config,
                sourceName + ": model num_channels " + std::to_string(config.channels) + " is not 1 or 3");
        }
        if (config.imageSize <= 0) {
            return fail(ErrorCode::Config,
                sourceName + ": model image_size " + std::to_string(config.imageSize) + " is not positive");
        }
        if (image.channels != 1 && image.channels != 3) {
            return fail(
                ErrorCode::Input, sourceName + ": image channels " + std::to_string(image.channels) + " is not 1 or 3");
        }
        if (image.width != config.imageSize || image.height != config.imageSize) {
            return fail(ErrorCode::Input,
                sourceName + ": image size " + std::to_string(image.width) + "x" + std::to_string(image.height)
                    + " does not match the model's image_size " + std::to_string(config.imageSize) + "x"
                    + std::to_string(config.imageSize));
        }
        const auto pixels = static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height);
        if (image.bytes.size() != pixels * static_cast<std::size_t>(image.channels)) {
            return fail(ErrorCode::Input,
                sourceName + ": image bytes " + std::to_string(image.bytes.size()) + " do not match "
                    + std::to_string(image.width) + "x" + std::to_string(image.height) + "x"
                    + std::to_string(image.channels));
        }
        if (image.channels == 3 && config.channels == 1) {
            return fail(ErrorCode::Input, sourceName + ": image channels: RGB image for a 1-channel (grey) model");
        }
        if (!std::isfinite(normalization.rescale)) {
            return fail(ErrorCode::Config, sourceName + ": normalization rescale is not finite");
        }
        auto mean = perChannel(normalization.mean, config.channels, "mean", sourceName);
        if (!mean) {
            return std::unexpected(mean.error());
        }
        auto stddev = perChannel(normalization.std, config.channels, "std", sourceName);
        if (!stddev) {
            return std::unexpected(stddev.error());
        }
        for (const float value : *stddev) {
            if (!(value > 0.0f) || !std::isfinite(value)) {
                return fail(ErrorCode::Config,
                    sourceName + ": normalization std " + std::to_string(value) + " is not positive");
            }
        }

        // Output [channel][y][x]; the source is [y][x][channel]. Grey input feeds every channel.
        std::vector<float> out(pixels * static_cast<std::size_t>(config.channels));
        for (int channel = 0; channel < config.channels; ++channel) {
            const int sourceChannel = image.channels == 1 ? 0 : channel;
            const float channelMean = (*mean)[static_cast<std::size_t>(channel)];
            const float channelStd = (*stddev)[static_cast<std::size_t>(channel)];
            float* plane = out.data() + static_cast<std::size_t>(channel) * pixels;
            for (std::size_t i = 0; i < pixels; ++i) {
                const float value = static_cast<float>(
                    image
                        .bytes[i * static_cast<std::size_t>(image.channels) + static_cast<std::size_t>(sourceChannel)]);
                plane[i] = (value * normalization.rescale - channelMean) / channelStd;
            }
        }
        return out;
    } catch (const std::exception& e) {
        return fail(ErrorCode::Internal, sourceName + ": " + e.what());
    }
}

} // namespace optiscope::core
