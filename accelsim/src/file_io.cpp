// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/scalesim_io.h"
#include "text_util.h"

#include <atomic>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace optiscope::accelsim {

Result<std::string> readTextFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail(ErrorCode::Io, formatText("{}: cannot open for reading", path.string()));
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        return fail(ErrorCode::Io, formatText("{}: read error", path.string()));
    }
    return std::move(buffer).str();
}

namespace {

    // A writer killed mid-write leaves "<name>.tmp-<pid>-<n>" behind; the next write of the same
    // file removes those whose pid no longer runs. Same naming as core's atomic writes
    // (optiscope/core/stale_temporaries.h), which clean whole folders; accelsim cannot use core.
    void removeStaleTemporaries(const std::filesystem::path& path)
    {
        const std::string prefix = path.filename().string() + ".tmp-";
        const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
        std::error_code ec;
        std::vector<std::filesystem::path> stale;
        for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (!name.starts_with(prefix)) {
                continue;
            }
            long pid = 0;
            const char* first = name.data() + prefix.size();
            const auto [next, error] = std::from_chars(first, name.data() + name.size(), pid);
            const bool named = error == std::errc() && next != first && *next == '-';
            // EPERM: alive but someone else's.
            if (named && pid > 0 && pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
                stale.push_back(it->path());
            }
        }
        for (const auto& file : stale) {
            std::filesystem::remove(file, ec);
        }
    }

    // Data on disk before the rename, so a crash cannot leave the new name with empty content.
    bool syncFile(const std::filesystem::path& path)
    {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return false;
        }
        const bool synced = ::fsync(fd) == 0;
        ::close(fd);
        return synced;
    }

} // namespace

Result<void> writeFileAtomically(const std::filesystem::path& path, std::string_view contents)
{
    removeStaleTemporaries(path);
    // A unique sibling name: same directory, so rename() stays on one file system and is atomic.
    static std::atomic<std::uint64_t> counter { 0 };
    std::filesystem::path temp = path;
    temp += formatText(".tmp-{}-{}", static_cast<long>(::getpid()), counter.fetch_add(1));
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) {
            return fail(ErrorCode::Io, formatText("{}: cannot create temporary file {}", path.string(), temp.string()));
        }
        out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
        out.flush();
        if (!out) {
            out.close();
            std::error_code ignored;
            std::filesystem::remove(temp, ignored);
            return fail(ErrorCode::Io, formatText("{}: write error", path.string()));
        }
    }
    if (!syncFile(temp)) {
        std::error_code ignored;
        std::filesystem::remove(temp, ignored);
        return fail(ErrorCode::Io, formatText("{}: fsync failed", path.string()));
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(temp, ignored);
        return fail(ErrorCode::Io, formatText("{}: cannot rename temporary file: {}", path.string(), ec.message()));
    }
    return {};
}

} // namespace optiscope::accelsim
