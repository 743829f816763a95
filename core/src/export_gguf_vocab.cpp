// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "export_gguf_detail.h"
#include "tokenizer_io.h"

#include "optiscope/core/bpe_tokenizer.h"

#include <string_view>

namespace optiscope::core::detail {

namespace {

    // llama.cpp's token types (llama_token_type / gguf-py TokenType).
    constexpr std::int32_t kTokenNormal = 1;
    constexpr std::int32_t kTokenControl = 3;
    constexpr std::int32_t kTokenUnused = 5;

    // The merges the tokenizer was built from, in the same file order loadTokenizer() prefers.
    Result<std::vector<std::string>> readMerges(const std::filesystem::path& folder)
    {
        std::error_code ec;
        std::vector<std::string> merges;
        if (std::filesystem::is_regular_file(folder / "tokenizer.json", ec)) {
            auto json = readJsonFile(folder / "tokenizer.json");
            if (!json) {
                return std::unexpected(json.error());
            }
            const auto model = json->find("model");
            if (model == json->end() || !model->contains("merges") || !(*model)["merges"].is_array()) {
                return fail(ErrorCode::Tokenizer, "tokenizer.json: model.merges: missing or not an array");
            }
            for (const auto& merge : (*model)["merges"]) {
                if (merge.is_string()) {
                    merges.push_back(merge.get<std::string>());
                } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
                    merges.push_back(merge[0].get<std::string>() + " " + merge[1].get<std::string>());
                } else {
                    return fail(ErrorCode::Tokenizer,
                        "tokenizer.json: model.merges[" + std::to_string(merges.size()) + "]: not a merge");
                }
            }
            return merges;
        }
        auto text = readWholeFile(folder / "merges.txt");
        if (!text) {
            return std::unexpected(text.error());
        }
        std::size_t pos = 0;
        bool first = true;
        while (pos < text->size()) {
            std::size_t end = text->find('\n', pos);
            if (end == std::string::npos) {
                end = text->size();
            }
            std::string_view line = std::string_view(*text).substr(pos, end - pos);
            pos = end + 1;
            if (line.ends_with('\r')) {
                line.remove_suffix(1);
            }
            const bool header = first && line.starts_with("#version");
            first = false;
            if (!line.empty() && !header) {
                merges.emplace_back(line);
            }
        }
        return merges;
    }

} // namespace

Result<GgufVocab> ggufVocab(const Model& model)
{
    const auto* tokenizer = dynamic_cast<const BpeTokenizer*>(model.tokenizer());
    if (tokenizer == nullptr) {
        return fail(ErrorCode::Tokenizer,
            model.folder().filename().string()
                + ": tokenizer: GGUF export needs the GPT-2 byte-level BPE tokenizer (vocab.json + merges.txt or "
                  "tokenizer.json), none loaded");
    }
    const int rows = model.config().vocabSize;
    if (tokenizer->vocabSize() > rows) {
        return fail(ErrorCode::Tokenizer,
            "config.json: vocab_size: " + std::to_string(rows) + " embedding rows but the tokenizer has "
                + std::to_string(tokenizer->vocabSize()) + " tokens");
    }
    auto merges = readMerges(model.folder());
    if (!merges) {
        return std::unexpected(merges.error());
    }
    GgufVocab vocab;
    vocab.merges = std::move(*merges);
    const SpecialTokens& special = tokenizer->specialTokens();
    vocab.bos = special.bos >= 0 ? special.bos : model.config().bosTokenId;
    vocab.eos = special.eos >= 0 ? special.eos : model.config().eosTokenId;
    vocab.unk = special.unk;
    vocab.pad = special.pad >= 0 ? special.pad : model.config().padTokenId;
    vocab.tokens.reserve(static_cast<std::size_t>(rows));
    vocab.tokenTypes.reserve(static_cast<std::size_t>(rows));
    for (std::int32_t id = 0; id < rows; ++id) {
        std::string token = tokenizer->tokenString(id);
        if (token.empty()) {
            // llama.cpp's converter names the holes of a vocabulary the same way.
            vocab.tokens.push_back("[PAD" + std::to_string(id) + "]");
            vocab.tokenTypes.push_back(kTokenUnused);
            continue;
        }
        const bool control = id == vocab.bos || id == vocab.eos || id == vocab.unk || id == vocab.pad;
        vocab.tokens.push_back(std::move(token));
        vocab.tokenTypes.push_back(control ? kTokenControl : kTokenNormal);
    }
    return vocab;
}

} // namespace optiscope::core::detail
