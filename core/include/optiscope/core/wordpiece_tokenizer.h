// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// BERT WordPiece, token for token the same as Google BERT's tokenization.py (FullTokenizer):
// BasicTokenizer (clean text, CJK split, str.lower() + NFD accent stripping, punctuation
// split) then greedy longest-match-first WordPiece. Differences from HF BertTokenizer, on
// purpose: no NFC normalisation of the input, and special tokens such as "[CLS]" written in
// the text are split like any other text (encode() never adds special tokens). Invalid UTF-8
// becomes U+FFFD first, which clean_text then drops.
#include "optiscope/core/tokenizer.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace optiscope::core {

struct WordPieceOptions {
    bool doLowerCase = true;
    // HF semantics: unset follows doLowerCase; true strips accents even when not lower-casing.
    std::optional<bool> stripAccents;
    bool tokenizeChineseChars = true;
    bool cleanText = true;
    std::string unkToken = "[UNK]";
    std::string continuingSubwordPrefix = "##";
    std::int32_t maxInputCharsPerWord = 100;
};

class WordPieceTokenizer final : public Tokenizer {
public:
    // vocab[i] is the token with id i. Errors name source (the vocab file).
    static Result<std::unique_ptr<WordPieceTokenizer>> create(
        std::vector<std::string> vocab, WordPieceOptions options, const std::string& source);

    std::vector<std::int32_t> encode(std::string_view utf8Text) const override;
    // Tokens joined by spaces, "##" continuations glued to the previous token (HF's
    // convert_tokens_to_string). Ids outside the vocabulary are skipped.
    std::string decode(const std::vector<std::int32_t>& ids) const override;
    std::string tokenLabel(std::int32_t id) const override;
    std::int32_t vocabSize() const override { return static_cast<std::int32_t>(m_vocab.size()); }
    const SpecialTokens& specialTokens() const override { return m_special; }

    // BasicTokenizer output (the words WordPiece then splits), exposed for tests.
    std::vector<std::string> basicTokenize(std::string_view utf8Text) const;
    const WordPieceOptions& options() const { return m_options; }

    WordPieceTokenizer(const WordPieceTokenizer&) = delete;
    WordPieceTokenizer& operator=(const WordPieceTokenizer&) = delete;

private:
    WordPieceTokenizer() = default;
    void wordPiece(std::u32string_view word, std::vector<std::int32_t>& out) const;

    std::vector<std::string> m_vocab;
    std::unordered_map<std::string, std::int32_t> m_tokenToId;
    WordPieceOptions m_options;
    SpecialTokens m_special;
};

// Reads do_lower_case, strip_accents, tokenize_chinese_chars, unk_token from a HF
// tokenizer_config.json; keys that are absent keep their defaults.
Result<WordPieceOptions> readWordPieceOptions(const std::filesystem::path& tokenizerConfigJson);

// vocab.txt: one token per line, id = line number - 1, surrounding whitespace stripped.
Result<std::unique_ptr<Tokenizer>> loadWordPieceTokenizer(
    const std::filesystem::path& vocabTxt, const WordPieceOptions& options = {});

} // namespace optiscope::core
