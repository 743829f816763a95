// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include <expected>
#include <string>
#include <utility>

namespace optiscope::core {

enum class ErrorCode { Io, Format, Config, Shape, Tokenizer, Input, Cancelled, Internal };

// message is one line naming the file and the field, e.g.
// "model.safetensors: header: tensor 'wte.weight' offsets [0, 96) overlap 'wpe.weight'".
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message)
{
    return std::unexpected<Error>(Error { code, std::move(message) });
}

} // namespace optiscope::core
