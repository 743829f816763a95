// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_heatmap_view.h"
#include "compression_panel.h"
#include "gl_support.h"
#include "input_panel.h"
#include "main_window.h"
#include "metrics_table.h"
#include "model_export.h"
#include "recipe_commands.h"
#include "runner.h"
#include "step_editor.h"

#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/export/compact.h"
#include "optiscope/core/inference.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSpinBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUndoStack>

#include <algorithm>
#include <cmath>

using namespace optiscope;

namespace {
constexpr int kTimeoutMs = 120'000;
constexpr double kMaxIdentityKl = 1e-9; // the identity model is the base model: KL exactly 0 up to rounding
constexpr double kMaxHalfNonzerosError = 0.01; // of the selected elements (rounding per tensor, exact zeros)
constexpr double kMinPerplexityChange = 1e-4; // relative; pruning half the weights changes far more
// Re-evaluating the same model: float32 sums in a different (parallel) order differ in the last bits.
constexpr double kMaxReevaluationDiff = 1e-6; // relative
constexpr double kPruneRatio = 0.5;
constexpr double kMaxRerunAttentionDiff = 1e-7; // run() is deterministic; the same input gives the same values

const QString kSampleModel = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kText = QStringLiteral("The quick brown fox jumps over the lazy dog, and the dog sleeps.");

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}

// Independent of the glob code: GPT-2 block matrices are "h.<layer>.<...>.weight" with rank >= 2.
std::int64_t blockMatrixElements(const core::Model& model)
{
    static const QRegularExpression name(QStringLiteral("^(transformer\\.)?h\\.\\d+\\..*\\.weight$"));
    std::int64_t total = 0;
    for (const core::TensorInfo& info : model.tensorInfos()) {
        if (info.shape.size() >= 2 && name.match(QString::fromStdString(info.name)).hasMatch()) {
            std::int64_t elements = 1;
            for (std::int64_t d : info.shape) {
                elements *= d;
            }
            total += elements;
        }
    }
    return total;
}

QString takeMessageBox(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            auto* box = qobject_cast<QMessageBox*>(widget);
            if (box && box->isVisible()) {
                const QString text = box->text();
                box->close();
                return text;
            }
        }
        QTest::qWait(20);
    }
    return {};
}
}

class TestCompressionPanel : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void pruneUndoRedoAndRecipeRoundTrip();
    void unmatchedTargetShowsErrorAndKeepsRecipe();
    void wandaCalibratesOnInputOrFile();
    void tokenCascadeMarksPrunedTokens();
    void everyTechniqueApplies();
    void outlierPagesCarryTheirFields();
    void exportsTheCompressedModel();

private:
    void waitMetrics(QSignalSpy& spy);
    double cell(gui::MetricsTable::Row row, gui::MetricsTable::Column column) const
    {
        return m_window->compressionPanel()->metricsTable()->value(row, column);
    }

    std::unique_ptr<gui::MainWindow> m_window;
};

void TestCompressionPanel::initTestCase()
{
    QSettings().clear();
    QVERIFY2(QFile::exists(kSampleModel + QStringLiteral("/model.safetensors")), qPrintable(kSampleModel));
}

void TestCompressionPanel::init()
{
    m_window = std::make_unique<gui::MainWindow>();
    m_window->resize(1500, 950);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    m_window->inputPanel()->textEdit()->setPlainText(kText);
    QSignalSpy metrics(m_window->compressionPanel(), &gui::CompressionPanel::metricsUpdated);
    m_window->openModelFolder(kSampleModel);
    waitMetrics(metrics); // the baseline, applied on load with the empty recipe
}

void TestCompressionPanel::cleanup() { m_window.reset(); }

void TestCompressionPanel::waitMetrics(QSignalSpy& spy)
{
    QVERIFY(spy.wait(kTimeoutMs) || !spy.isEmpty());
    // Further results may be queued behind (a superseded run ends silently): let them land.
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->compressionPanel()->runner()->isBusy(), kTimeoutMs);
}

void TestCompressionPanel::pruneUndoRedoAndRecipeRoundTrip()
{
    using MT = gui::MetricsTable;
    gui::CompressionPanel* panel = m_window->compressionPanel();
    QSignalSpy metrics(panel, &gui::CompressionPanel::metricsUpdated);
    QSignalSpy displayed(m_window.get(), &gui::MainWindow::runDisplayed);

    // Baseline: both columns the loaded model.
    const double basePerplexity = cell(MT::Perplexity, MT::Baseline);
    QVERIFY(std::isfinite(basePerplexity) && basePerplexity > 1.0);
    QVERIFY(std::abs(cell(MT::Kl, MT::Current)) <= kMaxIdentityKl);
    QCOMPARE(cell(MT::Nonzeros, MT::Current), cell(MT::Nonzeros, MT::Baseline));

    m_window->runCurrentInput();
    QVERIFY(displayed.wait(kTimeoutMs));
    const auto baseRun = m_window->lastRun();
    QVERIFY(!dynamic_cast<const core::CompressedModel*>(baseRun->model.get()));

    // 50 % magnitude pruning of the block matrices, through the widgets.
    gui::StepEditor* editor = panel->stepEditor();
    editor->techniqueCombo()->setCurrentIndex(gui::StepEditor::PruneMagnitude);
    editor->sparsitySlider()->setValue(static_cast<int>(kPruneRatio * 100));
    QCOMPARE(editor->targetsEdit()->text(), QStringLiteral("h.*.weight"));
    metrics.clear();
    displayed.clear();
    QTest::mouseClick(panel->findChild<QPushButton*>(QStringLiteral("addStepButton")), Qt::LeftButton);
    waitMetrics(metrics);
    QCOMPARE(panel->recipeList()->count(), 1);
    QVERIFY2(panel->recipeList()->item(0)->text().contains(QStringLiteral("50 %")),
        qPrintable(panel->recipeList()->item(0)->text()));

    const auto base = m_window->runner()->model()->model;
    const double selected = static_cast<double>(blockMatrixElements(*base));
    QVERIFY(selected > 0);
    const double removed = cell(MT::Nonzeros, MT::Baseline) - cell(MT::Nonzeros, MT::Current);
    QVERIFY2(std::abs(removed - kPruneRatio * selected) <= kMaxHalfNonzerosError * selected,
        qPrintable(QStringLiteral("removed %1 of %2 selected").arg(removed).arg(selected)));
    const double pruneKl = cell(MT::Kl, MT::Current);
    const double prunePerplexity = cell(MT::Perplexity, MT::Current);
    QVERIFY2(pruneKl > 0, qPrintable(QString::number(pruneKl)));
    QVERIFY(std::abs(prunePerplexity - basePerplexity) > kMinPerplexityChange * basePerplexity);
    QCOMPARE(cell(MT::Perplexity, MT::Baseline), basePerplexity);
    QVERIFY(cell(MT::Top1, MT::Current) <= 1.0);
    QVERIFY(cell(MT::MacsEffective, MT::Current) < cell(MT::MacsEffective, MT::Baseline));
    QCOMPARE(cell(MT::Parameters, MT::Current), cell(MT::Parameters, MT::Baseline));

    // The attention views re-ran on the compressed model.
    QTRY_VERIFY_WITH_TIMEOUT(!displayed.isEmpty() && !m_window->runner()->isBusy(), kTimeoutMs);
    const auto prunedRun = m_window->lastRun();
    QVERIFY(dynamic_cast<const core::CompressedModel*>(prunedRun->model.get()));
    QCOMPARE(prunedRun->attention->values.size(), baseRun->attention->values.size());
    QVERIFY(prunedRun->attention->values != baseRun->attention->values);

    QTest::qWait(100); // let the status bar lay out its new text before the screenshot
    QVERIFY(m_window->grab().save(outputPath(QStringLiteral("compression_panel.png"))));

    // Before / after: the run carries the uncompressed model's attention on the same input, equal to
    // running the base model directly; the difference view shows current - baseline.
    QVERIFY(prunedRun->baselineAttention);
    auto input = core::textInput(*base, kText.toStdString());
    QVERIFY(input);
    core::CaptureOptions capture;
    capture.attention = true;
    auto direct = core::run(*base, *input, capture);
    QVERIFY(direct);
    QCOMPARE(prunedRun->baselineAttention->values.size(), direct->attentions.size());
    for (std::size_t i = 0; i < direct->attentions.size(); ++i) {
        QVERIFY(std::abs(prunedRun->baselineAttention->values[i] - direct->attentions[i]) <= kMaxRerunAttentionDiff);
    }
    m_window->attentionSourceCombo()->setCurrentIndex(2);
    m_window->selectHead(1, 2);
    const auto shown = m_window->heatmapView()->data();
    QVERIFY(shown && shown->signedValues);
    const int t = shown->tokens;
    for (int q = 0; q < t; ++q) {
        for (int k = 0; k < t; ++k) {
            const float expected = prunedRun->attention->at(1, 2, q, k) - prunedRun->baselineAttention->at(1, 2, q, k);
            QCOMPARE(m_window->heatmapView()->value(q, k), expected);
        }
    }
    QVERIFY(m_window->grab().save(outputPath(QStringLiteral("attention_difference.png"))));
    m_window->attentionSourceCombo()->setCurrentIndex(1);
    QCOMPARE(m_window->heatmapView()->data(), prunedRun->baselineAttention);
    m_window->attentionSourceCombo()->setCurrentIndex(0);
    QCOMPARE(m_window->heatmapView()->data(), prunedRun->attention);

    // Undo: back to the baseline values exactly.
    metrics.clear();
    displayed.clear();
    panel->undoAction()->trigger();
    waitMetrics(metrics);
    QCOMPARE(panel->recipeList()->count(), 0);
    QVERIFY(std::abs(cell(MT::Kl, MT::Current)) <= kMaxIdentityKl);
    QVERIFY(std::abs(cell(MT::Perplexity, MT::Current) - basePerplexity) <= kMaxReevaluationDiff * basePerplexity);
    QCOMPARE(cell(MT::Nonzeros, MT::Current), cell(MT::Nonzeros, MT::Baseline));
    QCOMPARE(cell(MT::Top1, MT::Current), 1.0);
    QTRY_VERIFY_WITH_TIMEOUT(!displayed.isEmpty() && !m_window->runner()->isBusy(), kTimeoutMs);
    QCOMPARE(m_window->lastRun()->model, base);

    // Redo through the Edit menu shortcut: the same pruned model again.
    metrics.clear();
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTest::keyClick(m_window.get(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    waitMetrics(metrics);
    QCOMPARE(panel->recipeList()->count(), 1);
    QVERIFY(std::abs(cell(MT::Kl, MT::Current) - pruneKl) <= kMaxReevaluationDiff * pruneKl);
    QVERIFY(std::abs(cell(MT::Perplexity, MT::Current) - prunePerplexity) <= kMaxReevaluationDiff * prunePerplexity);

    // Save, change the recipe, reopen: the saved recipe and its metrics come back.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("half.json"));
    QVERIFY(panel->saveRecipe(path));
    auto saved = core::loadRecipe(std::filesystem::path(path.toStdString()));
    QVERIFY2(saved.has_value(), saved ? "" : saved.error().message.c_str());
    QCOMPARE(saved->steps.size(), std::size_t { 1 });
    QCOMPARE(saved->steps[0].ratio, kPruneRatio);
    QCOMPARE(saved->steps[0].pattern, core::PrunePattern::Unstructured);

    editor->techniqueCombo()->setCurrentIndex(gui::StepEditor::QuantizeInt);
    metrics.clear();
    panel->addStep();
    waitMetrics(metrics);
    QCOMPARE(panel->recipeList()->count(), 2);
    QVERIFY(std::abs(cell(MT::Kl, MT::Current) - pruneKl) > kMaxReevaluationDiff * pruneKl);

    metrics.clear();
    QVERIFY(panel->openRecipe(path));
    waitMetrics(metrics);
    QCOMPARE(panel->recipeList()->count(), 1);
    QVERIFY(std::abs(cell(MT::Kl, MT::Current) - pruneKl) <= kMaxReevaluationDiff * pruneKl);
    QVERIFY(std::abs(cell(MT::Perplexity, MT::Current) - prunePerplexity) <= kMaxReevaluationDiff * prunePerplexity);
    // Opening is undoable too (Ctrl+Z).
    metrics.clear();
    QTest::keyClick(m_window.get(), Qt::Key_Z, Qt::ControlModifier);
    waitMetrics(metrics);
    QCOMPARE(panel->recipeList()->count(), 2);
}

void TestCompressionPanel::unmatchedTargetShowsErrorAndKeepsRecipe()
{
    gui::CompressionPanel* panel = m_window->compressionPanel();
    gui::StepEditor* editor = panel->stepEditor();
    editor->techniqueCombo()->setCurrentIndex(gui::StepEditor::PruneMagnitude);
    editor->targetsEdit()->setText(QStringLiteral("*.nothing.*"));
    panel->addStep();
    const QString message = takeMessageBox(kTimeoutMs);
    QVERIFY2(message.contains(QStringLiteral("*.nothing.*")), qPrintable(message));
    QVERIFY(!message.contains(QLatin1Char('\n')));
    // The failed step is taken back; the model stays as loaded.
    QTRY_COMPARE_WITH_TIMEOUT(panel->recipeList()->count(), 0, kTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(!panel->runner()->isBusy(), kTimeoutMs);
    QVERIFY(
        std::abs(panel->metricsTable()->value(gui::MetricsTable::Kl, gui::MetricsTable::Current)) <= kMaxIdentityKl);
}

// Wanda in the GUI: calibrated on the input text by default, on a chosen file after
// setCalibrationFile. Oracle: the engine's applyRecipe with the same token sequence.
void TestCompressionPanel::wandaCalibratesOnInputOrFile()
{
    gui::CompressionPanel* panel = m_window->compressionPanel();
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString recipePath = work.filePath(QStringLiteral("wanda.json"));
    const QByteArray recipeJson = R"({"schema": 1, "steps": [{"type": "prune", "targets": ["*.mlp.c_fc.weight"],
        "ratio": 0.5, "saliency": "wanda"}]})";
    const QString calibrationPath = work.filePath(QStringLiteral("calibration.txt"));
    const QByteArray calibrationText = "Call me Ishmael. Some years ago, never mind how long precisely, having little "
                                       "or no money in my purse, I thought I would sail about a little.";
    {
        QFile recipeFile(recipePath), calibrationFile(calibrationPath);
        QVERIFY(recipeFile.open(QIODevice::WriteOnly) && recipeFile.write(recipeJson) == recipeJson.size());
        QVERIFY(calibrationFile.open(QIODevice::WriteOnly)
            && calibrationFile.write(calibrationText) == calibrationText.size());
    }
    auto base = m_window->compressionPanel()->lastResult()->model->base();
    auto recipe = core::parseRecipe(recipeJson.toStdString(), "wanda.json");
    QVERIFY(recipe);
    const std::string tensor = "transformer.h.0.mlp.c_fc.weight";
    auto engineValues = [&](const QByteArray& text) {
        core::CalibrationData data { .sequences = { base->tokenizer()->encode(text.toStdString()) } };
        auto model = core::applyRecipe(base, *recipe, &data);
        return model ? (*model)->compressed(tensor)->values : std::vector<float> {};
    };
    auto panelValues = [&] {
        const auto& last = panel->lastResult();
        const core::CompressedTensor* compressed = last ? last->model->compressed(tensor) : nullptr;
        return compressed ? compressed->values : std::vector<float> {};
    };

    QSignalSpy metrics(panel, &gui::CompressionPanel::metricsUpdated);
    QVERIFY(panel->openRecipe(recipePath));
    waitMetrics(metrics);
    const auto onInput = panelValues();
    QVERIFY(!onInput.empty());
    QVERIFY(onInput == engineValues(kText.toUtf8()));

    metrics.clear();
    QVERIFY(panel->setCalibrationFile(calibrationPath));
    waitMetrics(metrics);
    const auto onFile = panelValues();
    QVERIFY(onFile == engineValues(calibrationText));
    QVERIFY(onFile != onInput); // the activations differ, so some kept weights do
    auto* label = panel->findChild<QLabel*>(QStringLiteral("calibrationLabel"));
    QVERIFY(label && label->text().contains(QStringLiteral("calibration.txt")));

    // A file that cannot be read keeps the previous choice.
    QVERIFY(!panel->setCalibrationFile(work.filePath(QStringLiteral("missing.txt"))));
    QVERIFY(takeMessageBox(kTimeoutMs).contains(QStringLiteral("missing.txt")));
    QCOMPARE(panel->calibrationFile(), calibrationPath);
}

// SpAtten-style cascade from the bundled recipe: the heatmap's title counts the layer's kept
// tokens as the run reports them, and the later layer keeps no more than the earlier one.
void TestCompressionPanel::tokenCascadeMarksPrunedTokens()
{
    gui::CompressionPanel* panel = m_window->compressionPanel();
    QSignalSpy displayed(m_window.get(), &gui::MainWindow::runDisplayed);
    m_window->runCurrentInput();
    QVERIFY(displayed.wait(kTimeoutMs));
    QVERIFY(m_window->lastRun()->result.keptTokens.empty());
    displayed.clear();
    QVERIFY(panel->openRecipe(QStringLiteral(OPTISCOPE_SAMPLES_DIR "/recipes/token_cascade70.json")));
    // The compressed model re-runs the shown input when it is ready.
    QVERIFY(displayed.wait(kTimeoutMs));
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->lastRun()->result.keptTokens.empty(), kTimeoutMs);
    const auto& run = *m_window->lastRun();
    const auto& kept = run.result.keptTokens;
    QCOMPARE(static_cast<int>(kept.size()), run.result.layers);
    const int last = run.result.layers - 1;
    QCOMPARE(static_cast<int>(kept[0].size()), run.result.tokens); // the cascade starts at layer 1
    QVERIFY(kept[last].size() < kept[0].size());
    m_window->selectHead(last, 0);
    const QString title = m_window->heatmapView()->titleText();
    QVERIFY2(title.endsWith(QStringLiteral("%1 kept").arg(kept[last].size())), qPrintable(title));
    QVERIFY(m_window->heatmapView()->data()->prunesTokens());
    // A pruned token's row is zero in that layer.
    int pruned = 0;
    while (std::binary_search(kept[last].begin(), kept[last].end(), pruned)) {
        ++pruned;
    }
    QCOMPARE(m_window->heatmapView()->value(pruned, 0), 0.0f);
    m_window->heatmapView()->grab().save(outputPath(QStringLiteral("attention_token_cascade.png")));
}

// Every entry of the step editor, with its default fields, is a valid recipe step (the engine's
// parser) and applies to the sample model without an error; the metrics move (KL > 0) for all
// but the lossless ones.
void TestCompressionPanel::everyTechniqueApplies()
{
    using SE = gui::StepEditor;
    gui::CompressionPanel* panel = m_window->compressionPanel();
    SE* editor = panel->stepEditor();
    QCOMPARE(editor->techniqueCombo()->count(), SE::QuantizeGobo + 1);
    for (int technique = 0; technique < editor->techniqueCombo()->count(); ++technique) {
        editor->techniqueCombo()->setCurrentIndex(technique);
        const QString name = editor->techniqueCombo()->currentText();
        QVERIFY2(!editor->techniqueCombo()->itemData(technique, Qt::ToolTipRole).toString().isEmpty(), qPrintable(name));
        const QJsonObject step = editor->step();
        QJsonObject recipe { { QStringLiteral("schema"), 1 }, { QStringLiteral("steps"), QJsonArray { step } } };
        auto parsed = core::parseRecipe(QJsonDocument(recipe).toJson().toStdString(), "editor");
        QVERIFY2(parsed, qPrintable(name + QStringLiteral(": ") + QString::fromStdString(parsed.error().message)));

        QSignalSpy metrics(panel, &gui::CompressionPanel::metricsUpdated);
        panel->addStep();
        waitMetrics(metrics);
        QCOMPARE(panel->recipeList()->count(), 1);
        const double kl = cell(gui::MetricsTable::Kl, gui::MetricsTable::Current);
        const bool lossless = technique == SE::NumberFormat; // FP16 is the default format
        QVERIFY2(std::isfinite(kl) && (lossless || kl > 0), qPrintable(QStringLiteral("%1: KL %2").arg(name).arg(kl)));
        qInfo("%s: %s, KL %.4g", qPrintable(name), qPrintable(panel->recipeList()->item(0)->text()), kl);
        metrics.clear();
        panel->undoStack()->undo();
        waitMetrics(metrics);
        QCOMPARE(panel->recipeList()->count(), 0);
    }
}

// The activation, LLM.int8 and GOBO pages: their spin boxes and combo reach the step and the engine.
void TestCompressionPanel::outlierPagesCarryTheirFields()
{
    using SE = gui::StepEditor;
    gui::CompressionPanel* panel = m_window->compressionPanel();
    SE* editor = panel->stepEditor();
    const auto applied = [&]() -> std::shared_ptr<const core::CompressedModel> {
        QSignalSpy metrics(panel, &gui::CompressionPanel::metricsUpdated);
        panel->addStep();
        waitMetrics(metrics);
        return panel->lastResult()->model;
    };
    editor->techniqueCombo()->setCurrentIndex(SE::LlmInt8);
    editor->findChild<QDoubleSpinBox*>(QStringLiteral("llmInt8Threshold"))->setValue(3.5);
    QCOMPARE(editor->step().value(QStringLiteral("threshold")).toDouble(), 3.5);
    auto model = applied();
    const core::ActivationQuantization* int8 = model->activationQuantization("h.0.mlp.c_fc.weight");
    QVERIFY(int8 && int8->mixedInt8);
    QCOMPARE(int8->outlierThreshold, 3.5);

    editor->techniqueCombo()->setCurrentIndex(SE::QuantizeGobo);
    editor->findChild<QSpinBox*>(QStringLiteral("goboBits"))->setValue(4);
    editor->findChild<QDoubleSpinBox*>(QStringLiteral("goboSigma"))->setValue(2.5);
    model = applied();
    const core::CompressedTensor* gobo = model->compressed("h.1.mlp.c_proj.weight");
    QVERIFY(gobo && gobo->quant);
    QCOMPARE(gobo->quant->spec.format, core::NumberFormat::Gobo);
    QCOMPARE(gobo->quant->codebook.size(), std::size_t(16));
    QCOMPARE(gobo->quant->spec.goboSigma, 2.5);

    editor->techniqueCombo()->setCurrentIndex(SE::QuantizeActivations);
    editor->findChild<QSpinBox*>(QStringLiteral("activationBits"))->setValue(6);
    auto* scaling = editor->findChild<QComboBox*>(QStringLiteral("activationScaling"));
    scaling->setCurrentIndex(scaling->findData(QStringLiteral("per_tensor")));
    model = applied();
    const core::ActivationQuantization* inputs = model->activationQuantization("h.2.attn.c_attn.weight");
    QVERIFY(inputs && !inputs->mixedInt8);
    QCOMPARE(inputs->spec.bits, 6);
    QCOMPARE(inputs->spec.granularity, core::ActivationGranularity::PerTensor);
    QCOMPARE(panel->recipeList()->count(), 3);
    QVERIFY2(panel->recipeList()->item(2)->text().startsWith(QStringLiteral("3. Quantize inputs int6 dynamic per tensor")),
        qPrintable(panel->recipeList()->item(2)->text()));
}

// File ▸ Export Model's writer on the model on screen: the Hugging Face folder reloads to the same
// logits as the compressed model in memory, the compact file reads back, the GGUF has its magic.
void TestCompressionPanel::exportsTheCompressedModel()
{
    gui::CompressionPanel* panel = m_window->compressionPanel();
    QSignalSpy metrics(panel, &gui::CompressionPanel::metricsUpdated);
    QVERIFY(panel->openRecipe(QStringLiteral(OPTISCOPE_SAMPLES_DIR "/recipes/nm24_int8.json")));
    waitMetrics(metrics);
    const auto model = panel->lastResult()->model;
    QVERIFY(!model->compressedTensors().empty());
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString hf = work.filePath(QStringLiteral("hf")), compact = work.filePath(QStringLiteral("m.safetensors")),
                  gguf = work.filePath(QStringLiteral("m.gguf"));
    QCOMPARE(gui::writeModelExport(*model, gui::ModelExportFormat::HuggingFace, hf), QString());
    QCOMPARE(gui::writeModelExport(*model, gui::ModelExportFormat::Compact, compact), QString());
    QCOMPARE(gui::writeModelExport(*model, gui::ModelExportFormat::GgufQ8_0, gguf), QString());
    // Replaced in place when asked again (the file dialog has confirmed).
    QCOMPARE(gui::writeModelExport(*model, gui::ModelExportFormat::Compact, compact), QString());

    auto reloaded = core::loadModel(hf.toStdString());
    QVERIFY(reloaded);
    const auto tokens = (*reloaded)->tokenizer()->encode(kText.toStdString());
    auto a = core::run(**reloaded, core::RunInput { .tokenIds = tokens });
    auto b = core::run(*model, core::RunInput { .tokenIds = tokens });
    QVERIFY(a && b);
    double maxDiff = 0;
    for (std::size_t i = 0; i < a->logits.size(); ++i) {
        maxDiff = std::max(maxDiff, double(std::abs(a->logits[i] - b->logits[i])));
    }
    QVERIFY2(maxDiff <= 1e-5, qPrintable(QString::number(maxDiff)));
    QVERIFY(core::readCompact(compact.toStdString()));
    QFile file(gguf);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.read(4), QByteArray("GGUF"));
    // A folder that cannot exist: one line naming it, nothing written.
    const QString error = gui::writeModelExport(*model, gui::ModelExportFormat::Compact, QStringLiteral("/proc/x/m.safetensors"));
    QVERIFY2(error.contains(QStringLiteral("/proc/x")) && !error.contains(QLatin1Char('\n')), qPrintable(error));
}

int main(int argc, char** argv)
{
    widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("OptiscopeTests"));
    QApplication::setApplicationName(QStringLiteral("tst_compression_panel"));
    TestCompressionPanel test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_compression_panel.moc"
