// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Stochastic rounding (unbiased, deterministic per seed), calibrated clipping (percentile against a
// sort-based oracle written here, MSE search never worse than min/max), SQNR by hand, and the
// recipe fields that select them.
#include "optiscope/core/compression/quantization.h"
#include "optiscope/core/compression/recipe.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace optiscope::core;

namespace {

// Stochastic rounding's error per element is bounded by one step and has variance <= step²/4, so
// the mean over N elements has standard deviation <= step / (2·sqrt(N)); allow 5 of those.
constexpr double kMeanErrorSigmas = 5.0;
// Library and oracle share the float32 scale; only double→float rounding of the product differs.
constexpr double kMaxIntQuantRelDiff = 1e-6;
constexpr double kSqnrTolDb = 1e-12;

std::vector<float> heavyTailed(std::int64_t count, unsigned seed)
{
    std::mt19937 rng(seed);
    std::student_t_distribution<float> t(2.5f);
    std::vector<float> values(static_cast<std::size_t>(count));
    for (auto& v : values) {
        v = 0.02f * t(rng);
    }
    return values;
}

// numpy's default percentile ("linear"): h = (n - 1)·p/100, x[floor h] + frac(h)·(x[floor h + 1] - x[floor h]).
double oraclePercentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    const double h = (static_cast<double>(v.size()) - 1) * p / 100.0;
    const auto lo = static_cast<std::size_t>(h);
    if (lo + 1 >= v.size()) {
        return v.back();
    }
    return v[lo] + (h - static_cast<double>(lo)) * (v[lo + 1] - v[lo]);
}

// Per-channel int quantization of the logical rows with a percentile range, written from the
// definition (Linear layout: row o is stored contiguously).
std::vector<float> naivePercentileRows(
    const std::vector<float>& x, std::int64_t rows, std::int64_t cols, int bits, bool symmetric, double p)
{
    std::vector<float> out(x.size());
    for (std::int64_t r = 0; r < rows; ++r) {
        std::vector<double> row(x.begin() + r * cols, x.begin() + (r + 1) * cols);
        std::vector<double> magnitudes;
        for (double v : row) {
            magnitudes.push_back(std::fabs(v));
        }
        for (std::int64_t c = 0; c < cols; ++c) {
            const double v = row[c];
            double q = 0;
            if (symmetric) {
                const double qmax = std::pow(2.0, bits - 1) - 1;
                const float scale = static_cast<float>(oraclePercentile(magnitudes, p) / qmax);
                q = std::max(-qmax, std::min(qmax, std::nearbyint(v / scale))) * scale;
            } else {
                const double qmax = std::pow(2.0, bits) - 1;
                const double lo = std::min(0.0, oraclePercentile(row, 100 - p));
                const double hi = std::max(0.0, oraclePercentile(row, p));
                const float scale = static_cast<float>((hi - lo) / qmax);
                const double zero = std::max(0.0, std::min(qmax, std::nearbyint(-lo / scale)));
                q = (std::max(0.0, std::min(qmax, std::nearbyint(v / scale) + zero)) - zero) * scale;
            }
            out[r * cols + c] = static_cast<float>(q);
        }
    }
    return out;
}

} // namespace

class TestQuantCalibration : public QObject {
    Q_OBJECT

private slots:
    void stochasticRoundingIsUnbiased_data()
    {
        QTest::addColumn<double>("fraction"); // position of the value between two grid points
        QTest::addColumn<bool>("symmetric");
        QTest::newRow("0.3_sym") << 0.3 << true;
        QTest::newRow("0.5_sym") << 0.5 << true;
        QTest::newRow("0.85_sym") << 0.85 << true;
        QTest::newRow("0.3_asym") << 0.3 << false;
    }

    void stochasticRoundingIsUnbiased()
    {
        QFETCH(double, fraction);
        QFETCH(bool, symmetric);
        constexpr std::int64_t kCount = 100000;
        // int4 symmetric: the maximum 7 fixes the scale at 1; the others sit at 2 + fraction.
        // Asymmetric: range [0, 15] → scale 1, zero point 0.
        std::vector<float> values(kCount, static_cast<float>(2 + fraction));
        values[0] = symmetric ? 7.0f : 15.0f;
        QuantSpec spec;
        spec.bits = 4;
        spec.symmetric = symmetric;
        spec.rounding = QuantRounding::Stochastic;
        spec.seed = 42;
        const MatrixShape shape { 1, kCount, false };
        const auto result = quantizeDequantize(values, shape, spec);
        QCOMPARE(result.params.scales.front(), 1.0f);
        double meanError = 0;
        for (std::int64_t i = 1; i < kCount; ++i) {
            QVERIFY(result.values[i] == 2.0f || result.values[i] == 3.0f); // only the neighbours
            meanError += static_cast<double>(result.values[i]) - values[i];
        }
        meanError /= static_cast<double>(kCount - 1);
        const double bound = kMeanErrorSigmas * 1.0 / (2.0 * std::sqrt(static_cast<double>(kCount - 1)));
        QVERIFY2(std::fabs(meanError) < bound, qPrintable(QStringLiteral("%1 vs %2").arg(meanError).arg(bound)));
        // Round to nearest is biased by the fraction itself on the same data: the bound can fail.
        spec.rounding = QuantRounding::Nearest;
        const auto nearest = quantizeDequantize(values, shape, spec);
        double nearestError = 0;
        for (std::int64_t i = 1; i < kCount; ++i) {
            nearestError += static_cast<double>(nearest.values[i]) - values[i];
        }
        QVERIFY(std::fabs(nearestError / static_cast<double>(kCount - 1)) > bound);
    }

    void stochasticRoundingIsDeterministicPerSeed()
    {
        const auto values = heavyTailed(64 * 256, 3);
        const MatrixShape shape { 64, 256, true };
        QuantSpec spec;
        spec.bits = 3;
        spec.granularity = QuantGranularity::Group;
        spec.groupSize = 64;
        spec.rounding = QuantRounding::Stochastic;
        spec.seed = 7;
        const auto a = quantizeDequantize(values, shape, spec);
        const auto b = quantizeDequantize(values, shape, spec);
        QCOMPARE(a.values, b.values);
        spec.seed = 8;
        const auto c = quantizeDequantize(values, shape, spec);
        QVERIFY(a.values != c.values);
        QCOMPARE(a.params.scales, c.params.scales); // the grid does not depend on the seed
        QVERIFY(tensorSeed(7, "h.0.attn.c_attn.weight") != tensorSeed(7, "h.1.attn.c_attn.weight"));
    }

    void percentileHandDerived()
    {
        // |x| = 1..10: rank 0.9·9 = 8.1 → 9 + 0.1 = 9.1, so the int4 scale is 9.1 / 7 = 1.3.
        std::vector<float> values;
        for (int i = 1; i <= 10; ++i) {
            values.push_back(i % 2 ? float(i) : -float(i));
        }
        QuantSpec spec;
        spec.bits = 4;
        spec.clip = QuantClip::Percentile;
        spec.percentile = 90;
        const auto result = quantizeDequantize(values, MatrixShape { 1, 10, false }, spec);
        QCOMPARE(result.params.scales.front(), static_cast<float>(9.1 / 7));
        QCOMPARE(result.values.back(), static_cast<float>(-7 * double(static_cast<float>(9.1 / 7)))); // -10 clipped
    }

    void percentileMatchesSortOracle_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<bool>("symmetric");
        QTest::addColumn<double>("percentile");
        for (int bits : { 3, 4, 8 }) {
            for (bool symmetric : { true, false }) {
                for (double p : { 99.9, 99.0, 90.0 }) {
                    QTest::addRow("int%d_%s_p%g", bits, symmetric ? "sym" : "asym", p) << bits << symmetric << p;
                }
            }
        }
    }

    void percentileMatchesSortOracle()
    {
        QFETCH(int, bits);
        QFETCH(bool, symmetric);
        QFETCH(double, percentile);
        constexpr std::int64_t kRows = 16, kCols = 512;
        const auto values = heavyTailed(kRows * kCols, 21);
        QuantSpec spec;
        spec.bits = bits;
        spec.symmetric = symmetric;
        spec.granularity = QuantGranularity::PerChannel;
        spec.clip = QuantClip::Percentile;
        spec.percentile = percentile;
        const auto result = quantizeDequantize(values, MatrixShape { kRows, kCols, false }, spec);
        const auto expected = naivePercentileRows(values, kRows, kCols, bits, symmetric, percentile);
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double tolerance = kMaxIntQuantRelDiff * std::max(1e-3, std::fabs(double(expected[i])));
            if (std::fabs(result.values[i] - expected[i]) > tolerance) {
                QFAIL(qPrintable(
                    QStringLiteral("element %1: %2 vs oracle %3").arg(i).arg(result.values[i]).arg(expected[i])));
            }
        }
        const auto absLess = [](float a, float b) { return std::fabs(a) < std::fabs(b); };
        const float maxIn = std::fabs(*std::max_element(values.begin(), values.end(), absLess));
        const float maxOut = std::fabs(*std::max_element(result.values.begin(), result.values.end(), absLess));
        QVERIFY(maxOut < maxIn); // the heavy tail really was clipped
    }

    void mseClipNeverWorseThanMinMax_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<bool>("symmetric");
        QTest::addColumn<int>("granularity");
        for (int bits : { 2, 3, 4, 8 }) {
            for (bool symmetric : { true, false }) {
                for (int g : { 0, 1, 2 }) {
                    QTest::addRow("int%d_%s_g%d", bits, symmetric ? "sym" : "asym", g) << bits << symmetric << g;
                }
            }
        }
    }

    void mseClipNeverWorseThanMinMax()
    {
        QFETCH(int, bits);
        QFETCH(bool, symmetric);
        QFETCH(int, granularity);
        const MatrixShape shape { 32, 256, true };
        const auto values = heavyTailed(shape.elementCount(), 5);
        QuantSpec spec;
        spec.bits = bits;
        spec.symmetric = symmetric;
        spec.granularity = static_cast<QuantGranularity>(granularity);
        spec.groupSize = 64;
        const double minMax = quantError(values, quantizeDequantize(values, shape, spec).values).mse;
        spec.clip = QuantClip::Mse;
        const double mse = quantError(values, quantizeDequantize(values, shape, spec).values).mse;
        QVERIFY2(mse <= minMax, qPrintable(QStringLiteral("%1 vs %2").arg(mse).arg(minMax)));
        if (bits <= 4) {
            // Heavy tails at low bit widths: clipping must help, not only tie (per tensor, a lot).
            const double factor = granularity == 0 ? 0.9 : 1.0;
            QVERIFY2(mse < factor * minMax, qPrintable(QStringLiteral("%1 vs %2").arg(mse).arg(minMax)));
        }
    }

    void sqnrHandDerived()
    {
        // mse = (0.25 + 1) / 4, power = 30 / 4 → 10·log10(24).
        const std::vector<float> a { 1, 2, 3, 4 }, b { 1, 2.5f, 2, 4 };
        QVERIFY(std::fabs(quantError(a, b).sqnrDb - 10 * std::log10(24.0)) < kSqnrTolDb);
        QVERIFY(std::isinf(quantError(a, a).sqnrDb) && quantError(a, a).sqnrDb > 0);
        const std::vector<float> zeros(4, 0.0f);
        QVERIFY(std::isinf(quantError(zeros, a).sqnrDb) && quantError(zeros, a).sqnrDb < 0);
    }

    void recipeFields_data()
    {
        QTest::addColumn<QString>("body");
        QTest::addColumn<QString>("message"); // empty: accepted
        QTest::newRow("stochastic") << R"("bits": 4, "rounding": "stochastic", "seed": 3)"
                                    << "";
        QTest::newRow("percentile") << R"("bits": 8, "clip": "percentile", "percentile": 99.9)"
                                    << "";
        QTest::newRow("mse") << R"("bits": 4, "clip": "mse", "granularity": "per_channel")"
                             << "";
        QTest::newRow("ternary_group") << R"("format": "ternary", "granularity": "group", "group_size": 64)"
                                       << "";
        QTest::newRow("bfp") << R"("format": "bfp", "block_size": 8, "mantissa_bits": 7)"
                             << "";
        QTest::newRow("tf32") << R"("format": "tf32")"
                              << "";
        QTest::newRow("bad_rounding") << R"("bits": 4, "rounding": "up")"
                                      << "r.json: steps[0].rounding: \"up\" is not one of nearest, stochastic";
        QTest::newRow("seed_without_stochastic") << R"("bits": 4, "seed": 3)"
                                                 << "r.json: steps[0].seed: does not apply to format 'int' as given; "
                                                    "it needs rounding 'stochastic'";
        QTest::newRow("negative_seed") << R"("bits": 4, "rounding": "stochastic", "seed": -1)"
                                       << "r.json: steps[0].seed: must be in [0, 9007199254740992], got -1";
        QTest::newRow("percentile_missing") << R"("bits": 4, "clip": "percentile")"
                                            << "r.json: steps[0].percentile: missing";
        QTest::newRow("percentile_range") << R"("bits": 4, "clip": "percentile", "percentile": 101)"
                                          << "r.json: steps[0].percentile: must be a number in [50, 100], got 101";
        QTest::newRow("bits_on_ternary") << R"("format": "ternary", "bits": 2)"
                                         << "r.json: steps[0].bits: does not apply to format 'ternary'";
        QTest::newRow("clip_on_bfp") << R"("format": "bfp", "clip": "mse")"
                                     << "r.json: steps[0].clip: does not apply to format 'bfp'";
        QTest::newRow("bfp_block") << R"("format": "bfp", "block_size": 1)"
                                   << "r.json: steps[0].block_size: must be in [2, 1024], got 1";
        QTest::newRow("bfp_mantissa") << R"("format": "bfp", "mantissa_bits": 0)"
                                      << "r.json: steps[0].mantissa_bits: must be in [1, 23], got 0";
        QTest::newRow("format") << R"("format": "int3")"
                                << "r.json: steps[0].format: \"int3\" is not one of int,";
    }

    void recipeFields()
    {
        QFETCH(QString, body);
        QFETCH(QString, message);
        const QString json
            = QStringLiteral(R"({"schema": 1, "steps": [{"type": "quantize", "targets": "*", %1}]})").arg(body);
        const auto recipe = parseRecipe(json.toStdString(), "r.json");
        if (message.isEmpty()) {
            QVERIFY2(recipe.has_value(), recipe ? "" : recipe.error().message.c_str());
            // The same fields parse as a bare spec with the same result.
            const auto spec = parseQuantSpec(("{" + body + "}").toStdString(), "--quant");
            QVERIFY(spec.has_value());
            QCOMPARE(spec->format, recipe->steps[0].quant.format);
            QCOMPARE(spec->storedBits(), recipe->steps[0].quant.storedBits());
            return;
        }
        QVERIFY(!recipe);
        const QString actual = QString::fromStdString(recipe.error().message);
        QVERIFY2(actual.startsWith(message), qPrintable(actual));
    }

    void bareSpecErrors()
    {
        auto spec = parseQuantSpec(R"({"bits": 4, "bitz": 3})", "--quant");
        QVERIFY(!spec);
        QCOMPARE(QString::fromStdString(spec.error().message), QString("--quant: bitz: unknown field"));
        spec = parseQuantSpec(R"({"format": "int"})", "--quant");
        QVERIFY(!spec);
        QCOMPARE(QString::fromStdString(spec.error().message), QString("--quant: bits: missing"));
        spec = parseQuantSpec("[4]", "--quant");
        QVERIFY(!spec);
    }
};

QTEST_APPLESS_MAIN(TestQuantCalibration)
#include "tst_quant_calibration.moc"
