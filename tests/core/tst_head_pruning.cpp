// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Attention-head removal on the GPT-2 and BERT fixtures: mask structure, the removed head's
// attention (its Q and K reduce to their biases, so it attends uniformly) and equivalence with
// zeroing only the output projection's input rows.
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/inference.h"

#include <QTest>

#include <cmath>
#include <filesystem>

using namespace optiscope::core;

namespace {

constexpr double kMaxUniformAttentionDiff = 1e-6;
// Same head contribution removed by two different masks; only summation order differs.
constexpr double kMaxEquivalentLogitDiff = 1e-5;

const std::filesystem::path kFixtures(OPTISCOPE_FIXTURES_DIR);

std::shared_ptr<const CompressedModel> applyOrDie(const std::shared_ptr<const Model>& base, const std::string& json)
{
    auto recipe = parseRecipe(json, "heads.json");
    if (!recipe) {
        qFatal("%s", recipe.error().message.c_str());
    }
    auto model = applyRecipe(base, *recipe);
    if (!model) {
        qFatal("%s", model.error().message.c_str());
    }
    return *model;
}

} // namespace

class TestHeadPruning : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        auto gpt2 = loadModel(kFixtures / "gpt2");
        auto bert = loadModel(kFixtures / "bert");
        QVERIFY(gpt2 && bert);
        m_gpt2 = *gpt2;
        m_bert = *bert;
    }

    void gpt2MaskStructure()
    {
        auto model
            = applyOrDie(m_gpt2, R"({"schema": 1, "steps": [{"type": "prune_heads", "heads": [[0, 1], [1, 3]]}]})");
        const int d = 32, dh = 8;
        const CompressedTensor* qkv = model->compressed("h.0.attn.c_attn.weight");
        const CompressedTensor* proj = model->compressed("h.0.attn.c_proj.weight");
        QVERIFY(qkv && proj);
        QVERIFY(model->compressed("h.0.mlp.c_fc.weight") == nullptr);
        // c_attn is Conv1D [in = 32, out = 96]: head 1 owns output columns 8..15 of Q, K and V.
        for (int in = 0; in < d; ++in) {
            for (int out = 0; out < 3 * d; ++out) {
                const bool headColumn = (out % d) / dh == 1;
                QCOMPARE(bool(qkv->mask[in * 3 * d + out]), !headColumn);
            }
        }
        // c_proj is Conv1D [in = 32, out = 32]: head 1 owns input rows 8..15.
        for (int in = 0; in < d; ++in) {
            for (int out = 0; out < d; ++out) {
                QCOMPARE(bool(proj->mask[in * d + out]), in / dh != 1);
            }
        }
        QCOMPARE(compressionReport(*model).tensors.size(), std::size_t { 4 });
    }

    void gpt2PrunedHeadAttendsUniformly()
    {
        auto model = applyOrDie(m_gpt2, R"({"schema": 1, "steps": [{"type": "prune_heads", "heads": [[1, 2]]}]})");
        auto input = idsInput(*m_gpt2, { 3, 14, 15, 92, 65, 35, 89 });
        QVERIFY(input);
        CaptureOptions capture;
        capture.attention = true;
        auto pruned = run(*model, *input, capture);
        auto base = run(*m_gpt2, *input, capture);
        QVERIFY(pruned && base);
        double baseDeviation = 0;
        for (int q = 0; q < pruned->tokens; ++q) {
            for (int k = 0; k <= q; ++k) {
                QVERIFY(std::fabs(pruned->attention(1, 2, q, k) - 1.0 / (q + 1)) <= kMaxUniformAttentionDiff);
                baseDeviation = std::max(baseDeviation, std::fabs(base->attention(1, 2, q, k) - 1.0 / (q + 1)));
            }
        }
        QVERIFY(baseDeviation > 0.01); // the fixture's head was not uniform to begin with
        // Layer 0 is untouched.
        QCOMPARE(pruned->attention(0, 2, 4, 1), base->attention(0, 2, 4, 1));
    }

    void projectionRowsAloneRemoveTheHead()
    {
        auto model
            = applyOrDie(m_gpt2, R"({"schema": 1, "steps": [{"type": "prune_heads", "heads": [[0, 0], [0, 3]]}]})");
        // Independent construction: zero only c_proj's input rows of heads 0 and 3.
        auto identity = std::make_shared<CompressedModel>(m_gpt2);
        const Weight* proj = m_gpt2->weight("h.0.attn.c_proj.weight");
        std::vector<float> values(proj->data, proj->data + proj->elementCount());
        for (int in = 0; in < 32; ++in) {
            if (in / 8 == 0 || in / 8 == 3) {
                std::fill_n(values.begin() + in * 32, 32, 0.0f);
            }
        }
        auto rowsOnly = identity->with({ makeCompressedTensor("transformer.h.0.attn.c_proj.weight",
            MatrixShape { 32, 32, true }, proj->shape, std::move(values), {}, std::nullopt) });
        auto input = idsInput(*m_gpt2, { 1, 2, 3, 4, 5, 6 });
        QVERIFY(input);
        auto a = run(*model, *input), b = run(*rowsOnly, *input), base = run(*m_gpt2, *input);
        QVERIFY(a && b && base);
        double maxDiff = 0, baseDiff = 0;
        for (std::size_t i = 0; i < a->logits.size(); ++i) {
            maxDiff = std::max(maxDiff, double(std::fabs(a->logits[i] - b->logits[i])));
            baseDiff = std::max(baseDiff, double(std::fabs(a->logits[i] - base->logits[i])));
        }
        QVERIFY2(maxDiff <= kMaxEquivalentLogitDiff, qPrintable(QString::number(maxDiff)));
        QVERIFY(baseDiff > 1e-3);
    }

    void bertMaskStructureAndUniformAttention()
    {
        auto model = applyOrDie(m_bert, R"({"schema": 1, "steps": [{"type": "prune_heads", "heads": [[1, 2]]}]})");
        // nn.Linear [out, in]: head 2 owns output rows 16..23 of query/key/value and input
        // columns 16..23 of attention.output.dense.
        for (const char* part : { "query", "key", "value" }) {
            const CompressedTensor* t
                = model->compressed(std::string("encoder.layer.1.attention.self.") + part + ".weight");
            QVERIFY(t);
            for (int out = 0; out < 32; ++out) {
                for (int in = 0; in < 32; ++in) {
                    QCOMPARE(bool(t->mask[out * 32 + in]), out / 8 != 2);
                }
            }
        }
        const CompressedTensor* dense = model->compressed("encoder.layer.1.attention.output.dense.weight");
        QVERIFY(dense);
        for (int out = 0; out < 32; ++out) {
            for (int in = 0; in < 32; ++in) {
                QCOMPARE(bool(dense->mask[out * 32 + in]), in / 8 != 2);
            }
        }
        auto input = textInput(*m_bert, "a b c");
        if (!input) {
            input = idsInput(*m_bert, { 2, 7, 9, 11, 3 });
        }
        QVERIFY(input);
        CaptureOptions capture;
        capture.attention = true;
        auto result = run(*model, *input, capture);
        QVERIFY(result);
        for (int q = 0; q < result->tokens; ++q) {
            for (int k = 0; k < result->tokens; ++k) {
                QVERIFY(std::fabs(result->attention(1, 2, q, k) - 1.0 / result->tokens) <= kMaxUniformAttentionDiff);
            }
        }
    }

    void rejectsBadHeads_data()
    {
        QTest::addColumn<QString>("steps");
        QTest::addColumn<QString>("message");
        QTest::newRow("layer") << R"([{"type": "prune_heads", "heads": [[0, 0], [2, 0]]}])"
                               << "heads.json: steps[0].heads[1]: layer 2 out of range, the model has 2 layers";
        QTest::newRow("head") << R"([{"type": "prune_heads", "heads": [[0, 4]]}])"
                              << "heads.json: steps[0].heads[0]: head 4 out of range, the model has 4 heads per layer";
        QTest::newRow("missing") << R"([{"type": "prune_heads"}])"
                                 << "heads.json: steps[0].heads: missing";
        QTest::newRow("pair")
            << R"([{"type": "prune_heads", "heads": [[0]]}])"
            << "heads.json: steps[0].heads[0]: expected [layer, head] of non-negative integers, got [0]";
        QTest::newRow("targets") << R"([{"type": "prune_heads", "heads": [[0, 0]], "targets": "*"}])"
                                 << "heads.json: steps[0].targets: unknown field for a 'prune_heads' step";
    }

    void rejectsBadHeads()
    {
        QFETCH(QString, steps);
        QFETCH(QString, message);
        auto recipe
            = parseRecipe(QStringLiteral(R"({"schema": 1, "steps": %1})").arg(steps).toStdString(), "heads.json");
        QString actual;
        if (!recipe) {
            actual = QString::fromStdString(recipe.error().message);
        } else {
            auto model = applyRecipe(m_gpt2, *recipe);
            QVERIFY(!model);
            actual = QString::fromStdString(model.error().message);
        }
        QCOMPARE(actual, message);
    }

private:
    std::shared_ptr<const Model> m_gpt2;
    std::shared_ptr<const Model> m_bert;
};

QTEST_APPLESS_MAIN(TestHeadPruning)
#include "tst_head_pruning.moc"
