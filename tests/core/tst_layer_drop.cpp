// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// prune_layers (LayerDrop-style block removal): outputs against a PyTorch reference with the
// blocks deleted (tests/fixtures/compression/layer_drop.json, scripts/make_layer_drop_fixture.py),
// the op trace and MAC counts without the removed block's products, and recipe errors.
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/recipe_applier.h"
#include "optiscope/core/inference.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace optiscope::core;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(OPTISCOPE_FIXTURES_DIR);
const fs::path kSample = fs::path(OPTISCOPE_SAMPLES_DIR) / "tiny-gpt2";

// As the other PyTorch oracle tests (tst_inference): fp32 engine vs a float64 reference.
constexpr double kMaxOutputDiff = 1e-4;

nlohmann::json fixtureCases()
{
    std::ifstream in(kFixtures / "compression" / "layer_drop.json");
    return nlohmann::json::parse(in)["cases"];
}

std::string layersRecipe(const std::vector<int>& layers)
{
    return R"({"schema": 1, "steps": [{"type": "prune_layers", "layers": )" + nlohmann::json(layers).dump() + "}]}";
}

std::shared_ptr<const CompressedModel> dropped(const std::shared_ptr<const Model>& base, const std::vector<int>& layers)
{
    auto recipe = parseRecipe(layersRecipe(layers), "d.json");
    if (!recipe) {
        qWarning("%s", recipe.error().message.c_str());
        return nullptr;
    }
    auto model = applyRecipe(base, *recipe);
    if (!model) {
        qWarning("%s", model.error().message.c_str());
        return nullptr;
    }
    return *model;
}

} // namespace

class TestLayerDrop : public QObject {
    Q_OBJECT

private slots:
    void matchesPyTorch_data()
    {
        QTest::addColumn<int>("index");
        const auto cases = fixtureCases();
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const std::string name = cases[i]["fixture"].get<std::string>() + "_drop_" + cases[i]["dropped"].dump()
                + "_" + cases[i]["case"].get<std::string>();
            QTest::newRow(name.c_str()) << int(i);
        }
        QVERIFY(cases.size() >= 4);
    }

    void matchesPyTorch()
    {
        QFETCH(int, index);
        const auto item = fixtureCases()[index];
        auto base = loadModel(kFixtures / item["fixture"].get<std::string>());
        QVERIFY2(base, base ? "" : base.error().message.c_str());
        auto model = dropped(*base, item["dropped"].get<std::vector<int>>());
        QVERIFY(model);
        RunInput input;
        input.tokenIds = item["input_ids"].get<std::vector<std::int32_t>>();
        if (item.contains("token_type_ids")) {
            input.tokenTypeIds = item["token_type_ids"].get<std::vector<std::int32_t>>();
        }
        auto result = run(*model, input, {});
        QVERIFY2(result, result ? "" : result.error().message.c_str());
        const auto expected = item["output"].get<std::vector<double>>();
        const auto shape = item["output_shape"].get<std::vector<int>>();
        QCOMPARE(result->logitRows, shape[0]);
        QCOMPARE(result->logitCols, shape[1]);
        QCOMPARE(result->logits.size(), expected.size());
        double maxDiff = 0;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            maxDiff = std::max(maxDiff, std::fabs(result->logits[i] - expected[i]));
        }
        QVERIFY2(maxDiff <= kMaxOutputDiff, qPrintable(QString::number(maxDiff)));
        // The undropped model differs from the reference by far more: the test can fail.
        auto full = run(**base, input, {});
        QVERIFY(full);
        double fullDiff = 0;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            fullDiff = std::max(fullDiff, std::fabs(full->logits[i] - expected[i]));
        }
        QVERIFY(fullDiff > 100 * kMaxOutputDiff);
    }

    void opTraceAndMacs()
    {
        auto base = loadModel(kSample);
        QVERIFY(base);
        auto model = dropped(*base, { 1, 3 });
        QVERIFY(model);
        QCOMPARE(model->skippedLayers(), (std::vector<int> { 1, 3 }));
        const std::vector<std::int32_t> text { 464, 3290, 318, 257, 1588, 1110, 13, 383, 3797, 373, 257, 1310 };
        auto input = idsInput(**base, text);
        QVERIFY(input);
        CaptureOptions capture;
        capture.opTrace = true;
        capture.hiddenStates = true;
        auto full = run(**base, *input, capture);
        auto cut = run(*model, *input, capture);
        QVERIFY(full && cut);
        std::int64_t removedMacs = 0;
        std::size_t removedOps = 0;
        for (const auto& op : full->opTrace.ops) {
            if (op.layer == 1 || op.layer == 3) {
                removedMacs += op.m * op.k * op.n;
                ++removedOps;
            }
        }
        QVERIFY(removedOps >= 8); // qkv, scores and context per head, output, ffn up and down
        for (const auto& op : cut->opTrace.ops) {
            QVERIFY2(op.layer != 1 && op.layer != 3, op.name.c_str());
        }
        QCOMPARE(cut->opTrace.ops.size(), full->opTrace.ops.size() - removedOps);
        QCOMPARE(cut->opTrace.totalMacs(), full->opTrace.totalMacs() - removedMacs);
        // The removed block's output is its input: captured hidden states 1 and 2 are equal.
        const std::size_t stride = static_cast<std::size_t>(cut->tokens) * cut->hiddenSize;
        for (std::size_t i = 0; i < stride; ++i) {
            QCOMPARE(cut->hiddenStates[stride + i], cut->hiddenStates[2 * stride + i]);
        }

        auto identity = std::make_shared<CompressedModel>(*base);
        auto baseMetrics = evaluateCompression(*identity, text);
        auto metrics = evaluateCompression(*model, text);
        QVERIFY(baseMetrics && metrics);
        qInfo("MACs (12 tokens): base %lld, layers 1 and 3 removed %lld (effective %.0f)",
            static_cast<long long>(baseMetrics->macsDense), static_cast<long long>(metrics->macsDense),
            metrics->macsEffective);
        QCOMPARE(metrics->macsDense, baseMetrics->macsDense - removedMacs);
        QCOMPARE(metrics->macsEffective, baseMetrics->macsEffective - double(removedMacs));
        // The removed blocks' matrices count as pruned: 2 layers × (3·128² + 128² + 2·128·512).
        const std::int64_t layerWeights = 3 * 128 * 128 + 128 * 128 + 2 * 128 * 512;
        QCOMPARE(baseMetrics->nonzeros - metrics->nonzeros, 2 * layerWeights);
        QCOMPARE(compressionReport(*model).sparsity(), 1.0);
    }

    void errors_data()
    {
        QTest::addColumn<QString>("step");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing") << R"({"type": "prune_layers"})"
                                 << "d.json: steps[0].layers: missing";
        QTest::newRow("empty") << R"({"type": "prune_layers", "layers": []})"
                               << "d.json: steps[0].layers: expected a non-empty array of layer indices";
        QTest::newRow("negative") << R"({"type": "prune_layers", "layers": [0, -1]})"
                                  << "d.json: steps[0].layers[1]: expected a non-negative integer, got -1";
        QTest::newRow("targets") << R"({"type": "prune_layers", "layers": [0], "targets": "*"})"
                                 << "d.json: steps[0].targets: unknown field for a 'prune_layers' step";
    }

    void errors()
    {
        QFETCH(QString, step);
        QFETCH(QString, message);
        auto recipe = parseRecipe(QStringLiteral(R"({"schema": 1, "steps": [%1]})").arg(step).toStdString(), "d.json");
        QVERIFY(!recipe);
        QCOMPARE(QString::fromStdString(recipe.error().message), message);
    }

    void outOfRange()
    {
        auto base = loadModel(kSample);
        QVERIFY(base);
        auto recipe = parseRecipe(layersRecipe({ 2, 4 }), "d.json");
        QVERIFY(recipe);
        auto model = applyRecipe(*base, *recipe);
        QVERIFY(!model);
        QCOMPARE(QString::fromStdString(model.error().message),
            QStringLiteral("d.json: steps[0].layers[1]: layer 4 out of range, the model has 4 layers"));
        // Duplicates collapse, so equal steps share a cache key.
        auto a = parseRecipe(layersRecipe({ 2, 1, 2 }), "d.json");
        auto b = parseRecipe(layersRecipe({ 1, 2 }), "d.json");
        QVERIFY(a && b);
        QCOMPARE(a->steps[0].cacheKey, b->steps[0].cacheKey);
    }
};

QTEST_APPLESS_MAIN(TestLayerDrop)
#include "tst_layer_drop.moc"
