// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/inference.h"

#include "inference_ops.h"

#include <chrono>
#include <new>

namespace optiscope::core {

namespace {

    const char* positionsField(const ModelConfig& config)
    {
        return config.architecture == Architecture::Gpt2 ? "n_positions" : "max_position_embeddings";
    }

    Result<void> checkIds(const ModelConfig& config, const std::vector<std::int32_t>& ids, const std::string& source)
    {
        if (config.architecture == Architecture::Vit) {
            return fail(ErrorCode::Input, source + ": " + config.className + " takes pixels, not tokens");
        }
        if (ids.empty()) {
            return fail(ErrorCode::Input, source + ": empty input");
        }
        if (static_cast<std::int64_t>(ids.size()) > config.maxPositions) {
            return fail(ErrorCode::Input,
                source + ": " + std::to_string(ids.size()) + " tokens exceed the model's "
                    + std::to_string(config.maxPositions) + " positions (" + positionsField(config) + ")");
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize) {
                return fail(ErrorCode::Input,
                    source + ": token id " + std::to_string(ids[i]) + " at position " + std::to_string(i)
                        + " is outside the vocabulary of " + std::to_string(config.vocabSize));
            }
        }
        return {};
    }

    Result<void> checkRunInput(const ModelConfig& config, const RunInput& input)
    {
        if (config.architecture == Architecture::Vit) {
            const auto expected = static_cast<std::size_t>(config.channels) * config.imageSize * config.imageSize;
            if (input.pixels.size() != expected) {
                return fail(ErrorCode::Input,
                    "pixels: " + std::to_string(input.pixels.size()) + " values, expected " + std::to_string(expected)
                        + " (" + std::to_string(config.channels) + "×" + std::to_string(config.imageSize) + "×"
                        + std::to_string(config.imageSize) + ")");
            }
            return {};
        }
        if (auto ids = checkIds(config, input.tokenIds, "input ids"); !ids) {
            return ids;
        }
        const auto tokens = input.tokenIds.size();
        if (!input.attentionMask.empty()) {
            if (input.attentionMask.size() != tokens) {
                return fail(ErrorCode::Input,
                    "attention mask: " + std::to_string(input.attentionMask.size()) + " entries for "
                        + std::to_string(tokens) + " tokens");
            }
            for (std::size_t i = 0; i < tokens; ++i) {
                if (input.attentionMask[i] > 1) {
                    return fail(ErrorCode::Input,
                        "attention mask: value " + std::to_string(input.attentionMask[i]) + " at position "
                            + std::to_string(i) + " is not 0 or 1");
                }
            }
        }
        if (!input.tokenTypeIds.empty()) {
            if (config.architecture != Architecture::Bert) {
                return fail(ErrorCode::Input, "token type ids: only BERT takes token types");
            }
            if (input.tokenTypeIds.size() != tokens) {
                return fail(ErrorCode::Input,
                    "token type ids: " + std::to_string(input.tokenTypeIds.size()) + " entries for "
                        + std::to_string(tokens) + " tokens");
            }
            for (std::size_t i = 0; i < tokens; ++i) {
                if (input.tokenTypeIds[i] < 0 || input.tokenTypeIds[i] >= config.typeVocabSize) {
                    return fail(ErrorCode::Input,
                        "token type ids: type " + std::to_string(input.tokenTypeIds[i]) + " at position "
                            + std::to_string(i) + " is outside type_vocab_size "
                            + std::to_string(config.typeVocabSize));
                }
            }
        }
        return {};
    }

} // namespace

Result<RunResult> run(
    const Model& model, const RunInput& input, const CaptureOptions& capture, const CancelToken* cancel)
{
    const ModelConfig& config = model.config();
    if (auto valid = checkRunInput(config, input); !valid) {
        return std::unexpected(valid.error());
    }
    const auto start = std::chrono::steady_clock::now();
    RunResult result;
    Result<void> status;
    try {
        switch (config.architecture) {
        case Architecture::Gpt2:
            status = detail::runGpt2(model, input, capture, result, cancel);
            break;
        case Architecture::Bert:
            status = detail::runBert(model, input, capture, result, cancel);
            break;
        case Architecture::Vit:
            status = detail::runVit(model, input, capture, result, cancel);
            break;
        }
    } catch (const std::bad_alloc&) {
        return fail(ErrorCode::Internal, "run: out of memory");
    }
    if (!status) {
        return std::unexpected(status.error());
    }
    result.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return result;
}

Result<RunInput> textInput(const Model& model, std::string_view utf8Text)
{
    const Tokenizer* tokenizer = model.tokenizer();
    if (!tokenizer) {
        return fail(ErrorCode::Tokenizer, "text: the model folder has no tokenizer files");
    }
    const ModelConfig& config = model.config();
    std::vector<std::int32_t> words = tokenizer->encode(utf8Text);
    if (words.empty()) {
        return fail(ErrorCode::Input, "text: empty input");
    }
    RunInput input;
    if (config.architecture == Architecture::Bert) {
        const auto& special = tokenizer->specialTokens();
        if (special.cls < 0 || special.sep < 0) {
            return fail(ErrorCode::Tokenizer, "text: the tokenizer has no [CLS]/[SEP] tokens");
        }
        input.tokenIds.reserve(words.size() + 2);
        input.tokenIds.push_back(special.cls);
        input.tokenIds.insert(input.tokenIds.end(), words.begin(), words.end());
        input.tokenIds.push_back(special.sep);
    } else {
        input.tokenIds = std::move(words);
    }
    if (auto ids = checkIds(config, input.tokenIds, "text"); !ids) {
        return std::unexpected(ids.error());
    }
    return input;
}

Result<RunInput> idsInput(const Model& model, std::vector<std::int32_t> ids)
{
    if (auto valid = checkIds(model.config(), ids, "input ids"); !valid) {
        return std::unexpected(valid.error());
    }
    RunInput input;
    input.tokenIds = std::move(ids);
    return input;
}

} // namespace optiscope::core
