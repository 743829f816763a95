// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/text_probe.h"

#include <nlohmann/json.hpp>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

namespace optiscope::core {

Result<LabelledTexts> loadLabelledTexts(const std::filesystem::path& jsonFile)
{
    try {
        const std::string file = jsonFile.filename().string();
        std::ifstream in(jsonFile, std::ios::binary);
        if (!in) {
            return fail(ErrorCode::Io, jsonFile.string() + ": cannot open");
        }
        std::stringstream text;
        text << in.rdbuf();
        nlohmann::json root;
        try {
            root = nlohmann::json::parse(text.str());
        } catch (const nlohmann::json::exception& e) {
            std::string message = jsonFile.string() + ": malformed JSON: " + e.what();
            std::replace(message.begin(), message.end(), '\n', ' ');
            return fail(ErrorCode::Format, message);
        }
        if (!root.is_array()) {
            return fail(ErrorCode::Format, jsonFile.string() + ": expected a JSON array of {text, class} records");
        }
        LabelledTexts result;
        for (std::size_t i = 0; i < root.size(); ++i) {
            const auto& record = root[i];
            const std::string where = jsonFile.string() + ": [" + std::to_string(i) + "]";
            if (!record.is_object()) {
                return fail(ErrorCode::Format, where + ": not an object");
            }
            const auto textField = record.find("text");
            if (textField == record.end() || !textField->is_string()) {
                return fail(ErrorCode::Format, where + ".text: missing or not a string");
            }
            // sentiment@5.0.2's files end in {"text": "", "class": null}: blank records are skipped
            // whatever their class.
            std::string sentence = textField->get<std::string>();
            if (sentence.find_first_not_of(" \t\r\n\f\v") == std::string::npos) {
                ++result.skippedBlank;
                continue;
            }
            const auto classField = record.find("class");
            if (classField == record.end() || !classField->is_number_integer()) {
                return fail(ErrorCode::Format, where + ".class: missing or not an integer");
            }
            const auto label = classField->get<std::int64_t>();
            if (label != 0 && label != 1) {
                return fail(ErrorCode::Format, where + ".class: " + std::to_string(label) + " is not 0 or 1");
            }
            result.items.push_back({ std::move(sentence), static_cast<int>(label) });
        }
        if (result.items.empty()) {
            return fail(ErrorCode::Format, jsonFile.string() + ": no non-blank records");
        }
        return result;
    } catch (const std::exception& e) {
        return fail(ErrorCode::Internal, jsonFile.string() + ": " + e.what());
    }
}

Result<std::vector<float>> embedTexts(const UseLiteModel& model, const std::vector<LabelledText>& texts,
    const ProgressCallback& progress, const CancelToken* cancel)
{
    const auto dim = static_cast<std::size_t>(model.embeddingSize());
    std::vector<float> embeddings(texts.size() * dim);
    std::mutex errorMutex;
    std::optional<std::pair<std::size_t, Error>> firstError; // the lowest failing index, for a stable message
    std::atomic<std::size_t> done { 0 };
    std::mutex progressMutex;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, texts.size(), 8), [&](const auto& range) {
        for (std::size_t i = range.begin(); i != range.end(); ++i) {
            if (cancel && cancel->isCancelled()) {
                return;
            }
            auto result = model.embed(texts[i].text);
            if (!result) {
                const std::lock_guard lock(errorMutex);
                if (!firstError || firstError->first > i) {
                    firstError = { i, result.error() };
                }
                continue;
            }
            std::copy(result->embedding.begin(), result->embedding.end(),
                embeddings.begin() + static_cast<std::ptrdiff_t>(i * dim));
        }
        const std::size_t finished = done.fetch_add(range.size()) + range.size();
        if (progress) {
            const std::lock_guard lock(progressMutex);
            progress(static_cast<double>(finished) / static_cast<double>(texts.size()));
        }
    });
    if (cancel && cancel->isCancelled()) {
        return fail(ErrorCode::Cancelled, "embedding cancelled");
    }
    if (firstError) {
        return fail(
            firstError->second.code, "text " + std::to_string(firstError->first) + ": " + firstError->second.message);
    }
    return embeddings;
}

Result<TextProbeResult> runTextProbe(const std::vector<float>& embeddings, int dim,
    const std::vector<LabelledText>& texts, const TextProbeOptions& options)
{
    if (dim <= 0 || embeddings.size() != texts.size() * static_cast<std::size_t>(dim)) {
        return fail(ErrorCode::Input, "probe: embeddings do not match the texts");
    }
    const ProbeSplit split = splitRows(static_cast<int>(texts.size()), options.trainFraction, options.seed);
    if (split.train.empty() || split.test.empty()) {
        return fail(ErrorCode::Input, "probe: train fraction leaves an empty train or test part");
    }
    std::vector<int> labels;
    labels.reserve(texts.size());
    for (const auto& t : texts) {
        labels.push_back(t.label);
    }
    auto probe = trainLogisticProbe(embeddings, dim, labels, split.train, options.logistic);
    if (!probe) {
        return std::unexpected(probe.error());
    }
    TextProbeResult result;
    result.examples = static_cast<int>(texts.size());
    result.trainCount = static_cast<int>(split.train.size());
    result.testCount = static_cast<int>(split.test.size());
    result.trainAccuracy = probeAccuracy(*probe, embeddings, labels, split.train);
    result.testAccuracy = probeAccuracy(*probe, embeddings, labels, split.test);
    result.probe = std::move(*probe);
    return result;
}

} // namespace optiscope::core
