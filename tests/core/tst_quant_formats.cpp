// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// TF32 against hand-derived bit patterns and the float32 round-to-nearest-even bit trick; ternary,
// binary and block floating point against hand-computed groups and naive loops written here.
#include "optiscope/core/compression/number_format.h"
#include "optiscope/core/compression/quantization.h"

#include <QTest>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

using namespace optiscope::core;

namespace {

// The library computes a in double and stores it as float; the naive loops do the same, so only
// the summation order may differ.
constexpr double kMaxScaleRelDiff = 1e-6;

std::vector<float> randomMatrix(std::int64_t count, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    std::vector<float> values(static_cast<std::size_t>(count));
    for (auto& v : values) {
        v = normal(rng);
    }
    return values;
}

// Independent TF32 rounding: add half an ulp of the 13 dropped bits (minus one when the kept
// part is even, so ties go to even) and truncate. Valid for every non-NaN float32.
std::uint32_t tf32BitTrick(float value)
{
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
    return (bits + 0xFFFu + ((bits >> 13) & 1u)) >> 13;
}

// Elements of group g (per tensor, per channel or along the input in groups), as storage offsets.
std::vector<std::vector<std::int64_t>> naiveGroups(const MatrixShape& shape, std::int64_t groupSize)
{
    std::vector<std::vector<std::int64_t>> groups;
    if (groupSize == 0) {
        groups.emplace_back();
        for (std::int64_t i = 0; i < shape.elementCount(); ++i) {
            groups.back().push_back(i);
        }
        return groups;
    }
    for (std::int64_t o = 0; o < shape.outFeatures; ++o) {
        for (std::int64_t b = 0; b < shape.inFeatures; b += groupSize) {
            groups.emplace_back();
            for (std::int64_t i = b; i < b + groupSize; ++i) {
                groups.back().push_back(shape.index(o, i));
            }
        }
    }
    return groups;
}

double roundHalfEven(double r)
{
    const double f = std::floor(r);
    const double diff = r - f;
    if (diff > 0.5) {
        return f + 1;
    }
    if (diff < 0.5) {
        return f;
    }
    return std::fmod(f, 2.0) == 0.0 ? f : f + 1;
}

// MSFP block: E from frexp (mantissa in [0.5, 1) → floor(log2|x|) = e - 1).
std::vector<float> naiveBfp(const std::vector<float>& values, const MatrixShape& shape, int block, int mantissa)
{
    std::vector<float> out(values.size());
    for (const auto& group : naiveGroups(shape, block)) {
        int shared = -127;
        for (auto offset : group) {
            if (values[offset] != 0.0f) {
                int e = 0;
                std::frexp(values[offset], &e);
                shared = std::max(shared, e - 1);
            }
        }
        const double step = std::pow(2.0, shared - mantissa + 1);
        const double top = std::pow(2.0, mantissa) - 1;
        for (auto offset : group) {
            const double m = std::min(roundHalfEven(std::fabs(double(values[offset])) / step), top);
            out[offset] = static_cast<float>((values[offset] < 0 ? -m : m) * step);
        }
    }
    return out;
}

} // namespace

class TestQuantFormats : public QObject {
    Q_OBJECT

private slots:
    void tf32KnownEncodings_data()
    {
        QTest::addColumn<std::uint32_t>("fp32");
        QTest::addColumn<std::uint32_t>("tf32");
        // Code = sign << 18 | exponent << 10 | mantissa, i.e. the top 19 bits of the rounded fp32.
        QTest::newRow("one") << 0x3F800000u << 0x1FC00u;
        QTest::newRow("one_plus_ulp") << 0x3F802000u << 0x1FC01u; // 1 + 2^-10, exact
        QTest::newRow("tie_to_even_down") << 0x3F801000u << 0x1FC00u; // 1 + 2^-11
        QTest::newRow("tie_to_even_up") << 0x3F803000u << 0x1FC02u; // 1 + 3·2^-11
        QTest::newRow("above_tie") << 0x3F801001u << 0x1FC01u;
        QTest::newRow("past_half") << 0x3F801800u << 0x1FC01u;
        QTest::newRow("tenth") << 0x3DCCCCCDu << 0x1EE66u; // 0.1f: low bits 0xCCD < 0x1000
        QTest::newRow("minus_two") << 0xC0000000u << 0x60000u;
        QTest::newRow("minus_zero") << 0x80000000u << 0x40000u;
        QTest::newRow("max_tf32") << 0x7F7FE000u << 0x3FBFFu;
        QTest::newRow("flt_max_overflows") << 0x7F7FFFFFu << 0x3FC00u; // rounds past max: +inf
        QTest::newRow("inf") << 0x7F800000u << 0x3FC00u;
        QTest::newRow("minus_inf") << 0xFF800000u << 0x7FC00u;
        QTest::newRow("quiet_nan") << 0x7FC00000u << 0x3FE00u;
        QTest::newRow("min_normal") << 0x00800000u << 0x00400u;
        QTest::newRow("subnormal_quantum") << 0x00002000u << 0x00001u; // 2^-136
        QTest::newRow("subnormal_tie_even") << 0x00001000u << 0x00000u; // 2^-137
        QTest::newRow("subnormal_tie_up") << 0x00003000u << 0x00002u; // 3·2^-137
        QTest::newRow("min_fp32_subnormal") << 0x00000001u << 0x00000u;
    }

    void tf32KnownEncodings()
    {
        QFETCH(std::uint32_t, fp32);
        QFETCH(std::uint32_t, tf32);
        const float value = std::bit_cast<float>(fp32);
        QCOMPARE(encodeTf32(value), tf32);
        const float decoded = decodeTf32(tf32);
        QCOMPARE(std::bit_cast<std::uint32_t>(decoded), tf32 << 13);
        QCOMPARE(std::bit_cast<std::uint32_t>(roundToTf32(value)), tf32 << 13);
    }

    void tf32NanKeepsPayload()
    {
        const float signalling = std::bit_cast<float>(0x7F8A0000u); // payload in the kept bits
        const float rounded = roundToTf32(signalling);
        QVERIFY(std::isnan(rounded));
        QCOMPARE(std::bit_cast<std::uint32_t>(rounded), 0x7FCA0000u); // quiet bit set, payload kept
    }

    void tf32MatchesBitTrick()
    {
        std::mt19937 rng(11);
        std::uniform_int_distribution<std::uint32_t> any;
        int checked = 0;
        for (int i = 0; i < 200000; ++i) {
            const std::uint32_t bits = any(rng);
            const float value = std::bit_cast<float>(bits);
            if (std::isnan(value)) {
                continue;
            }
            if (encodeTf32(value) != tf32BitTrick(value)) {
                QFAIL(qPrintable(QStringLiteral("0x%1: 0x%2 vs bit trick 0x%3")
                                     .arg(bits, 8, 16, QChar('0'))
                                     .arg(encodeTf32(value), 5, 16, QChar('0'))
                                     .arg(tf32BitTrick(value), 5, 16, QChar('0'))));
            }
            ++checked;
        }
        QVERIFY(checked > 190000);
        QuantSpec spec;
        spec.format = NumberFormat::Tf32;
        QCOMPARE(spec.storedBits(), 32);
        QCOMPARE(QString(numberFormatName(spec.format)), QString("tf32"));
    }

    void ternaryBinaryHandDerived()
    {
        // mean|w| = 1.525 → D = 1.0675; |w| > D: 2 and 3 → a = 2.5. Binary: a = 1.525.
        const std::vector<float> values { 1.0f, -2.0f, 0.1f, 3.0f };
        const MatrixShape shape { 1, 4, false };
        QuantSpec spec;
        spec.format = NumberFormat::Ternary;
        const auto ternary = quantizeDequantize(values, shape, spec);
        QCOMPARE(ternary.values, (std::vector<float> { 0.0f, -2.5f, 0.0f, 2.5f }));
        QCOMPARE(ternary.params.scales, (std::vector<float> { 2.5f }));
        QCOMPARE(spec.storedBits(), 2);
        spec.format = NumberFormat::Binary;
        const auto binary = quantizeDequantize(values, shape, spec);
        QCOMPARE(binary.values, (std::vector<float> { 1.525f, -1.525f, 1.525f, 1.525f }));
        QCOMPARE(spec.storedBits(), 1);
    }

    void ternaryBinaryMatchNaiveLoop_data()
    {
        QTest::addColumn<bool>("ternary");
        QTest::addColumn<int>("granularity");
        QTest::addColumn<int>("groupSize");
        QTest::addColumn<bool>("inputMajor");
        for (bool ternary : { true, false }) {
            for (bool inputMajor : { false, true }) {
                const char* f = ternary ? "ternary" : "binary";
                const char* l = inputMajor ? "conv1d" : "linear";
                QTest::addRow("%s_tensor_%s", f, l) << ternary << 0 << 0 << inputMajor;
                QTest::addRow("%s_channel_%s", f, l) << ternary << 1 << 0 << inputMajor;
                QTest::addRow("%s_group32_%s", f, l) << ternary << 2 << 32 << inputMajor;
                QTest::addRow("%s_group128_%s", f, l) << ternary << 2 << 128 << inputMajor;
            }
        }
    }

    void ternaryBinaryMatchNaiveLoop()
    {
        QFETCH(bool, ternary);
        QFETCH(int, granularity);
        QFETCH(int, groupSize);
        QFETCH(bool, inputMajor);
        const MatrixShape shape { 12, 256, inputMajor };
        const auto values = randomMatrix(shape.elementCount(), 5);
        QuantSpec spec;
        spec.format = ternary ? NumberFormat::Ternary : NumberFormat::Binary;
        spec.granularity = static_cast<QuantGranularity>(granularity);
        spec.groupSize = groupSize;
        const auto result = quantizeDequantize(values, shape, spec);
        const auto groups = naiveGroups(shape, granularity == 0 ? 0 : granularity == 1 ? 256 : groupSize);
        QCOMPARE(result.params.scales.size(), groups.size());
        for (std::size_t g = 0; g < groups.size(); ++g) {
            double mean = 0;
            for (auto offset : groups[g]) {
                mean += std::fabs(double(values[offset]));
            }
            mean /= double(groups[g].size());
            double alpha = mean;
            const double delta = 0.7 * mean;
            if (ternary) {
                double sum = 0;
                int count = 0;
                for (auto offset : groups[g]) {
                    if (std::fabs(double(values[offset])) > delta) {
                        sum += std::fabs(double(values[offset]));
                        ++count;
                    }
                }
                alpha = sum / count;
            }
            QVERIFY(std::fabs(result.params.scales[g] - alpha) <= kMaxScaleRelDiff * alpha);
            const float a = result.params.scales[g];
            for (auto offset : groups[g]) {
                const float v = values[offset];
                const float expected
                    = ternary ? (std::fabs(double(v)) > delta ? (v > 0 ? a : -a) : 0.0f) : (v >= 0 ? a : -a);
                if (result.values[offset] != expected) {
                    QFAIL(qPrintable(QStringLiteral("group %1 offset %2: %3 vs naive %4")
                                         .arg(g)
                                         .arg(offset)
                                         .arg(result.values[offset])
                                         .arg(expected)));
                }
            }
        }
    }

    void bfpHandDerived_data()
    {
        QTest::addColumn<std::vector<float>>("input");
        QTest::addColumn<std::vector<float>>("expected");
        QTest::addColumn<int>("exponent");
        // MSFP12-style (3 mantissa bits), blocks of 4. E = 0, step 2^(0-3+1) = 0.25.
        QTest::newRow("plain") << std::vector<float> { 1.0f, 0.3f, -0.6f, 0.05f }
                               << std::vector<float> { 1.0f, 0.25f, -0.5f, 0.0f } << 0;
        // 1.9 / 0.25 = 7.6 rounds to 8, past 2^3 - 1: saturates to 7 · 0.25 (E is not bumped).
        QTest::newRow("mantissa_overflow_saturates")
            << std::vector<float> { 1.9f, 0.1f, 0.0f, -1.99f } << std::vector<float> { 1.75f, 0.0f, 0.0f, -1.75f } << 0;
        // Ties to even: 4.5 → 4, 1.5 → 2, 0.5 → 0.
        QTest::newRow("ties_to_even") << std::vector<float> { 1.125f, 0.375f, 0.125f, -0.001f }
                                      << std::vector<float> { 1.0f, 0.5f, 0.0f, -0.0f } << 0;
        // E = 3 (max 12), step 2: 12 → 6·2, 5 → 2.5 → 2·2, -3 → 1.5 → -2·2, 0.9 → 0.
        QTest::newRow("larger_exponent") << std::vector<float> { 12.0f, 5.0f, -3.0f, 0.9f }
                                         << std::vector<float> { 12.0f, 4.0f, -4.0f, 0.0f } << 3;
        QTest::newRow("all_zero") << std::vector<float> { 0.0f, 0.0f, 0.0f, 0.0f }
                                  << std::vector<float> { 0.0f, 0.0f, 0.0f, 0.0f } << -127;
    }

    void bfpHandDerived()
    {
        QFETCH(std::vector<float>, input);
        QFETCH(std::vector<float>, expected);
        QFETCH(int, exponent);
        QuantSpec spec;
        spec.format = NumberFormat::Bfp;
        spec.blockSize = 4;
        spec.mantissaBits = 3;
        const auto result = quantizeDequantize(input, MatrixShape { 1, 4, false }, spec);
        QCOMPARE(result.values, expected);
        QCOMPARE(result.params.sharedExponents, (std::vector<std::int16_t> { static_cast<std::int16_t>(exponent) }));
        QVERIFY(result.params.scales.empty());
    }

    void bfpMatchesNaiveLoop_data()
    {
        QTest::addColumn<int>("block");
        QTest::addColumn<int>("mantissa");
        QTest::addColumn<bool>("inputMajor");
        for (int block : { 8, 16 }) {
            for (int mantissa : { 3, 5, 7 }) {
                for (bool inputMajor : { false, true }) {
                    QTest::addRow("b%d_m%d_%s", block, mantissa, inputMajor ? "conv1d" : "linear")
                        << block << mantissa << inputMajor;
                }
            }
        }
    }

    void bfpMatchesNaiveLoop()
    {
        QFETCH(int, block);
        QFETCH(int, mantissa);
        QFETCH(bool, inputMajor);
        const MatrixShape shape { 20, 128, inputMajor };
        auto values = randomMatrix(shape.elementCount(), 9);
        values[3] = 0.0f; // a zero among nonzeros, and outliers that set their block's exponent
        values[40] = 3.7f;
        values[41] = -0.96875f;
        QuantSpec spec;
        spec.format = NumberFormat::Bfp;
        spec.blockSize = block;
        spec.mantissaBits = mantissa;
        const auto result = quantizeDequantize(values, shape, spec);
        const auto expected = naiveBfp(values, shape, block, mantissa);
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (result.values[i] != expected[i]) {
                QFAIL(qPrintable(QStringLiteral("element %1 (%2): %3 vs naive %4")
                                     .arg(i)
                                     .arg(values[i])
                                     .arg(result.values[i])
                                     .arg(expected[i])));
            }
        }
        QCOMPARE(result.params.sharedExponents.size(), std::size_t(20 * 128 / block));
        QCOMPARE(spec.storedBits(), 1 + mantissa);
        QCOMPARE(spec.bitsPerElement(), 1 + mantissa + 8.0 / block);
    }
};

QTEST_APPLESS_MAIN(TestQuantFormats)
#include "tst_quant_formats.moc"
