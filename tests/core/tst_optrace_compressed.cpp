// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The op trace of a compressed model carries each weight GEMM's real bit width, N:M pattern and
// density. Oracles: the recipe itself (bits, pattern) and a count of the zeros in the weights the
// model serves, done here.
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/inference.h"

#include <QTest>

#include <algorithm>
#include <filesystem>
#include <map>

using namespace optiscope::core;

namespace {

const std::filesystem::path kGpt2 = std::filesystem::path(OPTISCOPE_FIXTURES_DIR) / "gpt2";

// 2:4 keeps exactly half of every group; int8 per channel may round a kept weight to zero only if
// it is below max|w| / 254 of its row, which the 2 largest of 4 almost never are.
constexpr double kMaxDensityBelowHalf = 0.02;

// Layer 0's QKV and FFN-up (2:4 then int8) and every FFN-down (int8 only); the rest stays fp32.
const char* kRecipe = R"({"schema": 1, "steps": [
    {"type": "prune", "targets": ["h.0.attn.c_attn.weight", "h.0.mlp.c_fc.weight"], "pattern": "n:m", "n": 2, "m": 4},
    {"type": "quantize", "targets": ["h.0.attn.c_attn.weight", "h.0.mlp.c_fc.weight", "*.mlp.c_proj.weight"],
     "bits": 8, "granularity": "per_channel"}
]})";

double nonzeroFraction(const Weight& w)
{
    const auto n = w.elementCount();
    return static_cast<double>(std::count_if(w.data, w.data + n, [](float v) { return v != 0.0f; })) / n;
}

} // namespace

class TestOpTraceCompressed : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        auto base = loadModel(kGpt2);
        QVERIFY2(base, base ? "" : base.error().message.c_str());
        m_base = *base;
        auto recipe = parseRecipe(kRecipe, "nm24_int8.json");
        QVERIFY2(recipe, recipe ? "" : recipe.error().message.c_str());
        auto compressed = applyRecipe(m_base, *recipe);
        QVERIFY2(compressed, compressed ? "" : compressed.error().message.c_str());
        m_compressed = *compressed;
        auto input = idsInput(*m_base, { 5, 17, 42, 99, 3, 64, 8, 21 });
        QVERIFY(input);
        auto run = optiscope::core::run(*m_compressed, *input, { .opTrace = true });
        QVERIFY2(run, run ? "" : run.error().message.c_str());
        for (const auto& op : run->opTrace.ops) {
            m_ops[op.name] = op;
        }
        auto baseRun = optiscope::core::run(*m_base, *input, { .opTrace = true });
        QVERIFY(baseRun);
        m_baseOps = baseRun->opTrace.ops;
        QCOMPARE(m_ops.size(), m_baseOps.size());
    }

    void weightOps_data()
    {
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("weight");
        QTest::addColumn<int>("bits");
        QTest::addColumn<int>("nmN");
        QTest::addColumn<int>("nmM");
        QTest::newRow("l0 qkv 2:4 int8") << "layer0.attn.qkv"
                                         << "h.0.attn.c_attn.weight" << 8 << 2 << 4;
        QTest::newRow("l0 ffn up 2:4 int8") << "layer0.ffn.up"
                                            << "h.0.mlp.c_fc.weight" << 8 << 2 << 4;
        QTest::newRow("l0 ffn down int8") << "layer0.ffn.down"
                                          << "h.0.mlp.c_proj.weight" << 8 << 0 << 0;
        QTest::newRow("l1 ffn down int8") << "layer1.ffn.down"
                                          << "h.1.mlp.c_proj.weight" << 8 << 0 << 0;
        QTest::newRow("l0 attn out fp32") << "layer0.attn.out"
                                          << "h.0.attn.c_proj.weight" << 32 << 0 << 0;
        QTest::newRow("l1 qkv fp32") << "layer1.attn.qkv"
                                     << "h.1.attn.c_attn.weight" << 32 << 0 << 0;
        QTest::newRow("l1 ffn up fp32") << "layer1.ffn.up"
                                        << "h.1.mlp.c_fc.weight" << 32 << 0 << 0;
        QTest::newRow("lm head fp32") << "lm_head"
                                      << "lm_head.weight" << 32 << 0 << 0;
    }

    void weightOps()
    {
        QFETCH(QString, op);
        QFETCH(QString, weight);
        QFETCH(int, bits);
        QFETCH(int, nmN);
        QFETCH(int, nmM);
        const auto it = m_ops.find(op.toStdString());
        QVERIFY2(it != m_ops.end(), qPrintable(op));
        const auto& traced = it->second;
        QCOMPARE(traced.bBits, bits);
        QCOMPARE(traced.aBits, 32); // activations are not quantized in schema 1
        QCOMPARE(traced.nmN, nmN);
        QCOMPARE(traced.nmM, nmM);
        const Weight* served = m_compressed->weight(weight.toStdString());
        QVERIFY(served);
        QCOMPARE(traced.bDensity, nonzeroFraction(*served));
        if (nmM > 0) {
            QVERIFY(traced.bDensity <= 0.5);
            QVERIFY(traced.bDensity >= 0.5 - kMaxDensityBelowHalf);
        } else {
            // The fixture's random weights have no exact zeros, and int8 of a dense row keeps nearly all.
            QVERIFY(traced.bDensity > 0.9);
        }
    }

    void activationOpsStayDense()
    {
        int attentionOps = 0;
        for (const auto& [name, op] : m_ops) {
            if (op.kind == optiscope::optrace::OpKind::AttentionScores
                || op.kind == optiscope::optrace::OpKind::AttentionContext) {
                ++attentionOps;
                QCOMPARE(op.bBits, 32);
                QCOMPARE(op.nmM, 0);
                QCOMPARE(op.bDensity, 1.0);
            }
        }
        QCOMPARE(attentionOps, 2 * 2 * 4); // layers × {QKᵀ, attention·V} × heads
    }

    void baseModelIsDenseFp32()
    {
        for (const auto& op : m_baseOps) {
            QCOMPARE(op.bBits, 32);
            QCOMPARE(op.nmN, 0);
            QCOMPARE(op.nmM, 0);
            QCOMPARE(op.bDensity, 1.0);
        }
    }

    void patternSurvivesFurtherPruning()
    {
        // A later unstructured step only removes more weights, so every group still has ≤ 2 of 4.
        auto recipe = parseRecipe(R"({"schema": 1, "steps": [
            {"type": "prune", "targets": "h.1.mlp.c_fc.weight", "pattern": "n:m", "n": 1, "m": 4},
            {"type": "prune", "targets": "h.1.mlp.c_fc.weight", "ratio": 0.9}]})",
            "r.json");
        QVERIFY(recipe);
        auto model = applyRecipe(m_base, *recipe);
        QVERIFY(model);
        const WeightAnnotation a = (*model)->weightAnnotation("transformer.h.1.mlp.c_fc.weight");
        QCOMPARE(a.nmN, 1);
        QCOMPARE(a.nmM, 4);
        QCOMPARE(a.bits, 32);
        QCOMPARE(a.density, nonzeroFraction(*(*model)->weight("h.1.mlp.c_fc.weight")));
        // c_fc is [32 × 128]: round(0.9 · 4096) = 3686 pruned, 410 kept (the fixture has no exact zeros).
        QCOMPARE(a.density, 410.0 / 4096.0);
    }

private:
    std::shared_ptr<const Model> m_base;
    std::shared_ptr<const CompressedModel> m_compressed;
    std::map<std::string, optiscope::optrace::MatMulOp> m_ops;
    std::vector<optiscope::optrace::MatMulOp> m_baseOps;
};

QTEST_APPLESS_MAIN(TestOpTraceCompressed)
#include "tst_optrace_compressed.moc"
