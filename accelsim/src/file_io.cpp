// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/scalesim_io.h"
#include "text_util.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <system_error>

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

Result<void> writeFileAtomically(const std::filesystem::path& path, std::string_view contents)
{
    // A unique sibling name: same directory, so rename() stays on one file system and is atomic.
    static std::atomic<std::uint64_t> counter { 0 };
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    std::filesystem::path temp = path;
    temp += formatText(".tmp-{}-{}", stamp, counter.fetch_add(1));
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
