// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/wordpiece_tokenizer.h"

#include "tokenizer_io.h"
#include "unicode_tables.h"

#include <algorithm>

namespace optiscope::core {

namespace {

    using unicode::appendUtf8;

    bool isBertWhitespace(char32_t cp)
    {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || unicode::isCategoryZs(cp);
    }

    bool isBertControl(char32_t cp)
    {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        return unicode::isCategoryC(cp);
    }

    bool isBertPunctuation(char32_t cp)
    {
        // BERT counts all non-letter/number ASCII as punctuation ("^", "$", "`" are not in P*).
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        return unicode::isCategoryP(cp);
    }

    // The CJK Unified Ideographs blocks of BERT's _is_chinese_char (not Japanese kana, not Hangul).
    bool isChineseChar(char32_t cp)
    {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
            || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
            || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    // Python's str.lower() of one whitespace-free token, including the Final_Sigma context rule.
    std::u32string pythonLower(std::u32string_view token)
    {
        std::u32string out;
        out.reserve(token.size());
        for (std::size_t i = 0; i < token.size(); ++i) {
            const char32_t cp = token[i];
            if (cp == 0x03A3) {
                std::size_t j = i;
                while (j > 0 && unicode::isCaseIgnorable(token[j - 1])) {
                    --j;
                }
                bool finalSigma = j > 0 && unicode::isCasedForSigma(token[j - 1]);
                if (finalSigma) {
                    std::size_t k = i + 1;
                    while (k < token.size() && unicode::isCaseIgnorable(token[k])) {
                        ++k;
                    }
                    finalSigma = k == token.size() || !unicode::isCasedForSigma(token[k]);
                }
                out.push_back(finalSigma ? 0x03C2 : 0x03C3);
                continue;
            }
            const std::u32string_view mapped = unicode::lowerMapping(cp);
            if (mapped.empty()) {
                out.push_back(cp);
            } else {
                out.append(mapped);
            }
        }
        return out;
    }

    // NFD, then drop nonspacing marks (BERT's _run_strip_accents). Canonical reordering is
    // skipped: it only permutes combining marks, and those with ccc > 0 are Mn (dropped) except
    // for a handful of Mc characters whose relative order we keep as written.
    std::u32string stripAccents(std::u32string_view token)
    {
        std::u32string decomposed;
        for (char32_t cp : token) {
            unicode::appendNfd(decomposed, cp);
        }
        std::u32string out;
        out.reserve(decomposed.size());
        for (char32_t cp : decomposed) {
            if (!unicode::isCategoryMn(cp)) {
                out.push_back(cp);
            }
        }
        return out;
    }

    void splitOnWhitespace(std::u32string_view text, std::vector<std::u32string>& out)
    {
        std::size_t i = 0;
        while (i < text.size()) {
            while (i < text.size() && unicode::isPythonWhitespace(text[i])) {
                ++i;
            }
            std::size_t end = i;
            while (end < text.size() && !unicode::isPythonWhitespace(text[end])) {
                ++end;
            }
            if (end > i) {
                out.emplace_back(text.substr(i, end - i));
            }
            i = end;
        }
    }

    std::vector<std::u32string> basicTokens(std::string_view utf8Text, const WordPieceOptions& options)
    {
        std::u32string text;
        for (char32_t cp : unicode::decodeUtf8(utf8Text)) {
            if (options.cleanText) {
                if (cp == 0 || cp == unicode::kReplacementChar || isBertControl(cp)) {
                    continue;
                }
                if (isBertWhitespace(cp)) {
                    cp = ' ';
                }
            }
            if (options.tokenizeChineseChars && isChineseChar(cp)) {
                text.push_back(' ');
                text.push_back(cp);
                text.push_back(' ');
            } else {
                text.push_back(cp);
            }
        }
        std::vector<std::u32string> words;
        splitOnWhitespace(text, words);

        const bool strip = options.stripAccents.value_or(options.doLowerCase);
        std::vector<std::u32string> pieces;
        for (std::u32string& word : words) {
            if (options.doLowerCase) {
                word = pythonLower(word);
            }
            if (strip) {
                word = stripAccents(word);
            }
            std::u32string current;
            for (char32_t cp : word) {
                if (isBertPunctuation(cp)) {
                    if (!current.empty()) {
                        pieces.push_back(std::move(current));
                        current.clear();
                    }
                    pieces.emplace_back(1, cp);
                } else {
                    current.push_back(cp);
                }
            }
            if (!current.empty()) {
                pieces.push_back(std::move(current));
            }
        }
        // BERT re-splits " ".join(pieces) on whitespace.
        std::vector<std::u32string> result;
        for (const std::u32string& piece : pieces) {
            splitOnWhitespace(piece, result);
        }
        return result;
    }

} // namespace

Result<std::unique_ptr<WordPieceTokenizer>> WordPieceTokenizer::create(
    std::vector<std::string> vocab, WordPieceOptions options, const std::string& source)
{
    if (vocab.empty()) {
        return fail(ErrorCode::Tokenizer, source + ": vocab is empty");
    }
    if (options.maxInputCharsPerWord <= 0) {
        return fail(ErrorCode::Tokenizer, source + ": max_input_chars_per_word must be positive");
    }
    std::unique_ptr<WordPieceTokenizer> tok(new WordPieceTokenizer());
    for (std::size_t id = 0; id < vocab.size(); ++id) {
        // A repeated token maps to its last line, as BERT's load_vocab dict does.
        tok->m_tokenToId[vocab[id]] = static_cast<std::int32_t>(id);
    }
    tok->m_vocab = std::move(vocab);
    const auto find = [&](const std::string& token) {
        const auto it = tok->m_tokenToId.find(token);
        return it == tok->m_tokenToId.end() ? -1 : it->second;
    };
    tok->m_special.unk = find(options.unkToken);
    if (tok->m_special.unk < 0) {
        return fail(ErrorCode::Tokenizer, source + ": unk token " + detail::quoted(options.unkToken) + " not in vocab");
    }
    tok->m_special.cls = find("[CLS]");
    tok->m_special.sep = find("[SEP]");
    tok->m_special.pad = find("[PAD]");
    tok->m_special.mask = find("[MASK]");
    tok->m_options = std::move(options);
    return tok;
}

void WordPieceTokenizer::wordPiece(std::u32string_view word, std::vector<std::int32_t>& out) const
{
    if (word.size() > static_cast<std::size_t>(m_options.maxInputCharsPerWord)) {
        out.push_back(m_special.unk);
        return;
    }
    const std::size_t mark = out.size();
    std::size_t start = 0;
    std::string candidate;
    while (start < word.size()) {
        std::size_t end = word.size();
        std::int32_t found = -1;
        while (start < end) {
            candidate = start > 0 ? m_options.continuingSubwordPrefix : std::string();
            for (std::size_t k = start; k < end; ++k) {
                appendUtf8(candidate, word[k]);
            }
            const auto it = m_tokenToId.find(candidate);
            if (it != m_tokenToId.end()) {
                found = it->second;
                break;
            }
            --end;
        }
        if (found < 0) {
            out.resize(mark); // one unknown piece makes the whole word [UNK]
            out.push_back(m_special.unk);
            return;
        }
        out.push_back(found);
        start = end;
    }
}

std::vector<std::int32_t> WordPieceTokenizer::encode(std::string_view utf8Text) const
{
    std::vector<std::int32_t> ids;
    for (const std::u32string& word : basicTokens(utf8Text, m_options)) {
        wordPiece(word, ids);
    }
    return ids;
}

std::vector<std::string> WordPieceTokenizer::basicTokenize(std::string_view utf8Text) const
{
    std::vector<std::string> words;
    for (const std::u32string& word : basicTokens(utf8Text, m_options)) {
        words.push_back(unicode::encodeUtf8(word));
    }
    return words;
}

std::string WordPieceTokenizer::decode(const std::vector<std::int32_t>& ids) const
{
    const std::string& prefix = m_options.continuingSubwordPrefix;
    std::string text;
    for (std::int32_t id : ids) {
        if (id < 0 || id >= vocabSize()) {
            continue;
        }
        const std::string& token = m_vocab[id];
        if (!prefix.empty() && token.starts_with(prefix) && !text.empty()) {
            text += token.substr(prefix.size());
        } else {
            if (!text.empty()) {
                text.push_back(' ');
            }
            text += token;
        }
    }
    return text;
}

std::string WordPieceTokenizer::tokenLabel(std::int32_t id) const
{
    if (id < 0 || id >= vocabSize()) {
        return "<invalid id " + std::to_string(id) + ">";
    }
    return m_vocab[id];
}

Result<WordPieceOptions> readWordPieceOptions(const std::filesystem::path& tokenizerConfigJson)
{
    auto root = detail::readJsonFile(tokenizerConfigJson);
    if (!root) {
        return std::unexpected(root.error());
    }
    const std::string file = tokenizerConfigJson.filename().string();
    if (!root->is_object()) {
        return fail(ErrorCode::Tokenizer, file + ": expected a JSON object");
    }
    WordPieceOptions options;
    const auto readBool = [&](const char* key, bool& target) -> Result<void> {
        const auto it = root->find(key);
        if (it == root->end() || it->is_null()) {
            return {};
        }
        if (!it->is_boolean()) {
            return fail(ErrorCode::Tokenizer, file + ": " + key + ": expected true or false");
        }
        target = it->get<bool>();
        return {};
    };
    if (auto r = readBool("do_lower_case", options.doLowerCase); !r) {
        return std::unexpected(r.error());
    }
    if (auto r = readBool("tokenize_chinese_chars", options.tokenizeChineseChars); !r) {
        return std::unexpected(r.error());
    }
    bool strip = false;
    if (const auto it = root->find("strip_accents"); it != root->end() && !it->is_null()) {
        if (auto r = readBool("strip_accents", strip); !r) {
            return std::unexpected(r.error());
        }
        options.stripAccents = strip;
    }
    if (const auto it = root->find("unk_token"); it != root->end()) {
        if (it->is_string()) {
            options.unkToken = it->get<std::string>();
        } else if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
            options.unkToken = (*it)["content"].get<std::string>();
        } else {
            return fail(ErrorCode::Tokenizer, file + ": unk_token: expected a string");
        }
    }
    return options;
}

Result<std::unique_ptr<Tokenizer>> loadWordPieceTokenizer(
    const std::filesystem::path& vocabTxt, const WordPieceOptions& options)
{
    auto text = detail::readWholeFile(vocabTxt);
    if (!text) {
        return std::unexpected(text.error());
    }
    // Like BERT's load_vocab: readline() until EOF, each line stripped of whitespace.
    std::vector<std::string> vocab;
    std::size_t pos = 0;
    while (pos < text->size()) {
        std::size_t end = text->find('\n', pos);
        if (end == std::string::npos) {
            end = text->size();
        }
        std::string_view line = std::string_view(*text).substr(pos, end - pos);
        constexpr std::string_view kSpace = " \t\r\f\v";
        const std::size_t first = line.find_first_not_of(kSpace);
        line = first == std::string_view::npos ? std::string_view()
                                               : line.substr(first, line.find_last_not_of(kSpace) - first + 1);
        // BERT's load_vocab opens the file as UTF-8 and fails on a bad byte; a token we could never match
        // (input text is sanitized to valid UTF-8) would only hide a damaged file.
        if (!unicode::isValidUtf8(line)) {
            return fail(ErrorCode::Tokenizer,
                vocabTxt.filename().string() + ": line " + std::to_string(vocab.size() + 1) + ": invalid UTF-8");
        }
        vocab.emplace_back(line);
        pos = end + 1;
    }
    auto tok = WordPieceTokenizer::create(std::move(vocab), options, vocabTxt.filename().string());
    if (!tok) {
        return std::unexpected(tok.error());
    }
    return std::unique_ptr<Tokenizer>(std::move(*tok));
}

} // namespace optiscope::core
