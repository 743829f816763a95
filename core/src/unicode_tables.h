// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Unicode properties the tokenizers need, from tables generated out of Python's unicodedata
// (scripts/gen_unicode_tables.py → unicode_tables.cpp), plus UTF-8 helpers. No ICU.
#include <cstdint>
#include <string>
#include <string_view>

namespace optiscope::core::unicode {

const char* unicodeVersion();

bool isLetter(char32_t cp); // \p{L}
bool isNumber(char32_t cp); // \p{N}
bool isJsWhitespace(char32_t cp); // ECMAScript \s, as used by the GPT-2 reference encoder (JS)
bool isPythonWhitespace(char32_t cp); // Python str.isspace(), as used by str.split()
bool isCategoryC(char32_t cp); // Cc Cf Cn Co Cs
bool isCategoryZs(char32_t cp);
bool isCategoryP(char32_t cp);
bool isCategoryMn(char32_t cp);
// The two classes Python's final-sigma rule in str.lower() looks at.
bool isCasedForSigma(char32_t cp);
bool isCaseIgnorable(char32_t cp);
// Full lower-case mapping (str.lower() without the final-sigma context); empty if unchanged.
std::u32string_view lowerMapping(char32_t cp);
// Full canonical decomposition; empty if the code point does not decompose. Hangul syllables
// are not in the table (see decomposeHangul).
std::u32string_view nfdMapping(char32_t cp);

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes UTF-8 into code points. Invalid sequences become U+FFFD, one per maximal subpart
// of an ill-formed sequence (Unicode §3.9 "U+FFFD substitution of maximal subparts", the
// WHATWG Encoding Standard and Python's errors="replace" do the same), so the result is the
// same as node's TextDecoder and Python's bytes.decode("utf-8", "replace").
std::u32string decodeUtf8(std::string_view bytes);
void appendUtf8(std::string& out, char32_t cp);
std::string encodeUtf8(std::u32string_view cps);
// Replaces invalid sequences by U+FFFD as decodeUtf8 does; returns the input unchanged
// (and cheaply) when it is already valid.
std::string sanitizeUtf8(std::string_view bytes);
bool isValidUtf8(std::string_view bytes);

// Appends the canonical decomposition of cp (Hangul algorithmically, others by table).
void appendNfd(std::u32string& out, char32_t cp);

} // namespace optiscope::core::unicode
