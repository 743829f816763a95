// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The 3D views of the real window on the sample's run: PE activity over cycles (Accelerator dock) and the
// attention tensor as stacked slices (3D dock). Oracles: the voxels equal the stepper's PE states, cycle by
// cycle, read from an independent copy of it; the slices are the run's heads (or layers); a block of the
// 128 x 128 array shows its most common state, recounted here. Frames must not be blank, and are saved
// (test-output/) for a look.
#include "accelerator_config_form.h"
#include "accelerator_panel.h"
#include "attention_bars_view.h"
#include "attention_volume_view.h"
#include "compression_panel.h"
#include "gl_support.h"
#include "main_window.h"
#include "pe_activity_view.h"
#include "runner.h"
#include "view_export.h"
#include "vtk_bridge_widget.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTest>

#include <array>

using namespace optiscope;

namespace {
constexpr int kTimeoutMs = 120'000;
// A pixel is content when clearly coloured or clearly brighter than the dark gradient (at most ~60).
constexpr int kMinChroma = 40;
constexpr int kMinBright = 110;
constexpr double kMinContentFraction = 0.04;
constexpr int kMinDistinctColours = 30;
const QString kSampleModel = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kText = QStringLiteral("Call me Ishmael. Some years ago, never mind how long precisely.");

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}

struct FrameStats {
    double contentFraction = 0;
    int distinctColours = 0;
};

FrameStats frameStats(const QImage& image)
{
    QSet<QRgb> colours;
    qint64 content = 0;
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x) {
            const QRgb c = image.pixel(x, y);
            const int high = std::max({ qRed(c), qGreen(c), qBlue(c) });
            const int low = std::min({ qRed(c), qGreen(c), qBlue(c) });
            if (high - low > kMinChroma || high > kMinBright) {
                ++content;
                colours.insert(c);
            }
        }
    }
    return { double(content) / (double(image.width()) * image.height()), int(colours.size()) };
}

bool containsColour(const QImage& image, QColor colour, int tolerance = 6)
{
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x) {
            const QRgb c = image.pixel(x, y);
            if (std::abs(qRed(c) - colour.red()) <= tolerance && std::abs(qGreen(c) - colour.green()) <= tolerance
                && std::abs(qBlue(c) - colour.blue()) <= tolerance) {
                return true;
            }
        }
    }
    return false;
}

void checkFrame(const QImage& image, const QString& name)
{
    QVERIFY(!image.isNull());
    QVERIFY(image.save(outputPath(name)));
    const FrameStats stats = frameStats(image);
    QVERIFY2(stats.contentFraction > kMinContentFraction && stats.distinctColours > kMinDistinctColours,
        qPrintable(QStringLiteral("%1: %2 of the pixels drawn, %3 colours")
                .arg(name)
                .arg(stats.contentFraction)
                .arg(stats.distinctColours)));
}
} // namespace

class TestViews3d : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void peActivityFollowsTheStepper();
    void peActivityBlocksALargeArray();
    void attentionVolumeStacksHeadsAndLayers();

private:
    std::unique_ptr<gui::MainWindow> m_window;
};

void TestViews3d::initTestCase()
{
    QSettings().clear();
    m_window = std::make_unique<gui::MainWindow>();
    m_window->resize(1500, 950);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    if (!m_window->barsView()->isRendering()) {
        QSKIP(qPrintable(QStringLiteral("no 3D view here: ") + m_window->barsView()->placeholderText()));
    }
    m_window->setStartupText(kText);
    QSignalSpy displayed(m_window.get(), &gui::MainWindow::runDisplayed);
    m_window->openModelFolder(kSampleModel);
    QVERIFY(displayed.wait(kTimeoutMs));
    auto idle = [this] {
        return !m_window->runner()->isBusy() && !m_window->compressionPanel()->runner()->isBusy();
    };
    QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
    QTest::qWait(200);
    QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
}

void TestViews3d::peActivityFollowsTheStepper()
{
    gui::AcceleratorPanel* panel = m_window->acceleratorPanel();
    QVERIFY(panel->hasResult());
    auto* dock = m_window->findChild<QDockWidget*>(QStringLiteral("acceleratorDock"));
    dock->setFloating(true); // room for a readable screenshot whatever the layout
    dock->resize(1000, 980);
    dock->show();
    dock->raise();
    widgets::PeActivityView* view = panel->peActivityView();
    const int rebuildsHidden = view->rebuildCount();
    panel->seekLayer(1);
    QCOMPARE(view->rebuildCount(), rebuildsHidden); // a background tab costs nothing
    panel->viewTabs()->setCurrentWidget(view);
    QVERIFY(QTest::qWaitForWindowExposed(dock));
    // A few cycles into the layer's first MAC phase: some PEs compute, some still wait for the skew.
    const auto mac = panel->findCycle(panel->currentCycle(), accelsim::PeState::Mac);
    QVERIFY(mac);
    panel->seekCycle(*mac + 6);

    const widgets::PeActivityData& data = view->data();
    QVERIFY(data.isValid());
    QCOMPARE(data.arrayRows, 32);
    QCOMPARE(data.blockRows, 1);
    QCOMPARE(data.firstCycle + data.currentSlice, panel->currentCycle());
    QVERIFY(data.cycles >= 16 && data.cycles <= 128);
    accelsim::Stepper probe = panel->stepperForTests();
    QCOMPARE(data.layerFirstCycle, probe.layerStartCycle(1));
    std::vector<accelsim::PeState> states;
    std::array<int, 5> perState {};
    int drawn = 0;
    for (int slice = 0; slice < data.cycles; ++slice) {
        probe.seek(data.firstCycle + slice);
        QCOMPARE(probe.state().layer, std::size_t(1)); // the window stays inside the product
        probe.peStates(states);
        for (int i = 0; i < 32 * 32; ++i) {
            QCOMPARE(data.at(slice, i / 32, i % 32), std::uint8_t(states[std::size_t(i)]));
            ++perState[std::size_t(states[std::size_t(i)])];
            drawn += states[std::size_t(i)] != accelsim::PeState::Idle || slice == data.currentSlice;
        }
    }
    QCOMPARE(view->drawnVoxels(), drawn);
    QCOMPARE(view->voxelsPerState(), std::vector<int>(perState.begin(), perState.end()));
    QVERIFY(perState[std::size_t(accelsim::PeState::Mac)] > 0);
    // Hidden faces are culled: far fewer quads than six per voxel.
    QVERIFY2(view->quadCount() < 2 * drawn, qPrintable(QString::number(view->quadCount())));

    const QImage first = view->grabImage();
    checkFrame(first, QStringLiteral("pe_activity_3d.png"));
    QVERIFY(containsColour(first, QColor(0x59, 0xa1, 0x4f))); // the legend's MAC swatch, as in 2D

    // Stepping moves the window with the cycle.
    for (int i = 0; i < 10; ++i) {
        panel->stepForward();
    }
    QCOMPARE(view->data().firstCycle + view->data().currentSlice, panel->currentCycle());
    const QImage stepped = view->grabImage();
    QVERIFY(stepped != first);

    // Rotatable: a drag changes the frame.
    widgets::VtkBridgeWidget* vtk = view->vtkWidget();
    const QPoint centre = vtk->rect().center();
    QTest::mousePress(vtk, Qt::LeftButton, {}, centre);
    for (int i = 1; i <= 10; ++i) {
        const QPointF position(centre + QPoint(i * 8, -i * 2));
        QMouseEvent move(
            QEvent::MouseMove, position, vtk->mapToGlobal(position), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vtk, &move);
    }
    QTest::mouseRelease(vtk, Qt::LeftButton, {}, centre + QPoint(80, -20));
    const QImage rotated = view->grabImage();
    QVERIFY(rotated != stepped);
    checkFrame(rotated, QStringLiteral("pe_activity_3d_rotated.png"));

    // Export: PNG of the render window, and "Copy image" puts the same frame on the clipboard.
    QCOMPARE(widgets::saveImagePng(view->grabImage(), outputPath(QStringLiteral("pe_activity_export.png"))), QString());
    QAction* copy = nullptr;
    for (QAction* action : view->actions()) {
        if (action->text() == QStringLiteral("Copy image")) {
            copy = action;
        }
    }
    QVERIFY(copy);
    copy->trigger();
    const QImage copied = QGuiApplication::clipboard()->image();
    QCOMPARE(copied.size(), rotated.size());
    QVERIFY(dock->grab().save(outputPath(QStringLiteral("pe_activity_dock.png"))));
}

void TestViews3d::peActivityBlocksALargeArray()
{
    gui::AcceleratorPanel* panel = m_window->acceleratorPanel();
    panel->configForm()->rowsSpin()->setValue(128);
    panel->configForm()->colsSpin()->setValue(128);
    panel->seekLayer(0);
    panel->seekCycle(panel->currentCycle() + 200);
    widgets::PeActivityView* view = panel->peActivityView();
    const widgets::PeActivityData& data = view->data();
    QCOMPARE(data.arrayRows, 128);
    QCOMPARE(data.blockRows, 4);
    QCOMPARE(data.gridRows, 32);
    QCOMPARE(data.cycles, 64); // the voxel budget: 65 536 / (32 x 32)
    // Recount one block's states at the current cycle: its voxel shows the most common (busier on a tie).
    accelsim::Stepper probe = panel->stepperForTests();
    std::vector<accelsim::PeState> states;
    probe.peStates(states);
    for (const auto& [gridRow, gridCol] : { std::pair { 0, 0 }, std::pair { 5, 7 }, std::pair { 31, 31 } }) {
        std::array<int, 5> n {};
        for (int r = gridRow * 4; r < gridRow * 4 + 4; ++r) {
            for (int c = gridCol * 4; c < gridCol * 4 + 4; ++c) {
                ++n[std::size_t(states[std::size_t(r * 128 + c)])];
            }
        }
        int best = 0;
        for (int s = 1; s < 5; ++s) {
            best = n[std::size_t(s)] >= n[std::size_t(best)] ? s : best;
        }
        QCOMPARE(int(data.at(data.currentSlice, gridRow, gridCol)), best);
    }
    QElapsedTimer timer;
    timer.start();
    constexpr int kFrames = 20;
    for (int i = 0; i < kFrames; ++i) {
        panel->stepForward();
        view->grabImage();
    }
    qInfo("PE activity 3D, 128x128 array: %.1f ms per stepped, rebuilt and rendered frame",
        double(timer.elapsed()) / kFrames);
    checkFrame(view->grabImage(), QStringLiteral("pe_activity_3d_128.png"));
    panel->configForm()->rowsSpin()->setValue(32);
    panel->configForm()->colsSpin()->setValue(32);
    panel->viewTabs()->setCurrentIndex(0);
    m_window->findChild<QDockWidget*>(QStringLiteral("acceleratorDock"))->setFloating(false);
}

void TestViews3d::attentionVolumeStacksHeadsAndLayers()
{
    auto* dock = m_window->findChild<QDockWidget*>(QStringLiteral("barsDock"));
    dock->setFloating(true);
    dock->resize(900, 800);
    dock->show();
    dock->raise();
    QVERIFY(QTest::qWaitForWindowExposed(dock));
    const auto& result = m_window->lastRun()->result;
    m_window->selectHead(1, 2);
    widgets::AttentionVolumeView* volume = m_window->volumeView();
    QVERIFY(!volume->isVisible());
    m_window->barsModeCombo()->setCurrentIndex(2);
    QVERIFY(volume->isVisible());
    QVERIFY(!m_window->barsView()->isVisible());
    QCOMPARE(volume->stack(), widgets::AttentionStack::HeadsOfLayer);
    QCOMPARE(volume->sliceCount(), result.heads);
    // Every cell at or above 2 % of the layer's largest probability is a quad; recount from the run.
    float largest = 0;
    for (int h = 0; h < result.heads; ++h) {
        for (int q = 0; q < result.tokens; ++q) {
            for (int k = 0; k < result.tokens; ++k) {
                largest = std::max(largest, result.attention(1, h, q, k));
            }
        }
    }
    int visible = 0;
    for (int h = 0; h < result.heads; ++h) {
        for (int q = 0; q < result.tokens; ++q) {
            for (int k = 0; k < result.tokens; ++k) {
                visible += result.attention(1, h, q, k) >= float(0.02 * largest);
            }
        }
    }
    QCOMPARE(volume->quadCount(), visible);
    QTest::qWait(100);
    checkFrame(volume->grabImage(), QStringLiteral("attention_volume_heads.png"));

    m_window->barsModeCombo()->setCurrentIndex(3);
    QCOMPARE(volume->stack(), widgets::AttentionStack::LayersOfHead);
    QCOMPARE(volume->sliceCount(), result.layers);
    const QImage layers = volume->grabImage();
    checkFrame(layers, QStringLiteral("attention_volume_layers.png"));
    // The head selection drives the layer stack.
    m_window->selectHead(1, 0);
    QVERIFY(volume->grabImage() != layers);
    QCOMPARE(widgets::saveImagePng(volume->grabImage(), outputPath(QStringLiteral("attention_volume_export.png"))),
        QString());
    // The bar field is still there, and exports its render window too.
    m_window->barsModeCombo()->setCurrentIndex(0);
    QVERIFY(m_window->barsView()->isVisible() && !volume->isVisible());
    QTest::qWait(150); // the dock lays the bar field out again
    QVERIFY(dock->grab().save(outputPath(QStringLiteral("attention_3d_dock.png"))));
    dock->setFloating(false);
}

int main(int argc, char** argv)
{
    widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("OptiscopeTests"));
    QApplication::setApplicationName(QStringLiteral("tst_views_3d"));
    TestViews3d test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_views_3d.moc"
