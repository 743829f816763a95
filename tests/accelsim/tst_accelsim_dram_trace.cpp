// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Per-cycle DRAM traffic (CycleState's DRAM fields, dramBandwidthOverTime, the trace files): hand-derived USER
// schedules cycle by cycle, and series that sum to the report's DRAM totals exactly.
#include "accelsim_fixtures.h"
#include "optiscope/accelsim/scalesim_io.h"
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/trace.h"

#include <QTest>

#include <random>
#include <sstream>

using namespace optiscope::accelsim;
using accelsim_fixtures::gemm;
using accelsim_fixtures::makeStepper;

namespace {
ArrayConfig makeConfig(Dataflow df, std::int64_t rows, std::int64_t cols, std::vector<std::int64_t> bandwidth = {},
    std::int64_t sramKiB = 1024)
{
    ArrayParams p;
    p.rows = rows;
    p.cols = cols;
    p.dataflow = df;
    p.ifmapSramKiB = p.filterSramKiB = p.ofmapSramKiB = sramKiB;
    if (!bandwidth.empty()) {
        p.bandwidthMode = BandwidthMode::User;
        p.bandwidthWordsPerCycle = std::move(bandwidth);
    }
    auto config = ArrayConfig::create(p);
    if (!config) {
        qFatal("%s", config.error().message.c_str());
    }
    return *config;
}

struct Series {
    std::vector<std::int64_t> ifmap, filter, ofmap;
};
Series perCycle(Stepper stepper)
{
    Series s;
    for (stepper.seek(0); !stepper.atEnd(); stepper.step()) {
        const CycleState c = stepper.state();
        s.ifmap.push_back(c.ifmapDramReads);
        s.filter.push_back(c.filterDramReads);
        s.ofmap.push_back(c.ofmapDramWrites);
    }
    return s;
}

// Expected series: value v at cycles [first, last], zero elsewhere.
std::vector<std::int64_t> pulses(std::int64_t length, std::initializer_list<std::array<std::int64_t, 3>> spans)
{
    std::vector<std::int64_t> out(static_cast<std::size_t>(length), 0);
    for (const auto& [first, last, value] : spans) {
        for (std::int64_t c = first; c <= last; ++c) {
            out[static_cast<std::size_t>(c)] = value;
        }
    }
    return out;
}
} // namespace

class TestAccelsimDramTrace : public QObject {
    Q_OBJECT
private slots:
    void handDerivedUserSchedule()
    {
        // OS 2x2, M=4, N=2, K=3, int8, 1 byte per cycle per operand. Sr = 4: two row folds of R+C+T-2 = 5 cycles.
        // Fold 0 fetches A rows 0-1 (6 words) and all of B (6 words): cold-start stall 6 cycles, cycles 0-5.
        // Fold 1's A rows 2-3 (6 words) stream from fold 0's first compute cycle 6 to cycle 11, one cycle past
        // its compute phase (6-10): a 1-cycle stall before fold 1 (cycle 11); B stays resident. Fold 1 computes
        // 12-16. Fold 0's 4 outputs are written from fold 1's first compute cycle: 12-15; fold 1's 4 outputs
        // after its compute phase, in the tail: 17-20. 21 cycles.
        const Stepper stepper = makeStepper({ gemm(4, 2, 3) }, makeConfig(Dataflow::OutputStationary, 2, 2, { 1 }));
        QCOMPARE(stepper.totalCycles(), 21);
        const Series s = perCycle(stepper);
        QCOMPARE(s.ifmap, pulses(21, { { 0, 11, 1 } }));
        QCOMPARE(s.filter, pulses(21, { { 0, 5, 1 } }));
        QCOMPARE(s.ofmap, pulses(21, { { 12, 15, 1 }, { 17, 20, 1 } }));
        // 4 bytes per cycle: 6 words take 2 cycles (3 + 3), stall 2; fold 1's reads (3 + 3) overlap fold 0's
        // compute phase 2-6; fold 0's writes (4 words, 1 cycle) at fold 1's first compute cycle 7, fold 1's in the
        // one-cycle tail at 12.
        const Stepper wide = makeStepper({ gemm(4, 2, 3) }, makeConfig(Dataflow::OutputStationary, 2, 2, { 4 }));
        QCOMPARE(wide.totalCycles(), 13);
        const Series w = perCycle(wide);
        QCOMPARE(w.ifmap, pulses(13, { { 0, 1, 3 }, { 2, 3, 3 } }));
        QCOMPARE(w.filter, pulses(13, { { 0, 1, 3 } }));
        QCOMPARE(w.ofmap, pulses(13, { { 7, 7, 4 }, { 12, 12, 4 } }));
    }

    void handDerivedCalcSpread()
    {
        // CALC: each fold's DRAM traffic spread evenly over its own compute phase. WS 2x2, M=3, N=2, K=2: one fold
        // of 2R+C+T-2 = 7 cycles; A (6 words), B (4 words) and C (6 words) each spread over 7 cycles:
        // floor((i+1)W/7) - floor(iW/7).
        const Stepper stepper = makeStepper({ gemm(3, 2, 2) }, makeConfig(Dataflow::WeightStationary, 2, 2));
        const Series s = perCycle(stepper);
        QCOMPARE(s.ifmap, (std::vector<std::int64_t> { 0, 1, 1, 1, 1, 1, 1 }));
        QCOMPARE(s.filter, (std::vector<std::int64_t> { 0, 1, 0, 1, 0, 1, 1 }));
    }

    void seriesSumToReportTotals()
    {
        std::mt19937_64 rng(41);
        std::uniform_int_distribution<int> dim(1, 60), side(1, 10), dfPick(0, 2), coin(0, 1), points(0, 40);
        for (int i = 0; i < 150; ++i) {
            const auto df = Dataflow(dfPick(rng));
            const bool user = coin(rng) == 1;
            const std::int64_t sram = coin(rng) == 1 ? 1 : 1024; // 1 KiB forces refetches
            const ArrayConfig config = makeConfig(df, side(rng), side(rng),
                user ? std::vector<std::int64_t> { 1 + i % 4, 1 + i % 3, 1 + i % 5 } : std::vector<std::int64_t> {},
                sram);
            std::vector<Layer> layers { gemm(dim(rng), dim(rng), dim(rng)), gemm(dim(rng), dim(rng), dim(rng)) };
            layers[1].ifmapBits = 4;
            const Stepper stepper = makeStepper(layers, config);
            const QByteArray where = "case " + QByteArray::number(i);
            for (std::size_t l = 0; l < layers.size(); ++l) {
                const LayerStats a = *analyzeLayer(layers[l], config);
                const int maxPoints = points(rng);
                auto series = dramBandwidthOverTime(stepper, l, maxPoints);
                QVERIFY2(series, where);
                QVERIFY2(maxPoints == 0 ? std::int64_t(series->size()) == a.geometry.steppedCycles
                                        : std::int64_t(series->size()) <= maxPoints,
                    where);
                std::int64_t cycles = 0, ifmap = 0, filter = 0, ofmap = 0;
                for (const DramBandwidthSample& b : *series) {
                    QVERIFY2(b.startCycle == cycles, where);
                    cycles += b.cycles;
                    ifmap += b.ifmapReads;
                    filter += b.filterReads;
                    ofmap += b.ofmapWrites;
                    // An int8 interface of bw bytes never moves more than bw words in a cycle.
                    if (user && maxPoints == 0 && l == 0) {
                        QVERIFY2(b.ifmapReads <= config.dramBytesPerCycle(0), where);
                        QVERIFY2(b.ofmapWrites <= config.dramBytesPerCycle(2), where);
                    }
                }
                QVERIFY2(cycles == a.geometry.steppedCycles, where);
                QVERIFY2(ifmap == a.ifmap.dramAccesses, where + " ifmap");
                QVERIFY2(filter == a.filter.dramAccesses, where + " filter");
                QVERIFY2(ofmap == a.ofmap.dramAccesses, where + " ofmap");
            }
        }
    }

    void seekGivesTheSteppedTraffic()
    {
        // USER mode, several folds and layers: any cycle reached by seek() reports what stepping reported.
        const ArrayConfig config = makeConfig(Dataflow::WeightStationary, 3, 2, { 2, 1, 3 }, 1);
        const Stepper stepper = makeStepper({ gemm(9, 5, 7), gemm(4, 6, 11) }, config);
        const Series stepped = perCycle(stepper);
        Stepper sought = stepper;
        std::mt19937_64 rng(43);
        std::uniform_int_distribution<std::int64_t> pick(0, stepper.totalCycles() - 1);
        for (int i = 0; i < 300; ++i) {
            const std::int64_t cycle = pick(rng);
            sought.seek(cycle);
            const CycleState s = sought.state();
            QCOMPARE(s.ifmapDramReads, stepped.ifmap[std::size_t(cycle)]);
            QCOMPARE(s.filterDramReads, stepped.filter[std::size_t(cycle)]);
            QCOMPARE(s.ofmapDramWrites, stepped.ofmap[std::size_t(cycle)]);
        }
    }

    void traceFiles()
    {
        const ArrayConfig config = makeConfig(Dataflow::OutputStationary, 2, 2, { 1 });
        const Stepper stepper = makeStepper({ gemm(4, 2, 3), gemm(3, 3, 3) }, config);
        const std::filesystem::path dir(OPTISCOPE_TEST_OUTPUT_DIR);
        QVERIFY(writeCycleTrace(stepper, dir / "accelsim_dram_cycles.csv"));
        QVERIFY(writeDramBandwidthTrace(stepper, dir / "accelsim_dram_bins.csv", 4));
        std::int64_t cyclesDram[3] = {}, binDram[3] = {};
        std::istringstream cycles(*readTextFile(dir / "accelsim_dram_cycles.csv"));
        std::string line;
        std::getline(cycles, line);
        QCOMPARE(line,
            std::string("Cycle, Layer, Fold, Stalled, IFMAP SRAM Reads, FILTER SRAM Reads, OFMAP SRAM Writes, "
                        "IFMAP DRAM Reads, FILTER DRAM Reads, OFMAP DRAM Writes,"));
        while (std::getline(cycles, line)) {
            long long f[10];
            QCOMPARE(std::sscanf(line.c_str(), "%lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld,", &f[0],
                         &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9]),
                10);
            for (int o = 0; o < 3; ++o) {
                cyclesDram[o] += f[7 + o];
            }
        }
        std::istringstream bins(*readTextFile(dir / "accelsim_dram_bins.csv"));
        std::getline(bins, line);
        QCOMPARE(line,
            std::string(
                "Layer, Layer Name, Start Cycle, Cycles, IFMAP DRAM Reads, FILTER DRAM Reads, OFMAP DRAM Writes,"));
        int rows = 0;
        while (std::getline(bins, line)) {
            long long layer = 0, start = 0, n = 0, w[3] = {};
            char name[32] = {};
            QCOMPARE(std::sscanf(line.c_str(), "%lld, %31[^,], %lld, %lld, %lld, %lld, %lld,", &layer, name, &start, &n,
                         &w[0], &w[1], &w[2]),
                7);
            for (int o = 0; o < 3; ++o) {
                binDram[o] += w[o];
            }
            ++rows;
        }
        QVERIFY(rows <= 2 * 4);
        const auto result = *simulate(stepper.workload(), config);
        const std::int64_t want[3] = { result.layers[0].ifmap.dramAccesses + result.layers[1].ifmap.dramAccesses,
            result.layers[0].filter.dramAccesses + result.layers[1].filter.dramAccesses,
            result.layers[0].ofmap.dramAccesses + result.layers[1].ofmap.dramAccesses };
        for (int o = 0; o < 3; ++o) {
            QCOMPARE(cyclesDram[o], want[o]);
            QCOMPARE(binDram[o], want[o]);
        }
    }

    void refusals()
    {
        const Stepper stepper = makeStepper({ gemm(4, 2, 3) }, makeConfig(Dataflow::OutputStationary, 2, 2));
        auto badLayer = dramBandwidthOverTime(stepper, 1);
        QVERIFY(!badLayer);
        QCOMPARE(badLayer.error().code, ErrorCode::Input);
        QVERIFY(!dramBandwidthOverTime(stepper, 0, -1));
        auto tooLong = dramBandwidthOverTime(stepper, 0, 0, 3);
        QVERIFY(!tooLong);
        QCOMPARE(tooLong.error().code, ErrorCode::TooLarge);
    }
};

QTEST_APPLESS_MAIN(TestAccelsimDramTrace)
#include "tst_accelsim_dram_trace.moc"
