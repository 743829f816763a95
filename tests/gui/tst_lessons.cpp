// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Teaching mode: every step of the three lessons applied to the real window. Oracles: the head a
// step selects is recomputed here from the run's attention; the pruning steps' masks obey their
// pattern; the array steps land on the first cycle of their PE state (the cycle before has none).
#include "accelerator_panel.h"
#include "compression_panel.h"
#include "gl_support.h"
#include "input_panel.h"
#include "lesson_panel.h"
#include "main_window.h"
#include "pe_grid_view.h"
#include "tensor_inspector.h"

#include "optiscope/accelsim/pe_state.h"
#include "optiscope/core/compression/compressed_model.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QUndoStack>

using namespace optiscope;

namespace {
constexpr int kTimeoutMs = 120'000;
constexpr double kMaxRowSumError = 1e-5; // softmax rows in float32
const QString kSampleModel = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kText = QStringLiteral("Call me Ishmael. Some years ago, never mind how long precisely, I went to sea.");

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}

// Independent of lessons.cpp: the (layer, head) maximising the mean of attention[q][q-1].
std::pair<int, int> previousTokenHeadOf(const widgets::AttentionData& a)
{
    std::pair<int, int> best { -1, -1 };
    double bestScore = -1;
    for (int l = 0; l < a.layers; ++l) {
        for (int h = 0; h < a.heads; ++h) {
            double score = 0;
            for (int q = 1; q < a.tokens; ++q) {
                score += a.at(l, h, q, q - 1);
            }
            if (score > bestScore) {
                bestScore = score;
                best = { l, h };
            }
        }
    }
    return best;
}
}

class TestLessons : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void attentionLesson();
    void pruningLesson();
    void arrayLesson();
    void cleanupTestCase() { m_window.reset(); }

private:
    void waitCompression();
    std::unique_ptr<gui::MainWindow> m_window;
    gui::LessonPanel* m_lessons = nullptr;
};

void TestLessons::initTestCase()
{
    QSettings().clear();
    m_window = std::make_unique<gui::MainWindow>();
    m_window->resize(1500, 950);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->inputPanel()->textEdit()->setPlainText(kText);
    QSignalSpy displayed(m_window.get(), &gui::MainWindow::runDisplayed);
    m_window->openModelFolder(kSampleModel);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->compressionPanel()->lastResult() != nullptr, kTimeoutMs);
    m_window->runCurrentInput();
    QVERIFY(displayed.wait(kTimeoutMs));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->acceleratorPanel()->hasResult(), kTimeoutMs);
    m_lessons = m_window->lessonPanel();
    QVERIFY(m_lessons);
    QCOMPARE(m_lessons->lessonCount(), 3);
    auto* dock = m_window->findChild<QDockWidget*>(QStringLiteral("lessonDock"));
    QVERIFY(dock && !dock->isVisible()); // opening the app changes nothing
    m_window->showLessons();
    QVERIFY(dock->isVisible());
}

void TestLessons::waitCompression()
{
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->compressionPanel()->runner()->isBusy(), kTimeoutMs);
    QTest::qWait(50); // the finished signal is queued behind the busy change
}

void TestLessons::attentionLesson()
{
    m_lessons->startLesson(0);
    QCOMPARE(m_lessons->stepIndex(), 0);
    QVERIFY(!m_lessons->backButton()->isEnabled());
    QCOMPARE(m_window->layerSpin()->value(), 0);
    // The step reports the last row's sum; recompute it.
    const auto attention = m_window->lastRun()->attention;
    double sum = 0;
    for (int k = 0; k < attention->tokens; ++k) {
        sum += attention->at(0, 0, attention->tokens - 1, k);
    }
    QVERIFY(std::abs(sum - 1.0) < kMaxRowSumError);
    QVERIFY2(m_lessons->shownText().contains(QString::number(sum, 'f', 6)), qPrintable(m_lessons->shownText()));

    QTest::mouseClick(m_lessons->nextButton(), Qt::LeftButton);
    QCOMPARE(m_lessons->stepIndex(), 1);
    const auto [layer, head] = previousTokenHeadOf(*attention);
    QCOMPARE(m_window->layerSpin()->value(), layer);
    QCOMPARE(m_window->headSpin()->value(), head);
    QVERIFY(m_lessons->shownText().contains(QStringLiteral("layer %1, head %2").arg(layer).arg(head)));
    m_window->grab().save(outputPath(QStringLiteral("lesson_attention.png")));

    while (m_lessons->nextButton()->isEnabled()) {
        QTest::mouseClick(m_lessons->nextButton(), Qt::LeftButton);
    }
    QCOMPARE(m_lessons->stepIndex(), m_lessons->stepCount() - 1);
    QVERIFY(m_lessons->backButton()->isEnabled());
}

void TestLessons::pruningLesson()
{
    gui::CompressionPanel* panel = m_window->compressionPanel();
    const int undoBefore = panel->undoStack()->count();
    m_lessons->startLesson(1);
    waitCompression();
    const std::string tensor = "transformer.h.0.mlp.c_fc.weight";
    QCOMPARE(m_window->tensorInspector()->selectedTensor(), QString::fromStdString(tensor));
    const core::CompressedTensor* unstructured = panel->lastResult()->model->compressed(tensor);
    QVERIFY(unstructured);
    std::size_t zeros = 0;
    for (float v : unstructured->values) {
        zeros += v == 0.0f ? 1 : 0;
    }
    QCOMPARE(zeros, unstructured->values.size() / 2); // 50 %, exact for an even count

    m_lessons->next(); // 2:4
    waitCompression();
    const core::CompressedTensor* nm = panel->lastResult()->model->compressed(tensor);
    QVERIFY(nm);
    QCOMPARE(nm->nmN, 2);
    QCOMPARE(nm->nmM, 4);
    QCOMPARE(panel->undoStack()->count(), undoBefore + 2);
    m_window->grab().save(outputPath(QStringLiteral("lesson_pruning.png")));

    m_lessons->next(); // blocks
    waitCompression();
    QVERIFY(m_lessons->shownText().contains(QStringLiteral("Ctrl+Z")));
    m_lessons->next();
    waitCompression();
    // Undo back to where the lesson started: the user's recipe is not lost.
    while (panel->undoStack()->index() > undoBefore) {
        panel->undoStack()->undo();
    }
    waitCompression();
    QVERIFY(panel->lastResult()->model->compressedTensors().empty());
}

void TestLessons::arrayLesson()
{
    gui::AcceleratorPanel* panel = m_window->acceleratorPanel();
    m_lessons->startLesson(2);
    QTRY_VERIFY_WITH_TIMEOUT(panel->hasResult() && panel->peGrid()->rows() == 8, kTimeoutMs);
    QCOMPARE(panel->peGrid()->cols(), 8);
    QCOMPARE(panel->currentCycle(), 0);

    using accelsim::PeState;
    qint64 previous = -1;
    for (PeState state : { PeState::Loading, PeState::Mac, PeState::Draining }) {
        m_lessons->next();
        const qint64 found = panel->currentCycle();
        QVERIFY2(found > previous, "loading, then the wavefront, then the drain");
        previous = found;
        const auto index = static_cast<std::size_t>(state);
        QVERIFY2(panel->peGrid()->stateCounts().at(index) > 0, qPrintable(m_lessons->shownText()));
        QVERIFY(m_lessons->shownText().contains(QString::number(found)));
        if (found > 0) {
            panel->seekCycle(found - 1);
            QCOMPARE(panel->peGrid()->stateCounts().at(index), 0);
            panel->seekCycle(found);
        }
    }
    m_window->grab().save(outputPath(QStringLiteral("lesson_array.png")));
    m_lessons->next();
    QVERIFY(m_lessons->shownText().contains(QString::number(panel->totalCycles())));
}

int main(int argc, char** argv)
{
    widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("OptiscopeTests"));
    QApplication::setApplicationName(QStringLiteral("tst_lessons"));
    TestLessons test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_lessons.moc"
