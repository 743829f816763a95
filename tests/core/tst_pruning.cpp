// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Pruning masks obey their pattern exactly and hit the requested ratio; checked by direct
// loops over the logical [out][in] matrix, independent of the pruners' own indexing.
#include "optiscope/core/compression/pruning.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace optiscope::core;

namespace {

// round(ratio · count) is within half an element of the request.
constexpr double kMaxCountDeviation = 0.5;

std::vector<float> randomValues(std::int64_t count, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> values(count);
    for (auto& v : values) {
        v = normal(rng);
    }
    return values;
}

// Storage offset computed without MatrixShape::index.
std::int64_t offsetOf(const MatrixShape& s, std::int64_t out, std::int64_t in)
{
    return s.inputMajor ? in * s.outFeatures + out : out * s.inFeatures + in;
}

std::int64_t pruned(const Mask& mask) { return static_cast<std::int64_t>(mask.size()) - countKept(mask); }

} // namespace

class TestPruning : public QObject {
    Q_OBJECT

private slots:
    void magnitudeHandDerived()
    {
        const std::vector<float> values { 0.5f, -0.1f, 2.0f, -3.0f, 0.2f, 0.0f };
        const Mask mask = magnitudeMask(values, 0.5);
        QCOMPARE(mask, (Mask { 1, 0, 1, 1, 0, 0 }));
        // Ties: equal magnitudes prune the lower index first.
        QCOMPARE(magnitudeMask(std::vector<float> { 1, -1, 1, 1 }, 0.5), (Mask { 0, 0, 1, 1 }));
    }

    void magnitudeRatio_data()
    {
        QTest::addColumn<double>("ratio");
        QTest::addColumn<int>("count");
        for (double ratio : { 0.0, 0.1, 0.25, 0.5, 0.7, 0.9, 0.999 }) {
            for (int count : { 1, 7, 100, 1001 }) {
                QTest::addRow("r%g_n%d", ratio, count) << ratio << count;
            }
        }
    }

    void magnitudeRatio()
    {
        QFETCH(double, ratio);
        QFETCH(int, count);
        const auto values = randomValues(count, 11);
        const Mask mask = magnitudeMask(values, ratio);
        QVERIFY(std::fabs(double(pruned(mask)) - ratio * count) <= kMaxCountDeviation);
        double maxPruned = -1, minKept = INFINITY;
        for (int i = 0; i < count; ++i) {
            (mask[i] ? minKept : maxPruned) = mask[i] ? std::min(minKept, double(std::fabs(values[i])))
                                                      : std::max(maxPruned, double(std::fabs(values[i])));
        }
        QVERIFY(maxPruned <= minKept);
        QCOMPARE(magnitudeMask(values, ratio), mask); // deterministic
    }

    void globalThresholdIsShared()
    {
        auto small = randomValues(300, 1), large = randomValues(500, 2);
        for (auto& v : large) {
            v *= 4.0f;
        }
        const auto masks = globalMagnitudeMasks({ small, large }, 0.6);
        QCOMPARE(pruned(masks[0]) + pruned(masks[1]), std::int64_t { 480 });
        // The small-magnitude tensor loses more than its share.
        QVERIFY(pruned(masks[0]) > 0.6 * 300);
        double maxPruned = 0, minKept = INFINITY;
        for (std::size_t t = 0; t < 2; ++t) {
            const auto& values = t == 0 ? small : large;
            for (std::size_t i = 0; i < values.size(); ++i) {
                if (masks[t][i]) {
                    minKept = std::min(minKept, double(std::fabs(values[i])));
                } else {
                    maxPruned = std::max(maxPruned, double(std::fabs(values[i])));
                }
            }
        }
        QVERIFY(maxPruned <= minKept);
    }

    void nmPattern_data()
    {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("m");
        QTest::addColumn<bool>("inputMajor");
        QTest::addColumn<bool>("ties");
        for (auto [n, m] : { std::pair { 1, 2 }, { 2, 4 }, { 1, 4 }, { 4, 8 }, { 3, 8 }, { 5, 16 } }) {
            for (bool inputMajor : { false, true }) {
                for (bool ties : { false, true }) {
                    QTest::addRow("%d:%d_%s%s", n, m, inputMajor ? "conv1d" : "linear", ties ? "_ties" : "")
                        << n << m << inputMajor << ties;
                }
            }
        }
    }

    void nmPattern()
    {
        QFETCH(int, n);
        QFETCH(int, m);
        QFETCH(bool, inputMajor);
        QFETCH(bool, ties);
        const MatrixShape shape { 12, 64, inputMajor };
        auto values = randomValues(shape.elementCount(), 5);
        if (ties) {
            for (auto& v : values) {
                v = std::round(v); // many equal magnitudes (and zeros)
            }
        }
        const Mask mask = nmMask(values, shape, n, m);
        for (std::int64_t out = 0; out < shape.outFeatures; ++out) {
            for (std::int64_t begin = 0; begin < shape.inFeatures; begin += m) {
                int keptInGroup = 0;
                double minKept = INFINITY, maxPruned = -1;
                for (std::int64_t in = begin; in < begin + m; ++in) {
                    const auto offset = offsetOf(shape, out, in);
                    const double magnitude = std::fabs(values[offset]);
                    if (mask[offset]) {
                        ++keptInGroup;
                        minKept = std::min(minKept, magnitude);
                    } else {
                        maxPruned = std::max(maxPruned, magnitude);
                    }
                }
                QCOMPARE(keptInGroup, n); // exactly n: ties are broken by index
                QVERIFY(maxPruned <= minKept);
            }
        }
        QCOMPARE(nmMask(values, shape, n, m), mask);
    }

    void blockPattern_data()
    {
        QTest::addColumn<int>("p");
        QTest::addColumn<int>("q");
        QTest::addColumn<double>("ratio");
        QTest::addColumn<bool>("inputMajor");
        for (auto [p, q] : { std::pair { 4, 4 }, { 16, 16 }, { 1, 8 }, { 8, 2 } }) {
            for (double ratio : { 0.25, 0.5, 0.8 }) {
                for (bool inputMajor : { false, true }) {
                    QTest::addRow("%dx%d_r%g_%s", p, q, ratio, inputMajor ? "conv1d" : "linear")
                        << p << q << ratio << inputMajor;
                }
            }
        }
    }

    void blockPattern()
    {
        QFETCH(int, p);
        QFETCH(int, q);
        QFETCH(double, ratio);
        QFETCH(bool, inputMajor);
        const MatrixShape shape { 32, 48, inputMajor };
        const auto values = randomValues(shape.elementCount(), 9);
        const Mask mask = blockMask(values, shape, p, q, ratio);
        const std::int64_t blocks = (32 / p) * (48 / q);
        std::int64_t prunedBlocks = 0;
        double minKeptNorm = INFINITY, maxPrunedNorm = -1;
        for (std::int64_t bo = 0; bo < 32; bo += p) {
            for (std::int64_t bi = 0; bi < 48; bi += q) {
                int kept = 0;
                double norm = 0;
                for (std::int64_t o = bo; o < bo + p; ++o) {
                    for (std::int64_t i = bi; i < bi + q; ++i) {
                        kept += mask[offsetOf(shape, o, i)];
                        norm += double(values[offsetOf(shape, o, i)]) * values[offsetOf(shape, o, i)];
                    }
                }
                QVERIFY(kept == 0 || kept == p * q); // all-zero or intact
                if (kept == 0) {
                    ++prunedBlocks;
                    maxPrunedNorm = std::max(maxPrunedNorm, norm);
                } else {
                    minKeptNorm = std::min(minKeptNorm, norm);
                }
            }
        }
        QVERIFY(std::fabs(double(prunedBlocks) - ratio * blocks) <= kMaxCountDeviation);
        QVERIFY(maxPrunedNorm <= minKeptNorm);
    }

    void channelPattern_data()
    {
        QTest::addColumn<int>("axis");
        QTest::addColumn<bool>("inputMajor");
        for (int axis : { 0, 1 }) {
            for (bool inputMajor : { false, true }) {
                QTest::addRow("%s_%s", axis == 0 ? "output" : "input", inputMajor ? "conv1d" : "linear")
                    << axis << inputMajor;
            }
        }
    }

    void channelPattern()
    {
        QFETCH(int, axis);
        QFETCH(bool, inputMajor);
        const MatrixShape shape { 20, 30, inputMajor };
        const auto values = randomValues(shape.elementCount(), 13);
        constexpr double kRatio = 0.35;
        const Mask mask = channelMask(values, shape, static_cast<ChannelAxis>(axis), kRatio);
        const std::int64_t channels = axis == 0 ? 20 : 30, other = axis == 0 ? 30 : 20;
        std::int64_t prunedChannels = 0;
        double minKeptNorm = INFINITY, maxPrunedNorm = -1;
        for (std::int64_t c = 0; c < channels; ++c) {
            int kept = 0;
            double norm = 0;
            for (std::int64_t j = 0; j < other; ++j) {
                const auto offset = axis == 0 ? offsetOf(shape, c, j) : offsetOf(shape, j, c);
                kept += mask[offset];
                norm += double(values[offset]) * values[offset];
            }
            QVERIFY(kept == 0 || kept == other);
            if (kept == 0) {
                ++prunedChannels;
                maxPrunedNorm = std::max(maxPrunedNorm, norm);
            } else {
                minKeptNorm = std::min(minKeptNorm, norm);
            }
        }
        QCOMPARE(prunedChannels, std::llround(kRatio * channels));
        QVERIFY(maxPrunedNorm <= minKeptNorm);
    }
};

QTEST_APPLESS_MAIN(TestPruning)
#include "tst_pruning.moc"
