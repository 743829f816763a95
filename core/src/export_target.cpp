// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "export_target.h"
#include "optiscope/core/stale_temporaries.h"

#include <atomic>
#include <chrono>
#include <string>
#include <system_error>

#include <unistd.h>

namespace optiscope::core::detail {

namespace fs = std::filesystem;

Result<void> checkExportTarget(const fs::path& target, TargetKind kind, bool overwrite)
{
    const std::string where = target.string();
    if (target.filename().empty() || target.filename() == "." || target.filename() == "..") {
        return fail(ErrorCode::Input, where + ": out: not a file or folder name");
    }
    std::error_code ec;
    const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    if (!fs::is_directory(parent, ec)) {
        return fail(ErrorCode::Io, where + ": out: parent folder " + parent.string() + " does not exist");
    }
    // Before the existence check: a previous export interrupted mid-swap is put back first.
    removeStaleTemporaries(parent);
    const auto status = fs::symlink_status(target, ec);
    if (!fs::exists(status)) {
        return {};
    }
    if (!overwrite) {
        return fail(ErrorCode::Io, where + ": out: already exists (overwrite to replace it)");
    }
    const bool isFolder = fs::is_directory(status);
    if (kind == TargetKind::Folder && !isFolder) {
        return fail(ErrorCode::Io, where + ": out: exists and is not a folder");
    }
    if (kind == TargetKind::File && isFolder) {
        return fail(ErrorCode::Io, where + ": out: exists and is a folder");
    }
    return {};
}

fs::path siblingPath(const fs::path& target, const char* tag)
{
    static std::atomic<unsigned> counter { 0 };
    const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    std::error_code ec;
    for (;;) {
        std::string name(1, '.'); // built by appends: GCC 12 warns (-Wrestrict) on "." + string
        name += target.filename().string();
        name += '.';
        name += tag;
        name += '-' + std::to_string(::getpid()) + '-' + std::to_string(stamp) + '-' + std::to_string(counter++);
        const fs::path candidate = parent / name;
        if (!fs::exists(fs::symlink_status(candidate, ec))) {
            return candidate;
        }
    }
}

} // namespace optiscope::core::detail
