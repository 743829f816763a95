// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Number formats against hand-derived bit patterns and a brute-force nearest-value oracle;
// integer quantization against hand-derived values and a naive per-group loop.
#include "optiscope/core/compression/number_format.h"
#include "optiscope/core/compression/quantization.h"

#include <QTest>

#include <cmath>
#include <limits>
#include <random>

using namespace optiscope::core;

namespace {

// The naive loop and the library use the same float32 scale; only double→float rounding of the
// product may differ.
constexpr double kMaxIntQuantRelDiff = 1e-6;

struct FormatDef {
    int expBits;
    int manBits;
    int bias;
    bool ieee; // all-ones exponent = inf/NaN; otherwise only S.1111.111 is NaN (E4M3)
    bool saturate;
};

// Independent decoder: the textbook formula.
double decodeOracle(std::uint32_t code, const FormatDef& f)
{
    const int total = 1 + f.expBits + f.manBits;
    const double sign = (code >> (total - 1)) & 1 ? -1.0 : 1.0;
    const int e = static_cast<int>((code >> f.manBits) & ((1u << f.expBits) - 1));
    const int m = static_cast<int>(code & ((1u << f.manBits) - 1));
    const int eMax = (1 << f.expBits) - 1;
    if (f.ieee && e == eMax) {
        return m == 0 ? sign * std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
    }
    if (!f.ieee && e == eMax && m == (1 << f.manBits) - 1) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    const double fraction = m / std::pow(2.0, f.manBits);
    return e == 0 ? sign * fraction * std::pow(2.0, 1 - f.bias) : sign * (1.0 + fraction) * std::pow(2.0, e - f.bias);
}

// Nearest finite code by exhaustive search; ties to the code with an even last bit. Beyond the
// largest finite value: saturate, or (IEEE) infinity when at least half an ulp above max.
std::uint32_t encodeOracle(float value, const FormatDef& f)
{
    const int total = 1 + f.expBits + f.manBits;
    std::uint32_t best = 0;
    double bestDistance = std::numeric_limits<double>::infinity();
    double maxValue = 0;
    std::uint32_t maxCode = 0;
    for (std::uint32_t code = 0; code < (1u << total); ++code) {
        const double v = decodeOracle(code, f);
        if (!std::isfinite(v)) {
            continue;
        }
        if (v > maxValue) {
            maxValue = v;
            maxCode = code;
        }
        const double distance = std::fabs(v - value);
        const bool sameSign = std::signbit(v) == std::signbit(value);
        if (distance < bestDistance || (distance == bestDistance && sameSign && (code & 1u) == 0 && (best & 1u))) {
            best = code;
            bestDistance = distance;
        }
    }
    const std::uint32_t signBit = std::signbit(value) ? 1u << (total - 1) : 0u;
    const double magnitude = std::fabs(static_cast<double>(value));
    if (magnitude > maxValue) {
        const double ulp = std::pow(2.0, static_cast<int>(std::floor(std::log2(maxValue))) - f.manBits);
        if (!f.saturate && magnitude >= maxValue + ulp / 2) {
            return signBit | (((1u << f.expBits) - 1) << f.manBits);
        }
        return signBit | maxCode;
    }
    if (bestDistance == 0 || decodeOracle(best, f) == 0) {
        return (best & ~(1u << (total - 1))) | (decodeOracle(best, f) == 0 ? signBit : (best & (1u << (total - 1))));
    }
    return best;
}

const FormatDef kFp16Def { 5, 10, 15, true, false };
const FormatDef kBf16Def { 8, 7, 127, true, false };
const FormatDef kE4M3Def { 4, 3, 7, false, true };
const FormatDef kE5M2Def { 5, 2, 15, true, true };

// Test values: random magnitudes over the format's range, both signs, and exact midpoints.
std::vector<float> probeValues(const FormatDef& f, double maxValue, int count)
{
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> logMagnitude(std::log2(maxValue) - 30, std::log2(maxValue) + 0.2);
    std::vector<float> values;
    for (int i = 0; i < count; ++i) {
        const double v = std::pow(2.0, logMagnitude(rng)) * (i % 2 ? -1 : 1);
        values.push_back(static_cast<float>(v));
    }
    // Midpoints between neighbouring positive codes are exact floats for these formats.
    const int total = 1 + f.expBits + f.manBits;
    for (std::uint32_t code = 0; code + 1 < (1u << (total - 1)); code += std::max(1u, (1u << (total - 1)) / 200)) {
        const double a = decodeOracle(code, f), b = decodeOracle(code + 1, f);
        if (std::isfinite(a) && std::isfinite(b)) {
            values.push_back(static_cast<float>((a + b) / 2));
            values.push_back(static_cast<float>(-(a + b) / 2));
        }
    }
    return values;
}

std::vector<float> randomMatrix(std::int64_t count, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> values(count);
    for (auto& v : values) {
        v = normal(rng);
    }
    return values;
}

// Naive integer quantizer over the logical [out][in] matrix, written from the definition.
std::vector<float> naiveIntQuant(const std::vector<float>& stored, const MatrixShape& shape, const QuantSpec& spec)
{
    std::vector<std::vector<double>> logical(shape.outFeatures, std::vector<double>(shape.inFeatures));
    for (std::int64_t o = 0; o < shape.outFeatures; ++o) {
        for (std::int64_t i = 0; i < shape.inFeatures; ++i) {
            logical[o][i] = shape.inputMajor ? stored[i * shape.outFeatures + o] : stored[o * shape.inFeatures + i];
        }
    }
    std::vector<float> out(stored.size());
    const auto put = [&](std::int64_t o, std::int64_t i, double v) {
        out[shape.inputMajor ? i * shape.outFeatures + o : o * shape.inFeatures + i] = static_cast<float>(v);
    };
    // Group = (output rows o0..o1) × (input columns i0..i1).
    const auto group = [&](std::int64_t o0, std::int64_t o1, std::int64_t i0, std::int64_t i1) {
        double lo = 0, hi = 0, maxAbs = 0;
        for (auto o = o0; o < o1; ++o) {
            for (auto i = i0; i < i1; ++i) {
                lo = std::min(lo, logical[o][i]);
                hi = std::max(hi, logical[o][i]);
                maxAbs = std::max(maxAbs, std::fabs(logical[o][i]));
            }
        }
        for (auto o = o0; o < o1; ++o) {
            for (auto i = i0; i < i1; ++i) {
                const double x = logical[o][i];
                if (spec.symmetric) {
                    const double levels = std::pow(2.0, spec.bits - 1) - 1;
                    const double s = static_cast<float>(maxAbs / levels);
                    put(o, i, s == 0 ? 0.0 : std::min(levels, std::max(-levels, std::nearbyint(x / s))) * s);
                } else {
                    const double levels = std::pow(2.0, spec.bits) - 1;
                    const double s = static_cast<float>((hi - lo) / levels);
                    if (s == 0) {
                        put(o, i, 0.0);
                        continue;
                    }
                    const double z = std::min(levels, std::max(0.0, std::nearbyint(-lo / s)));
                    const double q = std::min(levels, std::max(0.0, std::nearbyint(x / s) + z));
                    put(o, i, (q - z) * s);
                }
            }
        }
    };
    if (spec.granularity == QuantGranularity::PerTensor) {
        group(0, shape.outFeatures, 0, shape.inFeatures);
    } else {
        const std::int64_t g = spec.granularity == QuantGranularity::Group ? spec.groupSize : shape.inFeatures;
        for (std::int64_t o = 0; o < shape.outFeatures; ++o) {
            for (std::int64_t i = 0; i < shape.inFeatures; i += g) {
                group(o, o + 1, i, i + g);
            }
        }
    }
    return out;
}

} // namespace

class TestQuantization : public QObject {
    Q_OBJECT

private slots:
    void fp8E4M3KnownEncodings()
    {
        QCOMPARE(int(encodeFp8E4M3(448.0f)), 0x7E);
        QCOMPARE(int(encodeFp8E4M3(-448.0f)), 0xFE);
        QCOMPARE(int(encodeFp8E4M3(500.0f)), 0x7E); // saturates
        QCOMPARE(int(encodeFp8E4M3(1e9f)), 0x7E);
        QCOMPARE(int(encodeFp8E4M3(std::numeric_limits<float>::infinity())), 0x7E);
        QCOMPARE(int(encodeFp8E4M3(std::numeric_limits<float>::quiet_NaN())), 0x7F);
        QVERIFY(std::isnan(decodeFp8E4M3(0x7F)));
        QVERIFY(std::isnan(decodeFp8E4M3(0xFF)));
        QCOMPARE(decodeFp8E4M3(0x7E), 448.0f);
        QCOMPARE(int(encodeFp8E4M3(1.0f)), 0x38);
        QCOMPARE(int(encodeFp8E4M3(std::ldexp(1.0f, -9))), 0x01); // smallest subnormal
        QCOMPARE(int(encodeFp8E4M3(std::ldexp(1.0f, -10))), 0x00); // tie between 0 and 2^-9 → even (0)
        QCOMPARE(int(encodeFp8E4M3(1.5f * std::ldexp(1.0f, -10))), 0x01);
        QCOMPARE(int(encodeFp8E4M3(1.0625f)), 0x38); // tie between 1.0 and 1.125 → even mantissa
        QCOMPARE(int(encodeFp8E4M3(1.1875f)), 0x3A); // tie between 1.125 and 1.25 → 1.25
        QCOMPARE(decodeFp8E4M3(0x08), std::ldexp(1.0f, -6)); // smallest normal
        QCOMPARE(int(encodeFp8E4M3(-0.0f)), 0x80);
    }

    void fp8E5M2KnownEncodings()
    {
        QCOMPARE(int(encodeFp8E5M2(57344.0f)), 0x7B);
        QCOMPARE(decodeFp8E5M2(0x7B), 57344.0f);
        QCOMPARE(int(encodeFp8E5M2(1e6f)), 0x7B);
        QCOMPARE(int(encodeFp8E5M2(-std::numeric_limits<float>::infinity())), 0xFB);
        QVERIFY(std::isinf(decodeFp8E5M2(0x7C)));
        QVERIFY(std::isnan(decodeFp8E5M2(0x7E)));
        QVERIFY(std::isnan(decodeFp8E5M2(encodeFp8E5M2(std::numeric_limits<float>::quiet_NaN()))));
        QCOMPARE(int(encodeFp8E5M2(1.0f)), 0x3C);
        QCOMPARE(int(encodeFp8E5M2(std::ldexp(1.0f, -16))), 0x01);
        QCOMPARE(int(encodeFp8E5M2(1.125f)), 0x3C); // tie between 1.0 and 1.25 → even
        QCOMPARE(int(encodeFp8E5M2(1.375f)), 0x3E); // tie between 1.25 and 1.5 → 1.5
    }

    void fp16AndBf16KnownEncodings()
    {
        QCOMPARE(int(encodeFp16(1.0f)), 0x3C00);
        QCOMPARE(int(encodeFp16(65504.0f)), 0x7BFF);
        QCOMPARE(int(encodeFp16(65519.0f)), 0x7BFF);
        QCOMPARE(int(encodeFp16(65520.0f)), 0x7C00); // half an ulp above max: IEEE rounds to inf
        QCOMPARE(int(encodeFp16(std::ldexp(1.0f, -24))), 0x0001);
        QCOMPARE(int(encodeFp16(1.0f / 3.0f)), 0x3555);
        QCOMPARE(int(encodeFp16(-2.0f)), 0xC000);
        QCOMPARE(int(encodeBf16(1.0f)), 0x3F80);
        QCOMPARE(int(encodeBf16(3.14159274f)), 0x4049);
        QCOMPARE(int(encodeBf16(std::bit_cast<float>(0x3F808000u))), 0x3F80); // tie → even
        QCOMPARE(int(encodeBf16(std::bit_cast<float>(0x3F818000u))), 0x3F82); // tie → even (up)
        QCOMPARE(int(encodeBf16(std::numeric_limits<float>::max())), 0x7F80); // rounds past max → inf
    }

    void formatsMatchBruteForce_data()
    {
        QTest::addColumn<int>("format");
        QTest::newRow("fp8_e4m3") << 0;
        QTest::newRow("fp8_e5m2") << 1;
        QTest::newRow("fp16") << 2;
        QTest::newRow("bf16") << 3;
    }

    void formatsMatchBruteForce()
    {
        QFETCH(int, format);
        const FormatDef defs[] = { kE4M3Def, kE5M2Def, kFp16Def, kBf16Def };
        const double maxima[] = { 448.0, 57344.0, 65504.0, 3.3895313892515355e38 };
        const FormatDef& def = defs[format];
        const int count = format == 3 ? 300 : 2000;
        int checked = 0;
        for (float value : probeValues(def, maxima[format], count)) {
            const std::uint32_t expected = encodeOracle(value, def);
            std::uint32_t actual = 0;
            switch (format) {
            case 0:
                actual = encodeFp8E4M3(value);
                break;
            case 1:
                actual = encodeFp8E5M2(value);
                break;
            case 2:
                actual = encodeFp16(value);
                break;
            default:
                actual = encodeBf16(value);
                break;
            }
            if (actual != expected) {
                QFAIL(qPrintable(QStringLiteral("value %1: got 0x%2, oracle 0x%3")
                                     .arg(double(value), 0, 'g', 9)
                                     .arg(actual, 0, 16)
                                     .arg(expected, 0, 16)));
            }
            ++checked;
        }
        QVERIFY(checked > 400);
    }

    void decodeMatchesOracleForEveryFp8Code()
    {
        for (std::uint32_t code = 0; code < 256; ++code) {
            const double e4 = decodeOracle(code, kE4M3Def), e5 = decodeOracle(code, kE5M2Def);
            QVERIFY(std::isnan(e4) ? std::isnan(decodeFp8E4M3(code)) : decodeFp8E4M3(code) == e4);
            QVERIFY(std::isnan(e5) ? std::isnan(decodeFp8E5M2(code)) : decodeFp8E5M2(code) == e5);
            if (!std::isnan(e4)) {
                QCOMPARE(int(encodeFp8E4M3(static_cast<float>(e4))), int(code)); // round trip
            }
        }
    }

    void intHandDerived_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<bool>("symmetric");
        QTest::addColumn<std::vector<float>>("input");
        QTest::addColumn<std::vector<float>>("expected");
        // qmax 1, scale 2: -1, round(0.45) = 0, round(0.55) = 1, round(0.2) = 0
        QTest::newRow("sym2") << 2 << true << std::vector<float> { -2, 0.9f, 1.1f, 0.4f }
                              << std::vector<float> { -2, 0, 2, 0 };
        // qmax 3, scale 1; -1.5 and 0.5 are ties → even
        QTest::newRow("sym3") << 3 << true << std::vector<float> { 3, -1.5f, 0.5f, 2.6f }
                              << std::vector<float> { 3, -2, 0, 3 };
        // range [-1, 2] over 3 steps: scale 1, zero point 1
        QTest::newRow("asym2") << 2 << false << std::vector<float> { -1, 0, 1, 2 }
                               << std::vector<float> { -1, 0, 1, 2 };
        // range widened to include 0: [0, 4], scale 4/3, zero point 0: 0.75 → 1, 1.575 → 2, 2.25 → 2
        QTest::newRow("asym2_positive") << 2 << false << std::vector<float> { 1, 2.1f, 3, 4 }
                                        << std::vector<float> { 4.0f / 3, 8.0f / 3, 8.0f / 3, 4 };
    }

    void intHandDerived()
    {
        QFETCH(int, bits);
        QFETCH(bool, symmetric);
        QFETCH(std::vector<float>, input);
        QFETCH(std::vector<float>, expected);
        QuantSpec spec;
        spec.bits = bits;
        spec.symmetric = symmetric;
        const MatrixShape shape { 1, 4, false };
        const auto result = quantizeDequantize(input, shape, spec);
        for (std::size_t i = 0; i < input.size(); ++i) {
            QVERIFY2(std::fabs(result.values[i] - expected[i]) <= 1e-6f * std::fabs(expected[i]),
                qPrintable(QStringLiteral("element %1: %2 vs %3").arg(i).arg(result.values[i]).arg(expected[i])));
        }
        QCOMPARE(result.params.scales.size(), std::size_t { 1 });
        QCOMPARE(result.params.zeroPoints.size(), symmetric ? std::size_t { 0 } : std::size_t { 1 });
    }

    void intMatchesNaiveLoop_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<bool>("symmetric");
        QTest::addColumn<int>("granularity");
        QTest::addColumn<int>("groupSize");
        QTest::addColumn<bool>("inputMajor");
        for (int bits : { 2, 3, 4, 6, 8, 16 }) {
            for (bool symmetric : { true, false }) {
                for (bool inputMajor : { false, true }) {
                    const char* s = symmetric ? "sym" : "asym";
                    const char* l = inputMajor ? "conv1d" : "linear";
                    QTest::addRow("int%d_%s_tensor_%s", bits, s, l) << bits << symmetric << 0 << 0 << inputMajor;
                    QTest::addRow("int%d_%s_channel_%s", bits, s, l) << bits << symmetric << 1 << 0 << inputMajor;
                    for (int g : { 32, 64, 128 }) {
                        QTest::addRow("int%d_%s_group%d_%s", bits, s, g, l)
                            << bits << symmetric << 2 << g << inputMajor;
                    }
                }
            }
        }
    }

    void intMatchesNaiveLoop()
    {
        QFETCH(int, bits);
        QFETCH(bool, symmetric);
        QFETCH(int, granularity);
        QFETCH(int, groupSize);
        QFETCH(bool, inputMajor);
        const MatrixShape shape { 24, 256, inputMajor };
        const auto values = randomMatrix(shape.elementCount(), 7);
        QuantSpec spec;
        spec.bits = bits;
        spec.symmetric = symmetric;
        spec.granularity = static_cast<QuantGranularity>(granularity);
        spec.groupSize = groupSize;
        const auto result = quantizeDequantize(values, shape, spec);
        const auto expected = naiveIntQuant(values, shape, spec);
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double tolerance = kMaxIntQuantRelDiff * std::max(1.0, std::fabs(double(expected[i])));
            if (std::fabs(result.values[i] - expected[i]) > tolerance) {
                QFAIL(qPrintable(
                    QStringLiteral("element %1: %2 vs naive %3").arg(i).arg(result.values[i]).arg(expected[i])));
            }
        }
        const std::size_t groups = granularity == 0 ? 1 : granularity == 1 ? 24 : 24 * (256 / groupSize);
        QCOMPARE(result.params.scales.size(), groups);
        // Round to nearest: every value inside the clipping range is within half a step.
        const auto error = quantError(values, result.values);
        const double maxScale = *std::max_element(result.params.scales.begin(), result.params.scales.end());
        QVERIFY(error.maxAbsError <= maxScale / 2 * (1 + 1e-6));
    }

    void finerGranularityLowersError()
    {
        // Rows with very different magnitudes: per-channel and group scales follow them.
        const MatrixShape shape { 16, 128, false };
        auto values = randomMatrix(shape.elementCount(), 3);
        for (std::int64_t o = 0; o < 16; ++o) {
            for (std::int64_t i = 0; i < 128; ++i) {
                values[shape.index(o, i)] *= std::pow(2.0f, float(o % 5));
            }
        }
        QuantSpec spec;
        spec.bits = 4;
        const double perTensor = quantError(values, quantizeDequantize(values, shape, spec).values).mse;
        spec.granularity = QuantGranularity::PerChannel;
        const double perChannel = quantError(values, quantizeDequantize(values, shape, spec).values).mse;
        spec.granularity = QuantGranularity::Group;
        spec.groupSize = 32;
        const double group = quantError(values, quantizeDequantize(values, shape, spec).values).mse;
        QVERIFY2(perChannel < perTensor, qPrintable(QStringLiteral("%1 vs %2").arg(perChannel).arg(perTensor)));
        QVERIFY2(group <= perChannel, qPrintable(QStringLiteral("%1 vs %2").arg(group).arg(perChannel)));
    }

    void floatFormatsElementwise()
    {
        const MatrixShape shape { 2, 3, false };
        const std::vector<float> values { 1000.0f, -0.3f, 1.0625f, 448.0f, 57344.0f, 3e-5f };
        QuantSpec spec;
        spec.format = NumberFormat::Fp8E4M3;
        const auto e4 = quantizeDequantize(values, shape, spec);
        QCOMPARE(e4.values[0], 448.0f);
        QCOMPARE(e4.values[2], 1.0f);
        QCOMPARE(e4.values[4], 448.0f);
        QVERIFY(e4.params.scales.empty());
        QCOMPARE(spec.storedBits(), 8);
        spec.format = NumberFormat::Bf16;
        QCOMPARE(quantizeDequantize(values, shape, spec).values[2], 1.0625f); // exact in bf16
    }

    void errorMetricsHandDerived()
    {
        const std::vector<float> a { 1, 2, 3, 4 }, b { 1, 2.5f, 2, 4 };
        const auto e = quantError(a, b);
        QCOMPARE(e.mse, (0.25 + 1.0) / 4);
        QCOMPARE(e.maxAbsError, 1.0);
    }
};

QTEST_APPLESS_MAIN(TestQuantization)
#include "tst_quantization.moc"
