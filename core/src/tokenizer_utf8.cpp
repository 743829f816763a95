// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "unicode_tables.h"

namespace optiscope::core::unicode {

namespace {

    // Decodes one code point at bytes[pos]; returns the number of bytes consumed (≥ 1) and sets
    // cp to U+FFFD for an ill-formed sequence. The accepted second-byte ranges exclude overlongs,
    // surrogates and values above U+10FFFF, so a maximal subpart ends at the first byte that
    // could not continue a well-formed sequence.
    std::size_t decodeOne(std::string_view bytes, std::size_t pos, char32_t& cp)
    {
        const auto lead = static_cast<unsigned char>(bytes[pos]);
        if (lead < 0x80) {
            cp = lead;
            return 1;
        }
        int needed = 0;
        unsigned char lower = 0x80;
        unsigned char upper = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            needed = 1;
            cp = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            needed = 2;
            cp = lead & 0x0F;
            if (lead == 0xE0) {
                lower = 0xA0;
            } else if (lead == 0xED) {
                upper = 0x9F;
            }
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            needed = 3;
            cp = lead & 0x07;
            if (lead == 0xF0) {
                lower = 0x90;
            } else if (lead == 0xF4) {
                upper = 0x8F;
            }
        } else {
            cp = kReplacementChar;
            return 1;
        }
        std::size_t next = pos + 1;
        for (int k = 0; k < needed; ++k, ++next) {
            if (next >= bytes.size()) {
                cp = kReplacementChar;
                return next - pos;
            }
            const auto byte = static_cast<unsigned char>(bytes[next]);
            if (byte < lower || byte > upper) {
                cp = kReplacementChar;
                return next - pos;
            }
            lower = 0x80;
            upper = 0xBF;
            cp = (cp << 6) | (byte & 0x3F);
        }
        return next - pos;
    }

} // namespace

std::u32string decodeUtf8(std::string_view bytes)
{
    std::u32string out;
    out.reserve(bytes.size());
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        char32_t cp = 0;
        pos += decodeOne(bytes, pos, cp);
        out.push_back(cp);
    }
    return out;
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string encodeUtf8(std::u32string_view cps)
{
    std::string out;
    out.reserve(cps.size());
    for (char32_t cp : cps) {
        appendUtf8(out, cp);
    }
    return out;
}

bool isValidUtf8(std::string_view bytes)
{
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
            ++pos;
            continue;
        }
        char32_t cp = 0;
        const std::size_t used = decodeOne(bytes, pos, cp);
        // A well-formed U+FFFD in the input is three bytes; an ill-formed part is shorter
        // or has a different lead byte.
        if (cp == kReplacementChar && (used != 3 || static_cast<unsigned char>(bytes[pos]) != 0xEF)) {
            return false;
        }
        pos += used;
    }
    return true;
}

std::string sanitizeUtf8(std::string_view bytes)
{
    if (isValidUtf8(bytes)) {
        return std::string(bytes);
    }
    return encodeUtf8(decodeUtf8(bytes));
}

void appendNfd(std::u32string& out, char32_t cp)
{
    // Hangul syllable decomposition, Unicode §3.12.
    constexpr char32_t sBase = 0xAC00, lBase = 0x1100, vBase = 0x1161, tBase = 0x11A7;
    constexpr char32_t vCount = 21, tCount = 28, nCount = vCount * tCount, sCount = 11172;
    if (cp >= sBase && cp < sBase + sCount) {
        const char32_t index = cp - sBase;
        out.push_back(lBase + index / nCount);
        out.push_back(vBase + (index % nCount) / tCount);
        if (index % tCount != 0) {
            out.push_back(tBase + index % tCount);
        }
        return;
    }
    const std::u32string_view mapped = nfdMapping(cp);
    if (mapped.empty()) {
        out.push_back(cp);
    } else {
        out.append(mapped);
    }
}

} // namespace optiscope::core::unicode
