// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Same shape as optiscope::core::Result, declared here because accelsim may not depend on core.
#include <expected>
#include <string>
#include <utility>

namespace optiscope::accelsim {

enum class ErrorCode { Io, Format, Config, Shape, Input, TooLarge, Internal };

// message is one line naming the file (or source) and the field, e.g.
// "scale.cfg: [architecture_presets] ArrayHeight: must be a positive integer, got '0'".
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
};

template <typename T> using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message)
{
    return std::unexpected<Error>(Error { code, std::move(message) });
}

} // namespace optiscope::accelsim
