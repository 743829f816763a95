// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The cycle stepper against SCALE-Sim's demand matrices (per cycle), against analytic mode (totals), and
// against M*N*K (MAC conservation).
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/stepper.h"

#include "accelsim_fixtures.h"
#include "scalesim_reference.h"

#include <QTest>

#include <random>

using namespace optiscope::accelsim;
using accelsim_fixtures::gemm;
using accelsim_fixtures::makeStepper;

namespace {
ArrayConfig makeConfig(Dataflow df, std::int64_t rows, std::int64_t cols, bool compat = true)
{
    ArrayParams p;
    p.rows = rows;
    p.cols = cols;
    p.dataflow = df;
    p.scaleSimCompatible = compat;
    p.ifmapSramKiB = p.filterSramKiB = p.ofmapSramKiB = 1024;
    auto config = ArrayConfig::create(p);
    if (!config) {
        qFatal("%s", config.error().message.c_str());
    }
    return *config;
}

scalesim_reference::Df refDf(Dataflow df)
{
    return df == Dataflow::OutputStationary ? scalesim_reference::Df::Os
        : df == Dataflow::WeightStationary  ? scalesim_reference::Df::Ws
                                            : scalesim_reference::Df::Is;
}

QByteArray describe(int i, Dataflow df, std::int64_t r, std::int64_t c, std::int64_t m, std::int64_t n, std::int64_t k)
{
    return "shape " + QByteArray::number(i) + " df " + QByteArray::number(int(df)) + " R" + QByteArray::number(r) + " C"
        + QByteArray::number(c) + " M" + QByteArray::number(m) + " N" + QByteArray::number(n) + " K"
        + QByteArray::number(k);
}
} // namespace

class TestAccelsimStepper : public QObject {
    Q_OBJECT
private slots:
    void perCycleMatchesScaleSimDemandRows()
    {
        std::mt19937_64 rng(7);
        std::uniform_int_distribution<int> dim(1, 30), side(1, 8), dfPick(0, 2);
        for (int i = 0; i < 150; ++i) {
            const auto df = Dataflow(dfPick(rng));
            const std::int64_t r = side(rng), c = side(rng), m = dim(rng), n = dim(rng), k = dim(rng);
            const auto ref = scalesim_reference::run(refDf(df), m, n, k, r, c);
            Stepper stepper = makeStepper({ gemm(m, n, k) }, makeConfig(df, r, c));
            const QByteArray where = describe(i, df, r, c, m, n, k);
            QVERIFY2(stepper.totalCycles() == ref.rows(), where);
            for (std::int64_t t = 0; !stepper.atEnd(); ++t, stepper.step()) {
                const CycleState s = stepper.state();
                QVERIFY2(s.ifmapSramReads == ref.ifmapPerRow[t], where + " cycle " + QByteArray::number(t));
                QVERIFY2(s.filterSramReads == ref.filterPerRow[t], where + " cycle " + QByteArray::number(t));
                QVERIFY2(s.ofmapSramWrites == ref.ofmapPerRow[t], where + " cycle " + QByteArray::number(t));
            }
        }
    }

    void totalsEqualAnalytic()
    {
        std::mt19937_64 rng(11);
        std::uniform_int_distribution<int> dim(1, 70), side(1, 16), dfPick(0, 2), coin(0, 1);
        for (int i = 0; i < 400; ++i) {
            const auto df = Dataflow(dfPick(rng));
            const bool compat = coin(rng) == 1;
            const std::int64_t r = side(rng), c = side(rng), m = dim(rng), n = dim(rng), k = dim(rng);
            const ArrayConfig config = makeConfig(df, r, c, compat);
            const Layer layer = gemm(m, n, k);
            auto analytic = analyzeLayer(layer, config);
            QVERIFY(analytic);
            Stepper stepper = makeStepper({ layer }, config);
            auto totals = stepper.runToEnd();
            QVERIFY(totals);
            const StepperLayerTotals& t = totals->at(0);
            const QByteArray where = describe(i, df, r, c, m, n, k) + (compat ? " compat" : " physical");
            QVERIFY2(t.reportedCycles == analytic->totalCycles, where);
            QVERIFY2(t.steppedCycles == analytic->geometry.steppedCycles, where);
            QVERIFY2(t.ifmapSramReads == analytic->ifmap.sramAccesses, where);
            QVERIFY2(t.filterSramReads == analytic->filter.sramAccesses, where);
            QVERIFY2(t.ofmapSramWrites == analytic->ofmap.sramAccesses, where);
            // Per-cycle DRAM traffic adds up to the residency model's totals.
            QVERIFY2(t.ifmapDramReads == analytic->ifmap.dramAccesses, where);
            QVERIFY2(t.filterDramReads == analytic->filter.dramAccesses, where);
            QVERIFY2(t.ofmapDramWrites == analytic->ofmap.dramAccesses, where);
            QVERIFY2(
                t.ifmapStart == analytic->ifmap.sramStartCycle && t.ifmapStop == analytic->ifmap.sramStopCycle, where);
            QVERIFY2(t.filterStart == analytic->filter.sramStartCycle && t.filterStop == analytic->filter.sramStopCycle,
                where);
            QVERIFY2(
                t.ofmapStart == analytic->ofmap.sramStartCycle && t.ofmapStop == analytic->ofmap.sramStopCycle, where);
        }
    }

    void macConservation()
    {
        // Sum over cycles of PEs in the MAC state is M*N*K, and every PE the mapping covers computes.
        std::mt19937_64 rng(13);
        std::uniform_int_distribution<int> dim(1, 24), side(1, 8), dfPick(0, 2);
        std::vector<PeState> pes;
        for (int i = 0; i < 120; ++i) {
            const auto df = Dataflow(dfPick(rng));
            const std::int64_t r = side(rng), c = side(rng), m = dim(rng), n = dim(rng), k = dim(rng);
            Stepper stepper = makeStepper({ gemm(m, n, k) }, makeConfig(df, r, c));
            const LayerGeometry& g = stepper.geometry(0);
            std::int64_t macPeCycles = 0;
            std::vector<char> everMac(static_cast<std::size_t>(r * c), 0);
            std::int64_t loadingPeCycles = 0;
            for (; !stepper.atEnd(); stepper.step()) {
                stepper.peStates(pes);
                for (std::size_t p = 0; p < pes.size(); ++p) {
                    macPeCycles += pes[p] == PeState::Mac;
                    loadingPeCycles += pes[p] == PeState::Loading;
                    everMac[p] |= pes[p] == PeState::Mac;
                }
            }
            const QByteArray where = describe(i, df, r, c, m, n, k);
            QVERIFY2(macPeCycles == m * n * k, where);
            for (std::int64_t row = 0; row < std::min(r, g.sr); ++row) {
                for (std::int64_t col = 0; col < std::min(c, g.sc); ++col) {
                    QVERIFY2(everMac[static_cast<std::size_t>(row * c + col)], where);
                }
            }
            // Stationary operand: every mapped element is held by a loading PE for R cycles of its fold.
            const std::int64_t expectedLoading = df == Dataflow::OutputStationary ? 0 : g.sr * g.sc * g.rows;
            QVERIFY2(loadingPeCycles == expectedLoading, where);
        }
    }

    void peStatesHandDerived()
    {
        // WS 4x4, M=5 N=6 K=7: fold 0 uses 4x4 PEs, preload cycles 0-3; PE(r, c) multiplies during
        // [4 + r + c, 9 + r + c); column c's last output leaves at 2*4 - 1 + c + 5 - 1 = 11 + c.
        Stepper s = makeStepper({ gemm(5, 6, 7) }, makeConfig(Dataflow::WeightStationary, 4, 4));
        QCOMPARE(s.peState(3, 3), PeState::Loading);
        s.seek(4);
        QCOMPARE(s.peState(0, 0), PeState::Mac);
        QCOMPARE(s.peState(0, 1), PeState::Idle);
        s.seek(9);
        QCOMPARE(s.peState(0, 0), PeState::Draining);
        QCOMPARE(s.peState(3, 3), PeState::Idle); // starts at 10
        s.seek(10);
        QCOMPARE(s.peState(3, 3), PeState::Mac);
        s.seek(12);
        QCOMPARE(s.peState(0, 0), PeState::Idle); // column 0 drained at 11
        QCOMPARE(s.peState(0, 1), PeState::Draining);
        // Fold 1 (cycles 15-29) is row fold 1 of column fold 0: K rows 4-6, so array row 3 is unused.
        s.seek(15 + 4 + 3);
        QCOMPARE(s.state().rowFold, 1);
        QCOMPARE(s.state().rowsUsed, 3);
        QCOMPARE(s.peState(3, 0), PeState::Idle);
        QCOMPARE(s.peState(2, 0), PeState::Mac); // busy during [15 + 4 + 2, 15 + 9 + 2) = [21, 26)
        s.seek(15 + 4 + 1);
        QCOMPARE(s.peState(2, 0), PeState::Idle);
        s.seek(15 + 9 + 2);
        QCOMPARE(s.peState(2, 0), PeState::Draining);
    }

    void seekIsDeterministic()
    {
        const ArrayConfig config = makeConfig(Dataflow::OutputStationary, 5, 3);
        Stepper stepped = makeStepper({ gemm(7, 4, 9, "a"), gemm(3, 11, 2, "b"), gemm(13, 1, 5, "c") }, config);
        Stepper sought = stepped;
        std::mt19937_64 rng(17);
        std::vector<CycleState> byStepping;
        std::vector<std::vector<PeState>> pesByStepping;
        std::vector<PeState> pes;
        for (; !stepped.atEnd(); stepped.step()) {
            byStepping.push_back(stepped.state());
            stepped.peStates(pes);
            pesByStepping.push_back(pes);
        }
        QCOMPARE(std::int64_t(byStepping.size()), sought.totalCycles());
        std::uniform_int_distribution<std::int64_t> pick(0, sought.totalCycles() - 1);
        for (int i = 0; i < 500; ++i) {
            const std::int64_t cycle = pick(rng);
            sought.seek(cycle);
            const CycleState s = sought.state();
            const CycleState& e = byStepping[static_cast<std::size_t>(cycle)];
            QCOMPARE(s.cycle, e.cycle);
            QCOMPARE(s.layer, e.layer);
            QCOMPARE(s.fold, e.fold);
            QCOMPARE(s.foldCycle, e.foldCycle);
            QCOMPARE(s.ifmapSramReads, e.ifmapSramReads);
            QCOMPARE(s.filterSramReads, e.filterSramReads);
            QCOMPARE(s.ofmapSramWrites, e.ofmapSramWrites);
            sought.peStates(pes);
            QVERIFY(pes == pesByStepping[static_cast<std::size_t>(cycle)]);
        }
        // Layer boundaries: layer b starts right after a's folds.
        sought.seek(sought.layerStartCycle(1));
        QCOMPARE(sought.state().layer, std::size_t { 1 });
        QCOMPARE(sought.state().layerCycle, 0);
        sought.seek(sought.totalCycles());
        QVERIFY(sought.atEnd());
    }

    void refusesHugeRuns()
    {
        // 10^12 MACs on 8x8: 1250^2 folds of 10022 cycles, ~1.6e10 cycles. Stepping is refused with an
        // estimate; seeking still works.
        Stepper s = makeStepper({ gemm(10000, 10000, 10000) }, makeConfig(Dataflow::WeightStationary, 8, 8));
        QCOMPARE(s.totalCycles(), 1250LL * 1250 * (16 + 8 + 10000 - 2));
        auto totals = s.runToEnd();
        QVERIFY(!totals);
        QCOMPARE(totals.error().code, ErrorCode::TooLarge);
        QVERIFY(totals.error().message.find("analytic") != std::string::npos);
        s.seek(s.totalCycles() / 2);
        QCOMPARE(s.state().cycle, s.totalCycles() / 2);
        // An explicit limit applies to what is left from the current cycle.
        s.seek(s.totalCycles() - 100);
        QVERIFY(!s.runToEnd(99));
        QVERIFY(s.runToEnd(100));
    }
};

QTEST_APPLESS_MAIN(TestAccelsimStepper)
#include "tst_accelsim_stepper.moc"
