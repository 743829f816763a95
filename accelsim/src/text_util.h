// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace optiscope::accelsim {

// std::format is missing from GCC 12's library: a minimal stand-in that replaces each "{}" in order.
template <typename... Args> std::string formatText(std::string_view pattern, const Args&... args)
{
    std::ostringstream out;
    out.precision(12);
    auto emit = [&](const auto& arg) {
        const std::size_t at = pattern.find("{}");
        out << pattern.substr(0, at);
        if (at == std::string_view::npos) {
            pattern = {};
            return;
        }
        out << arg;
        pattern.remove_prefix(at + 2);
    };
    (emit(args), ...);
    out << pattern;
    return std::move(out).str();
}

inline std::string_view trim(std::string_view s)
{
    const auto space = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
    while (!s.empty() && space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

inline std::string toLower(std::string_view s)
{
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return out;
}

inline std::string toUpper(std::string_view s)
{
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    return out;
}

// Lines without their terminators; "\r\n" files read the same as "\n" files once each line is trimmed.
inline std::vector<std::string_view> splitLines(std::string_view text)
{
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

inline std::vector<std::string_view> splitOn(std::string_view text, char separator)
{
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + 1;
    }
}

// The whole (trimmed) text must be an integer.
inline std::optional<std::int64_t> parseInt(std::string_view text)
{
    text = trim(text);
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
    }
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc {} || ptr != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

inline std::optional<double> parseDouble(std::string_view text)
{
    text = trim(text);
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc {} || ptr != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

} // namespace optiscope::accelsim
