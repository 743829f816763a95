// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Writes a whole file or nothing: the content goes to a temporary file in the target's folder
// (same file system, so the rename is atomic), is fsync'ed, then renamed over the target. On any
// failure -- the callback's error, an exception, a full disk -- the temporary file is removed and
// the previous target, if any, is left untouched.
#include "optiscope/core/result.h"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <ostream>
#include <span>
#include <string_view>

namespace optiscope::core {

// Writes the content to the stream; a returned error aborts the whole write. Stream failures
// (badbit) are detected by writeFileAtomically itself.
using StreamWriter = std::function<Result<void>(std::ostream&)>;

Result<void> writeFileAtomically(const std::filesystem::path& path, const StreamWriter& write);

// Convenience: the file's bytes given as consecutive chunks.
Result<void> writeFileAtomically(const std::filesystem::path& path, std::span<const std::span<const std::byte>> chunks);
Result<void> writeFileAtomically(const std::filesystem::path& path, std::string_view contents);

} // namespace optiscope::core
