// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The bundled sample (samples/tiny-gpt2) end to end: our tokenizer, forward pass and greedy
// generation against reference.json, written by the PyTorch training script from the same files.
#include "optiscope/core/inference.h"
#include "optiscope/core/model.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace optiscope::core;

namespace {

// The reference stores logits rounded to 5 decimals; fp32 vs PyTorch fp32 adds ~1e-5.
constexpr double kMaxTopLogitDiff = 1e-4;

const std::filesystem::path kSampleFolder = std::filesystem::path(OPTISCOPE_SAMPLES_DIR) / "tiny-gpt2";

nlohmann::json loadReference()
{
    std::ifstream stream(kSampleFolder / "reference.json");
    return nlohmann::json::parse(stream);
}

std::vector<std::int32_t> toIds(const nlohmann::json& array)
{
    return array.get<std::vector<std::int32_t>>();
}

} // namespace

class TestSampleModel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        auto model = loadModel(kSampleFolder);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        m_model = *model;
        m_reference = loadReference();
        QVERIFY(m_reference["prompts"].size() >= 3);
    }

    void tokenIdsMatchTraining()
    {
        for (const auto& prompt : m_reference["prompts"]) {
            auto input = textInput(*m_model, prompt["prompt"].get<std::string>());
            QVERIFY2(input, input ? "" : input.error().message.c_str());
            QCOMPARE(input->tokenIds, toIds(prompt["token_ids"]));
        }
    }

    void topLogitsMatchPyTorch()
    {
        for (const auto& prompt : m_reference["prompts"]) {
            auto input = idsInput(*m_model, toIds(prompt["token_ids"]));
            QVERIFY(input);
            auto result = run(*m_model, *input);
            QVERIFY2(result, result ? "" : result.error().message.c_str());
            QCOMPARE(result->logitCols, m_model->config().vocabSize);
            for (const auto& row : prompt["logits_rows"]) {
                const int position = row["position"].get<int>();
                const float* logits = result->logits.data() + static_cast<std::size_t>(position) * result->logitCols;
                const auto ids = toIds(row["top5_ids"]);
                const auto expected = row["top5_logits"].get<std::vector<double>>();
                for (std::size_t rank = 0; rank < ids.size(); ++rank) {
                    QVERIFY2(std::abs(logits[ids[rank]] - expected[rank]) <= kMaxTopLogitDiff,
                        qPrintable(QString("position %1 rank %2: %3 vs %4")
                                .arg(position)
                                .arg(rank)
                                .arg(logits[ids[rank]])
                                .arg(expected[rank])));
                }
                // The top-1 must be the same token (margins in the reference are far above fp32 noise).
                const auto best = std::max_element(logits, logits + result->logitCols) - logits;
                QCOMPARE(static_cast<std::int32_t>(best), ids[0]);
            }
        }
    }

    void greedyContinuationMatchesPyTorch()
    {
        for (const auto& prompt : m_reference["prompts"]) {
            const auto promptIds = toIds(prompt["token_ids"]);
            const auto expected = toIds(prompt["greedy_ids"]);
            GenerateOptions options;
            options.maxNewTokens = static_cast<int>(expected.size());
            auto generated = generate(*m_model, promptIds, options);
            QVERIFY2(generated, generated ? "" : generated.error().message.c_str());
            const std::vector<std::int32_t> continuation(generated->begin() + promptIds.size(), generated->end());
            QCOMPARE(continuation, expected);
            QCOMPARE(m_model->tokenizer()->decode(continuation), prompt["greedy_text"].get<std::string>());
        }
    }

private:
    std::shared_ptr<const Model> m_model;
    nlohmann::json m_reference;
};

QTEST_APPLESS_MAIN(TestSampleModel)
#include "tst_sample_model.moc"
