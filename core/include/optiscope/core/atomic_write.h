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

// Writes a whole folder or nothing: fill writes into a fresh hidden sibling folder (it exists and is
// empty when fill runs), which then replaces the target: an existing target is moved aside, the new
// one renamed into place and the old one removed; if that fails the old one comes back. Abandoned
// temporaries of dead writers beside the target are cleaned up first (stale_temporaries.h).
// Errors name the target and `field` ("--out", "out").
using FolderWriter = std::function<Result<void>(const std::filesystem::path& staging)>;
Result<void> writeFolderAtomically(const std::filesystem::path& folder, std::string_view field, const FolderWriter& fill);

} // namespace optiscope::core
