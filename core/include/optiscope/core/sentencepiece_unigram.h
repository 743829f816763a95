// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// SentencePiece unigram tokenizer (Viterbi over piece log-probabilities) as implemented by the
// Universal Sentence Encoder's JS tokenizer (@energetic-ai/embeddings, from tfjs-models):
// NFKC, "▁" prepended and every U+0020 replaced by "▁", unknown code points become id 0 with
// score 0, consecutive unknowns merge into one id 0. Its quirks are reproduced on purpose
// (ties go to the later start, a best score of exactly 0 counts as "unset", backtracking steps
// by the piece's UTF-16 length) because token ids must match the model's own runtime.
#include "optiscope/core/result.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace optiscope::core {

class SentencePieceUnigram {
public:
    // USE's vocab.json reserves ids 0..5 (<unk>, <s>, </s>, extra ids): never matched as pieces.
    static constexpr int kDefaultReservedCount = 6;

    // vocab.json: a JSON array of [piece, score] pairs; the index is the id.
    static Result<SentencePieceUnigram> fromVocabJson(
        const std::filesystem::path& path, int reservedCount = kDefaultReservedCount);
    // sourceName goes into error messages in place of a file name.
    static Result<SentencePieceUnigram> fromPieces(
        std::vector<std::pair<std::string, double>> pieces, int reservedCount, const std::string& sourceName);

    std::vector<std::int32_t> encode(std::string_view utf8) const;
    // The text the lattice runs over: code-point-wise NFKC, "▁" prefix, spaces as "▁".
    static std::u32string normalize(std::string_view utf8);

    std::size_t size() const { return m_pieces.size(); }
    const std::string& piece(std::int32_t id) const { return m_pieces[static_cast<std::size_t>(id)].first; }
    double score(std::int32_t id) const { return m_pieces[static_cast<std::size_t>(id)].second; }

private:
    struct TrieNode {
        std::vector<std::pair<char32_t, std::int32_t>> children; // sorted by code point
        std::int32_t pieceId = -1; // piece ending here, -1 if none
    };
    std::int32_t child(std::int32_t node, char32_t cp) const;
    std::int32_t addChild(std::int32_t node, char32_t cp);

    std::vector<std::pair<std::string, double>> m_pieces;
    std::vector<int> m_utf16Length; // per id, as JS String.length
    std::vector<TrieNode> m_trie;
};

} // namespace optiscope::core
