// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/atomic_write.h"
#include "optiscope/core/stale_temporaries.h"

#include "export_target.h"

namespace optiscope::core {

namespace fs = std::filesystem;

Result<void> writeFolderAtomically(const fs::path& folder, std::string_view field, const FolderWriter& fill)
{
    const std::string where = folder.string() + ": " + std::string(field) + ": ";
    removeStaleTemporaries(folder.parent_path().empty() ? fs::path(".") : folder.parent_path());
    const fs::path staging = detail::siblingPath(folder, "tmp");
    std::error_code ec;
    if (!fs::create_directory(staging, ec)) {
        return fail(ErrorCode::Io, where + "cannot create a folder beside it: " + ec.message());
    }
    auto result = fill(staging);
    fs::path aside;
    if (result && fs::exists(fs::symlink_status(folder, ec))) {
        aside = detail::siblingPath(folder, "old");
        fs::rename(folder, aside, ec);
        if (ec) {
            result = fail(ErrorCode::Io, where + "cannot replace the folder: " + ec.message());
            aside.clear();
        }
    }
    if (result) {
        fs::rename(staging, folder, ec);
        if (ec) {
            result = fail(ErrorCode::Io, where + "cannot create the folder: " + ec.message());
            if (!aside.empty()) {
                fs::rename(aside, folder, ec); // the previous folder comes back
                aside.clear();
            }
        }
    }
    if (!aside.empty()) {
        fs::remove_all(aside, ec);
    }
    fs::remove_all(staging, ec); // gone already after a successful rename
    return result;
}

} // namespace optiscope::core
