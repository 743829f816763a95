// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// DRAM bandwidth stalls (USER InterfaceBandwidth): hand-derived schedules, a timeline re-statement of the model
// as oracle, per-fold DRAM words that add up to the layer totals, and the stepper against analytic mode.
#include "optiscope/accelsim/reports.h"
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/stepper.h"

#include <QTest>

#include <numeric>
#include <random>

using namespace optiscope::accelsim;

namespace {
struct Setup {
    Dataflow df = Dataflow::WeightStationary;
    std::int64_t rows = 4, cols = 4, kib = 1024;
    std::vector<std::int64_t> bandwidth { 1 };
    bool user = true;
    bool compat = true;
    bool sparse = false;
    int bits = 8;
};

ArrayConfig make(const Setup& s)
{
    ArrayParams p;
    p.rows = s.rows;
    p.cols = s.cols;
    p.dataflow = s.df;
    p.ifmapSramKiB = p.filterSramKiB = p.ofmapSramKiB = s.kib;
    p.bandwidthMode = s.user ? BandwidthMode::User : BandwidthMode::Calc;
    p.bandwidthWordsPerCycle = s.bandwidth;
    p.scaleSimCompatible = s.compat;
    p.sparseWeights = s.sparse;
    auto config = ArrayConfig::create(p);
    if (!config) {
        qFatal("%s", config.error().message.c_str());
    }
    return *config;
}

Layer gemm(std::int64_t m, std::int64_t n, std::int64_t k, int bits = 8, int nmN = 0, int nmM = 0)
{
    auto layer = layerFromGemm("g", m, n, k, "test");
    if (!layer) {
        qFatal("%s", layer.error().message.c_str());
    }
    layer->ifmapBits = layer->filterBits = bits;
    layer->nmN = nmN;
    layer->nmM = nmM;
    return *layer;
}

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// The stall model restated as a timeline: each fold's compute starts when the previous one ended, its reads
// (begun with the previous fold's compute) are in, and the writes of two folds back (drained during the
// previous fold) are out. Returns the layer's total stall cycles.
std::int64_t timelineStalls(const Layer& layer, const ArrayConfig& config, const LayerGeometry& g, int metadataBits)
{
    const std::int64_t p = g.cyclesPerFold;
    const auto folds = static_cast<std::size_t>(g.folds);
    std::vector<std::int64_t> start(folds), readX(folds), writeX(folds);
    for (std::size_t f = 0; f < folds; ++f) {
        const FoldDramWords w = foldDramWords(layer, config, static_cast<std::int64_t>(f));
        const std::int64_t filterBytes = ArrayConfig::packedBytes(w.filterReads, layer.filterBits)
            + ArrayConfig::packedBytes(w.filterReads, metadataBits);
        readX[f]
            = std::max(ceilDiv(ArrayConfig::packedBytes(w.ifmapReads, layer.ifmapBits), config.dramBytesPerCycle(0)),
                ceilDiv(filterBytes, config.dramBytesPerCycle(1)));
        writeX[f]
            = ceilDiv(ArrayConfig::packedBytes(w.ofmapWrites, config.params().ofmapBits), config.dramBytesPerCycle(2));
    }
    std::vector<std::int64_t> writesDone(folds);
    for (std::size_t f = 0; f < folds; ++f) {
        const std::int64_t readsBegin = f == 0 ? 0 : start[f - 1];
        std::int64_t s = std::max(f == 0 ? 0 : start[f - 1] + p, readsBegin + readX[f]);
        if (f >= 2) {
            s = std::max(s, writesDone[f - 2]);
        }
        start[f] = s;
        if (f >= 1) {
            writesDone[f - 1] = start[f] + writeX[f - 1]; // drains during fold f
        }
    }
    const std::size_t last = folds - 1;
    std::int64_t end = start[last] + p;
    if (folds >= 2) {
        end = std::max(end, writesDone[last - 1]);
    }
    end += writeX[last];
    return end - g.folds * p;
}

LayerStats analyze(const Layer& layer, const ArrayConfig& config)
{
    auto stats = analyzeLayer(layer, config);
    if (!stats) {
        qFatal("%s", stats.error().message.c_str());
    }
    return *stats;
}
} // namespace

class TestAccelsimStalls : public QObject {
    Q_OBJECT
private slots:
    void handDerived_data()
    {
        QTest::addColumn<int>("bits");
        QTest::addColumn<int>("nmN");
        QTest::addColumn<int>("k");
        QTest::addColumn<QList<qint64>>("bandwidth");
        QTest::addColumn<QList<qint64>>("stalls");
        // WS 4x4, M=5 N=6 K=7, scratchpads large (everything resident), P = 8+4+5-2 = 15. Folds (column fold
        // outer): f0 4x4, f1 3x4, f2 4x2, f3 3x2. DRAM words: ifmap 20, 15, 0, 0 (fetched once); filter 16, 12,
        // 8, 6; ofmap 0, 20, 0, 10 (each output slice written after its last row fold).
        // 1 B/cycle: s0 = max(20, 16) = 20; s1 = max(15, 12) - 15 = 0; s2 = 0; s3 = W(f1) 20 - 15 = 5;
        // tail = max(0, W(f2) 0 - 15) + W(f3) 10 = 10.
        QTest::newRow("int8 1 B/cycle") << 8 << 0 << 7 << QList<qint64> { 1 } << QList<qint64> { 20, 0, 0, 5, 10 };
        // Per-operand interfaces 2, 1, 4 B/cycle: s0 = max(10, 16); s3 = ceil(20/4) - 15 < 0; tail ceil(10/4) = 3.
        QTest::newRow("2,1,4 B/cycle") << 8 << 0 << 7 << QList<qint64> { 2, 1, 4 } << QList<qint64> { 16, 0, 0, 0, 3 };
        // int4 operands (int8 ofmap): ifmap bytes 10, 8 (15 nibbles round up), filter 8, 6, 4, 3:
        // s0 = 10; s3 = 20 - 15 = 5 (ofmap still int8); tail 10.
        QTest::newRow("int4 1 B/cycle") << 4 << 0 << 7 << QList<qint64> { 1 } << QList<qint64> { 10, 0, 0, 5, 10 };
        // Ample bandwidth: every nonzero transfer still takes one cycle, so cold start 1 and final write-back 1.
        QTest::newRow("ample") << 8 << 0 << 7 << QList<qint64> { 1000000 } << QList<qint64> { 1, 0, 0, 0, 1 };
        // Sparse 2:4, K=8 -> K'=4: one row fold, column folds 4 and 2. f0: ifmap 5*8 = 40, filter 16 + 4 B of
        // 2-bit indices = 20, ofmap 20; f1: filter 8 + 2 = 10, ofmap 10. s0 = 40, s1 = 0, tail = (20-15) + 10.
        QTest::newRow("sparse 2:4 metadata") << 8 << 2 << 8 << QList<qint64> { 1 } << QList<qint64> { 40, 0, 15 };
    }
    void handDerived()
    {
        QFETCH(int, bits);
        QFETCH(int, nmN);
        QFETCH(int, k);
        QFETCH(QList<qint64>, bandwidth);
        QFETCH(QList<qint64>, stalls);
        Setup setup;
        setup.bandwidth.assign(bandwidth.begin(), bandwidth.end());
        setup.sparse = nmN > 0;
        const ArrayConfig config = make(setup);
        const Layer layer = gemm(5, 6, k, bits, nmN, nmN > 0 ? 4 : 0);
        auto schedule = foldStalls(layer, config);
        QVERIFY(schedule);
        QCOMPARE(QList<qint64>(schedule->begin(), schedule->end()), stalls);
        const std::int64_t total = std::accumulate(stalls.begin(), stalls.end(), std::int64_t { 0 });
        const LayerStats s = analyze(layer, config);
        QCOMPARE(s.stallCycles, total);
        QCOMPARE(s.totalCycles, s.geometry.computeCycles + total - 1);
        // The first SRAM access waits for the cold start.
        QCOMPARE(s.filter.sramStartCycle, stalls.front() + 4 - s.geometry.rowsUsed(0));
        const std::string report = formatComputeReport(SimulationResult { "r", Dataflow::WeightStationary, { s } });
        QVERIFY(report.find("\n0, " + std::to_string(s.totalCycles) + ", " + std::to_string(total) + ", ")
            != std::string::npos);
    }

    void calcModeNeverStalls()
    {
        Setup setup;
        setup.user = false;
        const LayerStats s = analyze(gemm(5, 6, 7), make(setup));
        QCOMPARE(s.stallCycles, 0);
        QCOMPARE(s.totalCycles, 59); // SCALE-Sim's stall-free number is unchanged
    }

    void perFoldWordsAddUpAndTimelineAgrees()
    {
        // All dataflows, small scratchpads (refetches), widths, sparse patterns, 1 or 3 interfaces.
        std::mt19937_64 rng(99);
        std::uniform_int_distribution<int> dim(1, 60), side(1, 12), dfPick(0, 2), coin(0, 1), bw(1, 9), kib(1, 3);
        const int widths[] = { 4, 8, 16 };
        for (int i = 0; i < 300; ++i) {
            Setup setup;
            setup.df = Dataflow(dfPick(rng));
            setup.rows = side(rng);
            setup.cols = side(rng);
            setup.kib = kib(rng);
            setup.sparse = coin(rng) == 1;
            setup.bandwidth = coin(rng) ? std::vector<std::int64_t> { bw(rng) }
                                        : std::vector<std::int64_t> { bw(rng), bw(rng), bw(rng) };
            const ArrayConfig config = make(setup);
            const int bits = widths[std::uniform_int_distribution<int>(0, 2)(rng)];
            const Layer layer = gemm(dim(rng), dim(rng), dim(rng), bits, setup.sparse ? 1 : 0, setup.sparse ? 4 : 0);
            const LayerStats s = analyze(layer, config);
            const QByteArray where = "shape " + QByteArray::number(i);
            FoldDramWords sum;
            for (std::int64_t f = 0; f < s.geometry.folds; ++f) {
                const FoldDramWords w = foldDramWords(layer, config, f);
                sum.ifmapReads += w.ifmapReads;
                sum.filterReads += w.filterReads;
                sum.ofmapWrites += w.ofmapWrites;
            }
            QVERIFY2(sum.ifmapReads == s.ifmap.dramAccesses, where);
            QVERIFY2(sum.filterReads == s.filter.dramAccesses, where);
            QVERIFY2(sum.ofmapWrites == s.ofmap.dramAccesses, where);
            QVERIFY2(s.stallCycles == timelineStalls(layer, config, s.geometry, s.metadataBitsPerWeight), where);
        }
    }

    void stepperEqualsAnalyticWithStalls()
    {
        std::mt19937_64 rng(5);
        std::uniform_int_distribution<int> dim(1, 40), side(1, 10), dfPick(0, 2), coin(0, 1), bw(1, 6);
        std::vector<PeState> pes;
        for (int i = 0; i < 200; ++i) {
            Setup setup;
            setup.df = Dataflow(dfPick(rng));
            setup.rows = side(rng);
            setup.cols = side(rng);
            setup.kib = 1;
            setup.compat = coin(rng) == 1;
            setup.sparse = coin(rng) == 1;
            setup.bandwidth = { bw(rng), bw(rng), bw(rng) };
            const ArrayConfig config = make(setup);
            const Layer first = gemm(dim(rng), dim(rng), dim(rng), 8, 2, 4);
            const Layer second = gemm(dim(rng), dim(rng), dim(rng), 4);
            Workload w;
            w.layers = { first, second };
            auto stepper = Stepper::create(w, config);
            QVERIFY(stepper);
            // Stalled PE-cycles, counted by stepping, against the schedule: each stall cycle freezes the PEs
            // of the fold it delays (the tail: the last fold's).
            std::int64_t stalledPeCycles = 0;
            std::vector<std::int64_t> expectedStalledPe(2, 0);
            for (std::size_t l = 0; l < 2; ++l) {
                const LayerGeometry& g = stepper->geometry(l);
                auto schedule = foldStalls(w.layers[l], config);
                QVERIFY(schedule);
                for (std::int64_t f = 0; f <= g.folds; ++f) {
                    const std::int64_t fold = std::min(f, g.folds - 1);
                    expectedStalledPe[l] += (*schedule)[static_cast<std::size_t>(f)] * g.rowsUsed(fold % g.rowFolds)
                        * g.colsUsed(fold / g.rowFolds);
                }
            }
            const std::int64_t checkFrom = stepper->totalCycles() > 20000 ? stepper->totalCycles() : 0;
            for (; stepper->cycle() >= checkFrom && !stepper->atEnd(); stepper->step()) {
                stepper->peStates(pes);
                for (PeState pe : pes) {
                    stalledPeCycles += pe == PeState::Stalled;
                }
            }
            stepper->seek(0);
            auto totals = stepper->runToEnd();
            QVERIFY(totals);
            const QByteArray where = "workload " + QByteArray::number(i);
            for (std::size_t l = 0; l < 2; ++l) {
                const LayerStats a = analyze(w.layers[l], config);
                const StepperLayerTotals& t = (*totals)[l];
                QVERIFY2(t.reportedCycles == a.totalCycles, where);
                QVERIFY2(t.stallCycles == a.stallCycles, where);
                QVERIFY2(t.ifmapSramReads == a.ifmap.sramAccesses, where);
                QVERIFY2(t.filterSramReads == a.filter.sramAccesses, where);
                QVERIFY2(t.ofmapSramWrites == a.ofmap.sramAccesses, where);
                QVERIFY2(t.ifmapStart == a.ifmap.sramStartCycle && t.ifmapStop == a.ifmap.sramStopCycle, where);
                QVERIFY2(t.filterStart == a.filter.sramStartCycle && t.filterStop == a.filter.sramStopCycle, where);
                QVERIFY2(t.ofmapStart == a.ofmap.sramStartCycle && t.ofmapStop == a.ofmap.sramStopCycle, where);
            }
            if (checkFrom == 0) {
                QVERIFY2(stalledPeCycles == expectedStalledPe[0] + expectedStalledPe[1], where);
            }
        }
    }

    void seekLandsInStalls()
    {
        // "int8 1 B/cycle" schedule: fold 0 computes over [20, 35), fold 3 waits over [65, 70).
        Setup setup;
        Workload w;
        w.layers = { gemm(5, 6, 7) };
        auto stepper = Stepper::create(w, make(setup));
        QVERIFY(stepper);
        QCOMPARE(stepper->totalCycles(), 95);
        stepper->seek(19);
        QVERIFY(stepper->state().stalled);
        QCOMPARE(stepper->peState(0, 0), PeState::Stalled);
        stepper->seek(20);
        QVERIFY(!stepper->state().stalled);
        QCOMPARE(stepper->state().foldCycle, 0);
        QCOMPARE(stepper->peState(0, 0), PeState::Loading);
        stepper->seek(66);
        QCOMPARE(stepper->state().fold, 3);
        QVERIFY(stepper->state().stalled);
        QCOMPARE(stepper->peState(2, 1), PeState::Stalled);
        QCOMPARE(stepper->peState(0, 2), PeState::Idle); // fold 3 uses 3 rows x 2 columns
        stepper->seek(94); // tail
        QVERIFY(stepper->state().stalled);
        QCOMPARE(stepper->state().fold, 3);
        QCOMPARE(stepper->state().ifmapSramReads, 0);
    }

    void refusesTooManyFoldsInUserMode()
    {
        Setup setup;
        setup.rows = setup.cols = 1;
        const Layer layer = gemm(1, std::int64_t { 1 } << 14, std::int64_t { 1 } << 13);
        auto stats = analyzeLayer(layer, make(setup));
        QVERIFY(!stats);
        QCOMPARE(stats.error().code, ErrorCode::TooLarge);
        QVERIFY(stats.error().message.find("CALC") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestAccelsimStalls)
#include "tst_accelsim_stalls.moc"
