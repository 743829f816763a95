// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// SparseGPT: the blocked Cholesky implementation against a naive OBS loop written here (dense
// Gauss-Jordan inverse of the remaining columns' Hessian, one column at a time), the layer
// Hessians against a naive LayerNorm of captured hidden states, and on samples/tiny-gpt2 the
// layer reconstruction error and perplexity of SparseGPT vs Wanda vs magnitude.
#include "optiscope/core/compression/calibration.h"
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/recipe_applier.h"
#include "optiscope/core/compression/sparsegpt.h"
#include "optiscope/core/inference.h"

#include "sample_eval_text.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

using namespace optiscope::core;

namespace {

const std::filesystem::path kSample = optiscope::test::kTinyGpt2Sample;
const std::filesystem::path kFixture
    = std::filesystem::path(OPTISCOPE_FIXTURES_DIR) / "compression" / "sparsegpt_layer.json";

// The implementation runs in double and rounds the result to float; the naive loop stays in double.
constexpr double kMaxWeightDiff = 1e-5;
// Naive double LayerNorm vs the engine's float one, summed over ~200 tokens.
constexpr double kMaxHessianRelDiff = 1e-4;

using Matrix = std::vector<std::vector<double>>;

Matrix inverse(Matrix a)
{
    const std::size_t n = a.size();
    Matrix inv(n, std::vector<double>(n, 0.0));
    for (std::size_t i = 0; i < n; ++i) {
        inv[i][i] = 1.0;
    }
    for (std::size_t col = 0; col < n; ++col) {
        std::size_t pivot = col;
        for (std::size_t r = col + 1; r < n; ++r) {
            if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) {
                pivot = r;
            }
        }
        std::swap(a[col], a[pivot]);
        std::swap(inv[col], inv[pivot]);
        const double p = a[col][col];
        for (std::size_t j = 0; j < n; ++j) {
            a[col][j] /= p;
            inv[col][j] /= p;
        }
        for (std::size_t r = 0; r < n; ++r) {
            if (r != col && a[r][col] != 0.0) {
                const double f = a[r][col];
                for (std::size_t j = 0; j < n; ++j) {
                    a[r][j] -= f * a[col][j];
                    inv[r][j] -= f * inv[col][j];
                }
            }
        }
    }
    return inv;
}

struct Naive {
    Matrix w; // [out][in]
    std::vector<std::vector<int>> keep;
};

// Optimal Brain Surgeon column by column: pruning w[r][j] moves the remaining columns k > j by
// -w[r][j]·[Hf⁻¹]_jk / [Hf⁻¹]_jj with Hf the Hessian of columns j.., inverted directly.
// Masks: unstructured every `period` columns over the next `period` columns, N:M every m columns,
// from the weights as updated so far, by w² / [Hf⁻¹]_jj.
Naive naiveSparseGpt(Matrix w, Matrix h, double ratio, int n, int m, int period, double dampening)
{
    const std::size_t rows = w.size(), cols = h.size();
    double meanDiag = 0;
    for (std::size_t j = 0; j < cols; ++j) {
        if (h[j][j] == 0.0) {
            h[j][j] = 1.0;
            for (auto& row : w) {
                row[j] = 0.0;
            }
        }
        meanDiag += h[j][j] / double(cols);
    }
    for (std::size_t j = 0; j < cols; ++j) {
        h[j][j] += dampening * meanDiag;
    }
    std::vector<std::vector<double>> inverseRow(cols); // [j] → row 0 of inv(H[j:, j:])
    for (std::size_t j = 0; j < cols; ++j) {
        Matrix sub(cols - j, std::vector<double>(cols - j));
        for (std::size_t a = j; a < cols; ++a) {
            for (std::size_t b = j; b < cols; ++b) {
                sub[a - j][b - j] = h[a][b];
            }
        }
        inverseRow[j] = inverse(sub)[0];
    }
    Naive out { w, std::vector<std::vector<int>>(rows, std::vector<int>(cols, 1)) };
    const auto score = [&](std::size_t r, std::size_t c) { return out.w[r][c] * out.w[r][c] / inverseRow[c][0]; };
    for (std::size_t j = 0; j < cols; ++j) {
        if (m == 0 && j % period == 0) {
            const std::size_t end = std::min(cols, j + period);
            std::vector<std::tuple<double, std::size_t, std::size_t>> all;
            for (std::size_t r = 0; r < rows; ++r) {
                for (std::size_t c = j; c < end; ++c) {
                    all.emplace_back(score(r, c), r, c);
                }
            }
            std::sort(all.begin(), all.end());
            const auto pruned = std::llround(ratio * double(all.size()));
            for (long long i = 0; i < pruned; ++i) {
                out.keep[std::get<1>(all[i])][std::get<2>(all[i])] = 0;
            }
        }
        if (m > 0 && j % m == 0) {
            for (std::size_t r = 0; r < rows; ++r) {
                std::vector<std::pair<double, std::size_t>> group;
                for (std::size_t c = j; c < j + m; ++c) {
                    group.emplace_back(score(r, c), c);
                }
                std::sort(group.begin(), group.end());
                for (int i = 0; i < m - n; ++i) {
                    out.keep[r][group[i].second] = 0;
                }
            }
        }
        for (std::size_t r = 0; r < rows; ++r) {
            if (!out.keep[r][j]) {
                const double err = out.w[r][j] / inverseRow[j][0];
                for (std::size_t k = j; k < cols; ++k) {
                    out.w[r][k] -= err * inverseRow[j][k - j];
                }
                out.w[r][j] = 0.0;
            }
        }
    }
    return out;
}

const char* kLinearTargets
    = R"(["*.attn.c_attn.weight", "*.attn.c_proj.weight", "*.mlp.c_fc.weight", "*.mlp.c_proj.weight"])";

// ‖(W − Ŵ)X‖²_F / ‖WX‖²_F from H = 2/N·XᵀX (the N/2 cancels).
double relativeReconstructionError(const Weight& base, const CompressedTensor& pruned, const std::vector<double>& h)
{
    const MatrixShape& s = pruned.matrix;
    double error = 0, signal = 0;
    std::vector<double> delta(s.inFeatures), w(s.inFeatures);
    for (std::int64_t out = 0; out < s.outFeatures; ++out) {
        for (std::int64_t in = 0; in < s.inFeatures; ++in) {
            w[in] = base.data[s.index(out, in)];
            delta[in] = w[in] - pruned.values[s.index(out, in)];
        }
        for (std::int64_t a = 0; a < s.inFeatures; ++a) {
            for (std::int64_t b = 0; b < s.inFeatures; ++b) {
                const double hab = h[a * s.inFeatures + b];
                error += delta[a] * hab * delta[b];
                signal += w[a] * hab * w[b];
            }
        }
    }
    return error / signal;
}

} // namespace

class TestSparseGpt : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        auto model = loadModel(kSample);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        m_base = *model;
        const auto ids = optiscope::test::evalTextTokens(*m_base);
        m_calibration.sequences.push_back({ ids.begin(), ids.begin() + ids.size() / 2 });
        m_eval.assign(ids.begin() + ids.size() / 2, ids.end());
    }

    void matchesNaiveObs_data()
    {
        QTest::addColumn<double>("ratio");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("blockSize");
        QTest::addColumn<bool>("inputMajor");
        QTest::addColumn<bool>("deadInput");
        QTest::newRow("50%_one_block") << 0.5 << 0 << 0 << 32 << false << false;
        QTest::newRow("50%_blocks_of_8") << 0.5 << 0 << 0 << 8 << false << false;
        QTest::newRow("30%_blocks_of_12_dead_input_conv1d") << 0.3 << 0 << 0 << 12 << true << true;
        QTest::newRow("2:4_blocks_of_8") << 0.0 << 2 << 4 << 8 << false << false;
        QTest::newRow("1:4_one_block_dead_input") << 0.0 << 1 << 4 << 32 << true << true;
    }

    void matchesNaiveObs()
    {
        QFETCH(double, ratio);
        QFETCH(int, n);
        QFETCH(int, m);
        QFETCH(int, blockSize);
        QFETCH(bool, inputMajor);
        QFETCH(bool, deadInput);
        constexpr int kOut = 16, kIn = 32, kTokens = 48, kDead = 5;
        std::mt19937 rng(1234);
        std::normal_distribution<double> normal;
        Matrix w(kOut, std::vector<double>(kIn));
        for (auto& row : w) {
            for (auto& v : row) {
                v = static_cast<float>(normal(rng)); // representable as the float input
            }
        }
        // Correlated inputs (a shared component), so the OBS updates matter.
        Matrix x(kTokens, std::vector<double>(kIn));
        for (auto& row : x) {
            const double shared = normal(rng);
            for (int j = 0; j < kIn; ++j) {
                row[j] = (deadInput && j == kDead) ? 0.0 : normal(rng) + 0.8 * shared;
            }
        }
        Matrix h(kIn, std::vector<double>(kIn, 0.0));
        std::vector<double> hFlat(kIn * kIn);
        for (int a = 0; a < kIn; ++a) {
            for (int b = 0; b < kIn; ++b) {
                for (int t = 0; t < kTokens; ++t) {
                    h[a][b] += 2.0 / kTokens * x[t][a] * x[t][b];
                }
                hFlat[a * kIn + b] = h[a][b];
            }
        }
        const MatrixShape shape { kOut, kIn, inputMajor };
        std::vector<float> values(kOut * kIn);
        for (int out = 0; out < kOut; ++out) {
            for (int in = 0; in < kIn; ++in) {
                values[shape.index(out, in)] = static_cast<float>(w[out][in]);
            }
        }
        SparseGptConfig config { ratio, n, m, 0.01, blockSize };
        auto result = sparseGpt(values, shape, hFlat, {}, config);
        QVERIFY2(result, result ? "" : result.error().message.c_str());
        const Naive naive = naiveSparseGpt(w, h, ratio, n, m, blockSize, 0.01);

        double maxDiff = 0;
        int pruned = 0;
        for (int out = 0; out < kOut; ++out) {
            for (int in = 0; in < kIn; ++in) {
                const auto offset = shape.index(out, in);
                QCOMPARE(int(result->mask[offset]), naive.keep[out][in]);
                maxDiff = std::max(maxDiff, std::fabs(result->values[offset] - naive.w[out][in]));
                pruned += result->mask[offset] ? 0 : 1;
                if (!result->mask[offset]) {
                    QCOMPARE(result->values[offset], 0.0f);
                }
            }
        }
        QVERIFY2(maxDiff <= kMaxWeightDiff, qPrintable(QString::number(maxDiff)));
        if (m > 0) {
            for (int out = 0; out < kOut; ++out) {
                for (int g = 0; g < kIn; g += m) {
                    int kept = 0;
                    for (int j = g; j < g + m; ++j) {
                        kept += result->mask[shape.index(out, j)];
                    }
                    QCOMPARE(kept, n);
                }
            }
        } else {
            long long expected = 0;
            for (int b = 0; b < kIn; b += blockSize) {
                expected += std::llround(ratio * kOut * std::min(blockSize, kIn - b));
            }
            QCOMPARE(pruned, int(expected));
        }
        // The updates do something: kept weights moved away from their original values.
        double moved = 0;
        for (int out = 0; out < kOut; ++out) {
            for (int in = 0; in < kIn; ++in) {
                if (result->mask[shape.index(out, in)] && !(deadInput && in == kDead)) {
                    moved = std::max(moved, std::fabs(result->values[shape.index(out, in)] - w[out][in]));
                }
            }
        }
        QVERIFY(moved > 1e-3);
    }

    // The reference algorithm (IST-DASLab/sparsegpt) transcribed to torch float64:
    // scripts/make_sparsegpt_fixture.py → tests/fixtures/compression/sparsegpt_layer.json.
    void matchesTorchReference_data()
    {
        QTest::addColumn<int>("index");
        std::ifstream in(kFixture);
        const auto doc = nlohmann::json::parse(in);
        for (std::size_t i = 0; i < doc["cases"].size(); ++i) {
            QTest::newRow(doc["cases"][i]["name"].get<std::string>().c_str()) << int(i);
        }
        QCOMPARE(doc["cases"].size(), std::size_t { 4 });
    }

    void matchesTorchReference()
    {
        QFETCH(int, index);
        std::ifstream in(kFixture);
        const auto doc = nlohmann::json::parse(in);
        const auto& item = doc["cases"][index];
        const int rows = doc["rows"], cols = doc["cols"], tokens = doc["tokens"], dead = item["dead_input"];
        const auto weight = doc["weight"].get<std::vector<float>>();
        const auto x = doc["x"].get<std::vector<float>>();
        std::vector<double> h(static_cast<std::size_t>(cols) * cols, 0.0);
        for (int t = 0; t < tokens; ++t) {
            for (int a = 0; a < cols; ++a) {
                for (int b = 0; b < cols; ++b) {
                    if (a != dead && b != dead) {
                        h[a * cols + b] += 2.0 / tokens * double(x[t * cols + a]) * double(x[t * cols + b]);
                    }
                }
            }
        }
        const SparseGptConfig config { item["ratio"], item["n"], item["m"], item["dampening"], item["block_size"] };
        auto result = sparseGpt(weight, MatrixShape { rows, cols, false }, h, {}, config);
        QVERIFY2(result, result ? "" : result.error().message.c_str());
        const auto mask = item["mask"].get<std::vector<int>>();
        const auto expected = item["result"].get<std::vector<float>>();
        double maxDiff = 0;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(int(result->mask[i]), mask[i]);
            maxDiff = std::max(maxDiff, double(std::fabs(result->values[i] - expected[i])));
        }
        QVERIFY2(maxDiff <= kMaxWeightDiff, qPrintable(QString::number(maxDiff)));
    }

    void earlierMaskStaysPruned()
    {
        constexpr int kOut = 8, kIn = 16;
        std::mt19937 rng(7);
        std::normal_distribution<float> normal;
        std::vector<float> values(kOut * kIn);
        for (auto& v : values) {
            v = normal(rng);
        }
        std::vector<double> h(kIn * kIn, 0.0);
        for (int i = 0; i < kIn; ++i) {
            h[i * kIn + i] = 1.0 + i;
        }
        Mask previous(values.size(), 1);
        for (std::size_t i = 0; i < previous.size(); i += 3) {
            previous[i] = 0;
            values[i] = 0.0f;
        }
        const MatrixShape shape { kOut, kIn, false };
        auto result = sparseGpt(values, shape, h, previous, SparseGptConfig { 0.5, 0, 0, 0.01, 128 });
        QVERIFY(result);
        for (std::size_t i = 0; i < previous.size(); ++i) {
            if (!previous[i]) {
                QCOMPARE(int(result->mask[i]), 0);
            }
        }
        QCOMPARE(std::count(result->mask.begin(), result->mask.end(), 0), std::ptrdiff_t { kOut * kIn / 2 });
    }

    void hessianMatchesNaiveLayerNorm()
    {
        const std::vector<std::int32_t> ids(
            m_calibration.sequences[0].begin(), m_calibration.sequences[0].begin() + 100);
        const std::string name = "transformer.h.1.attn.c_attn.weight";
        auto hessians = collectLayerHessians(*m_base, CalibrationData { { ids } }, { name });
        QVERIFY2(hessians, hessians ? "" : hessians.error().message.c_str());
        QCOMPARE(hessians->hessians.size(), std::size_t { 1 });
        QCOMPARE(hessians->tokens, std::int64_t { 100 });
        auto input = idsInput(*m_base, ids);
        QVERIFY(input);
        CaptureOptions capture;
        capture.hiddenStates = true;
        auto result = run(*m_base, *input, capture);
        QVERIFY(result);
        const int tokens = result->tokens, d = 128;
        const Weight* gamma = m_base->weight("h.1.ln_1.weight");
        const Weight* beta = m_base->weight("h.1.ln_1.bias");
        std::vector<double> expected(d * d, 0.0), y(d);
        for (int t = 0; t < tokens; ++t) {
            const float* hidden = result->hiddenStates.data() + (static_cast<std::size_t>(1) * tokens + t) * d;
            const double mean = std::accumulate(hidden, hidden + d, 0.0) / d;
            double var = 0;
            for (int j = 0; j < d; ++j) {
                var += (hidden[j] - mean) * (hidden[j] - mean) / d;
            }
            for (int j = 0; j < d; ++j) {
                y[j] = (hidden[j] - mean) / std::sqrt(var + 1e-5) * gamma->data[j] + beta->data[j];
            }
            for (int a = 0; a < d; ++a) {
                for (int b = 0; b < d; ++b) {
                    expected[a * d + b] += 2.0 / tokens * y[a] * y[b];
                }
            }
        }
        const auto& actual = hessians->hessians.at(name);
        double scale = 0;
        for (int a = 0; a < d; ++a) {
            scale = std::max(scale, expected[a * d + a]);
        }
        for (int i = 0; i < d * d; ++i) {
            QVERIFY2(std::fabs(actual[i] - expected[i]) <= kMaxHessianRelDiff * scale,
                qPrintable(QString("%1: %2 vs %3").arg(i).arg(actual[i]).arg(expected[i])));
        }
    }

    void reconstructionError_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::newRow("unstructured_50") << R"("ratio": 0.5)";
        QTest::newRow("2:4") << R"("pattern": "n:m", "n": 2, "m": 4)";
    }

    // ‖WX − ŴX‖ on the calibration data, per layer: SparseGPT minimises it (with updates), Wanda
    // approximates it by the diagonal, magnitude ignores X.
    void reconstructionError()
    {
        QFETCH(QString, pattern);
        auto hessians = collectLayerHessians(*m_base, m_calibration);
        QVERIFY(hessians);
        std::map<std::string, std::shared_ptr<const CompressedModel>> models;
        for (const char* saliency : { "magnitude", "wanda", "sparsegpt" }) {
            models[saliency] = apply(saliency, pattern);
            QVERIFY(models[saliency]);
        }
        int sparseGptBest = 0, wandaBeatsMagnitude = 0, layers = 0;
        double sum[3] = { 0, 0, 0 };
        for (const auto& [name, unused] : models["sparsegpt"]->compressedTensors()) {
            const Weight* base = m_base->weight(name);
            const auto& h = hessians->hessians.at(name);
            double e[3];
            int i = 0;
            for (const char* saliency : { "magnitude", "wanda", "sparsegpt" }) {
                e[i] = relativeReconstructionError(*base, *models[saliency]->compressed(name), h);
                sum[i] += e[i];
                ++i;
            }
            qInfo("%s %-36s relative ||WX-W'X||^2: magnitude %.5f wanda %.5f sparsegpt %.5f", qPrintable(pattern),
                name.c_str(), e[0], e[1], e[2]);
            ++layers;
            sparseGptBest += e[2] < e[1] && e[2] < e[0];
            wandaBeatsMagnitude += e[1] < e[0];
        }
        qInfo("%s mean over %d layers: magnitude %.5f wanda %.5f sparsegpt %.5f; sparsegpt best in %d, wanda < "
              "magnitude in %d",
            qPrintable(pattern), layers, sum[0] / layers, sum[1] / layers, sum[2] / layers, sparseGptBest,
            wandaBeatsMagnitude);
        QCOMPARE(layers, 16);
        // SparseGPT's mask and updates minimise this very error (up to dampening): it must win on
        // every layer.
        QCOMPARE(sparseGptBest, layers);
        QVERIFY(sum[1] < sum[0]);
    }

    void perplexity_data() { reconstructionError_data(); }

    void perplexity()
    {
        QFETCH(QString, pattern);
        double kl[3], ppl[3], base = 0;
        std::int64_t nonzeros[3];
        int i = 0;
        for (const char* saliency : { "magnitude", "wanda", "sparsegpt" }) {
            auto model = apply(saliency, pattern);
            QVERIFY(model);
            auto metrics = evaluateCompression(*model, m_eval);
            QVERIFY2(metrics, metrics ? "" : metrics.error().message.c_str());
            base = metrics->basePerplexity;
            kl[i] = metrics->klMean;
            ppl[i] = metrics->compressedPerplexity;
            nonzeros[i++] = metrics->nonzeros;
        }
        qInfo("%s held-out half (%zu tokens): base ppl %.3f; magnitude %.3f (KL %.4f); wanda %.3f (KL %.4f); "
              "sparsegpt %.3f (KL %.4f)",
            qPrintable(pattern), m_eval.size(), base, ppl[0], kl[0], ppl[1], kl[1], ppl[2], kl[2]);
        // Equal masks sizes; SparseGPT may have a few extra zeros (updates landing on 0 are rare).
        QVERIFY(std::llabs(nonzeros[2] - nonzeros[0]) <= 16);
        QVERIFY(kl[2] < kl[0]);
    }

    void errors_data()
    {
        QTest::addColumn<QString>("step");
        QTest::addColumn<QString>("message");
        QTest::newRow("dampening")
            << R"("targets": "*.mlp.c_fc.weight", "saliency": "sparsegpt", "ratio": 0.5, "dampening": 2)"
            << "s.json: steps[0].dampening: must be in [0, 1], got 2";
        QTest::newRow("block_size")
            << R"("targets": "*.mlp.c_fc.weight", "saliency": "sparsegpt", "ratio": 0.5, "block_size": 0)"
            << "s.json: steps[0].block_size: must be in [1, 65536], got 0";
        QTest::newRow("block_size_m")
            << R"("targets": "*.mlp.c_fc.weight", "saliency": "sparsegpt", "pattern": "n:m", "n": 2, "m": 8, "block_size": 12)"
            << "s.json: steps[0].block_size: must be a multiple of m = 8, got 12";
        QTest::newRow("global")
            << R"("targets": "*.mlp.c_fc.weight", "saliency": "sparsegpt", "ratio": 0.5, "scope": "global")"
            << "s.json: steps[0].scope: 'global' is not supported with saliency 'sparsegpt' (it "
               "compares within a tensor)";
        QTest::newRow("block_pattern")
            << R"("targets": "*.mlp.c_fc.weight", "saliency": "sparsegpt", "pattern": "block", "block": [4, 4], "ratio": 0.5)"
            << "s.json: steps[0].saliency: 'sparsegpt' works with patterns unstructured and n:m, not block";
        QTest::newRow("magnitude_dampening") << R"("targets": "*.mlp.c_fc.weight", "ratio": 0.5, "dampening": 0.1)"
                                             << "s.json: steps[0].dampening: unknown field for a 'prune' step";
    }

    void errors()
    {
        QFETCH(QString, step);
        QFETCH(QString, message);
        auto recipe = parseRecipe(
            QStringLiteral(R"({"schema": 1, "steps": [{"type": "prune", %1}]})").arg(step).toStdString(), "s.json");
        QVERIFY(!recipe);
        QCOMPARE(QString::fromStdString(recipe.error().message), message);
    }

    void applyErrors()
    {
        auto recipe = parseRecipe(
            R"({"schema": 1, "steps": [{"type": "quantize", "targets": "*.mlp.c_fc.weight", "bits": 8}, {"type": "prune", "targets": "*.mlp.c_fc.weight", "saliency": "sparsegpt", "ratio": 0.5}]})",
            "s.json");
        QVERIFY(recipe);
        auto none = applyRecipe(m_base, *recipe);
        QVERIFY(!none);
        QCOMPARE(QString::fromStdString(none.error().message),
            QStringLiteral("s.json: steps[1].saliency: 'sparsegpt' needs calibration data, none given"));
        auto quantized = applyRecipe(m_base, *recipe, &m_calibration);
        QVERIFY(!quantized);
        QCOMPARE(QString::fromStdString(quantized.error().message),
            QStringLiteral("s.json: steps[1].saliency: 'sparsegpt' updates kept weights, so it must come before "
                           "quantizing 'transformer.h.0.mlp.c_fc.weight'"));
    }

private:
    std::shared_ptr<const CompressedModel> apply(const char* saliency, const QString& pattern)
    {
        auto recipe = parseRecipe(
            QStringLiteral(R"({"schema": 1, "steps": [{"type": "prune", "targets": %1, "saliency": "%2", %3}]})")
                .arg(kLinearTargets, saliency, pattern)
                .toStdString(),
            "s.json");
        if (!recipe) {
            qWarning("%s", recipe.error().message.c_str());
            return nullptr;
        }
        auto model = applyRecipe(m_base, *recipe, &m_calibration);
        if (!model) {
            qWarning("%s", model.error().message.c_str());
            return nullptr;
        }
        return *model;
    }

    std::shared_ptr<const Model> m_base;
    CalibrationData m_calibration;
    std::vector<std::int32_t> m_eval;
};

QTEST_APPLESS_MAIN(TestSparseGpt)
#include "tst_sparsegpt.moc"
