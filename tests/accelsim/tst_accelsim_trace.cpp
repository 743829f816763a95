// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// SRAM bandwidth over time and the per-cycle trace file: hand-derived first cycles, windows that add up to the
// analytic totals, refusals.
#include "optiscope/accelsim/scalesim_io.h"
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/trace.h"

#include <QTest>

#include <filesystem>

using namespace optiscope::accelsim;

namespace {
// WS 4x4, M=5 N=6 K=7: 4 folds of 15 cycles. USER at 1 B/cycle adds stalls 20, 0, 0, 5 and a tail of 10
// (tst_accelsim_stalls derives them).
Stepper makeStepper(bool user)
{
    ArrayParams p;
    p.rows = p.cols = 4;
    p.dataflow = Dataflow::WeightStationary;
    p.ifmapSramKiB = p.filterSramKiB = p.ofmapSramKiB = 1024;
    if (user) {
        p.bandwidthMode = BandwidthMode::User;
        p.bandwidthWordsPerCycle = { 1 };
    }
    Workload w;
    w.layers = { *layerFromGemm("g", 5, 6, 7, "test") };
    auto stepper = Stepper::create(w, *ArrayConfig::create(p));
    if (!stepper) {
        qFatal("%s", stepper.error().message.c_str());
    }
    return *stepper;
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
        out.push_back(text.substr(start, end - start));
    }
    return out;
}
} // namespace

class TestAccelsimTrace : public QObject {
    Q_OBJECT
private slots:
    void windowsAddUpToTotals_data()
    {
        QTest::addColumn<bool>("user");
        QTest::addColumn<int>("window");
        QTest::addColumn<int>("samples");
        QTest::addColumn<int>("lastCycles");
        QTest::addColumn<int>("firstStalls");
        QTest::newRow("calc 10") << false << 10 << 6 << 10 << 0;
        QTest::newRow("calc 7") << false << 7 << 9 << 4 << 0; // 60 = 8*7 + 4
        QTest::newRow("user 20") << true << 20 << 5 << 15 << 20; // 95 = 4*20 + 15; the cold start fills window 0
        QTest::newRow("user 1000") << true << 1000 << 1 << 95 << 35;
    }
    void windowsAddUpToTotals()
    {
        QFETCH(bool, user);
        QFETCH(int, window);
        QFETCH(int, samples);
        QFETCH(int, lastCycles);
        QFETCH(int, firstStalls);
        Stepper stepper = makeStepper(user);
        stepper.seek(17); // the copy starts from 0 whatever the original's position
        auto series = sramBandwidthOverTime(stepper, window);
        QVERIFY(series);
        QCOMPARE(stepper.cycle(), 17);
        QCOMPARE(int(series->size()), samples);
        QCOMPARE(series->back().cycles, lastCycles);
        QCOMPARE(series->front().stallCycles, firstStalls);
        const LayerStats a = *analyzeLayer(stepper.workload().layers[0], stepper.config());
        BandwidthSample sum;
        for (const BandwidthSample& b : *series) {
            sum.cycles += b.cycles;
            sum.ifmapSramReads += b.ifmapSramReads;
            sum.filterSramReads += b.filterSramReads;
            sum.ofmapSramWrites += b.ofmapSramWrites;
            sum.stallCycles += b.stallCycles;
        }
        QCOMPARE(sum.cycles, stepper.totalCycles());
        QCOMPARE(sum.ifmapSramReads, a.ifmap.sramAccesses);
        QCOMPARE(sum.filterSramReads, a.filter.sramAccesses);
        QCOMPARE(sum.ofmapSramWrites, a.ofmap.sramAccesses);
        QCOMPARE(sum.stallCycles, a.stallCycles);
    }

    void traceFile_data()
    {
        QTest::addColumn<bool>("user");
        QTest::addColumn<int>("cycles");
        QTest::addColumn<QStringList>("head");
        // Preload pushes 4 weights per cycle for cycles 0-3, then row 0 takes its first ifmap word at cycle 4.
        QTest::newRow("calc") << false << 60
                              << QStringList { "0, 0, 0, 0, 0, 4, 0,", "3, 0, 0, 0, 0, 4, 0,", "4, 0, 0, 0, 1, 0, 0," };
        // The same after 20 stalled cycles.
        QTest::newRow("user") << true << 95
                              << QStringList { "0, 0, 0, 1, 0, 0, 0,", "19, 0, 0, 1, 0, 0, 0,",
                                     "20, 0, 0, 0, 0, 4, 0," };
    }
    void traceFile()
    {
        QFETCH(bool, user);
        QFETCH(int, cycles);
        QFETCH(QStringList, head);
        const std::filesystem::path file = std::filesystem::path(OPTISCOPE_TEST_OUTPUT_DIR) / "accelsim_trace.csv";
        QVERIFY(writeCycleTrace(makeStepper(user), file));
        const auto text = lines(*readTextFile(file));
        QCOMPARE(int(text.size()), cycles + 1);
        QCOMPARE(text[0],
            std::string("Cycle, Layer, Fold, Stalled, IFMAP SRAM Reads, FILTER SRAM Reads, OFMAP SRAM Writes, "
                        "IFMAP DRAM Reads, FILTER DRAM Reads, OFMAP DRAM Writes,"));
        for (const QString& expected : head) {
            const std::string want = expected.toStdString();
            const int cycle = std::stoi(want.substr(0, want.find(',')));
            // The SRAM columns; the DRAM ones that follow are checked in tst_accelsim_dram_trace.
            QVERIFY2(text[std::size_t(cycle) + 1].starts_with(want), text[std::size_t(cycle) + 1].c_str());
        }
    }

    void refusals()
    {
        const Stepper stepper = makeStepper(false);
        auto badWindow = sramBandwidthOverTime(stepper, 0);
        QVERIFY(!badWindow);
        QCOMPARE(badWindow.error().code, ErrorCode::Input);
        auto tooLong = sramBandwidthOverTime(stepper, 10, 59);
        QVERIFY(!tooLong);
        QCOMPARE(tooLong.error().code, ErrorCode::TooLarge);
        const std::filesystem::path file = std::filesystem::path(OPTISCOPE_TEST_OUTPUT_DIR) / "accelsim_refused.csv";
        std::filesystem::remove(file);
        QVERIFY(!writeCycleTrace(stepper, file, 59));
        QVERIFY(!std::filesystem::exists(file));
    }
};

QTEST_APPLESS_MAIN(TestAccelsimTrace)
#include "tst_accelsim_trace.moc"
