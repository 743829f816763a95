// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include <string>
#include <string_view>

namespace optiscope::core::unicode {

// Unicode version of the NFKC table (that of the Node/ICU the table was generated with).
const char* nfkcUnicodeVersion();

// NFKC form of cp on its own; empty if cp is NFKC-stable. Table in unicode_nfkc_table.cpp.
std::u32string_view nfkcMapping(char32_t cp);

// Code-point-wise NFKC: every code point replaced by its own NFKC form. Equals full NFKC for
// text without combining sequences that compose (e.g. "e" + U+0301 stays two code points here,
// whereas String.prototype.normalize("NFKC") composes them to U+00E9).
inline std::u32string nfkcPerCodePoint(std::u32string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    for (const char32_t cp : text) {
        const std::u32string_view mapped = nfkcMapping(cp);
        if (mapped.empty()) {
            out.push_back(cp);
        } else {
            out.append(mapped);
        }
    }
    return out;
}

} // namespace optiscope::core::unicode
