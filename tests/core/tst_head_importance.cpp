// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Head importance by ablation on samples/tiny-gpt2: each head's score equals the loss and KL
// change that evaluateCompression() measures for a prune_heads step removing that head alone, and
// prune_heads {"saliency": "ablation"} removes the lowest-scoring heads.
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/head_importance.h"
#include "optiscope/core/compression/recipe_applier.h"

#include "sample_eval_text.h"

#include <QElapsedTimer>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using namespace optiscope::core;

namespace {

const std::filesystem::path kSample = optiscope::test::kTinyGpt2Sample;

// Same windows, same runs and the same double sums as evaluateCompression(); only
// log(exp(mean NLL)) round trips differ.
constexpr double kMaxLossDiff = 1e-9;
constexpr double kMaxKlDiff = 1e-9;

bool projectionHeadMasked(const CompressedModel& model, int layer, int head)
{
    const CompressedTensor* t = model.compressed("h." + std::to_string(layer) + ".attn.c_proj.weight");
    if (!t) {
        return false;
    }
    for (int j = head * 32; j < (head + 1) * 32; ++j) {
        if (t->mask[t->matrix.index(0, j)]) {
            return false;
        }
    }
    return true;
}

std::set<std::pair<int, int>> removedHeads(const CompressedModel& model)
{
    std::set<std::pair<int, int>> out;
    for (int layer = 0; layer < 4; ++layer) {
        for (int head = 0; head < 4; ++head) {
            if (projectionHeadMasked(model, layer, head)) {
                out.insert({ layer, head });
            }
        }
    }
    return out;
}

} // namespace

class TestHeadImportance : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        auto model = loadModel(kSample);
        QVERIFY(model);
        m_base = *model;
        const auto ids = optiscope::test::evalTextTokens(*m_base);
        m_tokens.assign(ids.begin(), ids.begin() + ids.size() / 2); // windows of 128 and the rest
        m_calibration.sequences.push_back(m_tokens);
        QElapsedTimer timer;
        timer.start();
        auto scores = scoreHeadsByAblation(std::make_shared<CompressedModel>(m_base), m_calibration);
        QVERIFY2(scores, scores ? "" : scores.error().message.c_str());
        m_scores = *scores;
        qInfo("scored %zu heads on %lld tokens in %lld ms; base loss %.4f", m_scores.heads.size(),
            static_cast<long long>(m_scores.tokensPredicted), static_cast<long long>(timer.elapsed()),
            m_scores.baseLoss);
    }

    void scoresEqualMeasuredPruning()
    {
        QCOMPARE(m_scores.heads.size(), std::size_t { 16 });
        double minDelta = INFINITY, maxDelta = -INFINITY;
        for (const auto& h : m_scores.heads) {
            QVERIFY(!h.alreadyRemoved);
            auto recipe = parseRecipe(
                QStringLiteral(R"({"schema": 1, "steps": [{"type": "prune_heads", "heads": [[%1, %2]]}]})")
                    .arg(h.layer)
                    .arg(h.head)
                    .toStdString(),
                "h.json");
            QVERIFY(recipe);
            auto model = applyRecipe(m_base, *recipe);
            QVERIFY(model);
            auto metrics = evaluateCompression(**model, m_tokens);
            QVERIFY(metrics);
            const double measured = std::log(metrics->compressedPerplexity) - std::log(metrics->basePerplexity);
            qInfo("head (%d, %d): loss +%.5f nats, KL %.5f", h.layer, h.head, h.lossDelta, h.klMean);
            QVERIFY2(std::fabs(h.lossDelta - measured) <= kMaxLossDiff,
                qPrintable(QString("%1 vs %2").arg(h.lossDelta).arg(measured)));
            QVERIFY(std::fabs(h.klMean - metrics->klMean) <= kMaxKlDiff);
            QVERIFY(std::fabs(m_scores.baseLoss - std::log(metrics->basePerplexity)) <= kMaxLossDiff);
            QVERIFY(h.klMean > 0);
            minDelta = std::min(minDelta, h.lossDelta);
            maxDelta = std::max(maxDelta, h.lossDelta);
        }
        QVERIFY(maxDelta > minDelta + 1e-3); // heads differ in importance
    }

    void ablationStepRemovesLeastImportant_data()
    {
        QTest::addColumn<QString>("fields");
        QTest::addColumn<int>("expected");
        QTest::newRow("count_3") << R"("count": 3)" << 3;
        QTest::newRow("ratio_0.25") << R"("ratio": 0.25)" << 4;
    }

    void ablationStepRemovesLeastImportant()
    {
        QFETCH(QString, fields);
        QFETCH(int, expected);
        auto recipe = parseRecipe(
            QStringLiteral(R"({"schema": 1, "steps": [{"type": "prune_heads", "saliency": "ablation", %1}]})")
                .arg(fields)
                .toStdString(),
            "h.json");
        QVERIFY2(recipe, recipe ? "" : recipe.error().message.c_str());
        auto model = applyRecipe(m_base, *recipe, &m_calibration);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        auto sorted = m_scores.heads;
        std::stable_sort(sorted.begin(), sorted.end(),
            [](const HeadImportance& a, const HeadImportance& b) { return a.lossDelta < b.lossDelta; });
        std::set<std::pair<int, int>> lowest;
        for (int i = 0; i < expected; ++i) {
            lowest.insert({ sorted[i].layer, sorted[i].head });
        }
        QCOMPARE(removedHeads(**model), lowest);
    }

    void secondStepSkipsRemovedHeads()
    {
        auto recipe = parseRecipe(
            R"({"schema": 1, "steps": [{"type": "prune_heads", "heads": [[0, 0], [1, 2]]}, {"type": "prune_heads", "saliency": "ablation", "count": 2}]})",
            "h.json");
        QVERIFY(recipe);
        auto model = applyRecipe(m_base, *recipe, &m_calibration);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        QCOMPARE(removedHeads(**model).size(), std::size_t { 4 });
        auto first = applyRecipe(m_base, Recipe { 1, "h.json", { recipe->steps[0] } });
        QVERIFY(first);
        auto rescored = scoreHeadsByAblation(*first, m_calibration);
        QVERIFY(rescored);
        QVERIFY(rescored->heads[0].alreadyRemoved && rescored->heads[1 * 4 + 2].alreadyRemoved);
        QCOMPARE(rescored->heads[0].lossDelta, 0.0);
    }

    void errors_data()
    {
        QTest::addColumn<QString>("fields");
        QTest::addColumn<QString>("message");
        QTest::newRow("both") << R"("saliency": "ablation", "count": 2, "ratio": 0.5)"
                              << "h.json: steps[0].ratio: give count or ratio, not both";
        QTest::newRow("neither") << R"("saliency": "ablation")"
                                 << "h.json: steps[0].count: missing";
        QTest::newRow("count_0") << R"("saliency": "ablation", "count": 0)"
                                 << "h.json: steps[0].count: must be at least 1, got 0";
        QTest::newRow("ratio_1") << R"("saliency": "ablation", "ratio": 1)"
                                 << "h.json: steps[0].ratio: must be in [0, 1), got 1";
        QTest::newRow("heads") << R"("saliency": "ablation", "count": 1, "heads": [[0, 0]])"
                               << "h.json: steps[0].heads: not with saliency 'ablation' (it chooses the heads)";
        QTest::newRow("gradient") << R"("saliency": "gradient", "count": 1)"
                                  << "h.json: steps[0].saliency: \"gradient\" is not one of ablation";
        QTest::newRow("count_without_saliency") << R"("heads": [[0, 0]], "count": 1)"
                                                << "h.json: steps[0].count: unknown field for a 'prune_heads' step";
    }

    void errors()
    {
        QFETCH(QString, fields);
        QFETCH(QString, message);
        auto recipe = parseRecipe(
            QStringLiteral(R"({"schema": 1, "steps": [{"type": "prune_heads", %1}]})").arg(fields).toStdString(),
            "h.json");
        QVERIFY(!recipe);
        QCOMPARE(QString::fromStdString(recipe.error().message), message);
    }

    void applyErrors()
    {
        auto recipe = parseRecipe(
            R"({"schema": 1, "steps": [{"type": "prune_heads", "saliency": "ablation", "count": 17}]})", "h.json");
        QVERIFY(recipe);
        auto none = applyRecipe(m_base, *recipe);
        QVERIFY(!none);
        QCOMPARE(QString::fromStdString(none.error().message),
            QStringLiteral("h.json: steps[0].saliency: 'ablation' needs calibration data, none given"));
        auto tooMany = applyRecipe(m_base, *recipe, &m_calibration);
        QVERIFY(!tooMany);
        QCOMPARE(QString::fromStdString(tooMany.error().message),
            QStringLiteral("h.json: steps[0].count: 17 heads to remove, only 16 remain"));
    }

private:
    std::shared_ptr<const Model> m_base;
    std::vector<std::int32_t> m_tokens;
    CalibrationData m_calibration;
    HeadImportanceResult m_scores;
};

QTEST_APPLESS_MAIN(TestHeadImportance)
#include "tst_head_importance.moc"
