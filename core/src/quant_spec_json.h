// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The quantization fields of a recipe step (RECIPE_SCHEMA.md), read from a JSON object. Shared by
// the recipe parser and parseQuantSpec (a bare spec such as the CLI's --quant).
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

} // namespace optiscope::core::detail
