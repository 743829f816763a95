// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Recipe parsing and validation, target selection, non-destructive application to a real
// checkpoint (tests/fixtures/gpt2), the step cache and undo.
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/compression/recipe_applier.h"
#include "optiscope/core/inference.h"

#include <QTest>

#include <cstring>
#include <filesystem>

using namespace optiscope::core;

namespace {

const std::filesystem::path kGpt2 = std::filesystem::path(OPTISCOPE_FIXTURES_DIR) / "gpt2";

Recipe parseOrDie(const std::string& json)
{
    auto recipe = parseRecipe(json, "r.json");
    if (!recipe) {
        qFatal("%s", recipe.error().message.c_str());
    }
    return *recipe;
}

std::vector<float> copyOf(const Weight& w) { return std::vector<float>(w.data, w.data + w.elementCount()); }

const char* kTwoSteps = R"({"schema": 1, "steps": [
    {"type": "prune", "targets": ["*.attn.c_attn.weight", "transformer.h.1.*"], "pattern": "unstructured", "ratio": 0.5},
    {"type": "quantize", "targets": "*.mlp.c_fc.weight", "bits": 4, "granularity": "group", "group_size": 32}
]})";

} // namespace

class TestRecipe : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        auto model = loadModel(kGpt2);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        m_base = *model;
    }

    void globMatching_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("match");
        QTest::newRow("star_prefix") << "*.attn.c_attn.weight"
                                     << "transformer.h.0.attn.c_attn.weight" << true;
        QTest::newRow("star_suffix") << "transformer.h.1.*"
                                     << "transformer.h.1.mlp.c_fc.weight" << true;
        QTest::newRow("other_layer") << "transformer.h.1.*"
                                     << "transformer.h.11.mlp.c_fc.weight" << false;
        QTest::newRow("question") << "h.?.mlp.*"
                                  << "h.3.mlp.c_proj.weight" << true;
        QTest::newRow("question_two_digits") << "h.?.mlp.*"
                                             << "h.12.mlp.c_proj.weight" << false;
        QTest::newRow("literal") << "wte.weight"
                                 << "wte.weight" << true;
        QTest::newRow("literal_mismatch") << "wte.weight"
                                          << "wpe.weight" << false;
        QTest::newRow("middle") << "*.mlp.*.weight"
                                << "h.0.mlp.c_fc.bias" << false;
        QTest::newRow("empty_name") << "*"
                                    << "" << true;
        QTest::newRow("backtrack") << "*a*b"
                                   << "xaxxbyb" << true;
    }

    void globMatching()
    {
        QFETCH(QString, pattern);
        QFETCH(QString, name);
        QFETCH(bool, match);
        QCOMPARE(globMatch(pattern.toStdString(), name.toStdString()), match);
    }

    void parsesValidRecipe()
    {
        const Recipe recipe = parseOrDie(kTwoSteps);
        QCOMPARE(recipe.steps.size(), std::size_t { 2 });
        const auto& prune = recipe.steps[0];
        QCOMPARE(prune.type, StepType::Prune);
        QCOMPARE(prune.targets.size(), std::size_t { 2 });
        QCOMPARE(prune.ratio, 0.5);
        QCOMPARE(prune.scope, PruneScope::PerTensor);
        const auto& quant = recipe.steps[1];
        QCOMPARE(quant.type, StepType::Quantize);
        QCOMPARE(quant.quant.bits, 4);
        QVERIFY(quant.quant.symmetric);
        QCOMPARE(quant.quant.granularity, QuantGranularity::Group);
        QCOMPARE(quant.quant.groupSize, 32);
        const auto nm
            = parseOrDie(R"({"schema":1,"steps":[{"type":"prune","targets":"*","pattern":"n:m","n":2,"m":4}]})");
        QCOMPARE(nm.steps[0].pattern, PrunePattern::NM);
        QCOMPARE(nm.steps[0].n, 2);
        QCOMPARE(nm.steps[0].m, 4);
        const auto block = parseOrDie(
            R"({"schema":1,"steps":[{"type":"prune","targets":"*","pattern":"block","block":[16,8],"ratio":0.3}]})");
        QCOMPARE(block.steps[0].blockOut, 16);
        QCOMPARE(block.steps[0].blockIn, 8);
    }

    void cacheKeyIgnoresSpellingOfDefaults()
    {
        const auto a = parseOrDie(R"({"schema":1,"steps":[{"type":"prune","targets":"*","ratio":0.5}]})");
        const auto b = parseOrDie(
            R"({"steps":[{"ratio":0.5,"scope":"per_tensor","pattern":"unstructured","targets":["*"],"type":"prune"}],"schema":1})");
        const auto c = parseOrDie(R"({"schema":1,"steps":[{"type":"prune","targets":"*","ratio":0.6}]})");
        QCOMPARE(a.steps[0].cacheKey, b.steps[0].cacheKey);
        QVERIFY(a.steps[0].cacheKey != c.steps[0].cacheKey);
    }

    void rejectsBadInput_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("message");
        const auto step = [](const char* body) {
            return QStringLiteral(R"({"schema": 1, "steps": [{"type": "prune", "targets": "*", "ratio": 0.5}, %1]})")
                .arg(QString::fromUtf8(body));
        };
        QTest::newRow("invalid_json") << "{\"schema\": 1,"
                                      << "r.json: invalid JSON at byte";
        QTest::newRow("no_schema") << R"({"steps": []})"
                                   << "r.json: schema: missing";
        QTest::newRow("schema_2") << R"({"schema": 2, "steps": []})"
                                  << "r.json: schema: unsupported version 2";
        QTest::newRow("top_unknown") << R"({"schema": 1, "steps": [], "stpes": 1})"
                                     << "r.json: stpes: unknown field";
        QTest::newRow("steps_not_array") << R"({"schema": 1, "steps": {}})"
                                         << "r.json: steps: expected an array";
        QTest::newRow("unknown_type") << step(R"({"type": "distill", "targets": "*"})")
                                      << R"(r.json: steps[1].type: "distill" is not one of prune, quantize)";
        QTest::newRow("ratio_one") << step(R"({"type": "prune", "targets": "*", "ratio": 1.0})")
                                   << "r.json: steps[1].ratio: must be in [0, 1), got 1.0";
        QTest::newRow("ratio_negative") << step(R"({"type": "prune", "targets": "*", "ratio": -0.1})")
                                        << "r.json: steps[1].ratio: must be in [0, 1)";
        QTest::newRow("ratio_missing") << step(R"({"type": "prune", "targets": "*"})")
                                       << "r.json: steps[1].ratio: missing";
        QTest::newRow("n_ge_m") << step(R"({"type": "prune", "targets": "*", "pattern": "n:m", "n": 4, "m": 4})")
                                << "r.json: steps[1].n: must satisfy 1 <= n < m (m = 4), got 4";
        QTest::newRow("m_one") << step(R"({"type": "prune", "targets": "*", "pattern": "n:m", "n": 1, "m": 1})")
                               << "r.json: steps[1].m: must be in [2, 1024], got 1";
        QTest::newRow("bits_0") << step(R"({"type": "quantize", "targets": "*", "bits": 0})")
                                << "r.json: steps[1].bits: must be in [2, 16], got 0";
        QTest::newRow("bits_33") << step(R"({"type": "quantize", "targets": "*", "bits": 33})")
                                 << "r.json: steps[1].bits: must be in [2, 16], got 33";
        QTest::newRow("bits_float") << step(R"({"type": "quantize", "targets": "*", "bits": 4.5})")
                                    << "r.json: steps[1].bits: expected an integer, got 4.5";
        QTest::newRow("group_missing") << step(
            R"({"type": "quantize", "targets": "*", "bits": 4, "granularity": "group"})")
                                       << "r.json: steps[1].group_size: missing";
        QTest::newRow("granularity") << step(R"({"type": "quantize", "targets": "*", "bits": 4, "granularity": "row"})")
                                     << "r.json: steps[1].granularity: \"row\" is not one of";
        QTest::newRow("targets_missing") << step(R"({"type": "quantize", "bits": 8})")
                                         << "r.json: steps[1].targets: missing";
        QTest::newRow("targets_empty") << step(R"({"type": "quantize", "targets": [], "bits": 8})")
                                       << "r.json: steps[1].targets: empty";
        QTest::newRow("target_not_string") << step(R"({"type": "quantize", "targets": ["*", 3], "bits": 8})")
                                           << "r.json: steps[1].targets[1]: expected a non-empty pattern string";
        QTest::newRow("typo_field") << step(R"({"type": "prune", "targets": "*", "ratio": 0.5, "ration": 0.5})")
                                    << "r.json: steps[1].ration: unknown field for a 'prune' step";
        QTest::newRow("quant_field_on_prune") << step(R"({"type": "prune", "targets": "*", "ratio": 0.5, "bits": 8})")
                                              << "r.json: steps[1].bits: unknown field for a 'prune' step";
        QTest::newRow("block_shape") << step(
            R"({"type": "prune", "targets": "*", "pattern": "block", "block": [0, 4], "ratio": 0.5})")
                                     << "r.json: steps[1].block: expected [output_rows, input_cols]";
        QTest::newRow("step_not_object") << step("3") << "r.json: steps[1]: expected an object";
    }

    void rejectsBadInput()
    {
        QFETCH(QString, json);
        QFETCH(QString, message);
        auto recipe = parseRecipe(json.toStdString(), "r.json");
        QVERIFY(!recipe);
        const QString actual = QString::fromStdString(recipe.error().message);
        QVERIFY2(actual.startsWith(message), qPrintable(actual));
        QVERIFY(!actual.contains('\n'));
    }

    void applyErrorsNameTheFieldAndApplyNothing_data()
    {
        QTest::addColumn<QString>("step");
        QTest::addColumn<QString>("message");
        QTest::newRow("no_match") << R"({"type": "prune", "targets": ["*.attn.*", "*.nothing.*"], "ratio": 0.5})"
                                  << "r.json: steps[1].targets[1]: '*.nothing.*' matches no weight matrix";
        QTest::newRow("bias_only") << R"({"type": "prune", "targets": "*.bias", "ratio": 0.5})"
                                   << "r.json: steps[1].targets[0]: '*.bias' matches no weight matrix";
        QTest::newRow("excluded_all")
            << R"({"type": "prune", "targets": "*.c_fc.weight", "exclude": "*", "ratio": 0.5})"
            << "r.json: steps[1].exclude: removes every tensor";
        // n_embd 32: the input dimension of c_attn / c_fc
        QTest::newRow("group_size")
            << R"({"type": "quantize", "targets": "*.c_fc.weight", "bits": 4, "granularity": "group", "group_size": 24})"
            << "r.json: steps[1].group_size: 24 does not divide the input dimension 32 of "
               "'transformer.h.0.mlp.c_fc.weight'";
        QTest::newRow("nm_m") << R"({"type": "prune", "targets": "*.c_attn.weight", "pattern": "n:m", "n": 2, "m": 5})"
                              << "r.json: steps[1].m: 5 does not divide the input dimension 32";
        QTest::newRow("block_out")
            << R"({"type": "prune", "targets": "*.c_fc.weight", "pattern": "block", "block": [48, 4], "ratio": 0.5})"
            << "r.json: steps[1].block[0]: 48 does not divide the output dimension 128";
    }

    void applyErrorsNameTheFieldAndApplyNothing()
    {
        QFETCH(QString, step);
        QFETCH(QString, message);
        RecipeApplier applier(m_base);
        auto good = applier.apply(parseOrDie(
            R"({"schema": 1, "steps": [{"type": "prune", "targets": "*.attn.c_proj.weight", "ratio": 0.5}]})"));
        QVERIFY(good);
        const Recipe bad = parseOrDie(QStringLiteral(
            R"({"schema": 1, "steps": [{"type": "prune", "targets": "*.attn.c_proj.weight", "ratio": 0.5}, %1]})")
                                          .arg(step)
                                          .toStdString());
        auto result = applier.apply(bad);
        QVERIFY(!result);
        const QString actual = QString::fromStdString(result.error().message);
        QVERIFY2(actual.startsWith(message), qPrintable(actual));
        QCOMPARE(applier.appliedSteps(), std::size_t { 1 }); // the cache kept its state
    }

    void applyLeavesBaseUntouchedAndServesWeights()
    {
        const Weight* baseAttn = m_base->weight("h.0.attn.c_attn.weight");
        const Weight* baseProj = m_base->weight("h.0.attn.c_proj.weight");
        const auto before = copyOf(*baseAttn);
        auto model = applyRecipe(m_base, parseOrDie(kTwoSteps));
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        QCOMPARE(copyOf(*baseAttn), before);

        // Selection (stored names, the fixture keeps the class prefix): c_attn of both layers, everything 2-D in layer
        // 1, c_fc of both layers.
        QStringList names;
        for (const auto& [name, tensor] : (*model)->compressedTensors()) {
            names << QString::fromStdString(name);
        }
        QCOMPARE(names,
            (QStringList { "transformer.h.0.attn.c_attn.weight", "transformer.h.0.mlp.c_fc.weight",
                "transformer.h.1.attn.c_attn.weight", "transformer.h.1.attn.c_proj.weight",
                "transformer.h.1.mlp.c_fc.weight", "transformer.h.1.mlp.c_proj.weight" }));

        const Weight* attn = (*model)->weight("h.0.attn.c_attn.weight");
        QVERIFY(attn != baseAttn);
        QCOMPARE((*model)->weight("transformer.h.0.attn.c_attn.weight"), attn);
        QCOMPARE((*model)->weight("h.0.attn.c_proj.weight"), baseProj); // unchanged: the base view
        std::int64_t zeros = 0;
        for (std::int64_t i = 0; i < attn->elementCount(); ++i) {
            zeros += attn->data[i] == 0.0f;
            QVERIFY(attn->data[i] == 0.0f || attn->data[i] == before[i]);
        }
        QCOMPARE(zeros, attn->elementCount() / 2);

        // Layer 1's c_fc was pruned by step 0, then quantized: pruned elements stay zero.
        const CompressedTensor* fc1 = (*model)->compressed("h.1.mlp.c_fc.weight");
        QVERIFY(fc1 && fc1->quant && !fc1->mask.empty());
        QCOMPARE(fc1->quant->scales.size(), std::size_t { 128 * (32 / 32) });
        for (std::size_t i = 0; i < fc1->values.size(); ++i) {
            QVERIFY(fc1->mask[i] || fc1->values[i] == 0.0f);
        }
        const auto report = compressionReport(**model);
        QCOMPARE(report.tensors.size(), std::size_t { 6 });
        QCOMPARE(report.tensors[0].sparsity, 0.5);
        QCOMPARE(report.tensors[1].sparsity, 0.0); // layer 0 c_fc: quantized only
        QCOMPARE(report.tensors[1].storedBits, 4);
        QVERIFY(report.tensors[1].mse > 0);
    }

    void tiedHeadFollowsEmbedding()
    {
        auto model = applyRecipe(m_base,
            parseOrDie(R"({"schema": 1, "steps": [{"type": "prune", "targets": "wte.weight", "ratio": 0.5}]})"));
        QVERIFY(model);
        QVERIFY((*model)->compressed("lm_head.weight") != nullptr);
        QCOMPARE((*model)->weight("lm_head.weight"), (*model)->weight("transformer.wte.weight"));
    }

    void identityRunsLikeBase()
    {
        auto model = applyRecipe(m_base, parseOrDie(R"({"schema": 1, "steps": []})"));
        QVERIFY(model);
        auto input = idsInput(*m_base, { 5, 17, 42, 99, 3 });
        QVERIFY(input);
        auto a = run(*m_base, *input), b = run(**model, *input);
        QVERIFY(a && b);
        QCOMPARE(a->logits, b->logits);
    }

    void cacheReusesPrefixAndUndoDropsLast()
    {
        const char* threeSteps = R"({"schema": 1, "steps": [
            {"type": "prune", "targets": "*.attn.c_attn.weight", "ratio": 0.3},
            {"type": "prune", "targets": "*.mlp.*.weight", "pattern": "n:m", "n": 2, "m": 4},
            {"type": "quantize", "targets": "*.weight", "bits": 8, "granularity": "per_channel"}]})";
        RecipeApplier applier(m_base);
        Recipe recipe = parseOrDie(threeSteps);
        Recipe firstTwo = recipe;
        firstTwo.steps.pop_back();
        auto two = applier.apply(firstTwo);
        QVERIFY(two);
        QCOMPARE(applier.lastComputedSteps(), std::size_t { 2 });
        auto three = applier.apply(recipe);
        QVERIFY(three);
        QCOMPARE(applier.lastReusedSteps(), std::size_t { 2 });
        QCOMPARE(applier.lastComputedSteps(), std::size_t { 1 });
        // The cached path gives what a fresh application gives.
        auto fresh = applyRecipe(m_base, recipe);
        QVERIFY(fresh);
        for (const auto& [name, tensor] : (*fresh)->compressedTensors()) {
            QCOMPARE((*three)->compressed(name)->values, tensor->values);
        }
        // A slider move on step 1 recomputes steps 1 and 2 only.
        recipe.steps[1].n = 1;
        recipe.steps[1].cacheKey = parseOrDie(
            R"({"schema":1,"steps":[{"type":"prune","targets":"*.mlp.*.weight","pattern":"n:m","n":1,"m":4}]})")
                                       .steps[0]
                                       .cacheKey;
        QVERIFY(applier.apply(recipe));
        QCOMPARE(applier.lastReusedSteps(), std::size_t { 1 });
        QCOMPARE(applier.lastComputedSteps(), std::size_t { 2 });
        // Undo: back to the model after steps 0 and 1.
        auto undone = applier.undo();
        QCOMPARE(applier.appliedSteps(), std::size_t { 2 });
        QVERIFY(undone->compressed("h.0.mlp.c_fc.weight")->mask.size() > 0);
        QVERIFY(!undone->compressed("h.0.mlp.c_fc.weight")->quant);
        applier.undo();
        applier.undo();
        QCOMPARE(applier.appliedSteps(), std::size_t { 0 });
        QVERIFY(applier.undo()->compressedTensors().empty());
    }

private:
    std::shared_ptr<const Model> m_base;
};

QTEST_APPLESS_MAIN(TestRecipe)
#include "tst_recipe.moc"
