// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Sessions through the real window: a study (model, input, recipe with undo position, array, view) saved,
// reopened in a fresh window and compared field by field; broken session files refused with one line
// naming file and field while the window keeps its state; the recovery autosave round-trips.
#include "accelerator_config_form.h"
#include "accelerator_panel.h"
#include "compression_panel.h"
#include "gl_support.h"
#include "input_panel.h"
#include "main_window.h"
#include "runner.h"
#include "report_export.h"
#include "session.h"
#include "tensor_inspector.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using namespace optiscope;

namespace {
constexpr int kTimeoutMs = 120'000;
const QString kSampleModel = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kNm24 = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/recipes/nm24_int8.json");
const QString kMagnitude = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/recipes/magnitude50.json");
const QString kText = QStringLiteral("There now is your insular city of the Manhattoes.");
const QString kTensor = QStringLiteral("transformer.h.2.attn.c_proj.weight");

std::unique_ptr<gui::MainWindow> openWindow()
{
    auto window = std::make_unique<gui::MainWindow>();
    window->resize(1400, 900);
    window->show();
    return window;
}

bool waitIdle(gui::MainWindow& window)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kTimeoutMs) {
        QTest::qWait(50);
        if (!window.runner()->isBusy() && !window.compressionPanel()->runner()->isBusy()) {
            return true;
        }
    }
    return false;
}

void writeText(const QString& path, const QByteArray& text)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}
} // namespace

class TestSession : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QSettings().clear(); }
    void saveAndReopen();
    void brokenSessionsChangeNothing_data();
    void brokenSessionsChangeNothing();
    void recoveryFile();

private:
    QTemporaryDir m_work;
};

void TestSession::saveAndReopen()
{
    auto window = openWindow();
    QSignalSpy displayed(window.get(), &gui::MainWindow::runDisplayed);
    window->setStartupText(kText);
    window->openModelFolder(kSampleModel);
    QVERIFY(displayed.wait(kTimeoutMs));
    gui::CompressionPanel* panel = window->compressionPanel();
    QVERIFY(panel->openRecipe(kNm24));
    QVERIFY(waitIdle(*window));
    QVERIFY(panel->openRecipe(kMagnitude));
    QVERIFY(waitIdle(*window));
    panel->undoStack()->undo(); // back to 2:4 + int8, magnitude on the redo side
    QVERIFY(waitIdle(*window));
    window->acceleratorPanel()->configForm()->rowsSpin()->setValue(16);
    window->selectHead(2, 1);
    window->attentionSourceCombo()->setCurrentIndex(2);
    QVERIFY(window->tensorInspector()->selectTensor(kTensor));
    const QList<QList<QJsonObject>> history = panel->recipeHistory();
    QCOMPARE(history.size(), 3);
    QCOMPARE(panel->undoStack()->index(), 1);

    const QString path = m_work.filePath("study.optiscope");
    QCOMPARE(window->saveSession(path), QString());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
    QCOMPARE(json["optiscope_session"].toInt(), gui::kSessionVersion);
    QVERIFY2(!QDir::isAbsolutePath(json["model"].toString()), qPrintable(json["model"].toString()));
    QCOMPARE(json["recipe"].toObject()["index"].toInt(), 1);
    QCOMPARE(json["accelerator"].toObject()["rows"].toInt(), 16);
    window.reset();

    auto reopened = openWindow();
    QSignalSpy restored(reopened.get(), &gui::MainWindow::sessionRestored);
    QCOMPARE(reopened->openSession(path), QString());
    QVERIFY(restored.wait(kTimeoutMs));
    QVERIFY(waitIdle(*reopened));
    QCOMPARE(reopened->inputPanel()->textEdit()->toPlainText(), kText);
    QCOMPARE(reopened->compressionPanel()->recipeHistory(), history);
    QCOMPARE(reopened->compressionPanel()->undoStack()->index(), 1);
    QCOMPARE(reopened->compressionPanel()->recipeList()->count(), 2); // nm24_int8's two steps
    QVERIFY(reopened->compressionPanel()->undoStack()->canRedo());
    QCOMPARE(reopened->acceleratorPanel()->configForm()->rowsSpin()->value(), 16);
    QCOMPARE(reopened->layerSpin()->value(), 2);
    QCOMPARE(reopened->headSpin()->value(), 1);
    QCOMPARE(reopened->attentionSourceCombo()->currentIndex(), 2);
    QCOMPARE(reopened->tensorInspector()->selectedTensor(), kTensor);
    // Ran on the compressed model (the re-run follows the restored recipe's apply).
    QTRY_VERIFY_WITH_TIMEOUT(reopened->lastRun() && reopened->lastRun()->baselineAttention, kTimeoutMs);
    // Redo reaches the state that was on the redo side when saved.
    reopened->compressionPanel()->undoStack()->redo();
    QCOMPARE(reopened->compressionPanel()->recipeList()->count(), 1);

    // File ▸ Export Session Report's writer on what is on screen: the report names the recipe on
    // screen (magnitude, after the redo) and the view's head.
    const auto state = reopened->captureSession();
    QVERIFY(state);
    const QString html = m_work.filePath("report.html"), pdf = m_work.filePath("report.pdf");
    QCOMPARE(gui::writeSessionReport(*state, path, html, pdf), QString());
    QFile report(html);
    QVERIFY(report.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(report.readAll());
    QVERIFY(text.contains(QStringLiteral("Layer 2, head 1")));
    QVERIFY(text.contains(QStringLiteral(">Accelerator</h2>")));
    QVERIFY(QFileInfo(pdf).size() > 10'000);
}

void TestSession::brokenSessionsChangeNothing_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    const QByteArray model = "\"model\": \"" + QDir(m_work.path()).relativeFilePath(kSampleModel).toUtf8() + "\"";
    QTest::newRow("newer version") << QByteArray("{\"optiscope_session\": 2, " + model + "}") << "optiscope_session";
    QTest::newRow("missing model folder") << QByteArray("{\"optiscope_session\": 1, \"model\": \"no/such/model\"}")
                                          << "model";
    QTest::newRow("unknown field") << QByteArray("{\"optiscope_session\": 1, " + model + ", \"colour\": 3}") << "colour";
    QTest::newRow("index past history")
        << QByteArray("{\"optiscope_session\": 1, " + model + ", \"recipe\": {\"history\": [[]], \"index\": 4}}")
        << "recipe.index";
    QTest::newRow("negative layer") << QByteArray("{\"optiscope_session\": 1, " + model + ", \"view\": {\"layer\": -1}}")
                                    << "view.layer";
    QTest::newRow("not json") << QByteArray("{\"optiscope_session\": 1,") << "not a session file";
}

void TestSession::brokenSessionsChangeNothing()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    const QString path = m_work.filePath("broken.optiscope");
    writeText(path, json);
    auto window = openWindow();
    window->inputPanel()->textEdit()->setPlainText(kText);
    const QString error = window->openSession(path);
    QVERIFY2(error.startsWith("broken.optiscope: ") && error.contains(field) && !error.contains('\n'), qPrintable(error));
    QVERIFY(!window->runner()->isBusy()); // no model load started
    QCOMPARE(window->inputPanel()->textEdit()->toPlainText(), kText);
}

void TestSession::recoveryFile()
{
    auto window = openWindow();
    QSignalSpy displayed(window.get(), &gui::MainWindow::runDisplayed);
    window->setStartupText(kText);
    window->openModelFolder(kSampleModel);
    QVERIFY(displayed.wait(kTimeoutMs));
    QFile::remove(gui::MainWindow::recoveryPath());
    window->writeRecoveryFile();
    gui::SessionState state;
    QCOMPARE(gui::readSessionFile(gui::MainWindow::recoveryPath(), &state), QString());
    QCOMPARE(state.inputText, kText);
    QCOMPARE(QFileInfo(state.modelFolder), QFileInfo(kSampleModel));
    window->close(); // a normal close removes it
    QVERIFY(!QFileInfo::exists(gui::MainWindow::recoveryPath()));
}

int main(int argc, char** argv)
{
    widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("OptiscopeTests"));
    QApplication::setApplicationName(QStringLiteral("tst_session"));
    TestSession test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_session.moc"
