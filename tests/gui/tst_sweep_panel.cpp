// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The Sweep dock in the real main window: a results CSV of `optiscope-cli sweep` (the fixture is a
// real sweep of samples/tiny-gpt2) is plotted with the right Pareto front (recomputed here by a
// sort-and-scan, not the widget's pairwise test), and clicking a point puts its recipe into the
// Compression panel as one undoable step that applies.
#include "compression_panel.h"
#include "input_panel.h"
#include "main_window.h"
#include "pareto_view.h"
#include "recipe_commands.h"
#include "sweep_panel.h"
#include "view_export.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include <algorithm>
#include <limits>
#include <numeric>

using namespace optiscope;

namespace {
constexpr int kTimeoutMs = 120'000;
const QString kSampleModel = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kResults = QStringLiteral(OPTISCOPE_FIXTURES_DIR "/sweep/tiny_gpt2_sparsity.csv");

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}

QByteArray readFixture(const QString& name)
{
    QFile file(QStringLiteral(OPTISCOPE_FIXTURES_DIR "/") + name);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Rows on the front of (x, y), both smaller-is-better: sort by x then y, keep a row when its y is
// below every y seen before it, or ties the last kept row exactly.
QList<int> referenceFront(const QList<double>& x, const QList<double>& y)
{
    QList<int> order(x.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
    QList<int> front;
    double bestY = std::numeric_limits<double>::infinity();
    for (int i : order) {
        const bool tie = !front.isEmpty() && x[front.last()] == x[i] && y[front.last()] == y[i];
        if (y[i] < bestY || tie) {
            front << i;
            bestY = std::min(bestY, y[i]);
        }
    }
    return front;
}
}

class TestSweepPanel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QSettings().clear();
        QVERIFY(QFile::exists(kResults));
    }

    void paretoFrontAndClickLoadsRecipe()
    {
        gui::MainWindow window;
        window.resize(1500, 950);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        // Wanda points calibrate on the input text (the panel's default).
        window.inputPanel()->textEdit()->setPlainText(
            QString::fromUtf8(readFixture("compression/eval_text.txt")).left(400));
        QSignalSpy metrics(window.compressionPanel(), &gui::CompressionPanel::metricsUpdated);
        window.openModelFolder(kSampleModel);
        QVERIFY(metrics.wait(kTimeoutMs));

        auto* panel = window.findChild<gui::SweepPanel*>();
        auto* dock = window.findChild<QDockWidget*>(QStringLiteral("sweepDock"));
        QVERIFY(panel && dock);
        QVERIFY(!dock->isVisible());
        QVERIFY(panel->openResults(kResults));
        QVERIFY(dock->isVisible());
        QApplication::processEvents();

        // The CSV as the test reads it: columns by name, the default axes are size vs perplexity.
        const core::CsvTable& table = panel->table();
        QCOMPARE(table.rows.size(), std::size_t(6));
        QCOMPARE(panel->xAxisCombo()->currentData().toString(), QStringLiteral("bytes_sparse"));
        QCOMPARE(panel->yAxisCombo()->currentData().toString(), QStringLiteral("perplexity"));
        QCOMPARE(panel->colourCombo()->currentText(), QStringLiteral("steps[0].saliency")); // a method, not a number
        QList<double> bytes, perplexity;
        for (const auto& row : table.rows) {
            bytes << std::stod(row[table.column("bytes_sparse")]);
            perplexity << std::stod(row[table.column("perplexity")]);
        }
        const QList<int> expected = referenceFront(bytes, perplexity);
        QVERIFY(expected.size() >= 2 && expected.size() < 6); // the fixture has dominated points
        widgets::ParetoView* view = panel->view();
        QList<int> shown;
        for (int index : view->front()) {
            shown << view->data().points[index].id;
        }
        QCOMPARE(shown, expected);
        // MB on the axis: the plotted x is the CSV's bytes scaled, not re-derived.
        QCOMPARE(view->data().points[0].x, bytes[0] * 1e-6);

        // Log x keeps the front and every point inside the plot.
        panel->logXCheck()->setChecked(true);
        QVERIFY(view->logX());
        for (int i = 0; i < 6; ++i) {
            const auto at = view->pointPosition(i);
            QVERIFY(at && view->rect().contains(at->toPoint()));
        }
        panel->logXCheck()->setChecked(false);

        // Top-1 agreement is higher-is-better: its front is recomputed on the negated values.
        panel->yAxisCombo()->setCurrentIndex(panel->yAxisCombo()->findData(QStringLiteral("top1_agreement")));
        QList<double> negatedTop1;
        for (const auto& row : table.rows) {
            negatedTop1 << -std::stod(row[table.column("top1_agreement")]);
        }
        shown.clear();
        for (int index : view->front()) {
            shown << view->data().points[index].id;
        }
        QCOMPARE(shown, referenceFront(bytes, negatedTop1));
        panel->yAxisCombo()->setCurrentIndex(panel->yAxisCombo()->findData(QStringLiteral("perplexity")));

        // Click the middle point of the front: its recipe becomes the panel's, as an undoable step.
        const int row = expected[expected.size() / 2];
        const auto at = view->pointPosition(row);
        QVERIFY(at);
        QCOMPARE(view->pointAt(*at), row);
        QVERIFY(view->data().points[row].tooltip.contains("steps[0].ratio = "));
        const QJsonArray recipeSteps
            = QJsonDocument::fromJson(QByteArray::fromStdString(table.rows[row][table.column("recipe")]))
                  .object()["steps"]
                  .toArray();
        metrics.clear();
        QSignalSpy errors(window.compressionPanel(), &gui::CompressionPanel::errorOccurred);
        QTest::mouseClick(view, Qt::LeftButton, {}, at->toPoint());
        const auto& steps = window.compressionPanel()->document()->steps();
        QCOMPARE(steps.size(), recipeSteps.size());
        for (int i = 0; i < steps.size(); ++i) {
            QCOMPARE(steps[i], recipeSteps[i].toObject());
        }
        QVERIFY(window.compressionPanel()->undoStack()->undoText().contains("Sweep point"));
        QVERIFY(metrics.wait(kTimeoutMs)); // the recipe applied (Wanda points calibrate on the input)
        QVERIFY(window.compressionPanel()->lastResult());
        QVERIFY2(errors.isEmpty(), errors.isEmpty() ? "" : qPrintable(errors.first().first().toString()));
        QCOMPARE(window.compressionPanel()->document()->steps().size(), recipeSteps.size()); // not reverted

        const QString shot = outputPath("sweep_pareto.png");
        dock->raise();
        QTest::qWait(50);
        QVERIFY(panel->grab().save(shot));
        QVERIFY(window.grab().save(outputPath("sweep_window.png")));
        QCOMPARE(widgets::saveViewSvg(view, outputPath("sweep_pareto.svg")), QString());
    }

    // A CSV that is not a sweep result: one line naming the file, the plot keeps what it showed.
    void badCsvKeepsResults()
    {
        gui::SweepPanel panel;
        QVERIFY(panel.openResults(kResults));
        QTemporaryDir dir;
        const QString bad = dir.filePath("bad.csv");
        QFile file(bad);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("a,b\n1,2\n");
        file.close();
        QSignalSpy errors(&panel, &gui::SweepPanel::errorOccurred);
        QVERIFY(!panel.openResults(bad));
        QCOMPARE(errors.size(), 1);
        const QString message = errors.first().first().toString();
        QVERIFY2(message.startsWith(bad + ": no 'recipe' column"), qPrintable(message));
        QVERIFY(!message.contains('\n'));
        QCOMPARE(panel.table().rows.size(), std::size_t(6));

        const QString ragged = dir.filePath("ragged.csv");
        QFile second(ragged);
        QVERIFY(second.open(QIODevice::WriteOnly));
        second.write("perplexity,bytes_sparse,recipe\n1,2\n");
        second.close();
        QVERIFY(!panel.openResults(ragged));
        QVERIFY2(errors.last().first().toString() == ragged + ": line 2: 2 fields, the header has 3",
            qPrintable(errors.last().first().toString()));
        QCOMPARE(panel.path(), kResults);
    }
};

QTEST_MAIN(TestSweepPanel)
#include "tst_sweep_panel.moc"
