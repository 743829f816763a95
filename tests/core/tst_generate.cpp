// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// generate() with its KV cache against step-by-step full recomputation through run().
#include "optiscope/core/inference.h"
#include "optiscope/core/model.h"

#include <QTest>

#include <algorithm>
#include <filesystem>

using namespace optiscope::core;

namespace {

std::shared_ptr<const Model> loadGpt2()
{
    auto model = loadModel(std::filesystem::path(OPTISCOPE_FIXTURES_DIR) / "gpt2");
    return model ? *model : nullptr;
}

// Logits of the last position, recomputed from scratch.
std::vector<float> lastLogits(const Model& model, const std::vector<std::int32_t>& tokens)
{
    auto input = idsInput(model, tokens);
    auto result = run(model, *input);
    const int cols = result->logitCols;
    return { result->logits.end() - cols, result->logits.end() };
}

} // namespace

class TestGenerate : public QObject {
    Q_OBJECT

private slots:
    void greedyMatchesFullRecomputation_data()
    {
        QTest::addColumn<std::vector<std::int32_t>>("prompt");
        QTest::newRow("one token") << std::vector<std::int32_t> { 7 };
        QTest::newRow("three tokens") << std::vector<std::int32_t> { 4, 58, 94 };
        QTest::newRow("five tokens") << std::vector<std::int32_t> { 12, 0, 33, 81, 2 };
    }

    void greedyMatchesFullRecomputation()
    {
        QFETCH(std::vector<std::int32_t>, prompt);
        auto model = loadGpt2();
        QVERIFY(model);
        constexpr int kSteps = 10;
        GenerateOptions options;
        options.maxNewTokens = kSteps;
        auto generated = generate(*model, prompt, options);
        QVERIFY2(generated, generated ? "" : generated.error().message.c_str());

        std::vector<std::int32_t> expected = prompt;
        for (int step = 0; step < kSteps; ++step) {
            const auto logits = lastLogits(*model, expected);
            const auto next
                = static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
            expected.push_back(next);
            if (next == model->config().eosTokenId) {
                break;
            }
        }
        QCOMPARE(*generated, expected);
        QVERIFY(generated->size() > prompt.size());
    }

    void topKIsSeededAndStaysInTopK()
    {
        auto model = loadGpt2();
        QVERIFY(model);
        const std::vector<std::int32_t> prompt { 4, 58, 94 };
        GenerateOptions options;
        options.maxNewTokens = 10;
        options.topK = 5;
        options.temperature = 1.5f;
        options.seed = 1;
        auto first = generate(*model, prompt, options);
        auto again = generate(*model, prompt, options);
        QVERIFY(first && again);
        QCOMPARE(*first, *again);
        options.seed = 2;
        auto other = generate(*model, prompt, options);
        QVERIFY(other);
        QVERIFY(*other != *first);

        // Every sampled token is among the 5 largest logits of its prefix.
        for (std::size_t i = prompt.size(); i < first->size(); ++i) {
            const std::vector<std::int32_t> prefix(first->begin(), first->begin() + static_cast<std::ptrdiff_t>(i));
            const auto logits = lastLogits(*model, prefix);
            const float chosen = logits[(*first)[i]];
            const auto larger = std::count_if(logits.begin(), logits.end(), [&](float v) { return v > chosen; });
            QVERIFY(larger < 5);
        }

        // topK = 1 is greedy
        options.topK = 1;
        auto topOne = generate(*model, prompt, options);
        auto greedy = generate(*model, prompt, GenerateOptions { 10, 0, 1.0f, 0 });
        QVERIFY(topOne && greedy);
        QCOMPARE(*topOne, *greedy);
    }

    void stopsAtPositionLimit()
    {
        auto model = loadGpt2();
        QVERIFY(model);
        const int positions = model->config().maxPositions;
        std::vector<std::int32_t> prompt(static_cast<std::size_t>(positions - 2), 5);
        auto generated = generate(*model, prompt, GenerateOptions { 10, 0, 1.0f, 0 });
        QVERIFY(generated);
        QVERIFY(static_cast<int>(generated->size()) <= positions);
        // Either two tokens fill the table or eos came first.
        const bool endedAtEos = generated->back() == model->config().eosTokenId;
        QVERIFY(static_cast<int>(generated->size()) == positions || endedAtEos);

        auto invalid = generate(*model, { 1, 500 }, GenerateOptions {});
        QVERIFY(!invalid);
        QVERIFY(invalid.error().message.find("token id 500 at position 1") != std::string::npos);
    }

    void rejectsEncoders()
    {
        auto bert = loadModel(std::filesystem::path(OPTISCOPE_FIXTURES_DIR) / "bert");
        QVERIFY(bert);
        auto generated = generate(**bert, { 2, 5 }, GenerateOptions {});
        QVERIFY(!generated);
        QCOMPARE(QString::fromStdString(generated.error().message),
            QString("generate: needs a GPT-2 language model, not BertModel"));
    }
};

QTEST_APPLESS_MAIN(TestGenerate)
#include "tst_generate.moc"
