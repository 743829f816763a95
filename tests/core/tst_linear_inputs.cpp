// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// CaptureOptions::linearInputs on the tiny-gpt2 sample: one entry per linear layer, shaped tokens ×
// input features, layer 0's attention input equal to a naive LayerNorm (double sums) of the captured
// embeddings with ln_1's weights, the MLP output projection's input bounded below by GELU's minimum.
#include "sample_eval_text.h"

#include "optiscope/core/inference.h"

#include <QTest>

#include <algorithm>
#include <cmath>

using namespace optiscope::core;

namespace {
// float LayerNorm in the engine vs double here, over 128 features.
constexpr double kLayerNormTolerance = 2e-5;
constexpr float kGeluMinimum = -0.1701f; // min of x·Φ(x), tanh approximation included
}

class TestLinearInputs : public QObject {
    Q_OBJECT

private slots:
    void capturesEveryLinearInput()
    {
        auto model = loadModel(optiscope::test::kTinyGpt2Sample);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        const Model& m = **model;
        auto input = textInput(m, "Call me Ishmael. Some years ago, never mind how long.");
        QVERIFY(input);
        CaptureOptions capture;
        capture.hiddenStates = true;
        capture.linearInputs = true;
        auto result = run(m, *input, capture);
        QVERIFY2(result, result ? "" : result.error().message.c_str());
        const int d = m.config().hidden;
        const int t = result->tokens;
        QCOMPARE(int(result->linearInputs.size()), 4 * m.config().layers + 1); // + lm_head
        for (const auto& [name, in] : result->linearInputs) {
            QCOMPARE(std::int64_t(in.values.size()), in.rows * in.cols);
            if (name.find("lm_head") != std::string::npos) {
                QCOMPARE(in.cols, std::int64_t(d));
                continue;
            }
            QCOMPARE(in.rows, std::int64_t(t));
            QCOMPARE(std::int64_t(in.values.size()), in.rows * in.cols);
            const bool wide = name.find("mlp.c_proj") != std::string::npos;
            QCOMPARE(in.cols, std::int64_t(wide ? 4 * d : d));
            if (wide) { // after GELU
                for (float v : in.values) {
                    QVERIFY2(v >= kGeluMinimum, name.c_str());
                }
            }
        }
        const auto qkv = std::find_if(result->linearInputs.begin(), result->linearInputs.end(),
            [](const auto& entry) { return entry.first.find("h.0.attn.c_attn") != std::string::npos; });
        QVERIFY(qkv != result->linearInputs.end());
        const Weight* gamma = m.weight("h.0.ln_1.weight");
        const Weight* beta = m.weight("h.0.ln_1.bias");
        QVERIFY(gamma && beta);
        for (int row = 0; row < t; ++row) {
            const float* x = result->hiddenStates.data() + static_cast<std::size_t>(row) * d; // embeddings
            double mean = 0, variance = 0;
            for (int i = 0; i < d; ++i) {
                mean += x[i];
            }
            mean /= d;
            for (int i = 0; i < d; ++i) {
                variance += (x[i] - mean) * (x[i] - mean);
            }
            variance /= d;
            for (int i = 0; i < d; ++i) {
                const double expected
                    = (x[i] - mean) / std::sqrt(variance + m.config().layerNormEps) * gamma->data[i] + beta->data[i];
                const double got = qkv->second.values[static_cast<std::size_t>(row) * d + i];
                QVERIFY2(std::abs(got - expected) < kLayerNormTolerance,
                    qPrintable(QStringLiteral("row %1 feature %2: %3 vs %4").arg(row).arg(i).arg(got).arg(expected)));
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestLinearInputs)
#include "tst_linear_inputs.moc"
