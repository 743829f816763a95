// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/stale_temporaries.h"

#include <cerrno>
#include <charconv>
#include <optional>
#include <regex>
#include <string>
#include <system_error>
#include <vector>

#include <signal.h>
#include <unistd.h>

namespace optiscope::core {

namespace fs = std::filesystem;

namespace {

    bool processRuns(long pid)
    {
        if (pid <= 0 || pid == static_cast<long>(::getpid())) {
            return pid > 0;
        }
        // EPERM: the process exists but belongs to someone else.
        return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
    }

    std::optional<long> parsePid(const std::string& digits)
    {
        long pid = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
        if (ec != std::errc() || end != digits.data() + digits.size()) {
            return std::nullopt;
        }
        return pid;
    }

    struct Temporary {
        fs::path path;
        std::string target; // the file or folder name it was written for
        bool folder = false;
        bool movedAside = false;
    };

    std::optional<Temporary> classify(const fs::directory_entry& entry)
    {
        // Kept in step with the writers named in the header.
        static const std::regex filePattern(R"(^(.+)\.tmp-([0-9]{1,10})-[0-9A-Za-z]+$)");
        static const std::regex folderPattern(R"(^\.(.+)\.(tmp|old|compress)-([0-9]{1,10})(-[0-9A-Za-z-]+)?$)");
        const std::string name = entry.path().filename().string();
        std::error_code ec;
        std::smatch match;
        if (entry.is_directory(ec)) {
            if (!std::regex_match(name, match, folderPattern)) {
                return std::nullopt;
            }
            const auto pid = parsePid(match[3].str());
            if (!pid || processRuns(*pid)) {
                return std::nullopt;
            }
            const bool aside = match[2].str() == "old" || name.ends_with("-old");
            return Temporary { entry.path(), match[1].str(), true, aside };
        }
        if (entry.is_regular_file(ec) && std::regex_match(name, match, filePattern)) {
            const auto pid = parsePid(match[2].str());
            if (!pid || processRuns(*pid)) {
                return std::nullopt;
            }
            return Temporary { entry.path(), match[1].str(), false, false };
        }
        return std::nullopt;
    }

} // namespace

int removeStaleTemporaries(const fs::path& folder)
{
    std::error_code ec;
    std::vector<Temporary> stale;
    for (fs::directory_iterator it(folder.empty() ? fs::path(".") : folder, ec), end; !ec && it != end;
        it.increment(ec)) {
        if (auto temporary = classify(*it)) {
            stale.push_back(std::move(*temporary));
        }
    }
    int handled = 0;
    // Restores first: a dead writer's moved-aside folder is the previous export when the target is
    // gone (killed between "target -> aside" and "staging -> target").
    for (const auto& temporary : stale) {
        if (temporary.movedAside) {
            const fs::path target = temporary.path.parent_path() / temporary.target;
            if (!fs::exists(fs::symlink_status(target, ec))) {
                fs::rename(temporary.path, target, ec);
                handled += ec ? 0 : 1;
                continue;
            }
        }
        const auto removed = temporary.folder ? fs::remove_all(temporary.path, ec) : fs::remove(temporary.path, ec);
        handled += (!ec && removed > 0) ? 1 : 0;
    }
    return handled;
}

} // namespace optiscope::core
