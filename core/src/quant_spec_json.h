// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The quantization fields of a recipe step (RECIPE_SCHEMA.md), read from a JSON object. Shared by
// the recipe parser and parseQuantSpec (a bare spec such as the CLI's --quant).
#include "optiscope/core/compression/activation_quantization.h"
#include "optiscope/core/compression/quantization.h"
#include "optiscope/core/result.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>

namespace optiscope::core::detail {

// Reads one step's fields: records each name looked at in `used` (so unread fields can be reported)
// and words errors as "<where(field)>: <problem>".
struct FieldReader {
    const nlohmann::json& object;
    std::set<std::string>& used;
    const std::function<std::string(const std::string&)>& where;

    std::unexpected<Error> error(const std::string& field, const std::string& problem) const
    {
        return fail(ErrorCode::Config, where(field) + ": " + problem);
    }
    const nlohmann::json* find(const std::string& field)
    {
        used.insert(field);
        auto it = object.find(field);
        return it == object.end() ? nullptr : &*it;
    }
    // An integer in [lo, hi], or fallback when absent (nullopt: required).
    Result<long long> integer(
        const std::string& field, std::optional<long long> fallback, long long lo, long long hi)
    {
        const nlohmann::json* value = find(field);
        if (!value) {
            if (fallback) {
                return *fallback;
            }
            return error(field, "missing");
        }
        if (!value->is_number_integer()) {
            return error(field, "expected an integer, got " + value->dump());
        }
        // Unsigned JSON integers may exceed long long; compare them unsigned first.
        const bool tooLarge = value->is_number_unsigned()
            && value->get<unsigned long long>() > static_cast<unsigned long long>(hi);
        if (tooLarge || value->get<long long>() < lo || value->get<long long>() > hi) {
            return error(field,
                "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + value->dump());
        }
        return value->get<long long>();
    }
    Result<std::string> choice(
        const std::string& field, std::initializer_list<const char*> options, const char* fallback)
    {
        const nlohmann::json* value = find(field);
        if (!value) {
            return std::string(fallback);
        }
        std::string list;
        for (const char* option : options) {
            list += (list.empty() ? "" : ", ") + std::string(option);
            if (value->is_string() && value->get<std::string>() == option) {
                return std::string(option);
            }
        }
        return error(field, value->dump() + " is not one of " + list);
    }
};

// Fills spec from object; adds every field name it looks at to `used` and the normalised fields
// (defaults filled in) to key. Errors read "<where(field)>: <problem>".
Result<void> readQuantFields(const nlohmann::json& object, std::set<std::string>& used,
    const std::function<std::string(const std::string&)>& where, QuantSpec& spec, nlohmann::json& key);

// The fields of a quantize_activations step (compression_activation_recipe.cpp), likewise.
Result<void> readActivationFields(const nlohmann::json& object, std::set<std::string>& used,
    const std::function<std::string(const std::string&)>& where, ActivationQuantSpec& spec, nlohmann::json& key);

// The fields of an llm_int8 step ("threshold").
Result<void> readLlmInt8Fields(const nlohmann::json& object, std::set<std::string>& used,
    const std::function<std::string(const std::string&)>& where, double& threshold, nlohmann::json& key);

} // namespace optiscope::core::detail
