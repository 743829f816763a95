// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The report's figures, painted with QPainter into QSvgGenerator: SVG text the HTML inlines and the
// PDF rasterises (svgToImage). Text needs fonts, so a QGuiApplication must exist (offscreen is fine).
#include <QByteArray>
#include <QColor>
#include <QImage>
#include <QList>
#include <QPointF>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <vector>

namespace optiscope::report {

struct BarSeries {
    QString name; // legend entry
    QColor color;
    QList<double> values; // one per category
};

// Grouped vertical bars, one group per category; y from 0 (or the minimum when negative).
struct BarChart {
    QString title;
    QString xLabel; // with units where they apply: "GEMM (op trace order)"
    QString yLabel; // "cycles", "utilization (%)"
    QStringList categories;
    QList<BarSeries> series;
    std::optional<double> referenceLine; // dashed horizontal line, e.g. the base model's perplexity
    QString referenceLabel;
    int width = 760;
    int height = 320;
};

QByteArray barChartSvg(const BarChart& chart);

// A T×T attention matrix [query][key] as a heatmap with axes and a colour bar. Sequential scale
// 0..maxValue (white to dark blue), or diverging −maxValue..+maxValue (blue, white, red).
struct Heatmap {
    QString title;
    int tokens = 0;
    std::vector<float> values; // [tokens][tokens] row-major
    bool diverging = false;
    double maxValue = 1.0;
    int size = 240; // the square's side in px
};

QByteArray heatmapSvg(const Heatmap& heatmap);

// A mask corner: kept elements dark, pruned white, N:M groups outlined when n:m is given.
QByteArray maskSvg(const QString& title, const QString& subtitle, int rows, int cols, const std::vector<std::uint8_t>& kept, int nmM);

// Points (x, y) with the Pareto front joined by a line and ringed: accuracy vs size plots.
struct ScatterChart {
    QString title;
    QString xLabel;
    QString yLabel;
    std::vector<QPointF> points;
    std::vector<bool> onFront; // per point
    std::optional<double> referenceLine; // horizontal, e.g. the base perplexity
    QString referenceLabel;
    int width = 760;
    int height = 360;
};

QByteArray scatterChartSvg(const ScatterChart& chart);

// For the PDF: the SVG drawn at `scale` device pixels per SVG unit on white.
QImage svgToImage(const QByteArray& svg, double scale = 2.0);

} // namespace optiscope::report
