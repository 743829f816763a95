// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_bars_view.h"
#include "attention_heatmap_view.h"
#include "attention_lines_view.h"
#include "attention_summary.h"
#include "attention_summary_panel.h"
#include "gl_support.h"
#include "head_grid_view.h"
#include "head_value_grid_view.h"
#include "input_panel.h"
#include "main_window.h"
#include "theme.h"
#include "recent_folders.h"
#include "runner.h"
#include "vtk_bridge_widget.h"

#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <cmath>

using namespace optiscope;

namespace {
constexpr int kLoadTimeoutMs = 60'000;
constexpr int kRunTimeoutMs = 60'000;
constexpr double kMaxAttentionDiff = 1e-5; // vs the PyTorch oracle (fixtures/README.md)
constexpr double kMaxRowSumError = 1e-4; // probabilities of one query sum to 1
constexpr qint64 kMaxGuiStallMs = 100;

const QString kSampleModel = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kFixtureModel = QStringLiteral(OPTISCOPE_FIXTURES_DIR "/gpt2");

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}

// Finds the visible QMessageBox among the top-level widgets, returns its text and closes it.
QString takeMessageBox(int timeoutMs)
{
    QString text;
    QElapsedTimer timer;
    timer.start();
    // Polled from timers so it works whether the box blocks in exec() or not.
    std::function<void()> poll = [&] {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            auto* box = qobject_cast<QMessageBox*>(widget);
            if (box && box->isVisible()) {
                text = box->text();
                box->close();
                return;
            }
        }
        if (timer.elapsed() < timeoutMs) {
            QTimer::singleShot(20, poll);
        }
    };
    QTimer::singleShot(0, poll);
    while (text.isEmpty() && timer.elapsed() < timeoutMs + 100) {
        QTest::qWait(20);
    }
    return text;
}

double pixelVariance(const QImage& image)
{
    double sum = 0;
    double sumSquares = 0;
    const double n = static_cast<double>(image.width()) * image.height();
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x) {
            const QRgb c = image.pixel(x, y);
            const double luma = 0.299 * qRed(c) + 0.587 * qGreen(c) + 0.114 * qBlue(c);
            sum += luma;
            sumSquares += luma * luma;
        }
    }
    const double mean = sum / n;
    return sumSquares / n - mean * mean;
}

int distinctColours(const QImage& image)
{
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 3) {
        for (int x = 0; x < image.width(); x += 3) {
            colours.insert(image.pixel(x, y));
        }
    }
    return static_cast<int>(colours.size());
}
}

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void runsTextAndShowsAttention();
    void attentionSummariesFollowTheRun();
    void fixtureIdsMatchPyTorch();
    void errorsShowInMessageBox_data();
    void errorsShowInMessageBox();
    void corruptModelFolderShowsError();
    void guiThreadNeverStalls();
    void recentFoldersDropMissing();
    void darkThemeIsDarkAndRemembered();

private:
    void openAndWait(const QString& folder);
    std::shared_ptr<const gui::RunSnapshot> runAndWait();

    std::unique_ptr<gui::MainWindow> m_window;
    bool m_haveSample = false;
};

void TestMainWindow::initTestCase()
{
    QSettings().clear();
    m_haveSample = QFile::exists(kSampleModel + QStringLiteral("/vocab.json"))
        && QFile::exists(kSampleModel + QStringLiteral("/model.safetensors"));
    QVERIFY2(QFile::exists(kFixtureModel + QStringLiteral("/model.safetensors")), qPrintable(kFixtureModel));
}

void TestMainWindow::init()
{
    m_window = std::make_unique<gui::MainWindow>();
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get())); // shortcuts need the active window
}

void TestMainWindow::cleanup()
{
    m_window.reset();
}

void TestMainWindow::openAndWait(const QString& folder)
{
    QSignalSpy loaded(m_window->runner(), &gui::Runner::modelLoaded);
    QSignalSpy failed(m_window->runner(), &gui::Runner::failed);
    m_window->openModelFolder(folder);
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || failed.count() == 1, kLoadTimeoutMs);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
}

std::shared_ptr<const gui::RunSnapshot> TestMainWindow::runAndWait()
{
    QSignalSpy finished(m_window->runner(), &gui::Runner::runFinished);
    QSignalSpy failed(m_window->runner(), &gui::Runner::failed);
    QSignalSpy displayed(m_window.get(), &gui::MainWindow::runDisplayed);
    m_window->inputPanel()->textEdit()->setFocus();
    // Ctrl+Return is the Model ▸ Run shortcut.
    QTest::keyClick(m_window->inputPanel()->textEdit(), Qt::Key_Return, Qt::ControlModifier);
    (void)QTest::qWaitFor([&] { return displayed.count() == 1 || failed.count() == 1; }, kRunTimeoutMs); // checked below
    if (displayed.isEmpty() && failed.isEmpty()) {
        qWarning() << "run did not finish";
        return nullptr;
    }
    if (!failed.isEmpty()) {
        qWarning() << "run failed:" << failed.at(0).at(0).toString();
        takeMessageBox(2000);
        return nullptr;
    }
    return finished.at(0).at(0).value<std::shared_ptr<const gui::RunSnapshot>>();
}

void TestMainWindow::runsTextAndShowsAttention()
{
    if (!m_haveSample) {
        QSKIP("samples/tiny-gpt2 (with tokenizer) is not there yet");
    }
    openAndWait(kSampleModel);
    QVERIFY(m_window->modelStatsText().contains(QStringLiteral("4 layers")));
    const QString text = QStringLiteral("The little robot looked at the stars and wondered where they came from.");
    QTest::keyClicks(m_window->inputPanel()->textEdit(), text);
    const auto snapshot = runAndWait();
    QVERIFY(snapshot);
    const core::RunResult& result = snapshot->result;
    const auto& model = *snapshot->model;
    // T is what the model's tokenizer makes of the text (GPT-2 adds no special tokens).
    QCOMPARE(result.tokens, static_cast<int>(model.tokenizer()->encode(text.toStdString()).size()));
    QCOMPARE(result.layers, model.config().layers);
    QCOMPARE(result.heads, model.config().heads);

    auto checkHeatmap = [&](int layer, int head) {
        const auto* heatmap = m_window->heatmapView();
        QCOMPARE(heatmap->layer(), layer);
        QCOMPARE(heatmap->head(), head);
        for (int q = 0; q < result.tokens; ++q) {
            double rowSum = 0;
            for (int k = 0; k < result.tokens; ++k) {
                QCOMPARE(heatmap->value(q, k), result.attention(layer, head, q, k));
                rowSum += heatmap->value(q, k);
                if (k > q) {
                    QCOMPARE(heatmap->value(q, k), 0.0f); // causal mask
                }
            }
            QVERIFY(std::abs(rowSum - 1.0) < kMaxRowSumError);
        }
    };
    checkHeatmap(0, 0);

    // Clicking a grid cell selects that layer/head everywhere.
    auto* grid = m_window->headGridView();
    const int layer = result.layers - 1;
    const int head = result.heads - 2;
    QTest::mouseClick(grid, Qt::LeftButton, {}, grid->thumbnailRect(layer, head).center());
    QCOMPARE(m_window->layerSpin()->value(), layer);
    QCOMPARE(m_window->headSpin()->value(), head);
    checkHeatmap(layer, head);
    // And the spin boxes drive the grid.
    m_window->layerSpin()->setValue(1);
    QCOMPARE(grid->currentLayer(), 1);
    QCOMPARE(m_window->heatmapView()->layer(), 1);

    QTest::qWait(200);
    QVERIFY(m_window->grab().toImage().save(outputPath(QStringLiteral("main_window.png"))));
    auto* bars = m_window->barsView();
    if (!bars->isRendering()) {
        QSKIP(qPrintable(QStringLiteral("no 3D view here: ") + bars->placeholderText()));
    }
    QVERIFY(bars->barCount() > 0);
    const QImage vtkImage = bars->grabImage();
    QVERIFY(!vtkImage.isNull());
    QVERIFY(vtkImage.save(outputPath(QStringLiteral("vtk_attention_bars.png"))));
    QVERIFY2(pixelVariance(vtkImage) > 0, "VTK frame is blank");
    // Bars in many viridis colours, not only background and text.
    QVERIFY2(distinctColours(vtkImage) > 50, qPrintable(QString::number(distinctColours(vtkImage))));

    // Dragging rotates the camera: the frame changes.
    auto* vtk = bars->vtkWidget();
    const QPoint centre = vtk->rect().center();
    QTest::mousePress(vtk, Qt::LeftButton, {}, centre);
    for (int i = 1; i <= 10; ++i) {
        const QPointF position(centre + QPoint(i * 8, i * 3));
        QMouseEvent move(
            QEvent::MouseMove, position, vtk->mapToGlobal(position), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vtk, &move);
    }
    QTest::mouseRelease(vtk, Qt::LeftButton, {}, centre + QPoint(80, 30));
    const QImage rotated = bars->grabImage();
    QVERIFY(rotated != vtkImage);
    QVERIFY(rotated.save(outputPath(QStringLiteral("vtk_attention_bars_rotated.png"))));
}

// The summaries dock shows the run's head view, entropy and rollout, and shares the head selection.
void TestMainWindow::attentionSummariesFollowTheRun()
{
    if (!m_haveSample) {
        QSKIP("samples/tiny-gpt2 (with tokenizer) is not there yet");
    }
    openAndWait(kSampleModel);
    QTest::keyClicks(m_window->inputPanel()->textEdit(),
        QStringLiteral("Call me Ishmael. Some years ago, never mind how long precisely, I thought I would sail."));
    const auto snapshot = runAndWait();
    QVERIFY(snapshot);
    auto* panel = m_window->attentionSummaryPanel();
    auto* dock = qobject_cast<QDockWidget*>(panel->parentWidget());
    QVERIFY(dock);
    dock->setFloating(true); // room for readable screenshots whatever the saved layout
    dock->resize(760, 720);
    dock->show();
    dock->raise();

    m_window->selectHead(2, 1);
    QCOMPARE(panel->linesView()->layer(), 2);
    QCOMPARE(panel->linesView()->head(), 1);
    QCOMPARE(panel->rolloutView()->layer(), 2);
    const auto expected = widgets::headEntropies(*snapshot->attention);
    const int heads = snapshot->result.heads;
    QCOMPARE(panel->entropyView()->value(2, 1), expected[static_cast<std::size_t>(2 * heads + 1)]);
    QCOMPARE(panel->rolloutView()->data()->layers, snapshot->result.layers);

    // A click on the entropy grid selects that head in every view.
    panel->tabs()->setCurrentIndex(1);
    QTest::qWait(50);
    auto* entropy = panel->entropyView();
    QTest::mouseClick(entropy, Qt::LeftButton, {}, entropy->cellRect(1, 3).center().toPoint());
    QCOMPARE(m_window->layerSpin()->value(), 1);
    QCOMPARE(m_window->headSpin()->value(), 3);
    QCOMPARE(m_window->heatmapView()->head(), 3);

    const QStringList names { QStringLiteral("summary_head_view.png"), QStringLiteral("summary_entropy.png"),
        QStringLiteral("summary_rollout.png") };
    for (int tab = 0; tab < names.size(); ++tab) {
        panel->tabs()->setCurrentIndex(tab);
        QTest::qWait(50);
        const QImage shot = dock->grab().toImage();
        QVERIFY(shot.save(outputPath(names[tab])));
        QVERIFY2(distinctColours(shot) > 20, qPrintable(names[tab]));
    }
    QVERIFY(panel->linesView()->drawnLineCount() > 0);
}

void TestMainWindow::fixtureIdsMatchPyTorch()
{
    QFile file(kFixtureModel + QStringLiteral("/expected.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonArray cases = QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("cases")).toArray();
    QJsonObject len5;
    for (const auto& c : cases) {
        if (c.toObject().value(QStringLiteral("name")).toString() == QStringLiteral("len5")) {
            len5 = c.toObject();
        }
    }
    QVERIFY(!len5.isEmpty());
    QVERIFY(len5.value(QStringLiteral("attentions")).isArray());
    auto numbers = [&](const char* key) { return len5.value(QLatin1String(key)).toArray(); };
    const QJsonArray ids = numbers("input_ids");
    const QJsonArray shape = numbers("attentions_shape");
    const QJsonArray expected = numbers("attentions");
    const int layers = shape[0].toInt();
    const int heads = shape[1].toInt();
    const int tokens = shape[2].toInt();

    openAndWait(kFixtureModel);
    // No tokenizer files: the panel switches to token ids by itself.
    QVERIFY(m_window->inputPanel()->tokenIdsCheck()->isChecked());
    QStringList idText;
    for (const auto& id : ids) {
        idText << QString::number(id.toInt());
    }
    QTest::keyClicks(m_window->inputPanel()->textEdit(), idText.join(u' '));
    const auto snapshot = runAndWait();
    QVERIFY(snapshot);
    QCOMPARE(snapshot->result.tokens, tokens);
    double maxDiff = 0;
    for (int l = 0; l < layers; ++l) {
        for (int h = 0; h < heads; ++h) {
            m_window->selectHead(l, h);
            for (int q = 0; q < tokens; ++q) {
                for (int k = 0; k < tokens; ++k) {
                    const double want = expected[((l * heads + h) * tokens + q) * tokens + k].toDouble();
                    maxDiff = std::max(maxDiff, std::abs(m_window->heatmapView()->value(q, k) - want));
                }
            }
        }
    }
    QVERIFY2(maxDiff < kMaxAttentionDiff, qPrintable(QString::number(maxDiff)));
    QCOMPARE(m_window->headGridView()->currentLayer(), layers - 1);
}

void TestMainWindow::errorsShowInMessageBox_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<bool>("ids");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expectedInMessage");
    QTest::newRow("empty text") << kSampleModel << false << QString() << QStringLiteral("empty");
    QTest::newRow("no tokenizer") << kFixtureModel << false << QStringLiteral("hello world")
                                  << QStringLiteral("tokenizer");
    QTest::newRow("too many tokens") << kFixtureModel << true
                                     << QStringLiteral("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20")
                                     << QStringLiteral("16");
    QTest::newRow("id outside vocabulary") << kFixtureModel << true << QStringLiteral("5 100") << QStringLiteral("100");
    QTest::newRow("ids not numbers") << kFixtureModel << true << QStringLiteral("5 abc") << QStringLiteral("abc");
}

void TestMainWindow::errorsShowInMessageBox()
{
    QFETCH(QString, folder);
    QFETCH(bool, ids);
    QFETCH(QString, input);
    QFETCH(QString, expectedInMessage);
    if (folder == kSampleModel && !m_haveSample) {
        QSKIP("samples/tiny-gpt2 is not there yet");
    }
    openAndWait(folder);
    m_window->inputPanel()->tokenIdsCheck()->setChecked(ids);
    m_window->inputPanel()->textEdit()->setPlainText(input);
    QSignalSpy displayed(m_window.get(), &gui::MainWindow::runDisplayed);
    QTimer::singleShot(0, m_window.get(), [this] { m_window->runCurrentInput(); });
    const QString message = takeMessageBox(kRunTimeoutMs);
    QVERIFY2(!message.isEmpty(), "no error dialog");
    QVERIFY2(message.contains(expectedInMessage, Qt::CaseInsensitive), qPrintable(message));
    QVERIFY2(!message.contains(u'\n'), qPrintable(message));
    QCOMPARE(displayed.count(), 0);
    // The window stays usable: Run is enabled again.
    QTRY_VERIFY(m_window->inputPanel()->runButton()->isEnabled());
}

void TestMainWindow::corruptModelFolderShowsError()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile config(dir.filePath(QStringLiteral("config.json")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write("{\"model_type\": \"gpt2\", \"n_layer\": ");
    config.close();
    QTimer::singleShot(0, m_window.get(), [&] { m_window->openModelFolder(dir.path()); });
    const QString message = takeMessageBox(kLoadTimeoutMs);
    QVERIFY2(message.contains(QStringLiteral("config.json")), qPrintable(message));
    QVERIFY(!m_window->runner()->model());
    QVERIFY(!m_window->runner()->isBusy());
}

void TestMainWindow::guiThreadNeverStalls()
{
    const bool sample = m_haveSample;
    openAndWait(sample ? kSampleModel : kFixtureModel);
    const QString input = sample
        ? QStringLiteral("Once upon a time there was a tiny model that liked to look at every word in the sentence, "
                         "and it paid attention to the words that mattered most for the next one.")
        : QStringLiteral("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15");
    QTest::keyClicks(m_window->inputPanel()->textEdit(), input);
    // The first result compiles VTK's shaders in the GUI thread (one-off); measure the next run.
    QVERIFY(runAndWait());
    QTest::qWait(300);

    QElapsedTimer clock;
    qint64 last = 0;
    qint64 worst = 0;
    int ticks = 0;
    QTimer heartbeat;
    heartbeat.setInterval(10);
    connect(&heartbeat, &QTimer::timeout, this, [&] {
        const qint64 now = clock.elapsed();
        worst = std::max(worst, now - last);
        last = now;
        ++ticks;
    });
    clock.start();
    heartbeat.start();
    m_window->layerSpin()->setValue(2);
    const auto snapshot = runAndWait();
    QVERIFY(snapshot);
    QTest::qWait(300); // the views repaint after the result
    heartbeat.stop();
    worst = std::max(worst, clock.elapsed() - last);
    qInfo() << "run" << snapshot->result.elapsedMs << "ms," << ticks << "heartbeats, longest gap" << worst << "ms";
    QVERIFY(ticks > 10);
    QVERIFY2(worst <= kMaxGuiStallMs, qPrintable(QStringLiteral("GUI thread stalled %1 ms").arg(worst)));
}

void TestMainWindow::recentFoldersDropMissing()
{
    openAndWait(kFixtureModel);
    QSettings settings;
    const QString fixture = QDir(kFixtureModel).absolutePath();
    QCOMPARE(gui::recentFolders(settings).value(0), fixture);
    QTemporaryDir gone;
    const QString missing = gone.path();
    gui::addRecentFolder(settings, missing);
    QCOMPARE(gui::recentFolders(settings).value(0), missing);
    gone.remove();
    const QStringList after = gui::recentFolders(settings);
    QVERIFY(!after.contains(missing));
    QVERIFY(after.contains(fixture));
    QTemporaryDir many[gui::kMaxRecentFolders + 2];
    for (auto& dir : many) {
        gui::addRecentFolder(settings, dir.path());
    }
    QCOMPARE(gui::recentFolders(settings).size(), gui::kMaxRecentFolders);
}

// View ▸ Theme ▸ Dark repaints the window dark (the heatmap's background, the dock text light),
// is saved, and System restores the palette the platform gave.
void TestMainWindow::darkThemeIsDarkAndRemembered()
{
    if (!m_haveSample) {
        QSKIP("samples/tiny-gpt2 (with tokenizer) is not there yet");
    }
    const QPalette before = QApplication::palette();
    openAndWait(kSampleModel);
    QTest::keyClicks(m_window->inputPanel()->textEdit(), QStringLiteral("Call me Ishmael."));
    QVERIFY(runAndWait());
    auto* dark = m_window->findChild<QAction*>(QStringLiteral("theme_dark"));
    QVERIFY(dark);
    dark->trigger();
    QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
    QCOMPARE(QSettings().value(QStringLiteral("view/theme")).toString(), QStringLiteral("dark"));
    QCOMPARE(gui::savedTheme(), gui::Theme::Dark);
    QTest::qWait(50);
    const QImage shot = m_window->grab().toImage();
    shot.save(outputPath(QStringLiteral("main_window_dark.png")));
    // The heatmap's corner (outside the matrix) shows the window colour.
    const QPoint corner = m_window->heatmapView()->mapTo(m_window.get(), QPoint(4, 4));
    QVERIFY(QColor(shot.pixel(corner)).lightness() < 80);
    auto* system = m_window->findChild<QAction*>(QStringLiteral("theme_system"));
    QVERIFY(system);
    system->trigger();
    QCOMPARE(QApplication::palette().color(QPalette::Window), before.color(QPalette::Window));
    QCOMPARE(gui::savedTheme(), gui::Theme::System);
}

int main(int argc, char** argv)
{
    widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("OptiscopeTests"));
    QApplication::setApplicationName(QStringLiteral("tst_main_window"));
    TestMainWindow test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_main_window.moc"
