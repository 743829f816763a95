// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Per-layer sensitivity scan on samples/tiny-gpt2 over tests/fixtures/compression/eval_text.txt:
// each entry equals a direct evaluation of a recipe that quantizes only that layer; the report's
// SQNR equals one computed here from the tensors.
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/sensitivity.h"

#include "sample_eval_text.h"

#include <QTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace optiscope::core;

namespace {

const std::filesystem::path kSample = optiscope::test::kTinyGpt2Sample;

// run() is not bitwise reproducible between calls for every sequence length (GEMM summation
// order; see tst_compression_metrics), so equal models agree up to that noise.
constexpr double kMaxPerplexityRelDiff = 1e-6;
constexpr double kMaxKlAbsDiff = 1e-8;
constexpr double kMaxSqnrDiffDb = 1e-9;

} // namespace

class TestSensitivity : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        auto model = loadModel(kSample);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        m_base = *model;
        m_tokens = optiscope::test::evalTextTokens(*m_base);
        QVERIFY(m_tokens.size() > 300);
    }

    void scanMatchesSingleLayerRecipes_data()
    {
        QTest::addColumn<QString>("quant");
        QTest::newRow("int4_per_channel") << R"("bits": 4, "granularity": "per_channel")";
        QTest::newRow("ternary_group64") << R"("format": "ternary", "granularity": "group", "group_size": 64)";
        QTest::newRow("bfp_m3_b16") << R"("format": "bfp", "block_size": 16, "mantissa_bits": 3)";
    }

    void scanMatchesSingleLayerRecipes()
    {
        QFETCH(QString, quant);
        auto spec = parseQuantSpec(("{" + quant + "}").toStdString(), "quant");
        QVERIFY(spec.has_value());
        double progressSeen = 0;
        auto scan = scanLayerSensitivity(m_base, *spec, m_tokens, nullptr, [&](double f) { progressSeen = f; });
        QVERIFY2(scan, scan ? "" : scan.error().message.c_str());
        QCOMPARE(progressSeen, 1.0);
        const int layers = m_base->config().layers;
        QCOMPARE(static_cast<int>(scan->layers.size()), layers);
        qInfo("%s: base perplexity %.4f over %lld predictions", qPrintable(quant), scan->basePerplexity,
            static_cast<long long>(scan->tokensPredicted));
        for (int i = 0; i < layers; ++i) {
            const LayerSensitivity& entry = scan->layers[i];
            QCOMPARE(entry.layer, i);
            const std::string p = "transformer.h." + std::to_string(i) + ".";
            QCOMPARE(entry.tensors,
                (std::vector<std::string> { p + "attn.c_attn.weight", p + "attn.c_proj.weight", p + "mlp.c_fc.weight",
                    p + "mlp.c_proj.weight" }));
            const QString json
                = QStringLiteral(R"({"schema": 1, "steps": [{"type": "quantize", "targets": "h.%1.*", %2}]})")
                      .arg(i)
                      .arg(quant);
            auto recipe = parseRecipe(json.toStdString(), "layer.json");
            QVERIFY(recipe.has_value());
            auto model = applyRecipe(m_base, *recipe);
            QVERIFY(model.has_value());
            auto direct = evaluateCompression(**model, m_tokens);
            QVERIFY(direct.has_value());
            QVERIFY2(std::fabs(entry.perplexity / direct->compressedPerplexity - 1) < kMaxPerplexityRelDiff,
                qPrintable(QStringLiteral("layer %1: %2 vs %3")
                               .arg(i)
                               .arg(entry.perplexity)
                               .arg(direct->compressedPerplexity)));
            QVERIFY(std::fabs(entry.klMean - direct->klMean) < kMaxKlAbsDiff);
            QCOMPARE(entry.top1Agreement, direct->top1Agreement);
            QVERIFY(entry.klMean > 1e-6); // quantizing a layer really changed the model
            qInfo("  layer %d: perplexity %.4f  KL %.6f  top-1 %.4f  weight SQNR %.2f dB", i, entry.perplexity,
                entry.klMean, entry.top1Agreement, entry.weightSqnrDb);
        }
        // Different layers, different damage: a scan that quantized the same thing every time fails.
        QVERIFY(scan->layers.front().klMean != scan->layers.back().klMean);
    }

    void cancelledScanReturnsCancelled()
    {
        CancelToken cancel;
        cancel.cancel();
        QuantSpec spec;
        spec.bits = 8;
        auto scan = scanLayerSensitivity(m_base, spec, m_tokens, &cancel);
        QVERIFY(!scan);
        QCOMPARE(scan.error().code, ErrorCode::Cancelled);
    }

    void groupNotDividingIsAnError()
    {
        QuantSpec spec;
        spec.bits = 4;
        spec.granularity = QuantGranularity::Group;
        spec.groupSize = 100;
        auto scan = scanLayerSensitivity(m_base, spec, m_tokens);
        QVERIFY(!scan);
        QVERIFY2(scan.error().message.starts_with("sensitivity: steps[0].group_size: 100 does not divide"),
            scan.error().message.c_str());
    }

    void reportSqnrMatchesTensors()
    {
        auto recipe = parseRecipe(
            R"({"schema": 1, "steps": [{"type": "quantize", "targets": "h.1.mlp.c_fc.weight", "bits": 3}]})", "r.json");
        QVERIFY(recipe.has_value());
        auto model = applyRecipe(m_base, *recipe);
        QVERIFY(model.has_value());
        const auto report = compressionReport(**model);
        QCOMPARE(report.tensors.size(), std::size_t { 1 });
        const Weight* base = m_base->weight("transformer.h.1.mlp.c_fc.weight");
        const Weight* quantized = (*model)->weight("transformer.h.1.mlp.c_fc.weight");
        double noise = 0, signal = 0;
        for (std::int64_t i = 0; i < base->elementCount(); ++i) {
            signal += double(base->data[i]) * base->data[i];
            noise += (double(quantized->data[i]) - base->data[i]) * (double(quantized->data[i]) - base->data[i]);
        }
        const double expected = 10 * std::log10(signal / noise);
        QVERIFY2(std::fabs(report.tensors[0].sqnrDb - expected) < kMaxSqnrDiffDb,
            qPrintable(QStringLiteral("%1 vs %2").arg(report.tensors[0].sqnrDb).arg(expected)));
        QVERIFY(expected > 5 && expected < 30); // 3 bits: a real, finite ratio
    }

    // The whole model's linear layers under each format: numbers for README, and the orderings
    // the survey reports (more bits and finer granularity help; ternary beats binary).
    void wholeModelFormats()
    {
        const char* linear
            = R"(["*.attn.c_attn.weight", "*.attn.c_proj.weight", "*.mlp.c_fc.weight", "*.mlp.c_proj.weight"])";
        const std::vector<std::pair<const char*, const char*>> formats {
            { "int8_tensor", R"("bits": 8)" },
            { "int8_channel", R"("bits": 8, "granularity": "per_channel")" },
            { "int4_tensor", R"("bits": 4)" },
            { "int4_channel", R"("bits": 4, "granularity": "per_channel")" },
            { "int4_group128", R"("bits": 4, "granularity": "group", "group_size": 128)" },
            { "int4_group32", R"("bits": 4, "granularity": "group", "group_size": 32)" },
            { "int4_channel_mse", R"("bits": 4, "granularity": "per_channel", "clip": "mse")" },
            { "int4_channel_stochastic", R"("bits": 4, "granularity": "per_channel", "rounding": "stochastic")" },
            { "ternary_channel", R"("format": "ternary", "granularity": "per_channel")" },
            { "binary_channel", R"("format": "binary", "granularity": "per_channel")" },
            { "ternary_group32", R"("format": "ternary", "granularity": "group", "group_size": 32)" },
            { "bfp_b16_m3", R"("format": "bfp", "block_size": 16, "mantissa_bits": 3)" },
            { "bfp_b16_m7", R"("format": "bfp", "block_size": 16, "mantissa_bits": 7)" },
            { "bfp_b8_m3", R"("format": "bfp", "block_size": 8, "mantissa_bits": 3)" },
            { "tf32", R"("format": "tf32")" },
        };
        std::map<std::string, CompressionMetrics> results;
        for (const auto& [name, fields] : formats) {
            const QString json = QStringLiteral(R"({"schema": 1, "steps": [{"type": "quantize", "targets": %1, %2}]})")
                                     .arg(linear, fields);
            auto recipe = parseRecipe(json.toStdString(), "r.json");
            QVERIFY2(recipe, recipe ? "" : recipe.error().message.c_str());
            auto model = applyRecipe(m_base, *recipe);
            QVERIFY(model.has_value());
            auto metrics = evaluateCompression(**model, m_tokens);
            QVERIFY(metrics.has_value());
            results[name] = *metrics;
            qInfo("%-24s perplexity %8.4f (base %.4f)  KL %.6f  top-1 %.4f  %lld bytes", name,
                metrics->compressedPerplexity, metrics->basePerplexity, metrics->klMean, metrics->top1Agreement,
                static_cast<long long>(metrics->bytesDense));
        }
        const auto kl = [&](const char* name) { return results.at(name).klMean; };
        QVERIFY(kl("int8_tensor") < kl("int4_tensor"));
        QVERIFY(kl("int8_channel") < kl("int8_tensor"));
        QVERIFY(kl("int4_channel") < kl("int4_tensor"));
        QVERIFY(kl("int4_group32") < kl("int4_channel"));
        QVERIFY(kl("ternary_channel") < kl("binary_channel"));
        QVERIFY(kl("ternary_group32") < kl("ternary_channel"));
        QVERIFY(kl("bfp_b16_m7") < kl("bfp_b16_m3"));
        QVERIFY(kl("tf32") < kl("int8_channel"));
        // Sizes by hand: 786432 linear weights (4 layers × 12·128²) in 4608 output channels.
        // int4 per channel: 4 bits + a 4-byte scale per channel; bfp m3/16: 4 bits + 1 byte per
        // 16 weights; ternary per channel: 2 bits + the same scales.
        constexpr std::int64_t kLinearWeights = 4 * 12 * 128 * 128, kChannels = 4 * (3 * 128 + 128 + 512 + 128);
        const auto bytes = [&](const char* name) { return results.at(name).bytesDense; };
        QCOMPARE(bytes("bfp_b16_m3") - bytes("int4_channel"), kLinearWeights / 16 - 4 * kChannels);
        QCOMPARE(bytes("int4_channel") - bytes("ternary_channel"), kLinearWeights * 2 / 8);
    }

private:
    std::shared_ptr<const Model> m_base;
    std::vector<std::int32_t> m_tokens;
};

QTEST_APPLESS_MAIN(TestSensitivity)
#include "tst_sensitivity.moc"
