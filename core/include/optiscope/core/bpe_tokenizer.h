// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// GPT-2 byte-level BPE, token for token the same as OpenAI's encoder.py / HF GPT2Tokenizer:
// bytes_to_unicode, the pre-tokenization regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (emulated by hand; \s is ECMAScript's definition, as in the JS reference encoder), then
// merges by rank. Invalid UTF-8 input is first repaired: each maximal ill-formed subpart
// becomes U+FFFD (see unicode::decodeUtf8), so decode(encode(s)) == s for valid UTF-8 only.
#include "optiscope/core/tokenizer.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace optiscope::core {

class BpeTokenizer final : public Tokenizer {
public:
    // A token matched as a whole in the input text before pre-tokenization (HF added_tokens,
    // e.g. "<|endoftext|>"). Its content is plain UTF-8, not the byte-level form.
    struct AddedToken {
        std::string content;
        std::int32_t id = -1;
        bool special = false;
    };

    struct Spec {
        std::vector<std::pair<std::string, std::int32_t>> vocab; // byte-level token → id
        std::vector<std::pair<std::string, std::string>> merges; // rank order, first is rank 0
        std::vector<AddedToken> addedTokens;
        bool addPrefixSpace = false; // HF ByteLevel pre-tokenizer option
        std::vector<std::int32_t> mergeLineNumbers; // optional: merges[i] came from this line
    };

    // Validates the spec; errors name vocabSource / mergesSource and the offending entry.
    static Result<std::unique_ptr<BpeTokenizer>> create(
        Spec spec, const std::string& vocabSource, const std::string& mergesSource);

    std::vector<std::int32_t> encode(std::string_view utf8Text) const override;
    // Ids outside the vocabulary are skipped. The result is the raw byte string; it is valid
    // UTF-8 whenever the ids came from encode().
    std::string decode(const std::vector<std::int32_t>& ids) const override;
    // The token's bytes with "Ġ" shown as a space, "Ċ" as "↵", tab as "⇥", other control
    // bytes and bytes of an incomplete UTF-8 character as "\xNN".
    std::string tokenLabel(std::int32_t id) const override;
    std::int32_t vocabSize() const override;
    const SpecialTokens& specialTokens() const override { return m_special; }

    // The GPT-2 pre-tokenizer split of valid UTF-8 text (exposed for tests).
    static std::vector<std::string_view> preTokenize(std::string_view validUtf8);
    // The byte-level token string ("Ġ" for a space …) for an id, empty if unknown.
    std::string tokenString(std::int32_t id) const;

    BpeTokenizer(const BpeTokenizer&) = delete;
    BpeTokenizer& operator=(const BpeTokenizer&) = delete;

private:
    BpeTokenizer() = default;
    void encodePlain(std::string_view validUtf8, std::vector<std::int32_t>& out) const;
    void encodePiece(std::string_view piece, std::vector<std::int32_t>& out) const;
    std::string tokenBytes(std::int32_t id) const;

    struct Merge {
        std::int32_t rank = 0;
        std::int32_t mergedId = 0;
    };

    std::vector<std::string> m_idToToken; // byte-level strings; empty for unused ids
    std::unordered_map<std::string, std::int32_t> m_tokenToId;
    std::unordered_map<std::uint64_t, Merge> m_merges; // key: (leftId << 32) | rightId
    std::array<std::int32_t, 256> m_byteIds {}; // id of the single-byte token for each byte
    std::vector<AddedToken> m_addedTokens; // longest content first
    std::vector<std::int32_t> m_addedIdToIndex; // id → index into m_addedTokens or -1
    bool m_addPrefixSpace = false;
    SpecialTokens m_special;

    // Piece → ids; guarded so encode() stays const and re-entrant.
    mutable std::shared_mutex m_cacheMutex;
    mutable std::unordered_map<std::string, std::vector<std::int32_t>> m_cache;
};

// OpenAI's encoder.json / HF vocab.json plus vocab.bpe / merges.txt. "<|endoftext|>" becomes
// bos/eos/unk as in HF GPT2Tokenizer but is NOT split out of the text by encode(), exactly
// like OpenAI's encoder (tokenizer.json added_tokens are).
Result<std::unique_ptr<Tokenizer>> loadGpt2Tokenizer(
    const std::filesystem::path& vocabJson, const std::filesystem::path& mergesTxt);

} // namespace optiscope::core
