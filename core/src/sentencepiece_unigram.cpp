// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/sentencepiece_unigram.h"

#include "unicode_nfkc.h"
#include "unicode_tables.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace optiscope::core {
namespace {

    constexpr char32_t kSeparator = U'\u2581'; // "▁", SentencePiece's word-boundary marker

    int utf16Length(std::u32string_view cps)
    {
        int length = 0;
        for (const char32_t cp : cps) {
            length += cp > 0xFFFF ? 2 : 1;
        }
        return length;
    }

} // namespace

Result<SentencePieceUnigram> SentencePieceUnigram::fromVocabJson(const std::filesystem::path& path, int reservedCount)
{
    const std::string file = path.filename().string();
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail(ErrorCode::Io, path.string() + ": cannot open");
    }
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        std::string what = e.what();
        std::replace(what.begin(), what.end(), '\n', ' ');
        return fail(ErrorCode::Tokenizer, file + ": not valid JSON: " + what);
    }
    if (!doc.is_array()) {
        return fail(ErrorCode::Tokenizer, file + ": expected a JSON array of [piece, score] pairs");
    }
    std::vector<std::pair<std::string, double>> pieces;
    pieces.reserve(doc.size());
    for (std::size_t i = 0; i < doc.size(); ++i) {
        const auto& entry = doc[i];
        if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string()
            || !(entry[1].is_number() || entry[1].is_null())) {
            return fail(ErrorCode::Tokenizer, file + ": [" + std::to_string(i) + "]: expected [piece, score]");
        }
        // USE's vocab.json has null scores (":", "://", "▁:)", ...); the JS tokenizer adds them
        // as numbers, where null coerces to 0, so they score 0 here too.
        pieces.emplace_back(entry[0].get<std::string>(), entry[1].is_null() ? 0.0 : entry[1].get<double>());
    }
    return fromPieces(std::move(pieces), reservedCount, file);
}

Result<SentencePieceUnigram> SentencePieceUnigram::fromPieces(
    std::vector<std::pair<std::string, double>> pieces, int reservedCount, const std::string& sourceName)
{
    if (pieces.empty() || reservedCount < 1 || static_cast<std::size_t>(reservedCount) > pieces.size()) {
        return fail(ErrorCode::Tokenizer,
            sourceName + ": vocabulary of " + std::to_string(pieces.size()) + " pieces cannot reserve "
                + std::to_string(reservedCount) + " ids (id 0 must be the unknown piece)");
    }
    SentencePieceUnigram tokenizer;
    tokenizer.m_trie.emplace_back();
    tokenizer.m_utf16Length.reserve(pieces.size());
    for (std::size_t id = 0; id < pieces.size(); ++id) {
        if (!unicode::isValidUtf8(pieces[id].first)) {
            return fail(ErrorCode::Tokenizer, sourceName + ": [" + std::to_string(id) + "]: piece is not valid UTF-8");
        }
        const std::u32string cps = unicode::decodeUtf8(pieces[id].first);
        tokenizer.m_utf16Length.push_back(utf16Length(cps));
        if (static_cast<int>(id) < reservedCount) {
            continue;
        }
        if (cps.empty()) {
            return fail(ErrorCode::Tokenizer, sourceName + ": [" + std::to_string(id) + "]: empty piece");
        }
        std::int32_t node = 0;
        for (const char32_t cp : cps) {
            node = tokenizer.addChild(node, cp);
        }
        // A duplicate piece overwrites the earlier one, as the JS trie's insert does.
        tokenizer.m_trie[static_cast<std::size_t>(node)].pieceId = static_cast<std::int32_t>(id);
    }
    tokenizer.m_pieces = std::move(pieces);
    return tokenizer;
}

std::int32_t SentencePieceUnigram::child(std::int32_t node, char32_t cp) const
{
    const auto& children = m_trie[static_cast<std::size_t>(node)].children;
    const auto it = std::lower_bound(children.begin(), children.end(), cp,
        [](const std::pair<char32_t, std::int32_t>& entry, char32_t value) { return entry.first < value; });
    return it != children.end() && it->first == cp ? it->second : -1;
}

std::int32_t SentencePieceUnigram::addChild(std::int32_t node, char32_t cp)
{
    const std::int32_t existing = child(node, cp);
    if (existing >= 0) {
        return existing;
    }
    const auto created = static_cast<std::int32_t>(m_trie.size());
    m_trie.emplace_back();
    auto& children = m_trie[static_cast<std::size_t>(node)].children;
    const auto it = std::lower_bound(children.begin(), children.end(), cp,
        [](const std::pair<char32_t, std::int32_t>& entry, char32_t value) { return entry.first < value; });
    children.insert(it, { cp, created });
    return created;
}

std::u32string SentencePieceUnigram::normalize(std::string_view utf8)
{
    std::u32string text = unicode::nfkcPerCodePoint(unicode::decodeUtf8(utf8));
    if (text.empty()) {
        return text;
    }
    std::replace(text.begin(), text.end(), U' ', kSeparator);
    text.insert(text.begin(), kSeparator);
    return text;
}

std::vector<std::int32_t> SentencePieceUnigram::encode(std::string_view utf8) const
{
    const std::u32string symbols = normalize(utf8);
    const std::size_t n = symbols.size();
    // best[end] / words[end]: best score of a segmentation of symbols[0, end) and the id of its
    // last piece. The JS reference initialises both to 0 and treats a best of 0 as unset.
    std::vector<double> best(n + 1, 0.0);
    std::vector<std::int32_t> words(n + 1, 0);
    // Candidates ending at each position, by start: the reference visits starts in ascending
    // order (integer object keys) and keeps a later candidate on ties (>=).
    struct Candidate {
        std::size_t start;
        std::int32_t id;
        double score;
    };
    std::vector<std::vector<Candidate>> endingAt(n + 1);
    for (std::size_t start = 0; start < n; ++start) {
        bool matched = false;
        std::int32_t node = child(0, symbols[start]);
        for (std::size_t end = start + 1; node >= 0; ++end) {
            const auto& trieNode = m_trie[static_cast<std::size_t>(node)];
            if (trieNode.pieceId >= 0) {
                endingAt[end].push_back(
                    { start, trieNode.pieceId, m_pieces[static_cast<std::size_t>(trieNode.pieceId)].second });
                matched = true;
            }
            if (end >= n) {
                break;
            }
            node = child(node, symbols[end]);
        }
        if (!matched) {
            endingAt[start + 1].push_back({ start, 0, 0.0 }); // one unknown code point
        }
    }
    for (std::size_t end = 0; end <= n; ++end) {
        auto& candidates = endingAt[end];
        std::stable_sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.start < b.start; });
        for (const auto& candidate : candidates) {
            const double score = candidate.score + best[candidate.start];
            if (best[end] == 0.0 || score >= best[end]) {
                best[end] = score;
                words[end] = candidate.id;
            }
        }
    }
    std::vector<std::int32_t> reversed;
    // Steps back by the piece's UTF-16 length, as the reference does (equal to its code-point
    // length for every piece without astral characters).
    for (std::int64_t iter = static_cast<std::int64_t>(n); iter > 0;) {
        const std::int32_t id = words[static_cast<std::size_t>(iter)];
        reversed.push_back(id);
        // At least one: an empty piece 0 (the unknown id) would otherwise never move (found by
        // fuzz_sentencepiece_vocab: an endless loop growing `reversed`).
        iter -= std::max<std::int64_t>(1, m_utf16Length[static_cast<std::size_t>(id)]);
    }
    std::vector<std::int32_t> ids;
    bool previousUnknown = false;
    for (const std::int32_t id : reversed) {
        if (!(previousUnknown && id == 0)) {
            ids.push_back(id);
        }
        previousUnknown = id == 0;
    }
    std::reverse(ids.begin(), ids.end());
    return ids;
}

} // namespace optiscope::core
