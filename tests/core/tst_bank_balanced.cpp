// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Bank-balanced pruning: masks against a naive per-bank sort, the per-bank invariant on
// samples/tiny-gpt2 through a recipe, and recipe errors.
#include "optiscope/core/compression/pruning.h"
#include "optiscope/core/compression/recipe_applier.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

using namespace optiscope::core;

namespace {

const std::filesystem::path kSample = std::filesystem::path(OPTISCOPE_SAMPLES_DIR) / "tiny-gpt2";

// Naive: in every bank, sort (|x|, input index) ascending and prune the first round(ratio·bank).
Mask naiveBankMask(const std::vector<float>& values, const MatrixShape& shape, int bank, double ratio)
{
    Mask mask(values.size(), 1);
    const long long pruned = std::llround(ratio * bank);
    for (std::int64_t out = 0; out < shape.outFeatures; ++out) {
        for (std::int64_t begin = 0; begin < shape.inFeatures; begin += bank) {
            std::vector<std::pair<float, std::int64_t>> items;
            for (std::int64_t in = begin; in < begin + bank; ++in) {
                items.emplace_back(std::fabs(values[shape.index(out, in)]), in);
            }
            std::sort(items.begin(), items.end());
            for (long long i = 0; i < pruned; ++i) {
                mask[shape.index(out, items[i].second)] = 0;
            }
        }
    }
    return mask;
}

void checkBanks(const Mask& mask, const MatrixShape& shape, int bank, int keptPerBank)
{
    for (std::int64_t out = 0; out < shape.outFeatures; ++out) {
        for (std::int64_t begin = 0; begin < shape.inFeatures; begin += bank) {
            int kept = 0;
            for (std::int64_t in = begin; in < begin + bank; ++in) {
                kept += mask[shape.index(out, in)];
            }
            QCOMPARE(kept, keptPerBank);
        }
    }
}

} // namespace

class TestBankBalanced : public QObject {
    Q_OBJECT

private slots:
    void matchesNaive_data()
    {
        QTest::addColumn<int>("bank");
        QTest::addColumn<double>("ratio");
        QTest::addColumn<bool>("inputMajor");
        QTest::addColumn<bool>("ties");
        QTest::newRow("bank8_50%") << 8 << 0.5 << false << false;
        QTest::newRow("bank8_30%_conv1d") << 8 << 0.3 << true << false; // round(2.4) = 2 per bank
        QTest::newRow("bank16_75%_ties") << 16 << 0.75 << false << true;
        QTest::newRow("bank48_0%") << 48 << 0.0 << true << false;
    }

    void matchesNaive()
    {
        QFETCH(int, bank);
        QFETCH(double, ratio);
        QFETCH(bool, inputMajor);
        QFETCH(bool, ties);
        const MatrixShape shape { 12, 48, inputMajor };
        std::mt19937 rng(99);
        std::normal_distribution<float> normal;
        std::vector<float> values(shape.elementCount());
        for (auto& v : values) {
            v = ties ? std::round(normal(rng) * 2.0f) / 2.0f : normal(rng); // many equal magnitudes
        }
        const Mask mask = bankBalancedMask(values, shape, bank, ratio);
        QCOMPARE(mask, naiveBankMask(values, shape, bank, ratio));
        checkBanks(mask, shape, bank, bank - int(std::llround(ratio * bank)));
    }

    void recipeOnSample()
    {
        auto base = loadModel(kSample);
        QVERIFY(base);
        auto recipe = parseRecipe(
            R"({"schema": 1, "steps": [{"type": "prune", "targets": "*.mlp.*.weight", "pattern": "bank_balanced", "bank_size": 32, "ratio": 0.5}]})",
            "b.json");
        QVERIFY2(recipe, recipe ? "" : recipe.error().message.c_str());
        auto model = applyRecipe(*base, *recipe);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        QCOMPARE((*model)->compressedTensors().size(), std::size_t { 8 });
        for (const auto& [name, tensor] : (*model)->compressedTensors()) {
            checkBanks(tensor->mask, tensor->matrix, 32, 16);
            const Weight* w = (*base)->weight(name);
            const std::vector<float> original(w->data, w->data + w->elementCount());
            QCOMPARE(tensor->mask, naiveBankMask(original, tensor->matrix, 32, 0.5));
        }
        QCOMPARE(compressionReport(**model).sparsity(), 0.5);
    }

    void errors_data()
    {
        QTest::addColumn<QString>("fields");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing") << R"("ratio": 0.5)"
                                 << "b.json: steps[0].bank_size: missing";
        QTest::newRow("one") << R"("ratio": 0.5, "bank_size": 1)"
                             << "b.json: steps[0].bank_size: must be in [2, 65536], got 1";
        QTest::newRow("ratio") << R"("bank_size": 8)"
                               << "b.json: steps[0].ratio: missing";
        QTest::newRow("wanda") << R"("bank_size": 8, "ratio": 0.5, "saliency": "wanda")"
                               << "b.json: steps[0].saliency: 'wanda' works with patterns unstructured and n:m, not "
                                  "bank_balanced";
    }

    void errors()
    {
        QFETCH(QString, fields);
        QFETCH(QString, message);
        auto recipe = parseRecipe(
            QStringLiteral(
                R"({"schema": 1, "steps": [{"type": "prune", "targets": "*", "pattern": "bank_balanced", %1}]})")
                .arg(fields)
                .toStdString(),
            "b.json");
        QVERIFY(!recipe);
        QCOMPARE(QString::fromStdString(recipe.error().message), message);
    }

    void bankMustDivide()
    {
        auto base = loadModel(kSample);
        QVERIFY(base);
        auto recipe = parseRecipe(
            R"({"schema": 1, "steps": [{"type": "prune", "targets": "*.mlp.c_fc.weight", "pattern": "bank_balanced", "bank_size": 48, "ratio": 0.5}]})",
            "b.json");
        QVERIFY(recipe);
        auto model = applyRecipe(*base, *recipe);
        QVERIFY(!model);
        QCOMPARE(QString::fromStdString(model.error().message),
            QStringLiteral("b.json: steps[0].bank_size: 48 does not divide the input dimension 128 of "
                           "'transformer.h.0.mlp.c_fc.weight'"));
    }
};

QTEST_APPLESS_MAIN(TestBankBalanced)
#include "tst_bank_balanced.moc"
