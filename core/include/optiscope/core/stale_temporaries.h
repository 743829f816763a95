// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A process killed mid-write leaves its temporary behind. Every temporary we create carries the
// writer's pid, so a later writer can tell an abandoned one from one still being written:
//   files:   "<name>.tmp-<pid>-<suffix>"                     (writeFileAtomically, accelsim reports)
//   folders: ".<name>.<tmp|old|compress>-<pid>[-<suffix>]"   (staging and moved-aside export folders)
// A moved-aside folder ("old" tag or "-old" suffix) holds the previous export while the new one is
// renamed into place; if its writer died between the two renames, it is renamed back to <name>
// instead of being deleted, so the previous export survives.
#include <filesystem>

namespace optiscope::core {

// Removes (or restores, see above) the temporaries in folder whose writer pid no longer runs.
// Temporaries of live processes, including this one, are left alone. Best effort: errors are
// ignored, since a stale temporary only wastes space. Returns how many entries it handled.
int removeStaleTemporaries(const std::filesystem::path& folder);

} // namespace optiscope::core
