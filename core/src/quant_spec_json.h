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
#include <set>
#include <string>

namespace optiscope::core::detail {

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
