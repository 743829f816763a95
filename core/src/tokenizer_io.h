// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// File reading shared by the tokenizer loaders; errors name the file.
#include "optiscope/core/result.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace optiscope::core::detail {

Result<std::string> readWholeFile(const std::filesystem::path& path);
Result<nlohmann::json> readJsonFile(const std::filesystem::path& path);
// "ab" shown with non-printable bytes escaped, for error messages.
std::string quoted(std::string_view text);

} // namespace optiscope::core::detail
