// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The Accelerator dock of the real window: the sample's run simulated on the array, stepped cycle by
// cycle through the panel. Oracles: SCALE-Sim's per-fold formula (WS: 2R + C + T - 2 cycles per fold,
// reported total = folds x per-fold - 1) on the first GEMM's shape read from the run, and conservation of
// work: the MAC-state PEs counted on the grid over every cycle of a layer add up to M x N x K.
#include "accelerator_config_form.h"
#include "accelerator_panel.h"
#include "compression_panel.h"
#include "gl_support.h"
#include "input_panel.h"
#include "layer_stats_model.h"
#include "metrics_table.h"
#include "main_window.h"
#include "pe_grid_view.h"
#include "runner.h"
#include "traffic_chart.h"
#include "traffic_series.h"
#include "view_export.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <numeric>

using namespace optiscope;

namespace {
constexpr int kTimeoutMs = 120'000;
constexpr int kMacState = 2; // PeState::Mac, the legend's third entry
const QString kSampleModel = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kWsCfg = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/accel/scalesim_32x32_ws.cfg");
const QString kText = QStringLiteral("Call me Ishmael. Some years ago, never mind how long precisely.");

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}

qint64 ceilDiv(qint64 a, qint64 b) { return (a + b - 1) / b; }

// SCALE-Sim v2, weight stationary: Sr = K, Sc = N, T = M.
qint64 wsFolds(qint64 r, qint64 c, qint64 k, qint64 n) { return ceilDiv(k, r) * ceilDiv(n, c); }
qint64 wsCyclesPerFold(qint64 r, qint64 c, qint64 m) { return 2 * r + c + m - 2; }
} // namespace

class TestAcceleratorPanel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void simulatesTheRunAndSteps();
    void showsOperandsOnASmallArray();
    void pricesBaselineAndCurrentInTheMetrics();

private:
    std::unique_ptr<gui::MainWindow> m_window;
};

void TestAcceleratorPanel::initTestCase()
{
    QSettings().clear();
    m_window = std::make_unique<gui::MainWindow>();
    m_window->resize(1500, 950);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->setStartupText(kText);
    QSignalSpy displayed(m_window.get(), &gui::MainWindow::runDisplayed);
    m_window->openModelFolder(kSampleModel);
    QVERIFY(displayed.wait(kTimeoutMs));
    // The compression panel's first (empty) recipe re-runs the input when it lands: wait for that
    // run too, or its op trace would reset the stepper in the middle of the test.
    auto idle = [this] {
        return !m_window->runner()->isBusy() && !m_window->compressionPanel()->runner()->isBusy();
    };
    QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
    QTest::qWait(200);
    QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
}

void TestAcceleratorPanel::simulatesTheRunAndSteps()
{
    gui::AcceleratorPanel* panel = m_window->acceleratorPanel();
    QVERIFY(panel->hasResult());
    QAbstractItemModelTester tester(panel->layerModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto& trace = m_window->lastRun()->result.opTrace;
    QCOMPARE(std::size_t(panel->layerModel()->rowCount()), trace.ops.size());

    // Default array: 32 x 32 weight stationary; the first GEMM is layer 0's QKV projection.
    const auto& qkv = trace.ops.front();
    const qint64 m = qkv.m, k = qkv.k, n = qkv.n;
    QCOMPARE(k, 128);
    QCOMPARE(n, 3 * 128);
    const qint64 folds = wsFolds(32, 32, k, n);
    const qint64 perFold = wsCyclesPerFold(32, 32, m);
    QCOMPARE(panel->result().layers.front().totalCycles, folds * perFold - 1);

    // Step through all of layer 0 on the grid: MAC PE-cycles == M*N*K, every cycle's legend sums to R*C.
    QDockWidget* dock = m_window->findChild<QDockWidget*>(QStringLiteral("acceleratorDock"));
    QVERIFY(dock);
    dock->show();
    dock->raise();
    panel->seekCycle(0);
    const qint64 layer0Cycles = folds * perFold;
    qint64 macPeCycles = 0;
    for (qint64 cycle = 0; cycle < layer0Cycles; ++cycle) {
        QCOMPARE(panel->currentCycle(), cycle);
        const auto& counts = panel->peGrid()->stateCounts();
        QCOMPARE(std::accumulate(counts.begin(), counts.end(), 0), 32 * 32);
        macPeCycles += counts[kMacState];
        panel->stepForward();
    }
    QCOMPARE(macPeCycles, m * n * k);
    QCOMPARE(qint64(panel->currentState()->layer), 1);
    panel->stepBack();
    QCOMPARE(panel->currentCycle(), layer0Cycles - 1);
    QCOMPARE(qint64(panel->currentState()->layer), 0);

    // Clicking the third row jumps to its first cycle and selects it.
    panel->seekLayer(2);
    QCOMPARE(qint64(panel->currentState()->layer), 2);
    QCOMPARE(panel->layerTable()->currentIndex().row(), 2);
    panel->seekCycle(panel->currentCycle() + perFold / 2);
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QVERIFY(m_window->grab().save(outputPath("accelerator_window.png")));
    QVERIFY(panel->grab().save(outputPath("accelerator_panel.png")));
    QCOMPARE(widgets::saveViewSvg(panel->peGrid(), outputPath("pe_grid.svg")), QString());
    QFile svg(outputPath("pe_grid.svg"));
    QVERIFY(svg.open(QIODevice::ReadOnly) && svg.readAll().contains("<svg"));

    // A 16-row array: the mapping changes with it (K = 128 now takes 8 row folds).
    QSignalSpy simulated(panel, &gui::AcceleratorPanel::simulated);
    panel->configForm()->rowsSpin()->setValue(16);
    QCOMPARE(simulated.count(), 1);
    QCOMPARE(panel->result().layers.front().totalCycles, wsFolds(16, 32, k, n) * wsCyclesPerFold(16, 32, m) - 1);

    // A broken config file: one line naming file and field; the last good result stays.
    QTemporaryDir work;
    QFile bad(work.filePath("bad.cfg"));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    QFile good(kWsCfg);
    QVERIFY(good.open(QIODevice::ReadOnly));
    bad.write(good.readAll().replace("ArrayHeight:    32", "ArrayHeight:    -4"));
    bad.close();
    const qint64 before = panel->totalCycles();
    const QString error = panel->loadConfig(bad.fileName());
    QVERIFY2(error.contains("bad.cfg") && error.contains("ArrayHeight") && !error.contains('\n'), qPrintable(error));
    QCOMPARE(panel->totalCycles(), before);
    QCOMPARE(panel->errorText(), error);
    QCOMPARE(panel->loadConfig(kWsCfg), QString());
    QCOMPARE(panel->configForm()->rowsSpin()->value(), 32);
    QCOMPARE(panel->result().layers.front().totalCycles, folds * perFold - 1);

    // Playback advances on its own and stops at the end.
    panel->seekCycle(0);
    panel->setPlaying(true);
    QTRY_VERIFY_WITH_TIMEOUT(panel->currentCycle() > 0, 5000);
    panel->setPlaying(false);
    const qint64 paused = panel->currentCycle();
    QTest::qWait(100);
    QCOMPARE(panel->currentCycle(), paused);

    // Memory traffic of the shown layer: the chart's per-cycle SRAM counts add up to the analytic
    // report's totals, and the DRAM line integrates to the layer's DRAM words.
    panel->seekLayer(0);
    panel->viewTabs()->setCurrentWidget(panel->trafficChart());
    QCOMPARE(panel->trafficChart()->seriesCount(), 4);
    const gui::LayerTraffic traffic = gui::layerTraffic(panel->stepperForTests(), 0);
    QVERIFY(!traffic.sampled);
    const accelsim::LayerStats& first = panel->result().layers.front();
    QCOMPARE(traffic.ifmapSramReads, first.ifmap.sramAccesses);
    QCOMPARE(traffic.filterSramReads, first.filter.sramAccesses);
    QCOMPARE(traffic.ofmapSramWrites, first.ofmap.sramAccesses);
    const double expectedDram = double(first.ifmap.dramAccesses + first.filter.dramAccesses + first.ofmap.dramAccesses);
    QVERIFY2(std::abs(traffic.dramWords - expectedDram) <= 1e-9 * expectedDram,
        qPrintable(QStringLiteral("%1 vs %2").arg(traffic.dramWords).arg(expectedDram)));
    QCOMPARE(traffic.series[3].points.size(), std::size_t(600)); // binned for the chart
    panel->seekCycle(panel->currentCycle() + 40);
    QCOMPARE(panel->trafficChart()->markerX(), 40.0);
    QTest::qWait(100); // the chart lays out its title, axes and legend from the event loop
    QVERIFY(panel->grab().save(outputPath("accelerator_traffic.png")));
    panel->viewTabs()->setCurrentIndex(0);

    // Reports of what is on screen.
    QCOMPARE(panel->writeReports(work.path()), QString());
    QVERIFY(QFile::exists(work.filePath("COMPUTE_REPORT.csv")));

    // Frame time of the 128 x 128 grid: a seek plus a repaint (printed; bench numbers live in README).
    panel->configForm()->rowsSpin()->setValue(128);
    panel->configForm()->colsSpin()->setValue(128);
    QCOMPARE(panel->peGrid()->rows(), 128);
    QElapsedTimer timer;
    timer.start();
    constexpr int kFrames = 200;
    for (int frame = 0; frame < kFrames; ++frame) {
        panel->stepForward();
        panel->peGrid()->repaint();
    }
    qInfo("PE grid 128x128: %.2f ms per stepped frame", double(timer.elapsed()) / kFrames);
    QVERIFY(panel->grab().save(outputPath("accelerator_panel_128.png")));
}

// Teaching: on a 4 x 4 array every PE prints the operand values the stepper reports for this cycle.
void TestAcceleratorPanel::showsOperandsOnASmallArray()
{
    gui::AcceleratorPanel* panel = m_window->acceleratorPanel();
    panel->configForm()->rowsSpin()->setValue(4);
    panel->configForm()->colsSpin()->setValue(4);
    QCOMPARE(panel->peGrid()->rows(), 4);
    QVERIFY(panel->stepperForTests().hasOperands());
    panel->seekLayer(0);
    // Into the first fold's MAC phase: WS preloads the 4 weight rows first.
    for (int i = 0; i < 9; ++i) {
        panel->stepForward();
    }
    QVERIFY(panel->peGrid()->showsCellTexts());
    const auto& texts = panel->peGrid()->cellTexts();
    QCOMPARE(texts.size(), std::size_t(16));
    std::vector<accelsim::PeOperands> operands;
    panel->stepperForTests().peOperands(operands);
    int withValues = 0;
    for (std::size_t i = 0; i < operands.size(); ++i) {
        const accelsim::PeOperands& pe = operands[i];
        QCOMPARE(texts[i].size(), int(pe.hasA) + int(pe.hasB) + int(pe.hasPsum));
        if (pe.hasB) { // weight stationary: the held weight, marked as such
            const QString b = QString::number(pe.b, 'f', 2).replace(QLatin1Char('-'), QChar(0x2212));
            QVERIFY2(texts[i].contains(QStringLiteral("b ") + b + QStringLiteral(" \u25a0")), qPrintable(texts[i].join('|')));
            ++withValues;
        }
    }
    QCOMPARE(withValues, 16); // every PE holds a weight of the first 4 x 4 tile (K, N >= 4)
    QVERIFY(panel->cycleInfoText().contains(QStringLiteral("demo operands")));
    QVERIFY(panel->grab().save(outputPath("accelerator_operands_4x4.png")));
    panel->configForm()->rowsSpin()->setValue(32);
    panel->configForm()->colsSpin()->setValue(32);
    QVERIFY(!panel->peGrid()->showsCellTexts());
}

// The Compression dock's simulated rows: without a recipe both columns are this run's totals; with token
// pruning (70 % cascade) the current run is cheaper and the baseline column is the uncompressed run's
// products priced on the same array: equal to the totals before the recipe was applied.
void TestAcceleratorPanel::pricesBaselineAndCurrentInTheMetrics()
{
    gui::AcceleratorPanel* panel = m_window->acceleratorPanel();
    gui::MetricsTable* table = m_window->compressionPanel()->metricsTable();
    QTRY_COMPARE(table->value(gui::MetricsTable::SimulatedCycles, gui::MetricsTable::Current),
        double(panel->result().totalCycles()));
    QCOMPARE(table->value(gui::MetricsTable::SimulatedCycles, gui::MetricsTable::Baseline),
        double(panel->result().totalCycles()));
    const double unprunedCycles = panel->result().totalCycles();
    QCOMPARE(table->value(gui::MetricsTable::SimulatedEnergy, gui::MetricsTable::Current), panel->result().totalEnergyPj());

    QSignalSpy displayed(m_window.get(), &gui::MainWindow::runDisplayed);
    QVERIFY(m_window->compressionPanel()->openRecipe(QStringLiteral(OPTISCOPE_SAMPLES_DIR "/recipes/token_cascade70.json")));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->lastRun() && m_window->lastRun()->baselineOpTrace, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(table->value(gui::MetricsTable::SimulatedCycles, gui::MetricsTable::Current)
            < table->value(gui::MetricsTable::SimulatedCycles, gui::MetricsTable::Baseline), kTimeoutMs);
    QCOMPARE(table->value(gui::MetricsTable::SimulatedCycles, gui::MetricsTable::Baseline), unprunedCycles);
    QCOMPARE(table->value(gui::MetricsTable::SimulatedCycles, gui::MetricsTable::Current),
        double(panel->result().totalCycles()));
    QVERIFY(m_window->compressionPanel()->grab().save(outputPath("compression_metrics_simulated.png")));
}

int main(int argc, char** argv)
{
    widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("OptiscopeTests"));
    QApplication::setApplicationName(QStringLiteral("tst_accelerator_panel"));
    TestAcceleratorPanel test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_accelerator_panel.moc"
