// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/tokenizer.h"

#include "optiscope/core/bpe_tokenizer.h"
#include "optiscope/core/wordpiece_tokenizer.h"
#include "tokenizer_io.h"

#include <climits>
#include <fstream>
#include <sstream>

namespace optiscope::core {

namespace detail {

    Result<std::string> readWholeFile(const std::filesystem::path& path)
    {
        const std::string file = path.filename().string();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) {
            return fail(ErrorCode::Io, file + ": file not found (" + path.string() + ")");
        }
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return fail(ErrorCode::Io, file + ": cannot open");
        }
        std::ostringstream buffer;
        buffer << in.rdbuf();
        if (in.bad()) {
            return fail(ErrorCode::Io, file + ": read error");
        }
        return std::move(buffer).str();
    }

    Result<nlohmann::json> readJsonFile(const std::filesystem::path& path)
    {
        auto text = readWholeFile(path);
        if (!text) {
            return std::unexpected(text.error());
        }
        try {
            return nlohmann::json::parse(*text);
        } catch (const nlohmann::json::exception& e) {
            // Drop nlohmann's "[json.exception.parse_error.101] " prefix; keep line and column.
            std::string what = e.what();
            if (const auto close = what.find("] "); what.starts_with("[json.exception") && close != std::string::npos) {
                what = what.substr(close + 2);
            }
            return fail(ErrorCode::Format, path.filename().string() + ": invalid JSON: " + what);
        }
    }

    std::string quoted(std::string_view text)
    {
        std::string out = "'";
        for (char c : text) {
            const auto byte = static_cast<unsigned char>(c);
            if (byte < 0x20 || byte == 0x7F) {
                static constexpr char kHex[] = "0123456789ABCDEF";
                out += "\\x";
                out.push_back(kHex[byte >> 4]);
                out.push_back(kHex[byte & 0xF]);
            } else {
                out.push_back(c);
            }
        }
        return out + "'";
    }

} // namespace detail

namespace {

    Result<std::vector<std::pair<std::string, std::int32_t>>> readVocabObject(
        const nlohmann::json& vocab, const std::string& where)
    {
        if (!vocab.is_object()) {
            return fail(ErrorCode::Tokenizer, where + ": expected an object of token → id");
        }
        std::vector<std::pair<std::string, std::int32_t>> entries;
        entries.reserve(vocab.size());
        for (const auto& [token, id] : vocab.items()) {
            if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() > INT32_MAX) {
                return fail(ErrorCode::Tokenizer,
                    where + ": token " + detail::quoted(token) + ": id is not a non-negative integer");
            }
            entries.emplace_back(token, static_cast<std::int32_t>(id.get<std::int64_t>()));
        }
        return entries;
    }

    bool isByteLevel(const nlohmann::json& node, bool& addPrefixSpace)
    {
        if (!node.is_object()) {
            return false;
        }
        if (node.value("type", "") == "ByteLevel") {
            const auto it = node.find("add_prefix_space");
            addPrefixSpace = it != node.end() && it->is_boolean() && it->get<bool>();
            return true;
        }
        if (node.value("type", "") == "Sequence" && node.contains("pretokenizers")
            && node["pretokenizers"].is_array()) {
            for (const auto& child : node["pretokenizers"]) {
                if (isByteLevel(child, addPrefixSpace)) {
                    return true;
                }
            }
        }
        return false;
    }

    Result<std::unique_ptr<Tokenizer>> bpeFromTokenizerJson(const nlohmann::json& root, const std::string& file)
    {
        const nlohmann::json& model = root["model"];
        BpeTokenizer::Spec spec;
        bool preTokenizerPrefix = false;
        bool decoderPrefix = false;
        const bool byteLevel
            = (root.contains("pre_tokenizer") && isByteLevel(root["pre_tokenizer"], preTokenizerPrefix))
            || (root.contains("decoder") && isByteLevel(root["decoder"], decoderPrefix));
        if (!byteLevel) {
            return fail(ErrorCode::Tokenizer, file + ": pre_tokenizer: only byte-level (GPT-2 style) BPE is supported");
        }
        spec.addPrefixSpace = preTokenizerPrefix;
        for (const char* key : { "continuing_subword_prefix", "end_of_word_suffix" }) {
            if (model.contains(key) && !model[key].is_null() && model[key] != "") {
                return fail(ErrorCode::Tokenizer, file + ": model." + key + ": not supported for byte-level BPE");
            }
        }
        if (!model.contains("vocab")) {
            return fail(ErrorCode::Tokenizer, file + ": model.vocab: missing");
        }
        auto vocab = readVocabObject(model["vocab"], file + ": model.vocab");
        if (!vocab) {
            return std::unexpected(vocab.error());
        }
        spec.vocab = std::move(*vocab);
        if (!model.contains("merges") || !model["merges"].is_array()) {
            return fail(ErrorCode::Tokenizer, file + ": model.merges: missing or not an array");
        }
        const nlohmann::json& merges = model["merges"];
        for (std::size_t i = 0; i < merges.size(); ++i) {
            const nlohmann::json& merge = merges[i];
            const std::string where = file + ": model.merges[" + std::to_string(i) + "]";
            if (merge.is_string()) {
                const std::string text = merge.get<std::string>();
                const std::size_t space = text.find(' ');
                if (space == std::string::npos || space == 0 || space + 1 >= text.size()
                    || text.find(' ', space + 1) != std::string::npos) {
                    return fail(ErrorCode::Tokenizer, where + ": expected \"left right\", got " + detail::quoted(text));
                }
                spec.merges.emplace_back(text.substr(0, space), text.substr(space + 1));
            } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
                spec.merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
            } else {
                return fail(ErrorCode::Tokenizer, where + ": expected \"left right\" or [left, right]");
            }
        }
        if (root.contains("added_tokens") && !root["added_tokens"].is_null()) {
            const nlohmann::json& added = root["added_tokens"];
            if (!added.is_array()) {
                return fail(ErrorCode::Tokenizer, file + ": added_tokens: expected an array");
            }
            for (std::size_t i = 0; i < added.size(); ++i) {
                const nlohmann::json& entry = added[i];
                if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer()
                    || !entry.contains("content") || !entry["content"].is_string()) {
                    return fail(ErrorCode::Tokenizer,
                        file + ": added_tokens[" + std::to_string(i)
                            + "]: expected {\"id\": int, \"content\": string}");
                }
                spec.addedTokens.push_back({ entry["content"].get<std::string>(),
                    static_cast<std::int32_t>(entry["id"].get<std::int64_t>()), entry.value("special", false) });
            }
        }
        auto tok = BpeTokenizer::create(std::move(spec), file + ": model.vocab", file + ": model.merges");
        if (!tok) {
            return std::unexpected(tok.error());
        }
        return std::unique_ptr<Tokenizer>(std::move(*tok));
    }

    Result<std::unique_ptr<Tokenizer>> wordPieceFromTokenizerJson(const nlohmann::json& root, const std::string& file)
    {
        const nlohmann::json& model = root["model"];
        WordPieceOptions options;
        if (model.contains("unk_token") && model["unk_token"].is_string()) {
            options.unkToken = model["unk_token"].get<std::string>();
        }
        if (model.contains("continuing_subword_prefix") && model["continuing_subword_prefix"].is_string()) {
            options.continuingSubwordPrefix = model["continuing_subword_prefix"].get<std::string>();
        }
        if (model.contains("max_input_chars_per_word") && model["max_input_chars_per_word"].is_number_integer()) {
            options.maxInputCharsPerWord
                = static_cast<std::int32_t>(model["max_input_chars_per_word"].get<std::int64_t>());
        }
        const nlohmann::json normalizer = root.contains("normalizer") ? root["normalizer"] : nlohmann::json();
        if (normalizer.is_object() && normalizer.value("type", "") == "BertNormalizer") {
            options.doLowerCase = normalizer.value("lowercase", true);
            options.cleanText = normalizer.value("clean_text", true);
            options.tokenizeChineseChars = normalizer.value("handle_chinese_chars", true);
            if (normalizer.contains("strip_accents") && normalizer["strip_accents"].is_boolean()) {
                options.stripAccents = normalizer["strip_accents"].get<bool>();
            }
        } else if (!normalizer.is_null()) {
            return fail(ErrorCode::Tokenizer, file + ": normalizer: only BertNormalizer is supported for WordPiece");
        }
        if (!model.contains("vocab")) {
            return fail(ErrorCode::Tokenizer, file + ": model.vocab: missing");
        }
        auto entries = readVocabObject(model["vocab"], file + ": model.vocab");
        if (!entries) {
            return std::unexpected(entries.error());
        }
        std::vector<std::string> vocab(entries->size());
        std::vector<bool> used(entries->size(), false);
        for (auto& [token, id] : *entries) {
            if (static_cast<std::size_t>(id) >= vocab.size()) {
                return fail(ErrorCode::Tokenizer,
                    file + ": model.vocab: id " + std::to_string(id) + " of " + detail::quoted(token)
                        + " is not below the vocab size " + std::to_string(vocab.size()));
            }
            if (used[id]) {
                return fail(ErrorCode::Tokenizer,
                    file + ": model.vocab: duplicate id " + std::to_string(id) + " for " + detail::quoted(vocab[id])
                        + " and " + detail::quoted(token));
            }
            used[id] = true;
            vocab[id] = std::move(token);
        }
        auto tok = WordPieceTokenizer::create(std::move(vocab), std::move(options), file + ": model.vocab");
        if (!tok) {
            return std::unexpected(tok.error());
        }
        return std::unique_ptr<Tokenizer>(std::move(*tok));
    }

} // namespace

Result<std::unique_ptr<Tokenizer>> loadGpt2Tokenizer(
    const std::filesystem::path& vocabJson, const std::filesystem::path& mergesTxt)
{
    auto root = detail::readJsonFile(vocabJson);
    if (!root) {
        return std::unexpected(root.error());
    }
    const std::string vocabFile = vocabJson.filename().string();
    const std::string mergesFile = mergesTxt.filename().string();
    BpeTokenizer::Spec spec;
    auto vocab = readVocabObject(*root, vocabFile);
    if (!vocab) {
        return std::unexpected(vocab.error());
    }
    spec.vocab = std::move(*vocab);

    auto text = detail::readWholeFile(mergesTxt);
    if (!text) {
        return std::unexpected(text.error());
    }
    std::size_t pos = 0;
    int lineNumber = 0;
    while (pos < text->size()) {
        std::size_t end = text->find('\n', pos);
        if (end == std::string::npos) {
            end = text->size();
        }
        std::string_view line = std::string_view(*text).substr(pos, end - pos);
        pos = end + 1;
        ++lineNumber;
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (line.empty() || (lineNumber == 1 && line.starts_with("#version"))) {
            continue;
        }
        const std::size_t space = line.find(' ');
        if (space == std::string_view::npos || space == 0 || space + 1 >= line.size()
            || line.find(' ', space + 1) != std::string_view::npos) {
            return fail(ErrorCode::Tokenizer,
                mergesFile + ": line " + std::to_string(lineNumber)
                    + ": expected two tokens separated by one space, got " + detail::quoted(line));
        }
        spec.merges.emplace_back(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
        spec.mergeLineNumbers.push_back(lineNumber);
    }
    auto tok = BpeTokenizer::create(std::move(spec), vocabFile, mergesFile);
    if (!tok) {
        return std::unexpected(tok.error());
    }
    return std::unique_ptr<Tokenizer>(std::move(*tok));
}

Result<std::unique_ptr<Tokenizer>> loadTokenizerJson(const std::filesystem::path& tokenizerJson)
{
    auto root = detail::readJsonFile(tokenizerJson);
    if (!root) {
        return std::unexpected(root.error());
    }
    const std::string file = tokenizerJson.filename().string();
    if (!root->is_object() || !root->contains("model") || !(*root)["model"].is_object()) {
        return fail(ErrorCode::Tokenizer, file + ": model: missing");
    }
    const nlohmann::json& model = (*root)["model"];
    std::string type
        = model.contains("type") && model["type"].is_string() ? model["type"].get<std::string>() : std::string();
    if (type.empty()) {
        // Early tokenizer.json files carry no model.type; infer it from the fields.
        type = model.contains("merges") ? "BPE" : model.contains("max_input_chars_per_word") ? "WordPiece" : "";
    }
    try {
        if (type == "BPE") {
            return bpeFromTokenizerJson(*root, file);
        }
        if (type == "WordPiece") {
            return wordPieceFromTokenizerJson(*root, file);
        }
    } catch (const nlohmann::json::exception& e) {
        // A field of an unexpected JSON type that the checks above did not anticipate.
        return fail(ErrorCode::Tokenizer, file + ": " + e.what());
    }
    return fail(
        ErrorCode::Tokenizer, file + ": model.type: " + detail::quoted(type) + " not supported (BPE, WordPiece)");
}

Result<std::unique_ptr<Tokenizer>> loadTokenizer(const std::filesystem::path& modelFolder)
{
    std::error_code ec;
    const auto exists = [&](const char* name) { return std::filesystem::is_regular_file(modelFolder / name, ec); };
    if (exists("tokenizer.json")) {
        return loadTokenizerJson(modelFolder / "tokenizer.json");
    }
    if (exists("vocab.json") && exists("merges.txt")) {
        return loadGpt2Tokenizer(modelFolder / "vocab.json", modelFolder / "merges.txt");
    }
    if (exists("vocab.txt")) {
        WordPieceOptions options;
        if (exists("tokenizer_config.json")) {
            auto read = readWordPieceOptions(modelFolder / "tokenizer_config.json");
            if (!read) {
                return std::unexpected(read.error());
            }
            options = std::move(*read);
        }
        return loadWordPieceTokenizer(modelFolder / "vocab.txt", options);
    }
    return fail(ErrorCode::Io,
        "model folder " + detail::quoted(modelFolder.string())
            + ": no tokenizer files (tokenizer.json, vocab.json + merges.txt, vocab.txt)");
}

} // namespace optiscope::core
