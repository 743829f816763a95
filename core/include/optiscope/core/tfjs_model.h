// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Reader for TensorFlow.js graph-model weights: model.json's weightsManifest plus the binary
// shards it names. Each manifest group's shards are concatenated in `paths` order and its
// weights laid out back to back in `weights` order (little-endian, no padding), as tfjs does.
#include "optiscope/core/result.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace optiscope::core {

enum class TfjsDType { Float32, Int32 };

struct TfjsTensor {
    std::string name;
    std::vector<std::int64_t> shape;
    TfjsDType dtype = TfjsDType::Float32;
    std::int64_t byteOffset = 0; // into the loaded buffer (all groups concatenated)
    std::int64_t byteCount = 0;
    std::int64_t elementCount() const;
};

class TfjsWeights {
public:
    // Parses and validates modelJson's weightsManifest and reads every shard. Errors name the
    // file and the manifest field, e.g. "model.json: weightsManifest[0].paths[6]: shard
    // 'group1-shard7of7' holds 10 bytes, manifest needs 2737832 more".
    static Result<TfjsWeights> load(const std::filesystem::path& modelJson);

    const std::vector<TfjsTensor>& tensors() const { return m_tensors; }
    const TfjsTensor* find(std::string_view name) const;
    std::int64_t totalBytes() const { return static_cast<std::int64_t>(m_buffer.size()) * 4; }
    const std::filesystem::path& path() const { return m_path; }

    // Float32 data of a tensor from this object; must be Float32 (checked).
    std::span<const float> floats(const TfjsTensor& tensor) const;
    // Int32 values of a tensor from this object; must be Int32 (checked).
    std::vector<std::int32_t> ints(const TfjsTensor& tensor) const;

    // The named float32 tensor with exactly this shape, or an error naming file and weight.
    Result<std::span<const float>> requireFloats(std::string_view name, const std::vector<std::int64_t>& shape) const;
    // The named float32 scalar (shape []).
    Result<float> requireFloatScalar(std::string_view name) const;
    // The named int32 tensor's values with exactly `count` elements.
    Result<std::vector<std::int32_t>> requireInts(std::string_view name, std::int64_t count) const;

private:
    std::filesystem::path m_path;
    std::vector<TfjsTensor> m_tensors;
    std::unordered_map<std::string, std::size_t> m_index;
    std::vector<float> m_buffer; // raw shard bytes; every tfjs dtype we accept is 4 bytes wide
};

} // namespace optiscope::core
