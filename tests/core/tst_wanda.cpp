// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Wanda saliency on samples/tiny-gpt2: calibration activations against a naive LayerNorm of the
// captured hidden states, score masks against their definition, and Wanda vs magnitude pruning.
#include "optiscope/core/compression/calibration.h"
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/recipe_applier.h"
#include "optiscope/core/inference.h"

#include "sample_eval_text.h"

#include <QTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace optiscope::core;

namespace {

const std::filesystem::path kSample = optiscope::test::kTinyGpt2Sample;

// The recomputed block output uses the same building blocks as run(); only summation order can
// differ (see tst_compression_metrics: run() itself varies by ~1.5e-5).
constexpr double kMaxRecomputeDiff = 1e-4;
// Naive double-precision LayerNorm vs the engine's float one, summed over ~430 tokens.
constexpr double kMaxNormRelDiff = 1e-4;

} // namespace

class TestWanda : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        auto model = loadModel(kSample);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        m_base = *model;
        const auto ids = optiscope::test::evalTextTokens(*m_base);
        // Calibrate on the first half, evaluate on the second.
        m_calibration.sequences.push_back({ ids.begin(), ids.begin() + ids.size() / 2 });
        m_eval.assign(ids.begin() + ids.size() / 2, ids.end());
    }

    void activationNormsMatchNaiveLayerNorm()
    {
        // The whole calibration half: windows of 128 tokens.
        auto all = collectActivationNorms(*m_base, m_calibration);
        QVERIFY2(all, all ? "" : all.error().message.c_str());
        QCOMPARE(all->tokens, std::int64_t(m_calibration.sequences[0].size()));
        QVERIFY2(all->maxRecomputeDiff <= kMaxRecomputeDiff, qPrintable(QString::number(all->maxRecomputeDiff)));
        QCOMPARE(all->squaredNorms.size(), std::size_t { 16 });
        // One window, checked against a naive LayerNorm of the hidden states run() captures
        // (c_attn's input is ln_1 of the block input).
        const std::vector<std::int32_t> ids(
            m_calibration.sequences[0].begin(), m_calibration.sequences[0].begin() + 100);
        auto norms = collectActivationNorms(*m_base, CalibrationData { { ids } });
        QVERIFY(norms);
        auto input = idsInput(*m_base, ids);
        QVERIFY(input);
        CaptureOptions capture;
        capture.hiddenStates = true;
        auto result = run(*m_base, *input, capture);
        QVERIFY(result);
        const int n = result->tokens, d = 128;
        for (int layer : { 0, 2 }) {
            const std::string p = "h." + std::to_string(layer) + ".ln_1.";
            const Weight* gamma = m_base->weight(p + "weight");
            const Weight* beta = m_base->weight(p + "bias");
            std::vector<double> expected(d, 0.0);
            for (int t = 0; t < n; ++t) {
                const float* h = result->hiddenStates.data() + (static_cast<std::size_t>(layer) * n + t) * d;
                double mean = 0, var = 0;
                for (int j = 0; j < d; ++j) {
                    mean += h[j];
                }
                mean /= d;
                for (int j = 0; j < d; ++j) {
                    var += (h[j] - mean) * (h[j] - mean);
                }
                var /= d;
                for (int j = 0; j < d; ++j) {
                    const double y = (h[j] - mean) / std::sqrt(var + 1e-5) * gamma->data[j] + beta->data[j];
                    expected[j] += y * y;
                }
            }
            const auto& actual
                = norms->squaredNorms.at("transformer.h." + std::to_string(layer) + ".attn.c_attn.weight");
            for (int j = 0; j < d; ++j) {
                QVERIFY(std::fabs(actual[j] - expected[j]) <= kMaxNormRelDiff * expected[j]);
            }
        }
        QCOMPARE(norms->squaredNorms.at("transformer.h.1.mlp.c_proj.weight").size(), std::size_t { 512 });
    }

    void masksFollowWandaScores()
    {
        auto recipe = parseRecipe(
            R"({"schema": 1, "steps": [{"type": "prune", "targets": "*.mlp.c_fc.weight", "saliency": "wanda", "ratio": 0.5}]})",
            "w.json");
        QVERIFY(recipe);
        auto model = applyRecipe(m_base, *recipe, &m_calibration);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        auto norms = collectActivationNorms(*m_base, m_calibration);
        QVERIFY(norms);
        const CompressedTensor* fc = (*model)->compressed("h.3.mlp.c_fc.weight");
        QVERIFY(fc);
        const Weight* base = m_base->weight("h.3.mlp.c_fc.weight");
        const auto& squared = norms->squaredNorms.at("transformer.h.3.mlp.c_fc.weight");
        // Conv1D [in = 128, out = 512]; each output feature (column) loses exactly 64 of 128 inputs,
        // the ones with the lowest |w|·‖x‖.
        bool differsFromMagnitude = false;
        for (int out = 0; out < 512; ++out) {
            int pruned = 0;
            double maxPruned = -1, minKept = INFINITY, maxPrunedMagnitude = -1, minKeptMagnitude = INFINITY;
            for (int in = 0; in < 128; ++in) {
                const double w = std::fabs(base->data[in * 512 + out]);
                const double score = w * std::sqrt(squared[in]);
                if (fc->mask[in * 512 + out]) {
                    minKept = std::min(minKept, score);
                    minKeptMagnitude = std::min(minKeptMagnitude, w);
                } else {
                    ++pruned;
                    maxPruned = std::max(maxPruned, score);
                    maxPrunedMagnitude = std::max(maxPrunedMagnitude, w);
                }
            }
            QCOMPARE(pruned, 64);
            QVERIFY(maxPruned <= minKept);
            differsFromMagnitude = differsFromMagnitude || maxPrunedMagnitude > minKeptMagnitude;
        }
        QVERIFY(differsFromMagnitude); // activations changed the choice somewhere
    }

    void wandaAgainstMagnitude_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::newRow("unstructured_50") << R"("ratio": 0.5)";
        QTest::newRow("2:4") << R"("pattern": "n:m", "n": 2, "m": 4)";
    }

    void wandaAgainstMagnitude()
    {
        QFETCH(QString, pattern);
        const QString targets
            = R"(["*.attn.c_attn.weight", "*.attn.c_proj.weight", "*.mlp.c_fc.weight", "*.mlp.c_proj.weight"])";
        const auto measure = [&](const char* saliency) {
            auto recipe = parseRecipe(
                QStringLiteral(R"({"schema": 1, "steps": [{"type": "prune", "targets": %1, "saliency": "%2", %3}]})")
                    .arg(targets, saliency, pattern)
                    .toStdString(),
                "w.json");
            if (!recipe) {
                qFatal("%s", recipe.error().message.c_str());
            }
            auto model = applyRecipe(m_base, *recipe, &m_calibration);
            if (!model) {
                qFatal("%s", model.error().message.c_str());
            }
            auto metrics = evaluateCompression(**model, m_eval);
            if (!metrics) {
                qFatal("%s", metrics.error().message.c_str());
            }
            return *metrics;
        };
        const auto magnitude = measure("magnitude");
        const auto wanda = measure("wanda");
        qInfo("%s on held-out half (%lld tokens): base perplexity %.3f; magnitude %.3f (KL %.4f, top-1 %.4f); "
              "wanda %.3f (KL %.4f, top-1 %.4f)",
            qPrintable(pattern), static_cast<long long>(m_eval.size()), magnitude.basePerplexity,
            magnitude.compressedPerplexity, magnitude.klMean, magnitude.top1Agreement, wanda.compressedPerplexity,
            wanda.klMean, wanda.top1Agreement);
        QCOMPARE(wanda.nonzeros, magnitude.nonzeros); // equal sparsity
        // The survey's finding (Wanda keeps the model closer to dense than magnitude).
        QVERIFY(wanda.klMean < magnitude.klMean);
    }

    void wandaNeedsCalibration()
    {
        auto recipe = parseRecipe(
            R"({"schema": 1, "steps": [{"type": "prune", "targets": "*.mlp.c_fc.weight", "saliency": "wanda", "ratio": 0.5}]})",
            "w.json");
        QVERIFY(recipe);
        auto none = applyRecipe(m_base, *recipe);
        QVERIFY(!none);
        QCOMPARE(QString::fromStdString(none.error().message),
            QStringLiteral("w.json: steps[0].saliency: 'wanda' needs calibration data, none given"));
        auto embedding = parseRecipe(
            R"({"schema": 1, "steps": [{"type": "prune", "targets": "wte.weight", "saliency": "wanda", "ratio": 0.5}]})",
            "w.json");
        QVERIFY(embedding);
        auto noActivations = applyRecipe(m_base, *embedding, &m_calibration);
        QVERIFY(!noActivations);
        QVERIFY(noActivations.error().message.starts_with(
            "w.json: steps[0].saliency: no calibration activations for 'transformer.wte.weight'"));
        auto block = parseRecipe(
            R"({"schema": 1, "steps": [{"type": "prune", "targets": "*", "saliency": "wanda", "pattern": "block", "block": [4, 4], "ratio": 0.5}]})",
            "w.json");
        QVERIFY(!block);
        QCOMPARE(QString::fromStdString(block.error().message),
            QStringLiteral("w.json: steps[0].saliency: 'wanda' works with patterns unstructured and n:m, not block"));
    }

private:
    std::shared_ptr<const Model> m_base;
    CalibrationData m_calibration;
    std::vector<std::int32_t> m_eval;
};

QTEST_APPLESS_MAIN(TestWanda)
#include "tst_wanda.moc"
