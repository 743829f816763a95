// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_bars_scene.h"
#include "attention_bars_view.h"
#include "attention_heatmap_view.h"
#include "head_grid_view.h"

#include <QDir>
#include <QSignalSpy>
#include <QTest>

#include <vtkCellData.h>
#include <vtkDataArray.h>
#include <vtkPolyData.h>

#include <cmath>

using namespace optiscope::widgets;

namespace {
// Synthetic attention: each row a softmax of a deterministic pattern, causal when asked,
// so rows sum to 1 like real probabilities.
AttentionDataPtr makeData(int layers, int heads, int tokens, bool causal)
{
    auto data = std::make_shared<AttentionData>();
    data->layers = layers;
    data->heads = heads;
    data->tokens = tokens;
    data->values.resize(static_cast<std::size_t>(layers) * heads * tokens * tokens);
    for (int l = 0; l < layers; ++l) {
        for (int h = 0; h < heads; ++h) {
            for (int q = 0; q < tokens; ++q) {
                const int keys = causal ? q + 1 : tokens;
                double sum = 0;
                std::vector<double> row(static_cast<std::size_t>(keys));
                for (int k = 0; k < keys; ++k) {
                    row[static_cast<std::size_t>(k)] = std::exp(std::sin(0.7 * (l + 1) * (h + 1) + 0.9 * q - 1.3 * k) * 2.0);
                    sum += row[static_cast<std::size_t>(k)];
                }
                for (int k = 0; k < tokens; ++k) {
                    const std::size_t index = ((static_cast<std::size_t>(l) * heads + h) * tokens + q) * tokens + k;
                    data->values[index] = k < keys ? static_cast<float>(row[static_cast<std::size_t>(k)] / sum) : 0.0f;
                }
            }
        }
    }
    for (int i = 0; i < tokens; ++i) {
        data->tokenLabels << QStringLiteral(" tok%1").arg(i);
    }
    return data;
}

// Rec. 601 luma; viridis rises monotonically in it.
double luma(QRgb c)
{
    return 0.299 * qRed(c) + 0.587 * qGreen(c) + 0.114 * qBlue(c);
}

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}
}

class TestAttentionHeatmap : public QObject {
    Q_OBJECT
private slots:
    void cellColourFollowsValue_data();
    void cellColourFollowsValue();
    void valuesMatchSelectedHead();
    void labelThinning_data();
    void labelThinning();
    void toolTipNamesQueryKeyAndValue();
    void gridClickSelectsHead();
    void barsSceneHasOneBoxPerVisibleValue();
    void barsViewShowsPlaceholderOffscreen();
    void screenshot();
};

void TestAttentionHeatmap::cellColourFollowsValue_data()
{
    QTest::addColumn<float>("low");
    QTest::addColumn<float>("high");
    QTest::newRow("0.1 vs 0.9") << 0.1f << 0.9f;
    QTest::newRow("0 vs 0.5") << 0.0f << 0.5f;
    QTest::newRow("0.45 vs 0.55") << 0.45f << 0.55f;
}

void TestAttentionHeatmap::cellColourFollowsValue()
{
    QFETCH(float, low);
    QFETCH(float, high);
    constexpr double kMinLumaStep = 2.0; // 8-bit levels
    const int t = 4;
    auto sample = [&](float value) {
        auto data = std::make_shared<AttentionData>(*makeData(1, 1, t, false));
        std::fill(data->values.begin(), data->values.end(), 0.0f);
        data->values[0] = 1.0f; // pins the scale maximum at 1
        data->values[2 * t + 1] = value; // query 2, key 1
        AttentionHeatmapView view;
        view.resize(500, 500);
        view.setData(data);
        const QImage image = view.grab().toImage();
        return image.pixel(view.cellRect(2, 1).center().toPoint());
    };
    const QRgb lowColour = sample(low);
    const QRgb highColour = sample(high);
    QVERIFY2(luma(highColour) > luma(lowColour) + kMinLumaStep,
        qPrintable(QStringLiteral("luma %1 vs %2").arg(luma(highColour)).arg(luma(lowColour))));
    // Hand-known viridis ends: 0 is dark purple (68, 1, 84), 1 is yellow (253, 231, 37).
    constexpr int kEndTolerance = 3;
    const QRgb zero = sample(0.0f);
    QVERIFY(std::abs(qRed(zero) - 68) <= kEndTolerance && std::abs(qGreen(zero) - 1) <= kEndTolerance
        && std::abs(qBlue(zero) - 84) <= kEndTolerance);
    const QRgb one = sample(1.0f);
    QVERIFY(std::abs(qRed(one) - 253) <= kEndTolerance && std::abs(qGreen(one) - 231) <= kEndTolerance
        && std::abs(qBlue(one) - 37) <= kEndTolerance);
}

void TestAttentionHeatmap::valuesMatchSelectedHead()
{
    const auto data = makeData(2, 3, 5, true);
    AttentionHeatmapView view;
    view.setData(data);
    view.setSelection(1, 2);
    const std::size_t base = (static_cast<std::size_t>(1) * 3 + 2) * 25;
    for (int q = 0; q < 5; ++q) {
        for (int k = 0; k < 5; ++k) {
            QCOMPARE(view.value(q, k), data->values[base + static_cast<std::size_t>(q) * 5 + k]);
        }
    }
    QVERIFY(std::isnan(view.value(5, 0)));
}

void TestAttentionHeatmap::labelThinning_data()
{
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("side");
    QTest::addColumn<bool>("thinned");
    QTest::newRow("8 tokens, roomy") << 8 << 700 << false;
    QTest::newRow("128 tokens, 700 px") << 128 << 700 << true;
    QTest::newRow("160 tokens, 400 px") << 160 << 400 << true;
}

void TestAttentionHeatmap::labelThinning()
{
    QFETCH(int, tokens);
    QFETCH(int, side);
    QFETCH(bool, thinned);
    AttentionHeatmapView view;
    view.resize(side, side);
    view.setData(makeData(1, 1, tokens, true));
    const int stride = view.labelStride();
    QCOMPARE(stride > 1, thinned);
    // Labelled rows must be at least one text line apart, and not sparser than needed.
    const double cell = view.cellRect(0, 0).height();
    const int lineHeight = view.fontMetrics().height();
    QVERIFY(stride * cell >= lineHeight);
    if (stride > 1) {
        QVERIFY((stride - 1) * cell < lineHeight * 1.05);
    }
}

void TestAttentionHeatmap::toolTipNamesQueryKeyAndValue()
{
    const auto data = makeData(1, 2, 6, true);
    AttentionHeatmapView view;
    view.resize(600, 600);
    view.setData(data);
    view.setSelection(0, 1);
    const QString tip = view.toolTipAt(view.cellRect(4, 2).center());
    const QString expectedValue = QString::number(data->at(0, 1, 4, 2), 'f', 4);
    QVERIFY2(tip.startsWith(QStringLiteral("4 ")), qPrintable(tip));
    QVERIFY2(tip.contains(QStringLiteral("\u2192 2 ")), qPrintable(tip));
    QVERIFY2(tip.endsWith(QStringLiteral(": ") + expectedValue), qPrintable(tip));
    QVERIFY(view.toolTipAt(QPointF(1, 1)).isEmpty());
}

void TestAttentionHeatmap::gridClickSelectsHead()
{
    HeadGridView grid;
    grid.resize(420, 320);
    grid.setData(makeData(3, 4, 7, true));
    grid.show();
    QVERIFY(QTest::qWaitForWindowExposed(&grid));
    QSignalSpy spy(&grid, &HeadGridView::headSelected);
    QTest::mouseClick(&grid, Qt::LeftButton, {}, grid.thumbnailRect(2, 1).center());
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), 2);
    QCOMPARE(spy.at(0).at(1).toInt(), 1);
    QCOMPARE(grid.currentLayer(), 2);
    QCOMPARE(grid.currentHead(), 1);
    // The frame of the current head uses the highlight colour, others do not.
    const QImage image = grid.grab().toImage();
    const QRect current = grid.thumbnailRect(2, 1);
    const QRect other = grid.thumbnailRect(0, 0);
    const QRgb highlight = grid.palette().color(QPalette::Highlight).rgb();
    QCOMPARE(image.pixel(current.center().x(), current.top() - 2), highlight);
    QVERIFY(image.pixel(other.center().x(), other.top() - 2) != highlight);
    // A click between rows or outside selects nothing.
    QTest::mouseClick(&grid, Qt::LeftButton, {}, QPoint(2, 2));
    QCOMPARE(spy.count(), 1);
    grid.setCurrent(0, 3); // programmatic: no signal
    QCOMPARE(spy.count(), 1);
}

void TestAttentionHeatmap::barsSceneHasOneBoxPerVisibleValue()
{
    const auto data = makeData(2, 3, 6, true);
    constexpr float kMinVisible = 1e-4f; // the scene's documented cut-off
    int expected = 0;
    float maxValue = 0;
    for (int h = 0; h < 3; ++h) {
        for (int i = 0; i < 36; ++i) {
            const float v = data->values[(static_cast<std::size_t>(1) * 3 + h) * 36 + i];
            expected += v >= kMinVisible ? 1 : 0;
            maxValue = std::max(maxValue, v);
        }
    }
    const AttentionBarsScene scene = buildAttentionBarsScene(*data, 1, -1);
    QCOMPARE(scene.boxes, expected);
    QCOMPARE(scene.heads, 3);
    QCOMPARE(scene.bars->GetNumberOfCells(), static_cast<vtkIdType>(expected * 5));
    QCOMPARE(scene.floor->GetNumberOfCells(), static_cast<vtkIdType>(3));
    double range[2];
    scene.bars->GetCellData()->GetScalars()->GetRange(range);
    QCOMPARE(static_cast<float>(range[1]), maxValue);
    QCOMPARE(scene.maxValue, static_cast<double>(maxValue));
    const AttentionBarsScene single = buildAttentionBarsScene(*data, 0, 2);
    QCOMPARE(single.heads, 1);
    QVERIFY(single.boxes > 0 && single.boxes <= 21); // causal: 6·7/2 nonzero values
    QCOMPARE(buildAttentionBarsScene(*data, 2, 0).boxes, 0); // no such layer
}

void TestAttentionHeatmap::barsViewShowsPlaceholderOffscreen()
{
    if (QGuiApplication::platformName() != QLatin1String("offscreen")) {
        QSKIP("runs on the offscreen platform only");
    }
    AttentionBarsView view;
    view.resize(300, 200);
    view.setData(makeData(1, 2, 4, true));
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QVERIFY(!view.isRendering());
    QVERIFY2(view.placeholderText().contains(QStringLiteral("offscreen")), qPrintable(view.placeholderText()));
    QVERIFY(!view.grabImage().isNull());
}

void TestAttentionHeatmap::screenshot()
{
    auto data = std::make_shared<AttentionData>(*makeData(2, 4, 24, true));
    const QStringList words = QStringLiteral("The quick brown fox jumps over the lazy dog while the small cat watches from the "
                                             "warm window , and then it sleeps .")
                                  .split(u' ');
    data->tokenLabels.clear();
    for (int i = 0; i < data->tokens; ++i) {
        data->tokenLabels << (i == 0 ? words[i] : QStringLiteral(" ") + words[i % words.size()]);
    }
    AttentionHeatmapView view;
    view.resize(720, 720);
    view.setData(data);
    view.setSelection(1, 2);
    const QImage image = view.grab().toImage();
    QVERIFY(image.save(outputPath(QStringLiteral("attention_heatmap.png"))));

    AttentionHeatmapView dense;
    dense.resize(720, 720);
    dense.setData(makeData(1, 1, 128, true));
    QVERIFY(dense.grab().toImage().save(outputPath(QStringLiteral("attention_heatmap_128.png"))));

    HeadGridView grid;
    grid.resize(420, 300);
    grid.setData(data);
    grid.setCurrent(1, 2);
    QVERIFY(grid.grab().toImage().save(outputPath(QStringLiteral("head_grid.png"))));
}

QTEST_MAIN(TestAttentionHeatmap)
#include "tst_attention_heatmap.moc"
