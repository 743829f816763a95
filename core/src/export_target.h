// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Checks shared by the exporters, made before any work so a bad target fails fast and leaves
// nothing behind.
#include "optiscope/core/result.h"

#include <filesystem>

namespace optiscope::core::detail {

enum class TargetKind { File, Folder };

// The parent folder must exist; an existing target is an error unless overwrite is set, and then
// it must be of the same kind.
Result<void> checkExportTarget(const std::filesystem::path& target, TargetKind kind, bool overwrite);

// A hidden sibling of target ("<parent>/.<name>.<tag>-<unique>") that does not exist yet.
std::filesystem::path siblingPath(const std::filesystem::path& target, const char* tag);

} // namespace optiscope::core::detail
