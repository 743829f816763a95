// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include "optiscope/core/result.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace optiscope::core {

struct SpecialTokens {
    std::int32_t unk = -1;
    std::int32_t cls = -1;
    std::int32_t sep = -1;
    std::int32_t pad = -1;
    std::int32_t mask = -1;
    std::int32_t bos = -1;
    std::int32_t eos = -1;
};

class Tokenizer {
public:
    virtual ~Tokenizer() = default;
    // Plain tokenization, no special tokens added.
    virtual std::vector<std::int32_t> encode(std::string_view utf8Text) const = 0;
    virtual std::string decode(const std::vector<std::int32_t>& ids) const = 0;
    // Readable label for one token (for axis labels): GPT-2's "Ġ" shown as a space, etc.
    virtual std::string tokenLabel(std::int32_t id) const = 0;
    virtual std::int32_t vocabSize() const = 0;
    virtual const SpecialTokens& specialTokens() const = 0;
};

// Picks the tokenizer from the files in a model folder: tokenizer.json, vocab.json +
// merges.txt (GPT-2 byte-level BPE) or vocab.txt (BERT WordPiece, options from
// tokenizer_config.json when present).
// Errors name the file and the field, e.g. "merges.txt: line 7 ('Ġ t'): 'Ġt' not in vocab".
Result<std::unique_ptr<Tokenizer>> loadTokenizer(const std::filesystem::path& modelFolder);

// A Hugging Face tokenizer.json with model.type "BPE" (byte-level, GPT-2 style; added_tokens
// are matched as whole tokens in encode) or "WordPiece" (BERT normalizer options honoured).
Result<std::unique_ptr<Tokenizer>> loadTokenizerJson(const std::filesystem::path& tokenizerJson);

} // namespace optiscope::core
