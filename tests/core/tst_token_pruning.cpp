// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// prune_tokens (SpAtten cascade, LTP threshold, EViT): kept sets and outputs against a float64
// PyTorch reference (tests/fixtures/compression/token_pruning.json, from
// scripts/make_token_pruning_fixtures.py), identity at keep_ratio 1, the op trace's M, simulated
// cycles, metrics from the pruned shapes, and recipe errors.
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/workload.h"
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/recipe_applier.h"
#include "optiscope/core/inference.h"

#include "sample_eval_text.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace optiscope::core;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = fs::path(OPTISCOPE_FIXTURES_DIR).parent_path().parent_path();
const fs::path kFixtures = fs::path(OPTISCOPE_FIXTURES_DIR);
const fs::path kSample = optiscope::test::kTinyGpt2Sample;

// fp32 engine vs the float64 reference, as in tst_inference.
constexpr double kMaxLogitDiff = 1e-4;
// A kept query row's attention sums to one over the kept keys.
constexpr double kMaxRowSumError = 1e-5;

nlohmann::json fixtureCases()
{
    std::ifstream in(kFixtures / "compression" / "token_pruning.json");
    return nlohmann::json::parse(in)["cases"];
}

nlohmann::json oracleCase(const fs::path& folder, const std::string& name)
{
    std::ifstream in(folder / "expected.json");
    const auto document = nlohmann::json::parse(in);
    for (const auto& item : document["cases"]) {
        if (item["name"] == name) {
            return item;
        }
    }
    return {};
}

std::string recipeText(const nlohmann::json& step)
{
    return nlohmann::json { { "schema", 1 }, { "steps", nlohmann::json::array({ step }) } }.dump();
}

Result<std::shared_ptr<const CompressedModel>> pruned(const std::shared_ptr<const Model>& base, const std::string& text)
{
    auto recipe = parseRecipe(text, "t.json");
    if (!recipe) {
        return std::unexpected(recipe.error());
    }
    return applyRecipe(base, *recipe);
}

std::shared_ptr<const CompressedModel> cascade(
    const std::shared_ptr<const Model>& base, double keepRatio, int start = 1)
{
    auto model = pruned(base,
        recipeText({ { "type", "prune_tokens" }, { "method", "cascade" }, { "keep_ratio", keepRatio },
            { "start_layer", start } }));
    if (!model) {
        qWarning("%s", model.error().message.c_str());
        return nullptr;
    }
    return *model;
}

RunInput fixtureInput(const nlohmann::json& item)
{
    RunInput input;
    if (item.contains("input_ids")) {
        input.tokenIds = item["input_ids"].get<std::vector<std::int32_t>>();
    }
    if (item.contains("token_type_ids")) {
        input.tokenTypeIds = item["token_type_ids"].get<std::vector<std::int32_t>>();
    }
    if (item.contains("attention_mask")) {
        for (int v : item["attention_mask"].get<std::vector<int>>()) {
            input.attentionMask.push_back(static_cast<std::uint8_t>(v));
        }
    }
    if (!item.contains("input_ids")) { // ViT: the pixels of the oracle fixture's case
        const auto oracle = oracleCase(kRoot / item["model"].get<std::string>(), item["fixture_case"]);
        input.pixels = oracle["pixel_values"].get<std::vector<float>>();
    }
    return input;
}

std::vector<std::int32_t> evalTokens(const Model& model, std::size_t count)
{
    auto ids = optiscope::test::evalTextTokens(model); // the whole text: more tokens than positions
    ids.resize(std::min(ids.size(), count));
    return ids;
}

std::int64_t simulatedCycles(const optiscope::optrace::OpTrace& trace, optiscope::accelsim::Dataflow dataflow)
{
    optiscope::accelsim::ArrayParams params;
    params.rows = 16;
    params.cols = 16;
    params.dataflow = dataflow;
    auto config = optiscope::accelsim::ArrayConfig::create(params);
    auto workload = optiscope::accelsim::workloadFromOpTrace(trace, "tokens");
    if (!config || !workload) {
        return -1;
    }
    auto result = optiscope::accelsim::simulate(*workload, *config);
    return result ? result->totalCycles() : -1;
}

} // namespace

class TestTokenPruning : public QObject {
    Q_OBJECT

private slots:
    void matchesPyTorch_data()
    {
        QTest::addColumn<int>("index");
        const auto cases = fixtureCases();
        for (std::size_t i = 0; i < cases.size(); ++i) {
            QTest::newRow(cases[i]["name"].get<std::string>().c_str()) << int(i);
        }
        QVERIFY(cases.size() >= 10);
    }

    void matchesPyTorch()
    {
        QFETCH(int, index);
        const auto item = fixtureCases()[index];
        auto base = loadModel(kRoot / item["model"].get<std::string>());
        QVERIFY2(base, base ? "" : base.error().message.c_str());
        auto model = pruned(*base, recipeText(item["step"]));
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        const RunInput input = fixtureInput(item);
        CaptureOptions capture;
        capture.attention = true;
        auto result = run(**model, input, capture);
        QVERIFY2(result, result ? "" : result.error().message.c_str());

        QCOMPARE(result->keptTokens, item["kept"].get<std::vector<std::vector<int>>>());
        if (item.contains("fused")) {
            QCOMPARE(result->fusedTokens, item["fused"].get<std::vector<int>>());
        }
        const auto expected = item["logits"].get<std::vector<double>>();
        std::vector<int> rows;
        if (item.contains("logit_rows")) {
            rows = item["logit_rows"].get<std::vector<int>>();
        } else {
            for (int r = 0; r < result->logitRows; ++r) {
                rows.push_back(r);
            }
        }
        const int cols = result->logitCols;
        QCOMPARE(static_cast<std::size_t>(rows.size()) * cols, expected.size());
        auto full = run(**base, input, {});
        QVERIFY(full);
        double maxDiff = 0, unprunedDiff = 0;
        for (std::size_t r = 0; r < rows.size(); ++r) {
            for (int col = 0; col < cols; ++col) {
                const std::size_t at = static_cast<std::size_t>(rows[r]) * cols + col;
                const double want = expected[r * cols + col];
                maxDiff = std::max(maxDiff, std::fabs(result->logits[at] - want));
                unprunedDiff = std::max(unprunedDiff, std::fabs(full->logits[at] - want));
            }
        }
        QVERIFY2(maxDiff <= kMaxLogitDiff, qPrintable(QString::number(maxDiff)));
        QVERIFY2(unprunedDiff > 100 * kMaxLogitDiff, qPrintable(QString::number(unprunedDiff))); // can fail

        // Captured attention: pruned rows and columns are zero; kept rows sum to 1 unless a fused
        // token (not shown) took part.
        const int t = result->tokens;
        for (int layer = 0; layer < result->layers; ++layer) {
            std::vector<bool> kept(t, false);
            for (int token : result->keptTokens[layer]) {
                kept[token] = true;
            }
            const bool fused = !result->fusedTokens.empty() && result->fusedTokens[layer] > 0;
            for (int head = 0; head < result->heads; ++head) {
                for (int q = 0; q < t; ++q) {
                    double sum = 0;
                    for (int k = 0; k < t; ++k) {
                        const float p = result->attention(layer, head, q, k);
                        if (!kept[q] || !kept[k]) {
                            QCOMPARE(p, 0.0f);
                        }
                        sum += p;
                    }
                    if (kept[q] && !fused) {
                        QVERIFY(std::fabs(sum - 1.0) <= kMaxRowSumError);
                    }
                }
            }
        }
    }

    void keepAllIsIdentity_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("step");
        QTest::newRow("tiny-gpt2 ratio 1") << "samples/tiny-gpt2"
                                           << R"({"type":"prune_tokens","method":"cascade","keep_ratio":1.0})";
        QTest::newRow("tiny-gpt2 count 500") << "samples/tiny-gpt2"
                                             << R"({"type":"prune_tokens","method":"cascade","keep_count":500})";
        QTest::newRow("gpt2 threshold 0") << "tests/fixtures/gpt2"
                                          << R"({"type":"prune_tokens","method":"threshold","threshold":0})";
        QTest::newRow("bert ratio 1") << "tests/fixtures/bert"
                                      << R"({"type":"prune_tokens","method":"cascade","keep_ratio":1})";
        QTest::newRow("vit evit 1") << "tests/fixtures/vit_img_cls_gray28"
                                    << R"({"type":"prune_tokens","method":"evit","keep_ratio":1})";
    }

    // Nothing pruned must be the unpruned run bit for bit: logits, attentions, hidden states, trace.
    void keepAllIsIdentity()
    {
        QFETCH(QString, model);
        QFETCH(QString, step);
        auto base = loadModel(kRoot / model.toStdString());
        QVERIFY(base);
        auto compressed = pruned(*base, R"({"schema":1,"steps":[)" + step.toStdString() + "]}");
        QVERIFY2(compressed, compressed ? "" : compressed.error().message.c_str());
        QVERIFY((*compressed)->tokenPruning() != nullptr);
        RunInput input;
        const ModelConfig& c = (*base)->config();
        if (c.architecture == Architecture::Vit) {
            input.pixels.resize(static_cast<std::size_t>(c.channels) * c.imageSize * c.imageSize);
            for (std::size_t i = 0; i < input.pixels.size(); ++i) {
                input.pixels[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
            }
        } else {
            for (int i = 0; i < std::min(c.maxPositions, 16); ++i) {
                input.tokenIds.push_back((i * 37 + 5) % c.vocabSize);
            }
        }
        CaptureOptions capture { true, true, true };
        auto a = run(**base, input, capture);
        auto b = run(**compressed, input, capture);
        QVERIFY(a && b);
        QCOMPARE(b->logits.size(), a->logits.size());
        QVERIFY(std::memcmp(a->logits.data(), b->logits.data(), a->logits.size() * sizeof(float)) == 0);
        QVERIFY(std::memcmp(a->attentions.data(), b->attentions.data(), a->attentions.size() * sizeof(float)) == 0);
        QVERIFY(
            std::memcmp(a->hiddenStates.data(), b->hiddenStates.data(), a->hiddenStates.size() * sizeof(float)) == 0);
        QCOMPARE(b->opTrace.totalMacs(), a->opTrace.totalMacs());
        QCOMPARE(static_cast<int>(b->keptTokens.size()), c.layers);
        for (const auto& kept : b->keptTokens) {
            QCOMPARE(static_cast<int>(kept.size()), a->tokens);
        }
    }

    // Every product of a layer has M = the tokens it kept (attention: both sides); the LM head
    // still has one row per position.
    void opTraceShrinksM()
    {
        auto base = loadModel(kSample);
        QVERIFY(base);
        auto model = cascade(*base, 0.5);
        QVERIFY(model);
        auto input = idsInput(**base, evalTokens(**base, 100));
        QVERIFY(input && input->tokenIds.size() == 100);
        CaptureOptions capture;
        capture.opTrace = true;
        auto result = run(*model, *input, capture);
        QVERIFY(result);
        const std::vector<int> expectedCounts { 100, 50, 25, 13 }; // round half up of 0.5 · alive
        QCOMPARE(static_cast<int>(result->keptTokens.size()), 4);
        int checked = 0;
        for (const auto& op : result->opTrace.ops) {
            using optiscope::optrace::OpKind;
            if (op.layer < 0) {
                QCOMPARE(op.m, std::int64_t { 100 }); // lm_head: every position keeps its logits
                continue;
            }
            const auto kept = static_cast<std::int64_t>(result->keptTokens[op.layer].size());
            QCOMPARE(kept, std::int64_t { expectedCounts[op.layer] });
            QCOMPARE(op.m, kept);
            if (op.kind == OpKind::AttentionScores) {
                QCOMPARE(op.n, kept);
            }
            if (op.kind == OpKind::AttentionContext) {
                QCOMPARE(op.k, kept);
            }
            ++checked;
        }
        QCOMPARE(checked, 4 * (4 + 2 * 4)); // qkv, out, up, down + scores/context per head
        // The last token is protected (next-token prediction), and pruned tokens stay pruned.
        for (std::size_t layer = 1; layer < result->keptTokens.size(); ++layer) {
            const auto& now = result->keptTokens[layer];
            const auto& before = result->keptTokens[layer - 1];
            QCOMPARE(now.back(), 99);
            QVERIFY(std::includes(before.begin(), before.end(), now.begin(), now.end()));
        }
    }

    void evitOpTrace()
    {
        auto base = loadModel(kFixtures / "vit_img_cls_gray28");
        QVERIFY(base);
        auto model = pruned(*base, R"({"schema":1,"steps":[{"type":"prune_tokens","method":"evit","keep_count":4}]})");
        QVERIFY(model);
        RunInput input
            = fixtureInput({ { "model", "tests/fixtures/vit_img_cls_gray28" }, { "fixture_case", "image0" } });
        CaptureOptions capture;
        capture.opTrace = true;
        auto result = run(**model, input, capture);
        QVERIFY(result);
        QCOMPARE(result->keptTokens[1].size(), std::size_t { 5 }); // CLS + 4 patches
        QCOMPARE(result->keptTokens[1].front(), 0);
        QCOMPARE(result->fusedTokens, (std::vector<int> { 0, 1 }));
        for (const auto& op : result->opTrace.ops) {
            if (op.layer == 1) {
                QCOMPARE(op.m, std::int64_t { 6 }); // and the fused token
            }
        }
    }

    // A block removed by prune_layers makes no decision and records no products; the next
    // computed block decides from the attention seen so far. generate() ignores the policy.
    void withLayerDropAndGenerate()
    {
        auto base = loadModel(kSample);
        QVERIFY(base);
        auto model = pruned(*base,
            R"({"schema":1,"steps":[{"type":"prune_layers","layers":[1]},
                {"type":"prune_tokens","method":"cascade","keep_ratio":0.5}]})");
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        auto input = idsInput(**base, evalTokens(**base, 40));
        QVERIFY(input);
        CaptureOptions capture;
        capture.opTrace = true;
        auto result = run(**model, *input, capture);
        QVERIFY(result);
        std::vector<std::size_t> counts;
        for (const auto& kept : result->keptTokens) {
            counts.push_back(kept.size());
        }
        QCOMPARE(counts, (std::vector<std::size_t> { 40, 40, 20, 10 }));
        for (const auto& op : result->opTrace.ops) {
            QVERIFY(op.layer != 1);
        }
        GenerateOptions options;
        options.maxNewTokens = 5;
        const std::vector<std::int32_t> prompt(input->tokenIds.begin(), input->tokenIds.begin() + 8);
        auto dropped = pruned(*base, R"({"schema":1,"steps":[{"type":"prune_layers","layers":[1]}]})");
        QVERIFY(dropped);
        auto a = generate(**model, prompt, options);
        auto b = generate(**dropped, prompt, options);
        QVERIFY(a && b);
        QCOMPARE(*a, *b);
    }

    // Fewer tokens, fewer cycles: the simulator sees the shrunken M.
    void cyclesDropWithKeepRatio()
    {
        auto base = loadModel(kSample);
        QVERIFY(base);
        auto input = idsInput(**base, evalTokens(**base, 128));
        QVERIFY(input);
        CaptureOptions capture;
        capture.opTrace = true;
        std::int64_t previousWs = std::numeric_limits<std::int64_t>::max();
        std::int64_t previousOs = previousWs;
        for (double ratio : { 1.0, 0.9, 0.7, 0.5 }) {
            auto model = cascade(*base, ratio);
            QVERIFY(model);
            auto result = run(*model, *input, capture);
            QVERIFY(result);
            const auto ws = simulatedCycles(result->opTrace, optiscope::accelsim::Dataflow::WeightStationary);
            const auto os = simulatedCycles(result->opTrace, optiscope::accelsim::Dataflow::OutputStationary);
            QVERIFY(ws > 0 && os > 0);
            qInfo("keep_ratio %.1f: %lld MACs, WS %lld cycles, OS %lld cycles (16x16)", ratio,
                static_cast<long long>(result->opTrace.totalMacs()), static_cast<long long>(ws),
                static_cast<long long>(os));
            QVERIFY(ws < previousWs); // WS streams M through the array: every row counts
            QVERIFY(os <= previousOs); // OS folds M by 16: never more
            previousWs = ws;
            previousOs = os;
        }
    }

    // evaluateCompression's MACs are the pruned run's real shapes; perplexity and KL see the pruning.
    void metricsFromPrunedShapes()
    {
        auto base = loadModel(kSample);
        QVERIFY(base);
        const auto tokens = evalTokens(**base, 100000);
        QVERIFY(tokens.size() > 256);
        auto identity = std::make_shared<CompressedModel>(*base);
        auto baseMetrics = evaluateCompression(*identity, tokens);
        QVERIFY(baseMetrics);
        auto window = idsInput(
            **base, std::vector<std::int32_t>(tokens.begin(), tokens.begin() + (*base)->config().maxPositions));
        QVERIFY(window);
        CaptureOptions capture;
        capture.opTrace = true;
        for (double ratio : { 0.9, 0.7, 0.5 }) {
            auto model = cascade(*base, ratio);
            QVERIFY(model);
            auto metrics = evaluateCompression(*model, tokens);
            QVERIFY(metrics);
            auto traced = run(*model, *window, capture);
            QVERIFY(traced);
            QCOMPARE(metrics->macsDense, traced->opTrace.totalMacs());
            QVERIFY(metrics->macsDense < baseMetrics->macsDense);
            QVERIFY(metrics->compressedPerplexity > metrics->basePerplexity);
            QVERIFY(metrics->klMean > 0);
            qInfo("keep_ratio %.1f from layer 1: MACs %lld (base %lld), perplexity %.3f (base %.3f), KL %.4f, "
                  "top-1 %.3f, %lld tokens",
                ratio, static_cast<long long>(metrics->macsDense), static_cast<long long>(baseMetrics->macsDense),
                metrics->compressedPerplexity, metrics->basePerplexity, metrics->klMean, metrics->top1Agreement,
                static_cast<long long>(metrics->tokensPredicted));
        }
    }

    void badFields_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("step");
        QTest::addColumn<QString>("message");
        const QString gpt2 = "samples/tiny-gpt2";
        QTest::newRow("ratio 0") << gpt2 << R"({"type":"prune_tokens","method":"cascade","keep_ratio":0})"
                                 << "t.json: steps[0].keep_ratio: must be a number in (0, 1], got 0";
        QTest::newRow("ratio 1.5") << gpt2 << R"({"type":"prune_tokens","method":"cascade","keep_ratio":1.5})"
                                   << "t.json: steps[0].keep_ratio: must be a number in (0, 1], got 1.5";
        QTest::newRow("count 0") << gpt2 << R"({"type":"prune_tokens","method":"evit","keep_count":0})"
                                 << "t.json: steps[0].keep_count: must be an integer >= 1, got 0";
        QTest::newRow("start 0") << gpt2
                                 << R"({"type":"prune_tokens","method":"cascade","keep_ratio":0.5,"start_layer":0})"
                                 << "t.json: steps[0].start_layer: must be an integer >= 1";
        QTest::newRow("start 4 of 4")
            << gpt2 << R"({"type":"prune_tokens","method":"cascade","keep_ratio":0.5,"start_layer":4})"
            << "t.json: steps[0].start_layer: 4 out of range, the model has 4 layers";
        QTest::newRow("evit on gpt2") << gpt2 << R"({"type":"prune_tokens","method":"evit","keep_ratio":0.5})"
                                      << "t.json: steps[0].method: 'evit' fuses image patches, it needs a ViT model, "
                                         "not GPT2LMHeadModel";
        QTest::newRow("evit on bert") << "tests/fixtures/bert"
                                      << R"({"type":"prune_tokens","method":"evit","keep_ratio":0.5})"
                                      << "t.json: steps[0].method: 'evit' fuses image patches, it needs a ViT model";
        QTest::newRow("unknown method") << gpt2 << R"({"type":"prune_tokens","method":"random","keep_ratio":0.5})"
                                        << "t.json: steps[0].method: \"random\" is not one of cascade, threshold, evit";
        QTest::newRow("both") << gpt2 << R"({"type":"prune_tokens","method":"cascade","keep_ratio":0.5,"keep_count":3})"
                              << "t.json: steps[0].keep_count: give keep_ratio or keep_count, not both";
        QTest::newRow("neither") << gpt2 << R"({"type":"prune_tokens","method":"cascade"})"
                                 << "t.json: steps[0].keep_ratio: missing";
        QTest::newRow("threshold 2") << gpt2 << R"({"type":"prune_tokens","method":"threshold","threshold":2})"
                                     << "t.json: steps[0].threshold: must be a number in [0, 1], got 2";
        QTest::newRow("ratio on threshold")
            << gpt2 << R"({"type":"prune_tokens","method":"threshold","threshold":0.1,"keep_ratio":0.5})"
            << "t.json: steps[0].keep_ratio: does not apply to method 'threshold'";
        QTest::newRow("targets") << gpt2
                                 << R"({"type":"prune_tokens","method":"cascade","keep_ratio":0.5,"targets":"*"})"
                                 << "t.json: steps[0].targets: unknown field for a 'prune_tokens' step";
    }

    void badFields()
    {
        QFETCH(QString, model);
        QFETCH(QString, step);
        QFETCH(QString, message);
        auto base = loadModel(kRoot / model.toStdString());
        QVERIFY(base);
        auto result = pruned(*base, R"({"schema":1,"steps":[)" + step.toStdString() + "]}");
        QVERIFY(!result);
        const QString got = QString::fromStdString(result.error().message);
        QVERIFY2(got.startsWith(message), qPrintable(got));
        QVERIFY(!got.contains('\n'));
    }
};

QTEST_APPLESS_MAIN(TestTokenPruning)
#include "tst_token_pruning.moc"
