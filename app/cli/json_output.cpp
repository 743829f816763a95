// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "json_output.h"

#include "optiscope/core/atomic_write.h"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>
#include <system_error>

namespace optiscope::cli {

void appendFloat(std::string& out, float value)
{
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    char buffer[32];
    // to_chars without a precision gives the shortest round-trip form, at most max_digits10
    // significant digits.
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (ec != std::errc()) {
        out += "null";
        return;
    }
    out.append(buffer, end);
}

namespace {

    void appendRow(std::string& out, const float* values, std::size_t count)
    {
        out += '[';
        for (std::size_t i = 0; i < count; ++i) {
            if (i > 0) {
                out += ',';
            }
            appendFloat(out, values[i]);
        }
        out += ']';
    }

} // namespace

std::string logitsJson(const core::RunResult& result)
{
    const auto rows = static_cast<std::size_t>(result.logitRows);
    const auto cols = static_cast<std::size_t>(result.logitCols);
    std::string out;
    out.reserve(rows * cols * 12 + 32);
    out += "{\"logits\": [";
    for (std::size_t r = 0; r < rows; ++r) {
        out += r > 0 ? ",\n  " : "\n  ";
        appendRow(out, result.logits.data() + r * cols, cols);
    }
    out += "\n]}\n";
    return out;
}

std::string attentionsJson(const core::RunResult& result)
{
    const auto tokens = static_cast<std::size_t>(result.tokens);
    std::string out;
    out.reserve(result.attentions.size() * 12 + 64);
    out += "{\"attentions\": [";
    for (int layer = 0; layer < result.layers; ++layer) {
        out += layer > 0 ? ",\n [" : "\n [";
        for (int head = 0; head < result.heads; ++head) {
            out += head > 0 ? ",\n  [" : "\n  [";
            for (std::size_t query = 0; query < tokens; ++query) {
                if (query > 0) {
                    out += ',';
                }
                const std::size_t offset
                    = ((static_cast<std::size_t>(layer) * result.heads + head) * tokens + query) * tokens;
                appendRow(out, result.attentions.data() + offset, tokens);
            }
            out += ']';
        }
        out += ']';
    }
    out += "\n]}\n";
    return out;
}

CliResult checkOutputPath(const std::filesystem::path& path, const char* option)
{
    std::error_code ec;
    if (path.empty() || std::filesystem::is_directory(path, ec)) {
        return usageError(std::string(option) + ": '" + path.string() + "' is not a file name");
    }
    const auto parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(parent, ec)) {
        return inputError(path.string() + ": " + option + ": folder '" + parent.string() + "' does not exist");
    }
    return {};
}

CliResult writeOutputFile(const std::filesystem::path& path, const std::string& contents)
{
    auto written = core::writeFileAtomically(path, contents);
    if (!written) {
        return engineError(written.error());
    }
    return {};
}

} // namespace optiscope::cli
