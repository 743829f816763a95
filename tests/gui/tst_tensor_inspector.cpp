// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The Weights dock of the real window: the tree of weight matrices, the mask of a 2:4-pruned tensor
// checked group by group on the view's own cells, the int8 per-channel levels checked against the
// tensor's values, zoom levels, and a hand-made mask for the row/column classification.
#include "compression_panel.h"
#include "gl_support.h"
#include "histogram_view.h"
#include "input_panel.h"
#include "main_window.h"
#include "sparsity_view.h"
#include "tensor_inspector.h"
#include "tensor_view_data.h"
#include "view_export.h"

#include "optiscope/core/compression/activation_quantization.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/matrix_shape.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>
#include <QComboBox>
#include <QTemporaryDir>
#include <QTreeWidget>

#include <cmath>

using namespace optiscope;
using widgets::MaskCell;

namespace {
constexpr int kTimeoutMs = 120'000;
constexpr double kMaxLevelError = 1e-6; // relative: the largest |w| of a channel dequantizes to 127 * scale
const QString kSampleModel = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kRecipe = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/recipes/nm24_int8.json");
const QString kFc = QStringLiteral("transformer.h.1.mlp.c_fc.weight");

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}
} // namespace

class TestTensorInspector : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void classifiesRowsAndColumns();
    void treeListsEveryMatrix();
    void showsNmMaskAndInt8Levels();
    void zoomAndFrameTime();
    void showsInputActivations();

private:
    std::unique_ptr<gui::MainWindow> m_window;
};

void TestTensorInspector::initTestCase()
{
    QSettings().clear();
    m_window = std::make_unique<gui::MainWindow>();
    m_window->resize(1500, 950);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QSignalSpy metrics(m_window->compressionPanel(), &gui::CompressionPanel::metricsUpdated);
    m_window->inputPanel()->textEdit()->setPlainText(QStringLiteral("It was the best of times."));
    m_window->openModelFolder(kSampleModel);
    QVERIFY(metrics.wait(kTimeoutMs));
    auto* dock = m_window->findChild<QDockWidget*>(QStringLiteral("tensorDock"));
    QVERIFY(dock);
    dock->show();
    dock->raise();
}

// A 3 x 4 matrix stored [out, in]: row 1 wholly pruned, column 2 wholly pruned, one more zero at (0, 0).
void TestTensorInspector::classifiesRowsAndColumns()
{
    const core::MatrixShape shape { 3, 4, false };
    const std::vector<float> values { 0, 1, 0, 2, 0, 0, 0, 0, 3, 4, 0, 5 };
    const auto cells = gui::classifyMask(shape, values, {});
    const std::vector<MaskCell> expected { MaskCell::Pruned, MaskCell::Kept, MaskCell::PrunedColumn, MaskCell::Kept,
        MaskCell::PrunedRow, MaskCell::PrunedRow, MaskCell::PrunedRow, MaskCell::PrunedRow, MaskCell::Kept,
        MaskCell::Kept, MaskCell::PrunedColumn, MaskCell::Kept };
    QVERIFY(cells == expected);
    // The same matrix stored [in, out] (Conv1D) with a mask that keeps everything but (2, 3).
    const core::MatrixShape conv { 3, 4, true };
    std::vector<std::uint8_t> mask(12, 1);
    mask[static_cast<std::size_t>(conv.index(2, 3))] = 0;
    const auto masked = gui::classifyMask(conv, values, mask);
    QCOMPARE(std::count(masked.begin(), masked.end(), MaskCell::Kept), 11);
    QVERIFY(masked[2 * 4 + 3] == MaskCell::Pruned);
}

void TestTensorInspector::treeListsEveryMatrix()
{
    gui::TensorInspector* inspector = m_window->tensorInspector();
    int leaves = 0;
    for (QTreeWidgetItemIterator it(inspector->tree(), QTreeWidgetItemIterator::NoChildren); *it; ++it) {
        ++leaves;
    }
    // tiny-gpt2: 4 blocks x (c_attn, attn.c_proj, c_fc, mlp.c_proj) + wte + wpe (the LM head is tied to wte).
    QCOMPARE(leaves, 4 * 4 + 2);
    QCOMPARE(inspector->tree()->topLevelItemCount(), 4 + 1);
    QVERIFY(inspector->selectTensor(kFc));
    QVERIFY(inspector->sparsityView()->mask());
    QCOMPARE(inspector->sparsityView()->mask()->rows(), 4 * 128); // [out = 4d, in = d]
    QCOMPARE(inspector->sparsityView()->mask()->cols(), 128);
    QVERIFY(inspector->histogramView()->data().levels.empty()); // fp32: nothing quantized yet
    QVERIFY(!inspector->selectTensor(QStringLiteral("transformer.h.1.ln_1.weight")));
}

void TestTensorInspector::showsNmMaskAndInt8Levels()
{
    gui::TensorInspector* inspector = m_window->tensorInspector();
    QVERIFY(inspector->selectTensor(kFc));
    QSignalSpy shown(inspector, &gui::TensorInspector::tensorShown);
    QSignalSpy ready(m_window->compressionPanel(), &gui::CompressionPanel::compressedModelReady);
    QVERIFY(m_window->compressionPanel()->openRecipe(kRecipe));
    QVERIFY(shown.wait(kTimeoutMs));
    QCOMPARE(inspector->selectedTensor(), kFc); // the selection survives the new model

    // Every group of 4 consecutive input features of every output feature keeps exactly 2.
    const widgets::MaskPyramid* mask = inspector->sparsityView()->mask();
    for (int r = 0; r < mask->rows(); ++r) {
        for (int g = 0; g < mask->cols(); g += 4) {
            int kept = 0;
            for (int c = g; c < g + 4; ++c) {
                kept += mask->cell(r, c) == MaskCell::Kept;
            }
            QCOMPARE(kept, 2);
        }
    }
    QCOMPARE(mask->density(), 0.5);

    // int8 symmetric per channel: 255 levels of output feature 0, the outermost at its largest |w|.
    const auto& histogram = inspector->histogramView()->data();
    QCOMPARE(histogram.levels.size(), std::size_t(255));
    QVERIFY(histogram.hasClipRange);
    QVERIFY(!ready.isEmpty());
    const auto current = ready.last().at(0).value<std::shared_ptr<const core::Model>>();
    const auto* compressed = dynamic_cast<const core::CompressedModel*>(current.get());
    QVERIFY(compressed);
    const core::CompressedTensor* tensor = compressed->compressed(kFc.toStdString());
    QVERIFY(tensor);
    double maxAbs = 0;
    for (std::int64_t in = 0; in < tensor->matrix.inFeatures; ++in) {
        maxAbs = std::max(maxAbs, std::fabs(double(tensor->values[std::size_t(tensor->matrix.index(0, in))])));
    }
    QVERIFY2(std::fabs(histogram.clipHigh - maxAbs) <= kMaxLevelError * maxAbs,
        qPrintable(QStringLiteral("%1 vs %2").arg(histogram.clipHigh).arg(maxAbs)));
    QVERIFY(histogram.note.contains("SQNR"));
    QVERIFY(inspector->summaryText().contains("50.0 %") && inspector->summaryText().contains("2:4"));
    QVERIFY(m_window->grab().save(outputPath("weights_window.png")));
    QVERIFY(inspector->grab().save(outputPath("weights_inspector.png")));
    QCOMPARE(widgets::saveViewSvg(inspector->histogramView(), outputPath("histogram.svg")), QString());
}

void TestTensorInspector::zoomAndFrameTime()
{
    // A 3072 x 768 mask (GPT-2-small FFN): pyramid levels down to one pixel.
    constexpr int kRows = 3072, kCols = 768;
    std::vector<MaskCell> cells(std::size_t(kRows) * kCols, MaskCell::Kept);
    for (std::size_t i = 0; i < cells.size(); i += 3) {
        cells[i] = MaskCell::Pruned;
    }
    auto mask = std::make_shared<widgets::MaskPyramid>(kRows, kCols, cells);
    QCOMPARE(mask->levelCount(), 13); // 3072 -> 1536 -> ... -> 1: 12 halvings + level 0
    widgets::SparsityView view;
    view.resize(700, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setMask(mask, QStringLiteral("synthetic FFN"), { 4, 0, 0 });
    QVERIFY(view.zoom() < 0.2);
    QCOMPARE(view.drawLevel(), int(std::floor(std::log2(1.0 / view.zoom()))));
    const QPointF center = view.matrixRect().center();
    view.setZoom(20.0, center);
    QCOMPARE(view.drawLevel(), 0);
    const QPoint element = view.elementAt(center);
    QVERIFY(element.x() >= 0 && element.y() >= 0);
    QVERIFY(view.grab().save(outputPath("sparsity_zoomed.png")));
    QElapsedTimer timer;
    constexpr int kFrames = 60;
    for (double zoom : { view.zoom(), 0.15 }) {
        view.setZoom(zoom, center);
        timer.start();
        for (int frame = 0; frame < kFrames; ++frame) {
            view.setZoom(zoom * (frame % 2 ? 1.01 : 1.0), center);
            view.repaint();
        }
        qInfo("sparsity view 3072x768 at %.2f px/element: %.2f ms per frame", zoom, double(timer.elapsed()) / kFrames);
    }
    view.fitToView();
    QVERIFY(view.grab().save(outputPath("sparsity_fit.png")));
}

// The histogram's second source: layer 1's c_fc input from the last run, under a static per-tensor int8
// grid calibrated on the input text; the levels are the model's own grid and every value is binned.
void TestTensorInspector::showsInputActivations()
{
    QTemporaryDir work;
    const QString recipe = work.filePath(QStringLiteral("a8.json"));
    QFile file(recipe);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"schema": 1, "steps": [{"type": "quantize_activations", "targets": ["*.mlp.c_fc.weight"],
        "bits": 8, "symmetric": false, "scaling": "static", "granularity": "per_tensor"}]})");
    file.close();
    gui::TensorInspector* inspector = m_window->tensorInspector();
    QSignalSpy ready(m_window->compressionPanel(), &gui::CompressionPanel::compressedModelReady);
    QVERIFY(m_window->compressionPanel()->openRecipe(recipe));
    QVERIFY(ready.wait(kTimeoutMs));
    const auto current = ready.last().at(0).value<std::shared_ptr<const core::Model>>();
    m_window->runCurrentInput(); // on the compressed model, as Run does
    QTRY_VERIFY_WITH_TIMEOUT(m_window->lastRun() && m_window->lastRun()->model == current, kTimeoutMs);
    QVERIFY(inspector->selectTensor(kFc));
    inspector->histogramSourceCombo()->setCurrentIndex(1);
    const auto& histogram = inspector->histogramView()->data();
    const core::ActivationQuantization* q = current->activationQuantization(kFc.toStdString());
    QVERIFY(q);
    QCOMPARE(histogram.levels.size(), std::size_t(256)); // asymmetric int8: codes 0..255
    QVERIFY(std::fabs((histogram.levels[1] - histogram.levels[0]) - q->scale) <= 1e-6 * q->scale);
    QVERIFY(std::fabs(histogram.levels.front() - (0 - q->zeroPoint) * double(q->scale)) <= 1e-6 * q->scale);
    std::int64_t binned = 0;
    for (auto count : histogram.counts) {
        binned += count;
    }
    const auto tokens = m_window->lastRun()->result.tokens;
    QCOMPARE(binned, std::int64_t(tokens) * 128); // every value of the [T x 128] input
    QVERIFY2(histogram.note.contains("static per tensor") && histogram.note.contains("SQNR"), qPrintable(histogram.note));
    QVERIFY(inspector->grab().save(outputPath("weights_input_activations.png")));
    inspector->histogramSourceCombo()->setCurrentIndex(0);
    QVERIFY(inspector->histogramView()->data().title.startsWith("Base weights"));
}

int main(int argc, char** argv)
{
    widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("OptiscopeTests"));
    QApplication::setApplicationName(QStringLiteral("tst_tensor_inspector"));
    TestTensorInspector test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_tensor_inspector.moc"
