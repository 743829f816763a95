// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/safetensors.h"

#include "float_convert.h"
#include "mapped_file.h"
#include "optiscope/core/atomic_write.h"
#include "optiscope/core/check.h"
#include "safetensors_header.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <exception>
#include <fstream>
#include <set>
#include <sstream>

namespace optiscope::core {

// Tensor data is little-endian on disk and handed out without byte swapping.
static_assert(std::endian::native == std::endian::little, "safetensors views assume a little-endian host");

namespace {

    template <typename T> void widen(std::span<const std::byte> bytes, std::vector<float>& out)
    {
        // Views may sit at any byte offset, so every load goes through memcpy.
        for (std::size_t i = 0; i < out.size(); ++i) {
            T value;
            std::memcpy(&value, bytes.data() + i * sizeof(T), sizeof(T));
            if constexpr (std::is_same_v<T, float>) {
                out[i] = value;
            } else {
                out[i] = static_cast<float>(value);
            }
        }
    }

    std::uint64_t readLittleEndian64(const std::byte* data)
    {
        std::uint64_t value = 0;
        for (int i = 7; i >= 0; --i) {
            value = (value << 8) | std::to_integer<std::uint64_t>(data[i]);
        }
        return value;
    }

} // namespace

std::size_t dtypeSize(DType dtype)
{
    switch (dtype) {
    case DType::F32:
    case DType::I32:
        return 4;
    case DType::F16:
    case DType::BF16:
        return 2;
    case DType::I8:
    case DType::U8:
        return 1;
    }
    OPTISCOPE_CHECK(false);
    return 0;
}

const char* dtypeName(DType dtype)
{
    switch (dtype) {
    case DType::F32:
        return "F32";
    case DType::F16:
        return "F16";
    case DType::BF16:
        return "BF16";
    case DType::I8:
        return "I8";
    case DType::U8:
        return "U8";
    case DType::I32:
        return "I32";
    }
    OPTISCOPE_CHECK(false);
    return "";
}

std::int64_t TensorView::elementCount() const
{
    std::int64_t count = 1;
    for (const auto dim : shape) {
        count *= dim; // validated against overflow when the header was read
    }
    return count;
}

std::vector<float> toFloat32(const TensorView& view)
{
    const auto count = static_cast<std::size_t>(view.elementCount());
    OPTISCOPE_CHECK(view.bytes.size() == count * dtypeSize(view.dtype));
    std::vector<float> out(count);
    switch (view.dtype) {
    case DType::F32:
        widen<float>(view.bytes, out);
        break;
    case DType::F16:
    case DType::BF16:
        for (std::size_t i = 0; i < count; ++i) {
            std::uint16_t bits;
            std::memcpy(&bits, view.bytes.data() + 2 * i, 2);
            out[i] = view.dtype == DType::F16 ? halfToFloat(bits) : bfloat16ToFloat(bits);
        }
        break;
    case DType::I8:
        widen<std::int8_t>(view.bytes, out);
        break;
    case DType::U8:
        widen<std::uint8_t>(view.bytes, out);
        break;
    case DType::I32:
        widen<std::int32_t>(view.bytes, out);
        break;
    }
    return out;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path)
{
    // Nothing below should throw; bad_alloc on a hostile size still must not cross the API.
    try {
        const std::string fileName = path.string();
        auto mapped = MappedFile::open(path);
        if (!mapped) {
            return std::unexpected(std::move(mapped.error()));
        }
        auto mapping = std::make_shared<MappedFile>(std::move(*mapped));
        const auto bytes = mapping->bytes();
        if (bytes.size() < 8) {
            return fail(ErrorCode::Format,
                fileName + ": header length: file has " + std::to_string(bytes.size()) + " bytes, fewer than 8");
        }
        const std::uint64_t headerBytes = readLittleEndian64(bytes.data());
        const std::uint64_t available = bytes.size() - 8;
        if (headerBytes == 0) {
            return fail(ErrorCode::Format, fileName + ": header length is 0");
        }
        if (headerBytes > kMaxHeaderBytes) {
            return fail(ErrorCode::Format,
                fileName + ": header length " + std::to_string(headerBytes) + " exceeds the limit of "
                    + std::to_string(kMaxHeaderBytes) + " bytes");
        }
        if (headerBytes > available) {
            return fail(ErrorCode::Format,
                fileName + ": header length " + std::to_string(headerBytes) + " exceeds file size "
                    + std::to_string(bytes.size()));
        }
        const std::string_view headerText(reinterpret_cast<const char*>(bytes.data() + 8), headerBytes);
        const auto data = bytes.subspan(8 + headerBytes);
        auto header = parseSafetensorsHeader(headerText, data.size(), fileName);
        if (!header) {
            return std::unexpected(std::move(header.error()));
        }

        SafetensorsFile file;
        file.m_path = path;
        file.m_metadata = std::move(header->metadata);
        file.m_tensors.reserve(header->tensors.size());
        for (auto& tensor : header->tensors) {
            file.m_tensors.push_back(TensorView { std::move(tensor.name), tensor.dtype, std::move(tensor.shape),
                data.subspan(tensor.begin, tensor.end - tensor.begin) });
        }
        file.m_mapping = std::shared_ptr<const void>(mapping, mapping.get());
        return file;
    } catch (const std::exception& e) {
        return fail(ErrorCode::Internal, path.string() + ": " + e.what());
    }
}

const TensorView* SafetensorsFile::find(const std::string& name) const
{
    // m_tensors is sorted by name (see parseSafetensorsHeader).
    const auto it = std::lower_bound(m_tensors.begin(), m_tensors.end(), name,
        [](const TensorView& tensor, const std::string& key) { return tensor.name < key; });
    return it != m_tensors.end() && it->name == name ? &*it : nullptr;
}

Result<Checkpoint> Checkpoint::open(const std::filesystem::path& folder)
{
    // Nothing below should throw; bad_alloc on a hostile size still must not cross the API.
    try {
        Checkpoint checkpoint;
        auto addAll = [&checkpoint](std::shared_ptr<SafetensorsFile> file) {
            for (const auto& tensor : file->tensors()) {
                checkpoint.m_index.emplace(tensor.name, &tensor);
            }
            checkpoint.m_files.push_back(std::move(file));
        };

        std::error_code ignored;
        if (std::filesystem::is_regular_file(folder, ignored)) {
            auto file = SafetensorsFile::open(folder);
            if (!file) {
                return std::unexpected(std::move(file.error()));
            }
            addAll(std::make_shared<SafetensorsFile>(std::move(*file)));
            return checkpoint;
        }

        const auto indexPath = folder / "model.safetensors.index.json";
        const auto singlePath = folder / "model.safetensors";
        if (std::filesystem::exists(indexPath, ignored)) {
            const std::string indexName = indexPath.string();
            std::ifstream in(indexPath, std::ios::binary);
            if (!in) {
                return fail(ErrorCode::Io, indexName + ": cannot open");
            }
            std::stringstream text;
            text << in.rdbuf();
            nlohmann::json root;
            try {
                root = nlohmann::json::parse(text.str());
            } catch (const nlohmann::json::exception& e) {
                std::string message = indexName + ": malformed JSON: " + e.what();
                std::replace(message.begin(), message.end(), '\n', ' ');
                return fail(ErrorCode::Format, message);
            }
            const auto weightMap = root.is_object() ? root.find("weight_map") : root.end();
            if (!root.is_object() || weightMap == root.end() || !weightMap->is_object()) {
                return fail(ErrorCode::Format, indexName + ": weight_map is missing or not an object");
            }

            std::map<std::string, std::shared_ptr<SafetensorsFile>> shards;
            for (const auto& [tensorName, shardValue] : weightMap->items()) {
                const std::string where = indexName + ": weight_map: tensor " + quotedName(tensorName);
                if (!shardValue.is_string()) {
                    return fail(ErrorCode::Format, where + ": shard is not a string");
                }
                const auto& shardName = shardValue.get_ref<const std::string&>();
                // A shard must live in the checkpoint folder; an index must not reach elsewhere.
                const std::filesystem::path shardPath(shardName);
                if (shardName.empty() || shardPath.has_parent_path() || shardPath.is_absolute() || shardName == "."
                    || shardName == "..") {
                    return fail(ErrorCode::Format, where + ": shard " + quotedName(shardName) + " is not a file name");
                }
                auto& shard = shards[shardName];
                if (!shard) {
                    auto opened = SafetensorsFile::open(folder / shardPath);
                    if (!opened) {
                        return fail(opened.error().code,
                            where + ": shard " + quotedName(shardName) + ": " + opened.error().message);
                    }
                    shard = std::make_shared<SafetensorsFile>(std::move(*opened));
                    checkpoint.m_files.push_back(shard);
                }
                const TensorView* view = shard->find(tensorName);
                if (view == nullptr) {
                    return fail(ErrorCode::Format, where + ": not found in shard " + quotedName(shardName));
                }
                checkpoint.m_index.emplace(tensorName, view);
            }
            return checkpoint;
        }
        if (std::filesystem::exists(singlePath, ignored)) {
            auto file = SafetensorsFile::open(singlePath);
            if (!file) {
                return std::unexpected(std::move(file.error()));
            }
            addAll(std::make_shared<SafetensorsFile>(std::move(*file)));
            return checkpoint;
        }
        return fail(ErrorCode::Io, folder.string() + ": no model.safetensors or model.safetensors.index.json");
    } catch (const std::exception& e) {
        return fail(ErrorCode::Internal, folder.string() + ": " + e.what());
    }
}

const TensorView* Checkpoint::find(const std::string& name) const
{
    const auto it = m_index.find(name);
    return it != m_index.end() ? it->second : nullptr;
}

std::vector<const TensorView*> Checkpoint::tensors() const
{
    std::vector<const TensorView*> out;
    out.reserve(m_index.size());
    for (const auto& [name, view] : m_index) {
        out.push_back(view);
    }
    return out;
}

Result<void> writeSafetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
    const std::map<std::string, std::string>& metadata)
{
    // Nothing below should throw; bad_alloc on a hostile size still must not cross the API.
    try {
        const std::string fileName = path.string();
        std::vector<const TensorToWrite*> sorted;
        sorted.reserve(tensors.size());
        for (const auto& tensor : tensors) {
            sorted.push_back(&tensor);
        }
        std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->name < b->name; });

        // ordered_json so __metadata__ comes first, as the reference writer puts it.
        nlohmann::ordered_json header = nlohmann::ordered_json::object();
        if (!metadata.empty()) {
            header["__metadata__"] = metadata;
        }
        std::uint64_t offset = 0;
        for (std::size_t i = 0; i < sorted.size(); ++i) {
            const TensorToWrite& tensor = *sorted[i];
            const std::string where = fileName + ": tensor " + quotedName(tensor.name);
            if (tensor.name.empty() || tensor.name == "__metadata__") {
                return fail(ErrorCode::Input, where + ": name is reserved or empty");
            }
            if (i > 0 && sorted[i - 1]->name == tensor.name) {
                return fail(ErrorCode::Input, where + ": duplicate tensor name");
            }
            std::uint64_t expected = dtypeSize(tensor.dtype);
            for (const auto dim : tensor.shape) {
                if (dim < 0) {
                    return fail(ErrorCode::Input, where + ": shape has negative dimension " + std::to_string(dim));
                }
                if (__builtin_mul_overflow(expected, static_cast<std::uint64_t>(dim), &expected)) {
                    return fail(ErrorCode::Input, where + ": shape byte size overflows");
                }
            }
            if (tensor.bytes.size() != expected) {
                return fail(ErrorCode::Input,
                    where + ": bytes holds " + std::to_string(tensor.bytes.size()) + " bytes but shape and dtype need "
                        + std::to_string(expected));
            }
            header[tensor.name] = { { "dtype", dtypeName(tensor.dtype) }, { "shape", tensor.shape },
                { "data_offsets", { offset, offset + expected } } };
            offset += expected;
        }
        std::string headerText;
        try {
            headerText = header.dump();
        } catch (const nlohmann::json::exception& e) {
            // dump() throws on invalid UTF-8 in names or metadata.
            return fail(ErrorCode::Input, fileName + ": header: " + e.what());
        }
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        headerText.append((8 - headerText.size() % 8) % 8, ' ');

        return writeFileAtomically(path, [&](std::ostream& out) -> Result<void> {
            std::uint64_t length = headerText.size();
            char prefix[8];
            for (char& byte : prefix) {
                byte = static_cast<char>(length & 0xFF);
                length >>= 8;
            }
            out.write(prefix, 8);
            out.write(headerText.data(), static_cast<std::streamsize>(headerText.size()));
            for (const auto* tensor : sorted) {
                out.write(reinterpret_cast<const char*>(tensor->bytes.data()),
                    static_cast<std::streamsize>(tensor->bytes.size()));
            }
            return {};
        });
    } catch (const std::exception& e) {
        return fail(ErrorCode::Internal, path.string() + ": " + e.what());
    }
}

} // namespace optiscope::core
