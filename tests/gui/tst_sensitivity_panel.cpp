// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The Sensitivity dock: a scan with the step editor's int4 per-channel quantization draws one bar
// per layer equal to the engine's own scan (core::scanLayerSensitivity on the same tokens), the
// metric switch redraws from the same result, and a non-quantize technique is refused in a dialog.
#include "bar_chart_view.h"
#include "compression_panel.h"
#include "gl_support.h"
#include "input_panel.h"
#include "main_window.h"
#include "sensitivity_panel.h"
#include "step_editor.h"

#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

using namespace optiscope;

namespace {
constexpr int kTimeoutMs = 120'000;
const QString kSampleModel = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kText = QStringLiteral("Call me Ishmael. Some years ago, never mind how long precisely, I went to sea.");

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}
}

class TestSensitivityPanel : public QObject {
    Q_OBJECT
private slots:
    void scanMatchesEngine();
    void refusesNonQuantizeTechnique();
};

void TestSensitivityPanel::scanMatchesEngine()
{
    QSettings().clear();
    gui::MainWindow window;
    window.resize(1500, 950);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.inputPanel()->textEdit()->setPlainText(kText);
    window.openModelFolder(kSampleModel);
    QTRY_VERIFY_WITH_TIMEOUT(window.compressionPanel()->lastResult() != nullptr, kTimeoutMs);
    gui::StepEditor* editor = window.compressionPanel()->stepEditor();
    editor->techniqueCombo()->setCurrentIndex(gui::StepEditor::QuantizeInt);
    QSpinBox* bits = nullptr;
    for (QSpinBox* spin : editor->findChildren<QSpinBox*>()) {
        bits = spin->suffix() == QStringLiteral(" bits") ? spin : bits;
    }
    QVERIFY(bits);
    bits->setValue(4);

    gui::SensitivityPanel* panel = window.sensitivityPanel();
    window.findChild<QDockWidget*>(QStringLiteral("sensitivityDock"))->raise();
    QSignalSpy finished(panel, &gui::SensitivityPanel::scanFinished);
    panel->scan();
    QVERIFY(panel->isBusy());
    QVERIFY(finished.wait(kTimeoutMs));
    QVERIFY(panel->result());

    // The oracle: the engine's scan on the same tokens with the same spec.
    auto spec = core::parseQuantSpec(R"({"format": "int", "bits": 4, "symmetric": true, "granularity": "per_channel"})", "test");
    QVERIFY(spec);
    const auto base = window.compressionPanel()->lastResult()->model->base();
    auto expected = core::scanLayerSensitivity(base, *spec, base->tokenizer()->encode(kText.toStdString()));
    QVERIFY(expected);
    QCOMPARE(panel->result()->layers.size(), expected->layers.size());
    const auto& bars = panel->chart()->values();
    QCOMPARE(bars.size(), expected->layers.size());
    std::size_t worst = 0;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        QCOMPARE(bars[i], expected->layers[i].klMean);
        worst = expected->layers[i].klMean > expected->layers[worst].klMean ? i : worst;
    }
    QCOMPARE(panel->chart()->highestBar(), int(worst));
    qInfo("int4 per channel, KL per layer: %g %g %g %g (layer %zu most sensitive)", bars[0], bars[1], bars[2], bars[3], worst);
    QTest::qWait(50);
    QVERIFY(panel->grab().save(outputPath(QStringLiteral("sensitivity_panel.png"))));

    panel->setMetric(gui::SensitivityPanel::PerplexityChange);
    for (std::size_t i = 0; i < bars.size(); ++i) {
        QCOMPARE(panel->chart()->values()[i], expected->layers[i].perplexity - expected->basePerplexity);
    }
}

void TestSensitivityPanel::refusesNonQuantizeTechnique()
{
    gui::MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.compressionPanel()->stepEditor()->techniqueCombo()->setCurrentIndex(gui::StepEditor::PruneNM);
    QSignalSpy errors(window.sensitivityPanel(), &gui::SensitivityPanel::errorOccurred);
    window.sensitivityPanel()->scan();
    QCOMPARE(errors.count(), 1);
    QVERIFY(errors.at(0).at(0).toString().contains(QStringLiteral("quantization technique")));
    QVERIFY(!window.sensitivityPanel()->isBusy());
    QTRY_VERIFY(window.findChild<QMessageBox*>() != nullptr); // shown in a dialog
}

int main(int argc, char** argv)
{
    widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("OptiscopeTests"));
    QApplication::setApplicationName(QStringLiteral("tst_sensitivity_panel"));
    TestSensitivityPanel test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_sensitivity_panel.moc"
