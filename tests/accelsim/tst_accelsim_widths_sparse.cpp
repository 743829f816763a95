// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Operand widths (word sizes in SRAM capacity, DRAM bytes and energy) and N:M-sparse weights on a PE plane that
// skips zeros: hand-derived counts, MAC conservation, a naive per-fold loop for the ifmap group reads, and the
// stepper's per-cycle sums against analytic totals.
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/stepper.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace optiscope::accelsim;

namespace {
constexpr double kEnergyRelTolerance = 1e-12;

ArrayParams params(Dataflow df, std::int64_t rows, std::int64_t cols, std::int64_t kib = 1024)
{
    ArrayParams p;
    p.rows = rows;
    p.cols = cols;
    p.dataflow = df;
    p.ifmapSramKiB = p.filterSramKiB = p.ofmapSramKiB = kib;
    return p;
}

ArrayConfig make(const ArrayParams& p)
{
    auto config = ArrayConfig::create(p);
    if (!config) {
        qFatal("%s", config.error().message.c_str());
    }
    return *config;
}

ArrayConfig sparseConfig(Dataflow df, std::int64_t rows, std::int64_t cols, bool compat = true)
{
    ArrayParams p = params(df, rows, cols);
    p.sparseWeights = true;
    p.scaleSimCompatible = compat;
    return make(p);
}

Layer gemm(std::int64_t m, std::int64_t n, std::int64_t k, int nmN = 0, int nmM = 0)
{
    auto layer = layerFromGemm("g", m, n, k, "test");
    if (!layer) {
        qFatal("%s", layer.error().message.c_str());
    }
    layer->nmN = nmN;
    layer->nmM = nmM;
    return *layer;
}

LayerStats analyze(const Layer& layer, const ArrayConfig& config)
{
    auto stats = analyzeLayer(layer, config);
    if (!stats) {
        qFatal("%s", stats.error().message.c_str());
    }
    return *stats;
}

bool near(double actual, double expected) { return std::abs(actual - expected) <= kEnergyRelTolerance * expected; }

// Independent of the library: walk every WS fold and every compressed row, reading a group when the row is the
// fold's first or starts its group.
std::int64_t naiveWsIfmapReads(
    std::int64_t m, std::int64_t n, std::int64_t k, int nmN, int nmM, std::int64_t r, std::int64_t c)
{
    std::vector<std::int64_t> groupOfRow, groupWords;
    for (std::int64_t g = 0; g * nmM < k; ++g) {
        const std::int64_t words = std::min<std::int64_t>(nmM, k - g * nmM);
        groupWords.push_back(words);
        for (std::int64_t i = 0; i < std::min<std::int64_t>(nmN, words); ++i) {
            groupOfRow.push_back(g);
        }
    }
    const auto kc = static_cast<std::int64_t>(groupOfRow.size());
    std::int64_t perRow = 0;
    for (std::int64_t start = 0; start < kc; start += r) {
        for (std::int64_t row = start; row < std::min(kc, start + r); ++row) {
            const auto g = groupOfRow[static_cast<std::size_t>(row)];
            if (row == start || groupOfRow[static_cast<std::size_t>(row - 1)] != g) {
                perRow += groupWords[static_cast<std::size_t>(g)];
            }
        }
    }
    return m * perRow * ((n + c - 1) / c);
}
} // namespace

class TestAccelsimWidthsSparse : public QObject {
    Q_OBJECT
private slots:
    void packedBytes_data()
    {
        QTest::addColumn<qint64>("words");
        QTest::addColumn<int>("bits");
        QTest::addColumn<qint64>("bytes");
        QTest::newRow("int8") << 600LL << 8 << 600LL;
        QTest::newRow("int4 even") << 600LL << 4 << 300LL;
        QTest::newRow("int4 odd rounds up") << 3LL << 4 << 2LL;
        QTest::newRow("int16") << 5LL << 16 << 10LL;
        QTest::newRow("3-bit 5 words = 15 bits") << 5LL << 3 << 2LL;
        QTest::newRow("2-bit index 24") << 24LL << 2 << 6LL;
        QTest::newRow("0 bits") << 24LL << 0 << 0LL;
        QTest::newRow("2^60 fp32 no overflow") << (qint64(1) << 60) << 32 << (qint64(1) << 62);
    }
    void packedBytes()
    {
        QFETCH(qint64, words);
        QFETCH(int, bits);
        QFETCH(qint64, bytes);
        QCOMPARE(ArrayConfig::packedBytes(words, bits), bytes);
    }

    void wordsPerHalfFollowsWidth()
    {
        // 1 KiB = 8192 bits, half = 4096 bits.
        QCOMPARE(ArrayConfig::wordsPerHalf(1, 8), 512);
        QCOMPARE(ArrayConfig::wordsPerHalf(1, 4), 1024);
        QCOMPARE(ArrayConfig::wordsPerHalf(1, 16), 256);
        QCOMPARE(ArrayConfig::wordsPerHalf(1, 3), 1365);
    }

    void widthsChangeResidencyBytesAndEnergy_data()
    {
        QTest::addColumn<int>("ifmapBits");
        QTest::addColumn<int>("filterBits");
        QTest::addColumn<qint64>("ifmapDramWords");
        QTest::addColumn<qint64>("ifmapDramBytes");
        QTest::addColumn<qint64>("filterDramBytes");
        QTest::addColumn<qint64>("ifmapSramBytes");
        QTest::addColumn<double>("macPj");
        // WS 4x4, M=30 N=20 K=20, 1 KiB scratchpads, int8 ofmap. Sr=K=20 -> 5 row folds, Sc=N=20 -> 5 column
        // folds. SRAM words: ifmap 30*20*5 = 3000, filter 400, ofmap 30*20*5 = 3000 (3000 bytes at int8).
        // int8: ifmap 600 words > 512 per half -> refetched per column fold, 3000 words.
        QTest::newRow("int8") << 8 << 8 << 3000LL << 3000LL << 400LL << 3000LL << 12000 * 0.23;
        // int4: 1024 words per half hold all 600 -> fetched once, 300 bytes; filter 200 B; SRAM ifmap 1500 B.
        QTest::newRow("int4") << 4 << 4 << 600LL << 300LL << 200LL << 1500LL << 12000 * 0.065;
        // int16: 256 words per half -> 3000 words, 6000 bytes; filter 800 B; SRAM 6000 B.
        QTest::newRow("int16") << 16 << 16 << 3000LL << 6000LL << 800LL << 6000LL << 12000 * 0.85;
        // Mixed int4 x int8: MAC costs as the wider (int8); the ifmap fits at int4.
        QTest::newRow("int4 x int8") << 4 << 8 << 600LL << 300LL << 400LL << 1500LL << 12000 * 0.23;
    }
    void widthsChangeResidencyBytesAndEnergy()
    {
        QFETCH(int, ifmapBits);
        QFETCH(int, filterBits);
        QFETCH(qint64, ifmapDramWords);
        QFETCH(qint64, ifmapDramBytes);
        QFETCH(qint64, filterDramBytes);
        QFETCH(qint64, ifmapSramBytes);
        QFETCH(double, macPj);
        // The layer's widths (as an op trace sets them) override the config's int8.
        Layer layer = gemm(30, 20, 20);
        layer.ifmapBits = ifmapBits;
        layer.filterBits = filterBits;
        const LayerStats s = analyze(layer, make(params(Dataflow::WeightStationary, 4, 4, 1)));
        QCOMPARE(s.ifmap.dramAccesses, ifmapDramWords);
        QCOMPARE(s.ifmap.dramBytes(), ifmapDramBytes);
        QCOMPARE(s.filter.dramAccesses, 400);
        QCOMPARE(s.filter.dramBytes(), filterDramBytes);
        QCOMPARE(s.ofmap.dramBytes(), 600); // 30x4 output slice fits: each output written once, int8
        QCOMPARE(s.ifmap.sramBytes(), ifmapSramBytes);
        QCOMPARE(s.ofmap.sramBytes(), 3000);
        QVERIFY(near(s.energy.macPj, macPj));
        const double sram = double(ifmapSramBytes + filterDramBytes + 3000) * 2.5; // filter SRAM = DRAM words here
        QVERIFY2(near(s.energy.sramPj, sram), QByteArray::number(s.energy.sramPj));
        const double dram = double(ifmapDramBytes + filterDramBytes + 600) * 244.0;
        QVERIFY2(near(s.energy.dramPj, dram), QByteArray::number(s.energy.dramPj));
        // Timing does not depend on width (one word per PE per cycle).
        QCOMPARE(s.totalCycles, 25 * (8 + 4 + 30 - 2) - 1);
    }

    void configWidthsApplyWithoutTrace()
    {
        ArrayParams p = params(Dataflow::OutputStationary, 4, 4);
        p.ifmapBits = p.filterBits = 4;
        p.ofmapBits = 16;
        // OS 4x4, M=N=K=4: one fold; ifmap 16 words, filter 16, ofmap 16.
        const LayerStats s = analyze(gemm(4, 4, 4), make(p));
        QCOMPARE(s.ifmap.dramBytes(), 8);
        QCOMPARE(s.filter.dramBytes(), 8);
        QCOMPARE(s.ofmap.dramBytes(), 32);
    }

    void sparseHandDerived_data()
    {
        QTest::addColumn<int>("df");
        QTest::addColumn<int>("r");
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("k");
        QTest::addColumn<int>("nmN");
        QTest::addColumn<int>("nmM");
        QTest::addColumn<qint64>("kCompressed");
        QTest::addColumn<qint64>("cycles");
        QTest::addColumn<qint64>("ifmapReads");
        QTest::addColumn<qint64>("filterReads");
        QTest::addColumn<qint64>("ofmapWrites");
        QTest::addColumn<qint64>("metadataSramBytes");
        const int ws = int(Dataflow::WeightStationary), os = int(Dataflow::OutputStationary);
        // WS 4x4, M=5 N=6 K=8, 2:4: K' = 4 -> Sr=4 (1 row fold), Sc=6 (2), T=5: P = 8+4+5-2 = 15, 2 folds -> 29
        // (dense: 59). Ifmap: each row reads 8 words (2 groups of 4) per column fold: 5*8*2 = 80. Filter 4*6 = 24
        // with 2-bit indices: 48 bits = 6 B. Ofmap 5*6 once.
        QTest::newRow("ws 2:4") << ws << 4 << 5 << 6 << 8 << 2 << 4 << 4LL << 29LL << 80LL << 24LL << 30LL << 6LL;
        // WS 3x3, M=2 N=1 K=8, 2:4: K'=4 -> row folds {0,1,2}, {3}: the boundary at 3 splits group 1, read by
        // both folds: 4 + 4 + 4 = 12 words per row, 24 in all. P = 6+3+2-2 = 9, 2 folds -> 17. Ofmap 2*1*2.
        QTest::newRow("ws split group") << ws << 3 << 2 << 1 << 8 << 2 << 4 << 4LL << 17LL << 24LL << 4LL << 4LL << 1LL;
        // WS 7x7, M=1 N=1 K=10, 3:4: groups of 4, 4, 2 words -> K' = 3+3+2 = 8; folds {0..6}, {7}; the boundary at
        // 7 splits the short last group: 10 + 2 = 12. P = 14+7+1-2 = 20, 2 folds -> 39. Index 2 bits * 8 = 2 B.
        QTest::newRow("ws short last group")
            << ws << 7 << 1 << 1 << 10 << 3 << 4 << 8LL << 39LL << 12LL << 8LL << 2LL << 2LL;
        // OS 4x4, M=N=4, K=8, 1:4: K'=2 = T: P = 4+4+2-2 = 8 -> 7. Each ifmap row reads both groups whole: 4*8;
        // filter 2*4; 16 outputs + 8 phantom (SCALE-Sim quirk); 8 indices of 2 bits = 2 B.
        QTest::newRow("os 1:4") << os << 4 << 4 << 4 << 8 << 1 << 4 << 2LL << 7LL << 32LL << 8LL << 24LL << 2LL;
        // OS 4x4, 1:8 on K=8 -> K'=1; 3-bit indices: 4 * 3 bits = 2 B.
        QTest::newRow("os 1:8") << os << 4 << 4 << 4 << 8 << 1 << 8 << 1LL << 6LL << 32LL << 4LL << 24LL << 2LL;
    }
    void sparseHandDerived()
    {
        QFETCH(int, df);
        QFETCH(int, r);
        QFETCH(int, m);
        QFETCH(int, n);
        QFETCH(int, k);
        QFETCH(int, nmN);
        QFETCH(int, nmM);
        QFETCH(qint64, kCompressed);
        QFETCH(qint64, cycles);
        QFETCH(qint64, ifmapReads);
        QFETCH(qint64, filterReads);
        QFETCH(qint64, ofmapWrites);
        QFETCH(qint64, metadataSramBytes);
        const LayerStats s = analyze(gemm(m, n, k, nmN, nmM), sparseConfig(Dataflow(df), r, r));
        QCOMPARE(s.geometry.kCompressed, kCompressed);
        QCOMPARE(s.totalCycles, cycles);
        QCOMPARE(s.macs, qint64(m) * n * k);
        QCOMPARE(s.macsPerformed, qint64(m) * n * kCompressed);
        QCOMPARE(s.ifmap.sramAccesses, ifmapReads);
        QCOMPARE(s.filter.sramAccesses, filterReads);
        QCOMPARE(s.ofmapSramWritesReported, ofmapWrites);
        QCOMPARE(s.metadataSramBytes, metadataSramBytes);
        // Scratchpads are large: every weight and its index cross DRAM once.
        QCOMPARE(s.filter.dramAccesses, kCompressed * n);
        QCOMPARE(s.ifmap.dramAccesses, qint64(m) * k);
    }

    void sparseNeedsPlaneAndValidPattern()
    {
        // Without the sparse plane, or with IS, or with a non-sparse pattern, the layer runs dense.
        const Layer layer = gemm(5, 6, 8, 2, 4);
        QCOMPARE(analyze(layer, make(params(Dataflow::WeightStationary, 4, 4))).macsPerformed, 240);
        QCOMPARE(analyze(layer, sparseConfig(Dataflow::InputStationary, 4, 4)).macsPerformed, 240);
        QCOMPARE(analyze(gemm(5, 6, 8, 4, 4), sparseConfig(Dataflow::WeightStationary, 4, 4)).macsPerformed, 240);
        QCOMPARE(analyze(layer, sparseConfig(Dataflow::WeightStationary, 4, 4)).macsPerformed, 120);
        QCOMPARE(analyze(layer, sparseConfig(Dataflow::InputStationary, 4, 4)).metadataSramBytes, 0);
    }

    void sparseEnergyCountsMetadataAndSkippedMacs()
    {
        // WS 2:4 row above: 120 int8 MACs; SRAM bytes 80 + 24 + 6 (indices) + 30; DRAM 40 + 24 + 6 + 30.
        const LayerStats s = analyze(gemm(5, 6, 8, 2, 4), sparseConfig(Dataflow::WeightStationary, 4, 4));
        QVERIFY(near(s.energy.macPj, 120 * 0.23));
        QVERIFY(near(s.energy.sramPj, (80 + 24 + 6 + 30) * 2.5));
        QVERIFY(near(s.energy.dramPj, (40 + 24 + 6 + 30) * 244.0));
        QCOMPARE(s.metadataDramBytes, 6);
        // Per operand.
        QVERIFY(near(s.energy.sram.ifmapPj, 80 * 2.5));
        QVERIFY(near(s.energy.sram.filterPj, 24 * 2.5));
        QVERIFY(near(s.energy.sram.metadataPj, 6 * 2.5));
        QVERIFY(near(s.energy.sram.ofmapPj, 30 * 2.5));
        QVERIFY(near(s.energy.dram.ifmapPj, 40 * 244.0));
        QVERIFY(near(s.energy.dram.metadataPj, 6 * 244.0));
        QVERIFY(near(s.energy.dram.ofmapPj, 30 * 244.0));
    }

    void sparseConservationAndStepperAgree()
    {
        // Random shapes and patterns on WS and OS: MACs performed = dense * density when nmM divides K, the
        // stepper's MAC PE-cycles equal MACs performed, its per-cycle SRAM sums and windows equal the analytic
        // totals, and WS ifmap reads equal a naive walk over folds and rows.
        std::mt19937_64 rng(42);
        std::uniform_int_distribution<int> dim(1, 30), side(1, 9), coin(0, 1), mPick(2, 8);
        std::vector<PeState> pes;
        for (int i = 0; i < 250; ++i) {
            const auto df = coin(rng) ? Dataflow::WeightStationary : Dataflow::OutputStationary;
            const int nmM = mPick(rng);
            const int nmN = std::uniform_int_distribution<int>(1, nmM - 1)(rng);
            const std::int64_t r = side(rng), c = side(rng), m = dim(rng), n = dim(rng), k = dim(rng);
            const bool compat = coin(rng) == 1;
            const Layer layer = gemm(m, n, k, nmN, nmM);
            const ArrayConfig config = sparseConfig(df, r, c, compat);
            const LayerStats s = analyze(layer, config);
            const QByteArray where = "shape " + QByteArray::number(i)
                + (df == Dataflow::WeightStationary ? " ws" : " os") + " R" + QByteArray::number(r) + " C"
                + QByteArray::number(c) + " M" + QByteArray::number(m) + " N" + QByteArray::number(n) + " K"
                + QByteArray::number(k) + " " + QByteArray::number(nmN) + ":" + QByteArray::number(nmM);
            if (k % nmM == 0) {
                QVERIFY2(s.macsPerformed * nmM == s.macs * nmN, where);
            }
            QVERIFY2(s.macsPerformed <= s.macs, where);
            if (df == Dataflow::WeightStationary) {
                QVERIFY2(s.ifmap.sramAccesses == naiveWsIfmapReads(m, n, k, nmN, nmM, r, c), where);
            } else {
                QVERIFY2(s.ifmap.sramAccesses == m * k * ((n + c - 1) / c), where);
            }
            Workload w;
            w.layers = { layer };
            auto stepper = Stepper::create(w, config);
            QVERIFY(stepper);
            std::int64_t macPeCycles = 0, ifmap = 0, filter = 0, ofmap = 0, ifmapFirst = -1, ifmapLast = -1;
            for (; !stepper->atEnd(); stepper->step()) {
                const CycleState cs = stepper->state();
                ifmap += cs.ifmapSramReads;
                filter += cs.filterSramReads;
                ofmap += cs.ofmapSramWrites;
                if (cs.ifmapSramReads > 0) {
                    ifmapFirst = ifmapFirst < 0 ? cs.layerCycle : ifmapFirst;
                    ifmapLast = cs.layerCycle;
                }
                stepper->peStates(pes);
                for (PeState pe : pes) {
                    macPeCycles += pe == PeState::Mac;
                }
            }
            QVERIFY2(macPeCycles == s.macsPerformed, where);
            QVERIFY2(ifmap == s.ifmap.sramAccesses, where);
            QVERIFY2(filter == s.filter.sramAccesses, where);
            QVERIFY2(ofmap == s.ofmap.sramAccesses, where);
            QVERIFY2(ifmapFirst == s.ifmap.sramStartCycle && ifmapLast == s.ifmap.sramStopCycle, where);
        }
    }

    void dualInt4HandDerived_data()
    {
        QTest::addColumn<int>("df");
        QTest::addColumn<qint64>("cycles");
        QTest::addColumn<qint64>("ifmapReads");
        QTest::addColumn<qint64>("filterReads");
        QTest::addColumn<qint64>("ofmapWrites");
        // 4x4, M=5 N=6 K=7, int4 x int4 with two MACs per PE per cycle: K' = ceil(7/2) = 4 positions.
        // WS: Sr=4 (1 row fold), Sc=6 (2 column folds), T=5: P = 8+4+5-2 = 15 -> 29 (dense int8: 59). Words are
        // unchanged: ifmap 5*7*2, filter 42, ofmap once per row fold: 30.
        QTest::newRow("ws") << int(Dataflow::WeightStationary) << 29LL << 70LL << 42LL << 30LL;
        // OS: Sr=5 (2 row folds), Sc=6 (2), T=4: P = 4+4+4-2 = 10, 4 folds -> 39. Ifmap 5*7*2, filter 7*6*2,
        // ofmap 30 + 4 folds * 8 phantom.
        QTest::newRow("os") << int(Dataflow::OutputStationary) << 39LL << 70LL << 84LL << 62LL;
        // IS cannot pair (the stationary ifmap holds one element per PE): dense, 2 row folds of K, 2 of M:
        // P = 8+4+6-2 = 16, 4 folds -> 63.
        QTest::newRow("is dense") << int(Dataflow::InputStationary) << 63LL << 35LL << 84LL << 60LL;
    }
    void dualInt4HandDerived()
    {
        QFETCH(int, df);
        QFETCH(qint64, cycles);
        QFETCH(qint64, ifmapReads);
        QFETCH(qint64, filterReads);
        QFETCH(qint64, ofmapWrites);
        ArrayParams p = params(Dataflow(df), 4, 4);
        p.dualInt4Macs = true;
        const ArrayConfig config = make(p);
        Layer layer = gemm(5, 6, 7);
        layer.ifmapBits = layer.filterBits = 4;
        const LayerStats s = analyze(layer, config);
        QCOMPARE(s.totalCycles, cycles);
        QCOMPARE(s.macsPerformed, 210);
        QCOMPARE(s.ifmap.sramAccesses, ifmapReads);
        QCOMPARE(s.filter.sramAccesses, filterReads);
        QCOMPARE(s.ofmapSramWritesReported, ofmapWrites);
        QCOMPARE(s.metadataSramBytes, 0);
        // An int8 operand disables pairing.
        layer.filterBits = 8;
        QCOMPARE(analyze(layer, config).geometry.dualMac, false);
    }

    void dualInt4StepperAgrees()
    {
        // MAC-state PE-cycles do two MACs each but one in the odd last position: 2 * cycles - M*N*(K odd) = MNK.
        std::mt19937_64 rng(3);
        std::uniform_int_distribution<int> dim(1, 30), side(1, 9), coin(0, 1);
        std::vector<PeState> pes;
        for (int i = 0; i < 150; ++i) {
            ArrayParams p
                = params(coin(rng) ? Dataflow::WeightStationary : Dataflow::OutputStationary, side(rng), side(rng));
            p.dualInt4Macs = true;
            p.ifmapBits = p.filterBits = 4;
            p.scaleSimCompatible = coin(rng) == 1;
            const ArrayConfig config = make(p);
            const std::int64_t m = dim(rng), n = dim(rng), k = dim(rng);
            const LayerStats s = analyze(gemm(m, n, k), config);
            Workload w;
            w.layers = { gemm(m, n, k) };
            auto stepper = Stepper::create(w, config);
            QVERIFY(stepper);
            std::int64_t macPeCycles = 0, ifmap = 0, filter = 0, filterFirst = -1, filterLast = -1;
            for (; !stepper->atEnd(); stepper->step()) {
                const CycleState cs = stepper->state();
                ifmap += cs.ifmapSramReads;
                filter += cs.filterSramReads;
                if (cs.filterSramReads > 0) {
                    filterFirst = filterFirst < 0 ? cs.layerCycle : filterFirst;
                    filterLast = cs.layerCycle;
                }
                stepper->peStates(pes);
                for (PeState pe : pes) {
                    macPeCycles += pe == PeState::Mac;
                }
            }
            const QByteArray where = "shape " + QByteArray::number(i);
            QVERIFY2(2 * macPeCycles - (k % 2) * m * n == m * n * k, where);
            QVERIFY2(s.macsPerformed == m * n * k, where);
            QVERIFY2(ifmap == s.ifmap.sramAccesses, where);
            QVERIFY2(filter == s.filter.sramAccesses, where);
            QVERIFY2(filterFirst == s.filter.sramStartCycle && filterLast == s.filter.sramStopCycle, where);
            // Words do not change with pairing: the same reads as the unpaired array.
            ArrayParams single = p;
            single.dualInt4Macs = false;
            const LayerStats plain = analyze(gemm(m, n, k), make(single));
            QVERIFY2(s.filter.sramAccesses == plain.filter.sramAccesses, where);
            QVERIFY2(s.ifmap.dramAccesses == plain.ifmap.dramAccesses, where);
            QVERIFY2(s.totalCycles <= plain.totalCycles, where);
        }
    }
};

QTEST_APPLESS_MAIN(TestAccelsimWidthsSparse)
#include "tst_accelsim_widths_sparse.moc"
