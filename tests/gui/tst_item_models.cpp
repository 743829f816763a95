// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// QAbstractItemModelTester (Fatal: any broken invariant aborts the test) on every item model of the real
// window: found through every item view in it, attached before the data arrives, then fed
// real data: the sample model loaded and run, a recipe applied, undone and redone, the array resimulated
// and stepped, the weights tree filled. The named models are also checked against their sources.
#include "accelerator_config_form.h"
#include "accelerator_panel.h"
#include "compression_panel.h"
#include "gl_support.h"
#include "layer_stats_model.h"
#include "main_window.h"
#include "metrics_table.h"
#include "runner.h"
#include "step_editor.h"
#include "tensor_inspector.h"

#include <QAbstractItemModelTester>
#include <QAbstractItemView>
#include <QApplication>
#include <QComboBox>
#include <QListWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTreeWidget>
#include <QUndoStack>

#include <memory>
#include <set>

using namespace optiscope;

namespace {
constexpr int kTimeoutMs = 120'000;
const char* kKnownTreeWidgetFailure = "childIndex != childIndex1";
QStringList g_modelWarnings; // qt.modeltest warnings of the Warning-mode tester
QtMessageHandler g_previousHandler = nullptr;

void recordModelWarnings(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    if (context.category && QByteArray(context.category) == "qt.modeltest") {
        g_modelWarnings.append(message);
        if (message.contains(QLatin1String(kKnownTreeWidgetFailure))) {
            return; // counted, not printed hundreds of times
        }
    }
    g_previousHandler(type, context, message);
}
const QString kSampleModel = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kText = QStringLiteral("Call me Ishmael. Some years ago, never mind how long precisely.");
} // namespace

class TestItemModels : public QObject {
    Q_OBJECT
private slots:
    void everyModelKeepsItsInvariants();

private:
    void attachTesters();
    void waitIdle();

    std::unique_ptr<gui::MainWindow> m_window;
    std::set<QAbstractItemModel*> m_tested;
    std::vector<std::unique_ptr<QAbstractItemModelTester>> m_testers;
};

// Every model an item view or combo box of the window shows, once each; called again after docks appear.
// One exception to Fatal: QTreeWidget's own model (the Weights tree) answers the same children for every
// column, which Qt 6.4's tester flags as "childIndex != childIndex1" (common error test #3; a two-column
// QTreeWidget with one child item reproduces it outside the app). Its tester warns instead, and the test
// fails on any warning but that one.
void TestItemModels::attachTesters()
{
    std::vector<QAbstractItemModel*> models;
    for (QAbstractItemView* view : m_window->findChildren<QAbstractItemView*>()) {
        models.push_back(view->model());
    }
    for (QComboBox* combo : m_window->findChildren<QComboBox*>()) {
        models.push_back(combo->model());
    }
    for (QAbstractItemModel* model : models) {
        if (model && m_tested.insert(model).second) {
            const bool treeWidget = qobject_cast<QTreeWidget*>(model->parent()) != nullptr;
            m_testers.push_back(std::make_unique<QAbstractItemModelTester>(model,
                treeWidget ? QAbstractItemModelTester::FailureReportingMode::Warning
                           : QAbstractItemModelTester::FailureReportingMode::Fatal));
        }
    }
}

void TestItemModels::waitIdle()
{
    auto idle = [this] {
        return !m_window->runner()->isBusy() && !m_window->compressionPanel()->runner()->isBusy();
    };
    QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
    QTest::qWait(200);
    QTRY_VERIFY_WITH_TIMEOUT(idle(), kTimeoutMs);
}

void TestItemModels::everyModelKeepsItsInvariants()
{
    QSettings().clear();
    g_previousHandler = qInstallMessageHandler(recordModelWarnings);
    m_window = std::make_unique<gui::MainWindow>();
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    attachTesters();
    gui::AcceleratorPanel* accelerator = m_window->acceleratorPanel();
    gui::CompressionPanel* compression = m_window->compressionPanel();
    gui::TensorInspector* tensors = m_window->tensorInspector();
    // The models named in the issue are among those found.
    QVERIFY(m_tested.count(accelerator->layerModel()));
    QVERIFY(m_tested.count(compression->recipeList()->model()));
    QVERIFY(m_tested.count(tensors->tree()->model()));
    for (auto* metrics : m_window->findChildren<gui::MetricsTable*>()) {
        QVERIFY(m_tested.count(metrics->model()));
    }
    QVERIFY(!m_window->findChildren<gui::MetricsTable*>().isEmpty());
    const std::size_t before = m_tested.size();

    m_window->setStartupText(kText);
    QSignalSpy displayed(m_window.get(), &gui::MainWindow::runDisplayed);
    m_window->openModelFolder(kSampleModel);
    QVERIFY(displayed.wait(kTimeoutMs));
    waitIdle();
    attachTesters(); // views created while loading, if any
    qInfo("%zu item models under test (%zu before loading)", m_tested.size(), before);

    // Real data: one row per simulated matrix product, the tree holds the model's tensors.
    const auto& trace = m_window->lastRun()->result.opTrace;
    QCOMPARE(std::size_t(accelerator->layerModel()->rowCount()), trace.ops.size());
    QVERIFY(tensors->tree()->topLevelItemCount() > 0);

    // A recipe step through the panel's undo stack: the list grows, undo and redo change it back and forth.
    const int steps = compression->recipeList()->count();
    compression->stepEditor()->techniqueCombo()->setCurrentIndex(gui::StepEditor::QuantizeInt);
    compression->addStep();
    QCOMPARE(compression->recipeList()->count(), steps + 1);
    waitIdle();
    compression->undoStack()->undo();
    QCOMPARE(compression->recipeList()->count(), steps);
    compression->undoStack()->redo();
    QCOMPARE(compression->recipeList()->count(), steps + 1);
    waitIdle();

    // Resimulate on other arrays (rows reset and refill) and step.
    accelerator->configForm()->rowsSpin()->setValue(16);
    accelerator->configForm()->dataflowCombo()->setCurrentIndex(1);
    QCOMPARE(std::size_t(accelerator->layerModel()->rowCount()), m_window->lastRun()->result.opTrace.ops.size());
    accelerator->seekLayer(3);
    accelerator->stepForward();
    accelerator->configForm()->dataflowCombo()->setCurrentIndex(0);
    accelerator->configForm()->rowsSpin()->setValue(32);

    // Views and sources switched: the combo models and the tree change selection and contents.
    m_window->attentionSourceCombo()->setCurrentIndex(2);
    m_window->attentionSourceCombo()->setCurrentIndex(0);
    m_window->openModelFolder(kSampleModel); // reload: every model is cleared and refilled
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->lastRun() && !m_window->runner()->isBusy(), kTimeoutMs);
    m_window->runCurrentInput();
    QVERIFY(displayed.wait(kTimeoutMs));
    QCOMPARE(std::size_t(accelerator->layerModel()->rowCount()), m_window->lastRun()->result.opTrace.ops.size());
    waitIdle();
    attachTesters();
    QVERIFY(m_tested.size() >= before);
    qInstallMessageHandler(g_previousHandler);
    qInfo("%lld warnings from the tree widget's tester, all the known one", qlonglong(g_modelWarnings.size()));
    for (const QString& warning : g_modelWarnings) {
        QVERIFY2(warning.contains(QLatin1String(kKnownTreeWidgetFailure)), qPrintable(warning));
    }
}

int main(int argc, char** argv)
{
    widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("OptiscopeTests"));
    QApplication::setApplicationName(QStringLiteral("tst_item_models"));
    TestItemModels test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_item_models.moc"
