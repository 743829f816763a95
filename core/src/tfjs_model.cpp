// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/tfjs_model.h"

#include "optiscope/core/check.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>
#include <system_error>

namespace optiscope::core {
namespace {

    std::string shapeText(const std::vector<std::int64_t>& shape)
    {
        std::string out = "[";
        for (std::size_t i = 0; i < shape.size(); ++i) {
            out += (i ? ", " : "") + std::to_string(shape[i]);
        }
        return out + "]";
    }

    // nlohmann's messages can span lines; the house rule is one line.
    std::string oneLine(std::string text)
    {
        for (char& c : text) {
            if (c == '\n' || c == '\r') {
                c = ' ';
            }
        }
        return text;
    }

    struct ManifestGroup {
        std::vector<std::string> paths;
        std::vector<TfjsTensor> weights;
        std::int64_t bytes = 0;
    };

    Result<std::vector<ManifestGroup>> parseManifest(const nlohmann::json& doc, const std::string& file)
    {
        if (!doc.is_object() || !doc.contains("weightsManifest") || !doc["weightsManifest"].is_array()) {
            return fail(ErrorCode::Format, file + ": weightsManifest: missing or not an array");
        }
        std::vector<ManifestGroup> groups;
        const auto& manifest = doc["weightsManifest"];
        for (std::size_t g = 0; g < manifest.size(); ++g) {
            const std::string field = file + ": weightsManifest[" + std::to_string(g) + "]";
            const auto& group = manifest[g];
            if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array()) {
                return fail(ErrorCode::Format, field + ".paths: missing or not an array");
            }
            if (!group.contains("weights") || !group["weights"].is_array()) {
                return fail(ErrorCode::Format, field + ".weights: missing or not an array");
            }
            ManifestGroup parsed;
            for (std::size_t p = 0; p < group["paths"].size(); ++p) {
                const auto& path = group["paths"][p];
                const std::string pathField = field + ".paths[" + std::to_string(p) + "]";
                if (!path.is_string()) {
                    return fail(ErrorCode::Format, pathField + ": not a string");
                }
                const std::filesystem::path relative(path.get<std::string>());
                // Shards must sit beside model.json: a manifest must not reach elsewhere on disk.
                if (relative.empty() || relative.is_absolute() || relative.string().find("..") != std::string::npos) {
                    return fail(ErrorCode::Format,
                        pathField + ": '" + relative.string() + "' is not a plain relative file name");
                }
                parsed.paths.push_back(relative.string());
            }
            for (std::size_t w = 0; w < group["weights"].size(); ++w) {
                const auto& weight = group["weights"][w];
                const std::string weightField = field + ".weights[" + std::to_string(w) + "]";
                if (!weight.is_object() || !weight.contains("name") || !weight["name"].is_string()) {
                    return fail(ErrorCode::Format, weightField + ".name: missing or not a string");
                }
                TfjsTensor tensor;
                tensor.name = weight["name"].get<std::string>();
                const std::string named = weightField + " ('" + tensor.name + "')";
                if (!weight.contains("shape") || !weight["shape"].is_array()) {
                    return fail(ErrorCode::Format, named + ".shape: missing or not an array");
                }
                std::int64_t elements = 1;
                for (const auto& dim : weight["shape"]) {
                    if (!dim.is_number_integer() || dim.get<std::int64_t>() < 0
                        || dim.get<std::int64_t>() > (1LL << 31)) {
                        return fail(ErrorCode::Format, named + ".shape: dimensions must be integers in [0, 2^31]");
                    }
                    tensor.shape.push_back(dim.get<std::int64_t>());
                    elements *= tensor.shape.back();
                    if (elements > (1LL << 34)) {
                        return fail(ErrorCode::Format, named + ".shape: " + shapeText(tensor.shape) + " is too large");
                    }
                }
                if (weight.contains("quantization")) {
                    return fail(ErrorCode::Format, named + ".quantization: quantized tfjs weights are not supported");
                }
                const std::string dtype = weight.contains("dtype") && weight["dtype"].is_string()
                    ? weight["dtype"].get<std::string>()
                    : std::string("(missing)");
                if (dtype == "float32") {
                    tensor.dtype = TfjsDType::Float32;
                } else if (dtype == "int32") {
                    tensor.dtype = TfjsDType::Int32;
                } else {
                    return fail(ErrorCode::Format, named + ".dtype: '" + dtype + "' is not supported (float32, int32)");
                }
                tensor.byteCount = elements * 4;
                parsed.bytes += tensor.byteCount;
                parsed.weights.push_back(std::move(tensor));
            }
            groups.push_back(std::move(parsed));
        }
        return groups;
    }

} // namespace

std::int64_t TfjsTensor::elementCount() const
{
    std::int64_t count = 1;
    for (const auto dim : shape) {
        count *= dim;
    }
    return count;
}

Result<TfjsWeights> TfjsWeights::load(const std::filesystem::path& modelJson)
{
    const std::string file = modelJson.filename().string();
    std::ifstream in(modelJson, std::ios::binary);
    if (!in) {
        return fail(ErrorCode::Io, modelJson.string() + ": cannot open");
    }
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        return fail(ErrorCode::Format, file + ": not valid JSON: " + oneLine(e.what()));
    }
    auto groups = parseManifest(doc, file);
    if (!groups) {
        return std::unexpected(groups.error());
    }

    TfjsWeights weights;
    weights.m_path = modelJson;
    // The shards' sizes bound what is allocated: a manifest claiming a shape of 10^9 x 4 floats must
    // fail on its few-byte shards before the buffer exists (found by fuzz_tfjs_manifest).
    std::int64_t totalBytes = 0;
    for (std::size_t g = 0; g < groups->size(); ++g) {
        const auto& group = (*groups)[g];
        std::int64_t shardBytes = 0;
        for (std::size_t p = 0; p < group.paths.size(); ++p) {
            std::error_code ec;
            const auto size = std::filesystem::file_size(modelJson.parent_path() / group.paths[p], ec);
            if (ec) {
                return fail(ErrorCode::Io,
                    file + ": weightsManifest[" + std::to_string(g) + "].paths[" + std::to_string(p) + "]: shard '"
                        + group.paths[p] + "' not found or unreadable");
            }
            shardBytes += static_cast<std::int64_t>(size);
        }
        if (group.bytes > shardBytes) {
            return fail(ErrorCode::Format,
                file + ": weightsManifest[" + std::to_string(g) + "]: shards hold " + std::to_string(shardBytes)
                    + " bytes but the weights need " + std::to_string(group.bytes));
        }
        totalBytes += group.bytes;
    }
    weights.m_buffer.resize(static_cast<std::size_t>(totalBytes / 4));
    auto* bytes = reinterpret_cast<char*>(weights.m_buffer.data());

    std::int64_t groupStart = 0;
    const auto folder = modelJson.parent_path();
    for (std::size_t g = 0; g < groups->size(); ++g) {
        const auto& group = (*groups)[g];
        std::int64_t filled = 0;
        for (std::size_t p = 0; p < group.paths.size(); ++p) {
            const std::string field
                = file + ": weightsManifest[" + std::to_string(g) + "].paths[" + std::to_string(p) + "]";
            const auto shardPath = folder / group.paths[p];
            std::error_code ec;
            const auto size = std::filesystem::file_size(shardPath, ec);
            if (ec) {
                return fail(ErrorCode::Io, field + ": shard '" + group.paths[p] + "' not found or unreadable");
            }
            const auto shardBytes = static_cast<std::int64_t>(size);
            if (filled + shardBytes > group.bytes) {
                return fail(ErrorCode::Format,
                    field + ": shard '" + group.paths[p] + "' holds " + std::to_string(shardBytes)
                        + " bytes, manifest needs " + std::to_string(group.bytes - filled) + " more for its weights");
            }
            std::ifstream shard(shardPath, std::ios::binary);
            if (!shard.read(bytes + groupStart + filled, static_cast<std::streamsize>(shardBytes))) {
                return fail(ErrorCode::Io, field + ": cannot read shard '" + group.paths[p] + "'");
            }
            filled += shardBytes;
        }
        if (filled != group.bytes) {
            return fail(ErrorCode::Format,
                file + ": weightsManifest[" + std::to_string(g) + "]: shards hold " + std::to_string(filled)
                    + " bytes but the weights need " + std::to_string(group.bytes));
        }
        std::int64_t offset = groupStart;
        for (auto tensor : group.weights) {
            if (weights.m_index.contains(tensor.name)) {
                return fail(ErrorCode::Format, file + ": weightsManifest: weight '" + tensor.name + "' appears twice");
            }
            tensor.byteOffset = offset;
            offset += tensor.byteCount;
            weights.m_index.emplace(tensor.name, weights.m_tensors.size());
            weights.m_tensors.push_back(std::move(tensor));
        }
        groupStart += group.bytes;
    }
    return weights;
}

const TfjsTensor* TfjsWeights::find(std::string_view name) const
{
    const auto it = m_index.find(std::string(name));
    return it == m_index.end() ? nullptr : &m_tensors[it->second];
}

std::span<const float> TfjsWeights::floats(const TfjsTensor& tensor) const
{
    OPTISCOPE_CHECK(tensor.dtype == TfjsDType::Float32 && tensor.byteOffset % 4 == 0);
    OPTISCOPE_CHECK(tensor.byteOffset + tensor.byteCount <= totalBytes());
    return { m_buffer.data() + tensor.byteOffset / 4, static_cast<std::size_t>(tensor.byteCount / 4) };
}

std::vector<std::int32_t> TfjsWeights::ints(const TfjsTensor& tensor) const
{
    OPTISCOPE_CHECK(tensor.dtype == TfjsDType::Int32 && tensor.byteOffset % 4 == 0);
    OPTISCOPE_CHECK(tensor.byteOffset + tensor.byteCount <= totalBytes());
    std::vector<std::int32_t> values(static_cast<std::size_t>(tensor.byteCount / 4));
    std::memcpy(values.data(), m_buffer.data() + tensor.byteOffset / 4, static_cast<std::size_t>(tensor.byteCount));
    return values;
}

Result<std::span<const float>> TfjsWeights::requireFloats(
    std::string_view name, const std::vector<std::int64_t>& shape) const
{
    const std::string file = m_path.filename().string();
    const TfjsTensor* tensor = find(name);
    if (!tensor) {
        return fail(ErrorCode::Format, file + ": weightsManifest: weight '" + std::string(name) + "' is missing");
    }
    if (tensor->dtype != TfjsDType::Float32) {
        return fail(ErrorCode::Format, file + ": weightsManifest: weight '" + tensor->name + "' is not float32");
    }
    if (tensor->shape != shape) {
        return fail(ErrorCode::Shape,
            file + ": weightsManifest: weight '" + tensor->name + "' has shape " + shapeText(tensor->shape)
                + ", expected " + shapeText(shape));
    }
    return floats(*tensor);
}

Result<float> TfjsWeights::requireFloatScalar(std::string_view name) const
{
    auto values = requireFloats(name, {});
    if (!values) {
        return std::unexpected(values.error());
    }
    return (*values)[0];
}

Result<std::vector<std::int32_t>> TfjsWeights::requireInts(std::string_view name, std::int64_t count) const
{
    const std::string file = m_path.filename().string();
    const TfjsTensor* tensor = find(name);
    if (!tensor) {
        return fail(ErrorCode::Format, file + ": weightsManifest: weight '" + std::string(name) + "' is missing");
    }
    if (tensor->dtype != TfjsDType::Int32 || tensor->elementCount() != count) {
        return fail(ErrorCode::Format,
            file + ": weightsManifest: weight '" + tensor->name + "' should be int32 with " + std::to_string(count)
                + " element(s)");
    }
    return ints(*tensor);
}

} // namespace optiscope::core
