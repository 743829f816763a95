// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// SCALE-Sim-shaped reports, the DRAM residency model and the energy table on AlexNet Conv1 (32x32 WS).
#include "optiscope/accelsim/reports.h"
#include "optiscope/accelsim/scalesim_io.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>
#include <filesystem>

using namespace optiscope::accelsim;

namespace {
constexpr double kEnergyRelTolerance = 1e-12;

SimulationResult alexNetConv1(std::int64_t sramKiB)
{
    ArrayParams p;
    p.runName = "alexnet_ws";
    p.rows = p.cols = 32;
    p.dataflow = Dataflow::WeightStationary;
    p.ifmapSramKiB = p.filterSramKiB = p.ofmapSramKiB = sramKiB;
    auto config = ArrayConfig::create(p);
    auto w = parseTopologyCsv("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num "
                              "Filter, Strides,\nConv1, 224, 224, 11, 11, 3, 96, 4,\n",
        "alexnet.csv");
    if (!config || !w) {
        qFatal("setup failed");
    }
    auto result = simulate(*w, *config);
    if (!result) {
        qFatal("%s", result.error().message.c_str());
    }
    return *result;
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}
} // namespace

class TestAccelsimReports : public QObject {
    Q_OBJECT
private slots:
    void computeReport()
    {
        const auto report = lines(formatComputeReport(alexNetConv1(64)));
        QCOMPARE(report.size(), std::size_t { 2 });
        QCOMPARE(report[0],
            std::string("LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,"));
        // 105415200 / (112283 * 1024) = 91.6830...; mapping 363*96 / (36*1024) = 94.53125 exactly.
        QVERIFY2(report[1].starts_with("0, 112283, 0, 91.683"), report[1].c_str());
        QVERIFY2(report[1].find(", 94.53125, ") != std::string::npos, report[1].c_str());
        QVERIFY(report[1].ends_with(","));
    }

    void detailedAccessReport()
    {
        const auto report = lines(formatDetailedAccessReport(alexNetConv1(64)));
        QCOMPARE(report.size(), std::size_t { 2 });
        QVERIFY(report[0].starts_with("LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "));
        // 36 folds of 3119 cycles; last fold starts at 35*3119 = 109165 and uses 363-11*32 = 11 rows, 96-64 = 32
        // columns. IFMAP: start R = 32, stop 109165 + 32 + 11 + 3025 - 2 = 112231. Filter: preload rows
        // 0..31 of fold 0, stop 109165 + 31 = 109196. OFMAP: start 2R-1 = 63, stop 109165 + 64 + 32 + 3025 - 3.
        // DRAM with 64 KiB (32768 int8 words per half): the 1098075-word ifmap does not fit -> fetched once per
        // column fold (3x); filter once; the 3025x32 output slice (96800 words) does not fit -> every partial
        // sum goes out.
        QCOMPARE(report[1],
            std::string("0, 32, 112231, 3294225, 0, 109196, 34848, 63, 112283, 3484800, "
                        "0, 112231, 3294225, 0, 109196, 34848, 63, 112283, 3484800,"));
    }

    void dramFitsInLargeScratchpads()
    {
        // 8 MiB per operand = 4 Mi words per half: the ifmap (1098075) and an output slice (96800) stay resident.
        const auto stats = alexNetConv1(8192); // keep the result alive: l refers into it
        const LayerStats& l = stats.layers[0];
        QCOMPARE(l.ifmap.dramAccesses, 3025 * 363);
        QCOMPARE(l.filter.dramAccesses, 363 * 96);
        QCOMPARE(l.ofmap.dramAccesses, 3025 * 96);
        QCOMPARE(l.ifmap.sramAccesses, 3294225); // SRAM traffic does not depend on capacity
    }

    void dramResidency_data()
    {
        QTest::addColumn<int>("df");
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("k");
        QTest::addColumn<qint64>("ifmapDram");
        QTest::addColumn<qint64>("filterDram");
        QTest::addColumn<qint64>("ofmapDram");
        // 4x4 array, 1 KiB int8 scratchpads = 512 words per half.
        // OS: ifmap 30*20 = 600 > 512, swept once per column fold (ceil(20/4) = 5); filter slice 20x4 fits.
        QTest::newRow("os") << int(Dataflow::OutputStationary) << 30 << 20 << 20 << 3000LL << 400LL << 600LL;
        // WS: ifmap as OS; filter once; output slice 30x4 = 120 words fits, partial sums stay on chip.
        QTest::newRow("ws") << int(Dataflow::WeightStationary) << 30 << 20 << 20 << 3000LL << 400LL << 600LL;
        // IS: ifmap once; filter 400 fits; output slice 4x20 fits.
        QTest::newRow("is fits") << int(Dataflow::InputStationary) << 30 << 20 << 20 << 600LL << 400LL << 600LL;
        // IS: filter 20x40 = 800 > 512, swept once per column fold (ceil(30/4) = 8); output slice 4x40 fits.
        QTest::newRow("is refetch") << int(Dataflow::InputStationary) << 30 << 40 << 20 << 600LL << 6400LL << 1200LL;
    }
    void dramResidency()
    {
        QFETCH(int, df);
        QFETCH(int, m);
        QFETCH(int, n);
        QFETCH(int, k);
        QFETCH(qint64, ifmapDram);
        QFETCH(qint64, filterDram);
        QFETCH(qint64, ofmapDram);
        ArrayParams p;
        p.rows = p.cols = 4;
        p.dataflow = Dataflow(df);
        p.ifmapSramKiB = p.filterSramKiB = p.ofmapSramKiB = 1;
        auto config = ArrayConfig::create(p);
        QVERIFY(config);
        auto stats = analyzeLayer(*layerFromGemm("g", m, n, k, "test"), *config);
        QVERIFY(stats);
        QCOMPARE(stats->ifmap.dramAccesses, ifmapDram);
        QCOMPARE(stats->filter.dramAccesses, filterDram);
        QCOMPARE(stats->ofmap.dramAccesses, ofmapDram);
    }

    void bandwidthReport()
    {
        const auto report = lines(formatBandwidthReport(alexNetConv1(64)));
        QCOMPARE(report[0],
            std::string("LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg "
                        "FILTER DRAM BW, Avg OFMAP DRAM BW,"));
        const std::string expectedStart = "0, " + pythonFloat(3294225.0 / 112283) + ", " + pythonFloat(34848.0 / 112283)
            + ", " + pythonFloat(3484800.0 / 112283) + ", " + pythonFloat(3294225.0 / 112232) + ", ";
        QVERIFY2(report[1].starts_with(expectedStart), report[1].c_str());
    }

    void energyFromTable()
    {
        // Default table (Horowitz ISSCC 2014, 45 nm): int8 MAC 0.23 pJ, SRAM 2.5 pJ/B, DRAM 244 pJ/B; all words
        // are one byte here.
        const auto stats = alexNetConv1(64);
        const LayerStats& l = stats.layers[0];
        const double mac = 105415200.0 * 0.23;
        const double sram = (3294225.0 + 34848.0 + 3484800.0) * 2.5;
        const double dram = (3294225.0 + 34848.0 + 3484800.0) * 244.0;
        QVERIFY(std::abs(l.energy.macPj - mac) <= kEnergyRelTolerance * mac);
        QVERIFY(std::abs(l.energy.sramPj - sram) <= kEnergyRelTolerance * sram);
        QVERIFY(std::abs(l.energy.dramPj - dram) <= kEnergyRelTolerance * dram);
    }

    void pythonFloats()
    {
        QCOMPARE(pythonFloat(100.0), std::string("100.0"));
        QCOMPARE(pythonFloat(94.53125), std::string("94.53125"));
        QCOMPARE(pythonFloat(0.1), std::string("0.1"));
    }

    void writeReportsAtomically()
    {
        const std::filesystem::path dir = std::filesystem::path(OPTISCOPE_TEST_OUTPUT_DIR) / "accelsim_reports";
        std::filesystem::remove_all(dir);
        const SimulationResult result = alexNetConv1(64);
        auto missing = writeReports(result, dir);
        QVERIFY(!missing);
        QVERIFY(!std::filesystem::exists(dir));
        std::filesystem::create_directories(dir);
        QVERIFY(writeReports(result, dir));
        int files = 0;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            QVERIFY2(entry.path().filename().string().find(".tmp-") == std::string::npos, entry.path().c_str());
            ++files;
        }
        QCOMPARE(files, 4);
        QFile json(QString::fromStdString((dir / "summary.json").string()));
        QVERIFY(json.open(QIODevice::ReadOnly));
        const QJsonObject summary = QJsonDocument::fromJson(json.readAll()).object();
        QCOMPARE(summary["dataflow"].toString(), QString("ws"));
        QCOMPARE(summary["totalCycles"].toInteger(), 112283);
        QCOMPARE(summary["layers"].toArray().at(0).toObject()["ifmap"].toObject()["sramAccesses"].toInteger(), 3294225);
    }
};

QTEST_APPLESS_MAIN(TestAccelsimReports)
#include "tst_accelsim_reports.moc"
