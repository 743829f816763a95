// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/bpe_tokenizer.h"

#include "tokenizer_io.h"
#include "unicode_tables.h"

#include <algorithm>
#include <climits>
#include <mutex>

namespace optiscope::core {

namespace {

    // OpenAI's bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68
    // bytes to U+0100 upwards in byte order, so every byte has a visible, non-space character.
    struct ByteMap {
        std::array<char32_t, 256> byteToChar {};
        std::array<std::int16_t, 0x200> charToByte {}; // all mapped characters are < U+0144

        ByteMap()
        {
            charToByte.fill(-1);
            char32_t next = 256;
            for (int b = 0; b < 256; ++b) {
                const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
                byteToChar[b] = printable ? static_cast<char32_t>(b) : next++;
                charToByte[byteToChar[b]] = static_cast<std::int16_t>(b);
            }
        }
    };

    const ByteMap& byteMap()
    {
        static const ByteMap map;
        return map;
    }

    enum class CharClass : std::uint8_t { Letter, Number, Space, Other };

    CharClass classify(char32_t cp)
    {
        if (cp < 0x80) {
            if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
                return CharClass::Letter;
            }
            if (cp >= '0' && cp <= '9') {
                return CharClass::Number;
            }
            if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) {
                return CharClass::Space;
            }
            return CharClass::Other;
        }
        if (unicode::isJsWhitespace(cp)) {
            return CharClass::Space;
        }
        if (unicode::isLetter(cp)) {
            return CharClass::Letter;
        }
        if (unicode::isNumber(cp)) {
            return CharClass::Number;
        }
        return CharClass::Other;
    }

    // Decodes valid UTF-8 (the caller sanitized it) into code points and their byte offsets.
    void decodeValid(std::string_view text, std::vector<char32_t>& cps, std::vector<std::size_t>& offsets)
    {
        std::size_t pos = 0;
        while (pos < text.size()) {
            const auto lead = static_cast<unsigned char>(text[pos]);
            const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            char32_t cp = length == 1 ? lead
                : length == 2         ? (lead & 0x1F)
                : length == 3         ? (lead & 0x0F)
                                      : (lead & 0x07);
            for (std::size_t k = 1; k < length; ++k) {
                cp = (cp << 6) | (static_cast<unsigned char>(text[pos + k]) & 0x3F);
            }
            cps.push_back(cp);
            offsets.push_back(pos);
            pos += length;
        }
        offsets.push_back(text.size());
    }

    std::uint64_t pairKey(std::int32_t left, std::int32_t right)
    {
        return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) | static_cast<std::uint32_t>(right);
    }

    constexpr std::size_t kMaxCacheEntries = 1 << 18;

} // namespace

std::vector<std::string_view> BpeTokenizer::preTokenize(std::string_view validUtf8)
{
    std::vector<char32_t> cps;
    std::vector<std::size_t> offsets;
    decodeValid(validUtf8, cps, offsets);
    const std::size_t n = cps.size();
    std::vector<CharClass> classes(n);
    for (std::size_t i = 0; i < n; ++i) {
        classes[i] = classify(cps[i]);
    }

    std::vector<std::string_view> pieces;
    auto emit = [&](std::size_t begin, std::size_t end) {
        pieces.push_back(validUtf8.substr(offsets[begin], offsets[end] - offsets[begin]));
    };
    std::size_t i = 0;
    while (i < n) {
        // 's|'t|'re|'ve|'m|'ll|'d — case-sensitive, ASCII apostrophe only.
        if (cps[i] == '\'' && i + 1 < n) {
            const char32_t c1 = cps[i + 1];
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                emit(i, i + 2);
                i += 2;
                continue;
            }
            if (i + 2 < n) {
                const char32_t c2 = cps[i + 2];
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                    emit(i, i + 3);
                    i += 3;
                    continue;
                }
            }
        }
        // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: an optional U+0020 then a run of one class.
        const std::size_t first = (cps[i] == ' ' && i + 1 < n) ? i + 1 : i;
        const CharClass runClass = classes[first];
        if (runClass != CharClass::Space) {
            std::size_t end = first + 1;
            while (end < n && classes[end] == runClass) {
                ++end;
            }
            emit(i, end);
            i = end;
            continue;
        }
        // `\s+(?!\S)|\s+`: a whitespace run leaves its last character to the next token
        // unless it ends the text; a single whitespace before a non-space stands alone.
        std::size_t end = i;
        while (end < n && classes[end] == CharClass::Space) {
            ++end;
        }
        if (end < n && end - i >= 2) {
            --end;
        } else if (end < n) {
            end = i + 1;
        }
        emit(i, end);
        i = end;
    }
    return pieces;
}

Result<std::unique_ptr<BpeTokenizer>> BpeTokenizer::create(
    Spec spec, const std::string& vocabSource, const std::string& mergesSource)
{
    if (spec.vocab.empty()) {
        return fail(ErrorCode::Tokenizer, vocabSource + ": vocab is empty");
    }
    std::unique_ptr<BpeTokenizer> tok(new BpeTokenizer());
    std::int32_t maxId = -1;
    for (const auto& [token, id] : spec.vocab) {
        if (id < 0) {
            return fail(ErrorCode::Tokenizer,
                vocabSource + ": token " + detail::quoted(token) + ": negative id " + std::to_string(id));
        }
        maxId = std::max(maxId, id);
    }
    for (const auto& added : spec.addedTokens) {
        if (added.id < 0 || added.content.empty()) {
            return fail(ErrorCode::Tokenizer,
                vocabSource + ": added_tokens: token " + detail::quoted(added.content)
                    + " has an empty content or negative id");
        }
        maxId = std::max(maxId, added.id);
    }
    // The id table is dense (one slot per id up to the largest); an id far beyond the token count would make
    // it allocate gigabytes for a damaged file (found by fuzz_tokenizer_json: id 65536323 among 300 tokens).
    constexpr std::size_t kMaxIdGap = 1 << 16;
    const std::size_t tokenCount = spec.vocab.size() + spec.addedTokens.size();
    if (static_cast<std::size_t>(maxId) >= tokenCount + kMaxIdGap) {
        return fail(ErrorCode::Tokenizer,
            vocabSource + ": id " + std::to_string(maxId) + " is far beyond the " + std::to_string(tokenCount)
                + " tokens (ids must be dense)");
    }
    tok->m_idToToken.assign(static_cast<std::size_t>(maxId) + 1, std::string());
    std::vector<bool> used(tok->m_idToToken.size(), false);
    for (auto& [token, id] : spec.vocab) {
        if (used[id]) {
            return fail(ErrorCode::Tokenizer,
                vocabSource + ": duplicate id " + std::to_string(id) + " for " + detail::quoted(tok->m_idToToken[id])
                    + " and " + detail::quoted(token));
        }
        used[id] = true;
        tok->m_idToToken[id] = token;
        tok->m_tokenToId.emplace(std::move(token), id);
    }

    const ByteMap& map = byteMap();
    for (int b = 0; b < 256; ++b) {
        std::string token;
        unicode::appendUtf8(token, map.byteToChar[b]);
        const auto it = tok->m_tokenToId.find(token);
        if (it == tok->m_tokenToId.end()) {
            return fail(ErrorCode::Tokenizer,
                vocabSource + ": byte-level token " + detail::quoted(token) + " for byte " + std::to_string(b)
                    + " missing");
        }
        tok->m_byteIds[b] = it->second;
    }

    for (std::size_t rank = 0; rank < spec.merges.size(); ++rank) {
        const auto& [left, right] = spec.merges[rank];
        const std::string location = rank < spec.mergeLineNumbers.size()
            ? ": line " + std::to_string(spec.mergeLineNumbers[rank])
            : "[" + std::to_string(rank) + "]";
        const std::string where = mergesSource + location + " (" + detail::quoted(left + " " + right) + "): ";
        const auto leftIt = tok->m_tokenToId.find(left);
        const auto rightIt = tok->m_tokenToId.find(right);
        const auto mergedIt = tok->m_tokenToId.find(left + right);
        if (leftIt == tok->m_tokenToId.end()) {
            return fail(ErrorCode::Tokenizer, where + detail::quoted(left) + " not in vocab");
        }
        if (rightIt == tok->m_tokenToId.end()) {
            return fail(ErrorCode::Tokenizer, where + detail::quoted(right) + " not in vocab");
        }
        if (mergedIt == tok->m_tokenToId.end()) {
            return fail(ErrorCode::Tokenizer, where + detail::quoted(left + right) + " not in vocab");
        }
        // A repeated pair takes its later rank, as dict(zip(merges, range(...))) does.
        tok->m_merges[pairKey(leftIt->second, rightIt->second)]
            = Merge { static_cast<std::int32_t>(rank), mergedIt->second };
    }

    tok->m_addedIdToIndex.assign(tok->m_idToToken.size(), -1);
    std::ranges::stable_sort(
        spec.addedTokens, [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
    for (auto& added : spec.addedTokens) {
        const std::string& existing = tok->m_idToToken[added.id];
        if (used[added.id] && existing != added.content) {
            return fail(ErrorCode::Tokenizer,
                vocabSource + ": added_tokens: id " + std::to_string(added.id) + " of " + detail::quoted(added.content)
                    + " already used by " + detail::quoted(existing));
        }
        tok->m_addedIdToIndex[added.id] = static_cast<std::int32_t>(tok->m_addedTokens.size());
        tok->m_addedTokens.push_back(std::move(added));
    }
    tok->m_addPrefixSpace = spec.addPrefixSpace;

    auto idOf = [&](std::string_view content) -> std::int32_t {
        for (const auto& added : tok->m_addedTokens) {
            if (added.content == content) {
                return added.id;
            }
        }
        const auto it = tok->m_tokenToId.find(std::string(content));
        return it == tok->m_tokenToId.end() ? -1 : it->second;
    };
    SpecialTokens& special = tok->m_special;
    if (const std::int32_t eot = idOf("<|endoftext|>"); eot >= 0) {
        special.bos = special.eos = special.unk = eot;
    }
    // RoBERTa-style names, when the vocab has them.
    for (auto [name, slot] : { std::pair { "<s>", &special.bos }, { "</s>", &special.eos }, { "<unk>", &special.unk },
             { "<pad>", &special.pad }, { "<mask>", &special.mask } }) {
        if (const std::int32_t id = idOf(name); id >= 0) {
            *slot = id;
        }
    }
    if (idOf("<s>") >= 0 && idOf("</s>") >= 0) {
        special.cls = special.bos;
        special.sep = special.eos;
    }
    return tok;
}

void BpeTokenizer::encodePiece(std::string_view piece, std::vector<std::int32_t>& out) const
{
    {
        std::shared_lock lock(m_cacheMutex);
        const auto it = m_cache.find(std::string(piece));
        if (it != m_cache.end()) {
            out.insert(out.end(), it->second.begin(), it->second.end());
            return;
        }
    }
    std::vector<std::int32_t> word;
    word.reserve(piece.size());
    for (char byte : piece) {
        word.push_back(m_byteIds[static_cast<unsigned char>(byte)]);
    }
    // OpenAI's bpe(): repeatedly take the lowest-ranked adjacent pair and merge every
    // non-overlapping occurrence of it, left to right.
    std::vector<std::int32_t> next;
    next.reserve(word.size());
    while (word.size() > 1) {
        std::int32_t bestRank = INT_MAX;
        std::int32_t mergedId = -1;
        std::size_t bestPos = 0;
        for (std::size_t k = 0; k + 1 < word.size(); ++k) {
            const auto it = m_merges.find(pairKey(word[k], word[k + 1]));
            if (it != m_merges.end() && it->second.rank < bestRank) {
                bestRank = it->second.rank;
                mergedId = it->second.mergedId;
                bestPos = k;
            }
        }
        if (bestRank == INT_MAX) {
            break;
        }
        const std::int32_t left = word[bestPos];
        const std::int32_t right = word[bestPos + 1];
        next.clear();
        for (std::size_t k = 0; k < word.size();) {
            if (word[k] == left && k + 1 < word.size() && word[k + 1] == right) {
                next.push_back(mergedId);
                k += 2;
            } else {
                next.push_back(word[k]);
                ++k;
            }
        }
        word.swap(next);
    }
    out.insert(out.end(), word.begin(), word.end());
    std::unique_lock lock(m_cacheMutex);
    if (m_cache.size() >= kMaxCacheEntries) {
        m_cache.clear();
    }
    m_cache.emplace(std::string(piece), std::move(word));
}

void BpeTokenizer::encodePlain(std::string_view validUtf8, std::vector<std::int32_t>& out) const
{
    if (validUtf8.empty()) {
        return;
    }
    std::string prefixed;
    if (m_addPrefixSpace && validUtf8.front() != ' ') {
        prefixed.reserve(validUtf8.size() + 1);
        prefixed.push_back(' ');
        prefixed.append(validUtf8);
        validUtf8 = prefixed;
    }
    for (std::string_view piece : preTokenize(validUtf8)) {
        encodePiece(piece, out);
    }
}

std::vector<std::int32_t> BpeTokenizer::encode(std::string_view utf8Text) const
{
    const std::string text = unicode::sanitizeUtf8(utf8Text);
    std::vector<std::int32_t> ids;
    ids.reserve(text.size() / 3);
    if (m_addedTokens.empty()) {
        encodePlain(text, ids);
        return ids;
    }
    // Leftmost match wins; at the same position the longest (m_addedTokens is sorted so).
    std::vector<std::size_t> nextHit(m_addedTokens.size());
    for (std::size_t t = 0; t < m_addedTokens.size(); ++t) {
        nextHit[t] = text.find(m_addedTokens[t].content);
    }
    std::size_t pos = 0;
    while (true) {
        std::size_t bestPos = std::string::npos;
        std::size_t bestToken = 0;
        for (std::size_t t = 0; t < m_addedTokens.size(); ++t) {
            if (nextHit[t] != std::string::npos && nextHit[t] < pos) {
                nextHit[t] = text.find(m_addedTokens[t].content, pos);
            }
            if (nextHit[t] < bestPos) {
                bestPos = nextHit[t];
                bestToken = t;
            }
        }
        if (bestPos == std::string::npos) {
            break;
        }
        encodePlain(std::string_view(text).substr(pos, bestPos - pos), ids);
        ids.push_back(m_addedTokens[bestToken].id);
        pos = bestPos + m_addedTokens[bestToken].content.size();
    }
    encodePlain(std::string_view(text).substr(pos), ids);
    return ids;
}

std::string BpeTokenizer::tokenBytes(std::int32_t id) const
{
    if (id < 0 || id >= vocabSize()) {
        return {};
    }
    if (m_addedIdToIndex[id] >= 0) {
        return m_addedTokens[m_addedIdToIndex[id]].content;
    }
    const ByteMap& map = byteMap();
    std::string bytes;
    for (char32_t cp : unicode::decodeUtf8(m_idToToken[id])) {
        if (cp < map.charToByte.size() && map.charToByte[cp] >= 0) {
            bytes.push_back(static_cast<char>(map.charToByte[cp]));
        } else {
            unicode::appendUtf8(bytes, cp); // not a byte-level character: keep it as text
        }
    }
    return bytes;
}

std::string BpeTokenizer::decode(const std::vector<std::int32_t>& ids) const
{
    std::string text;
    for (std::int32_t id : ids) {
        text += tokenBytes(id);
    }
    return text;
}

std::string BpeTokenizer::tokenString(std::int32_t id) const
{
    if (id < 0 || id >= vocabSize()) {
        return {};
    }
    if (m_addedIdToIndex[id] >= 0) {
        return m_addedTokens[m_addedIdToIndex[id]].content;
    }
    return m_idToToken[id];
}

std::string BpeTokenizer::tokenLabel(std::int32_t id) const
{
    if (id < 0 || id >= vocabSize()) {
        return "<invalid id " + std::to_string(id) + ">";
    }
    const std::string bytes = tokenBytes(id);
    const bool valid = unicode::isValidUtf8(bytes);
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string label;
    for (char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte == '\n') {
            label += "\u21B5"; // ↵
        } else if (byte == '\t') {
            label += "\u21E5"; // ⇥
        } else if (byte < 0x20 || byte == 0x7F || (byte >= 0x80 && !valid)) {
            label += "\\x";
            label.push_back(kHex[byte >> 4]);
            label.push_back(kHex[byte & 0xF]);
        } else {
            label.push_back(c);
        }
    }
    return label;
}

std::int32_t BpeTokenizer::vocabSize() const { return static_cast<std::int32_t>(m_idToToken.size()); }

} // namespace optiscope::core
