// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Parsing and validation of a safetensors JSON header, apart from the file mapping so the
// rules can be read in one place.
#include "optiscope/core/result.h"
#include "optiscope/core/safetensors.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optiscope::core {

struct HeaderTensor {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0; // relative to the data section
    std::uint64_t end = 0;
};

struct ParsedHeader {
    std::vector<HeaderTensor> tensors; // sorted by name
    std::map<std::string, std::string> metadata;
};

// fileName prefixes every error; dataBytes is the size of the data section after the header.
Result<ParsedHeader> parseSafetensorsHeader(
    std::string_view json, std::uint64_t dataBytes, const std::string& fileName);

// A name made safe for a one-line message: control characters escaped, long names cut.
std::string quotedName(std::string_view name);

std::optional<DType> dtypeFromName(std::string_view name);

} // namespace optiscope::core
