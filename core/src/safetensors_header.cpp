// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "safetensors_header.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>
#include <tuple>

namespace optiscope::core {

namespace {

    using nlohmann::json;

    constexpr std::size_t kMaxNameInMessage = 120;

    // nlohmann keeps the last of two equal keys; the reference implementation rejects them, and a
    // silently dropped tensor would be worse than an error. The parser callback sees every key.
    struct DuplicateKeyFinder {
        std::vector<std::set<std::string>> openObjects;
        std::string duplicate;
        bool duplicateIsTopLevel = false;

        bool operator()(int /*depth*/, json::parse_event_t event, json& parsed)
        {
            switch (event) {
            case json::parse_event_t::object_start:
                openObjects.emplace_back();
                break;
            case json::parse_event_t::object_end:
                if (!openObjects.empty()) {
                    openObjects.pop_back();
                }
                break;
            case json::parse_event_t::key:
                if (!openObjects.empty() && duplicate.empty() && parsed.is_string()) {
                    auto key = parsed.get<std::string>();
                    if (!openObjects.back().insert(key).second) {
                        duplicate = std::move(key);
                        duplicateIsTopLevel = openObjects.size() == 1;
                    }
                }
                break;
            default:
                break;
            }
            return true;
        }
    };

    std::string oneLine(std::string text)
    {
        std::replace(text.begin(), text.end(), '\n', ' ');
        std::replace(text.begin(), text.end(), '\r', ' ');
        return text;
    }

    class EntryReader {
    public:
        EntryReader(const std::string& fileName, const std::string& tensorName)
            : m_prefix(fileName + ": header: tensor " + quotedName(tensorName) + ": ")
        {
        }

        std::unexpected<Error> error(const std::string& field, const std::string& what) const
        {
            return fail(ErrorCode::Format, m_prefix + field + " " + what);
        }

    private:
        std::string m_prefix;
    };

    Result<HeaderTensor> parseEntry(
        const std::string& name, const json& entry, std::uint64_t dataBytes, const std::string& fileName)
    {
        const EntryReader reader(fileName, name);
        if (!entry.is_object()) {
            return reader.error("entry", "is not an object");
        }
        HeaderTensor tensor;
        tensor.name = name;

        const auto dtype = entry.find("dtype");
        if (dtype == entry.end()) {
            return reader.error("dtype", "is missing");
        }
        if (!dtype->is_string()) {
            return reader.error("dtype", "is not a string");
        }
        const auto parsedDtype = dtypeFromName(dtype->get_ref<const std::string&>());
        if (!parsedDtype) {
            return reader.error("dtype",
                quotedName(dtype->get_ref<const std::string&>()) + " is not one of F32, F16, BF16, I8, U8, I32");
        }
        tensor.dtype = *parsedDtype;

        const auto shape = entry.find("shape");
        if (shape == entry.end()) {
            return reader.error("shape", "is missing");
        }
        if (!shape->is_array()) {
            return reader.error("shape", "is not an array");
        }
        std::int64_t elements = 1;
        for (std::size_t axis = 0; axis < shape->size(); ++axis) {
            const json& dim = (*shape)[axis];
            const std::string where = "[" + std::to_string(axis) + "]";
            if (dim.is_number_integer() && !dim.is_number_unsigned()) {
                return reader.error("shape" + where, "is negative: " + std::to_string(dim.get<std::int64_t>()));
            }
            if (!dim.is_number_unsigned()) {
                return reader.error("shape" + where, "is not a non-negative integer");
            }
            const auto value = dim.get<std::uint64_t>();
            if (value > static_cast<std::uint64_t>(INT64_MAX)) {
                return reader.error("shape" + where, "is too large: " + std::to_string(value));
            }
            tensor.shape.push_back(static_cast<std::int64_t>(value));
            if (__builtin_mul_overflow(elements, static_cast<std::int64_t>(value), &elements)) {
                return reader.error("shape", "element count overflows int64");
            }
        }

        const auto offsets = entry.find("data_offsets");
        if (offsets == entry.end()) {
            return reader.error("data_offsets", "is missing");
        }
        if (!offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned()
            || !(*offsets)[1].is_number_unsigned()) {
            return reader.error("data_offsets", "is not [begin, end] of non-negative integers");
        }
        tensor.begin = (*offsets)[0].get<std::uint64_t>();
        tensor.end = (*offsets)[1].get<std::uint64_t>();
        const std::string range = "[" + std::to_string(tensor.begin) + ", " + std::to_string(tensor.end) + ")";
        if (tensor.begin > tensor.end) {
            return reader.error("data_offsets", range + " has begin after end");
        }
        if (tensor.end > dataBytes) {
            return reader.error(
                "data_offsets", range + " exceeds the data section of " + std::to_string(dataBytes) + " bytes");
        }
        std::uint64_t expectedBytes = 0;
        if (__builtin_mul_overflow(static_cast<std::uint64_t>(elements), dtypeSize(tensor.dtype), &expectedBytes)) {
            return reader.error("shape", "byte size overflows");
        }
        if (tensor.end - tensor.begin != expectedBytes) {
            return reader.error("data_offsets",
                range + " holds " + std::to_string(tensor.end - tensor.begin) + " bytes but shape and dtype need "
                    + std::to_string(expectedBytes));
        }
        return tensor;
    }

} // namespace

std::string quotedName(std::string_view name)
{
    std::string out = "'";
    for (std::size_t i = 0; i < name.size() && i < kMaxNameInMessage; ++i) {
        const auto c = static_cast<unsigned char>(name[i]);
        if (c < 0x20 || c == 0x7F) {
            char escaped[8];
            std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    if (name.size() > kMaxNameInMessage) {
        out += "...";
    }
    return out + "'";
}

std::optional<DType> dtypeFromName(std::string_view name)
{
    for (const DType dtype : { DType::F32, DType::F16, DType::BF16, DType::I8, DType::U8, DType::I32 }) {
        if (name == dtypeName(dtype)) {
            return dtype;
        }
    }
    return std::nullopt;
}

Result<ParsedHeader> parseSafetensorsHeader(std::string_view text, std::uint64_t dataBytes, const std::string& fileName)
{
    DuplicateKeyFinder duplicates;
    json root;
    try {
        root = json::parse(text.begin(), text.end(), std::ref(duplicates));
    } catch (const json::exception& e) {
        return fail(ErrorCode::Format, oneLine(fileName + ": header: malformed JSON: " + e.what()));
    }
    if (!duplicates.duplicate.empty()) {
        return fail(ErrorCode::Format,
            fileName + ": header: duplicate " + (duplicates.duplicateIsTopLevel ? "tensor name " : "key ")
                + quotedName(duplicates.duplicate));
    }
    if (!root.is_object()) {
        return fail(ErrorCode::Format, fileName + ": header: JSON is a " + root.type_name() + ", not an object");
    }

    ParsedHeader header;
    for (const auto& [name, entry] : root.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) {
                return fail(ErrorCode::Format, fileName + ": header: __metadata__ is not an object");
            }
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string()) {
                    return fail(ErrorCode::Format,
                        fileName + ": header: __metadata__ value for " + quotedName(key) + " is a " + value.type_name()
                            + ", not a string");
                }
                header.metadata.emplace(key, value.get<std::string>());
            }
            continue;
        }
        auto tensor = parseEntry(name, entry, dataBytes, fileName);
        if (!tensor) {
            return std::unexpected(std::move(tensor.error()));
        }
        header.tensors.push_back(std::move(*tensor));
    }

    // Half-open ranges in offset order: each must start at or after the furthest end so far.
    std::vector<const HeaderTensor*> byOffset;
    byOffset.reserve(header.tensors.size());
    for (const auto& tensor : header.tensors) {
        byOffset.push_back(&tensor);
    }
    std::sort(byOffset.begin(), byOffset.end(), [](const HeaderTensor* a, const HeaderTensor* b) {
        return std::tie(a->begin, a->end) < std::tie(b->begin, b->end);
    });
    const HeaderTensor* furthest = nullptr;
    for (const HeaderTensor* tensor : byOffset) {
        if (tensor->begin == tensor->end) {
            continue; // empty tensors occupy no bytes
        }
        if (furthest != nullptr && tensor->begin < furthest->end) {
            return fail(ErrorCode::Format,
                fileName + ": header: tensor " + quotedName(tensor->name) + " data_offsets ["
                    + std::to_string(tensor->begin) + ", " + std::to_string(tensor->end) + ") overlap "
                    + quotedName(furthest->name) + " [" + std::to_string(furthest->begin) + ", "
                    + std::to_string(furthest->end) + ")");
        }
        if (furthest == nullptr || tensor->end > furthest->end) {
            furthest = tensor;
        }
    }
    // json objects iterate in key order already; keep the guarantee explicit.
    std::sort(header.tensors.begin(), header.tensors.end(),
        [](const HeaderTensor& a, const HeaderTensor& b) { return a.name < b.name; });
    return header;
}

} // namespace optiscope::core
