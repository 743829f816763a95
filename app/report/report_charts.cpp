// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "report_charts.h"

#include <QBuffer>
#include <QFontMetricsF>
#include <QPainter>
#include <QSvgGenerator>
#include <QSvgRenderer>

#include <algorithm>
#include <cmath>
#include <functional>

namespace optiscope::report {

namespace {

    QByteArray paintSvg(int width, int height, const QString& title, const std::function<void(QPainter&)>& paint)
    {
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        QSvgGenerator generator;
        generator.setOutputDevice(&buffer);
        generator.setSize(QSize(width, height));
        generator.setViewBox(QRect(0, 0, width, height));
        generator.setTitle(title);
        {
            QPainter painter(&generator);
            painter.setRenderHint(QPainter::Antialiasing);
            painter.fillRect(QRect(0, 0, width, height), Qt::white);
            QFont font(QStringLiteral("DejaVu Sans"));
            font.setPixelSize(11);
            painter.setFont(font);
            paint(painter);
        }
        return buffer.data();
    }

    // 1, 2 or 5 times a power of ten, so about `count` ticks span the range.
    double niceStep(double range, int count)
    {
        if (!(range > 0)) {
            return 1.0;
        }
        const double raw = range / count;
        const double power = std::pow(10.0, std::floor(std::log10(raw)));
        for (double factor : { 1.0, 2.0, 5.0 }) {
            if (raw <= factor * power) {
                return factor * power;
            }
        }
        return 10.0 * power;
    }

    QString tickLabel(double value, double step)
    {
        if (std::abs(value) >= 1e6) {
            return QString::number(value, 'g', 3);
        }
        const int decimals = step >= 1 ? 0 : std::min(6, static_cast<int>(std::ceil(-std::log10(step))));
        return QString::number(value, 'f', decimals);
    }

    void drawTitle(QPainter& painter, const QString& title, int width)
    {
        QFont bold = painter.font();
        bold.setBold(true);
        bold.setPixelSize(13);
        painter.save();
        painter.setFont(bold);
        painter.drawText(QRectF(0, 4, width, 18), Qt::AlignHCenter | Qt::AlignVCenter, title);
        painter.restore();
    }

    QColor sequential(double t) // 0 white → 1 dark blue
    {
        t = std::clamp(t, 0.0, 1.0);
        return QColor::fromRgbF(1.0 - 0.92 * t, 1.0 - 0.75 * t, 1.0 - 0.45 * t);
    }

    QColor diverging(double t) // −1 blue, 0 white, +1 red
    {
        t = std::clamp(t, -1.0, 1.0);
        return t >= 0 ? QColor::fromRgbF(1.0 - 0.15 * t, 1.0 - 0.85 * t, 1.0 - 0.85 * t)
                      : QColor::fromRgbF(1.0 + 0.85 * t, 1.0 + 0.6 * t, 1.0 + 0.1 * t);
    }

} // namespace

QByteArray scatterChartSvg(const ScatterChart& chart)
{
    return paintSvg(chart.width, chart.height, chart.title, [&chart](QPainter& painter) {
        double xLow = 0, xHigh = 1, yLow = 0, yHigh = 1;
        bool first = true;
        for (const QPointF& p : chart.points) {
            xLow = first ? p.x() : std::min(xLow, p.x());
            xHigh = first ? p.x() : std::max(xHigh, p.x());
            yLow = first ? p.y() : std::min(yLow, p.y());
            yHigh = first ? p.y() : std::max(yHigh, p.y());
            first = false;
        }
        if (chart.referenceLine) {
            yLow = std::min(yLow, *chart.referenceLine);
            yHigh = std::max(yHigh, *chart.referenceLine);
        }
        const double xStep = niceStep(std::max(xHigh - xLow, 1e-9), 5), yStep = niceStep(std::max(yHigh - yLow, 1e-9), 5);
        xLow = std::floor(xLow / xStep) * xStep;
        xHigh = std::max(std::ceil(xHigh / xStep) * xStep, xLow + xStep);
        yLow = std::floor(yLow / yStep) * yStep;
        yHigh = std::max(std::ceil(yHigh / yStep) * yStep, yLow + yStep);
        const QRectF plot(70, 46, chart.width - 90, chart.height - 46 - 56);
        drawTitle(painter, chart.title, chart.width);
        const auto xOf = [&](double v) { return plot.left() + (v - xLow) / (xHigh - xLow) * plot.width(); };
        const auto yOf = [&](double v) { return plot.bottom() - (v - yLow) / (yHigh - yLow) * plot.height(); };
        painter.setPen(QPen(QColor(225, 225, 225), 1));
        for (double v = yLow; v <= yHigh + yStep / 2; v += yStep) {
            painter.drawLine(QPointF(plot.left(), yOf(v)), QPointF(plot.right(), yOf(v)));
        }
        for (double v = xLow; v <= xHigh + xStep / 2; v += xStep) {
            painter.drawLine(QPointF(xOf(v), plot.top()), QPointF(xOf(v), plot.bottom()));
        }
        painter.setPen(Qt::black);
        for (double v = yLow; v <= yHigh + yStep / 2; v += yStep) {
            painter.drawText(QRectF(4, yOf(v) - 8, plot.left() - 10, 16), Qt::AlignRight | Qt::AlignVCenter, tickLabel(v, yStep));
        }
        for (double v = xLow; v <= xHigh + xStep / 2; v += xStep) {
            painter.drawText(QRectF(xOf(v) - 40, plot.bottom() + 4, 80, 16), Qt::AlignCenter, tickLabel(v, xStep));
        }
        painter.drawText(QRectF(plot.left(), plot.bottom() + 24, plot.width(), 16), Qt::AlignCenter, chart.xLabel);
        painter.save();
        painter.translate(14, plot.center().y());
        painter.rotate(-90);
        painter.drawText(QRectF(-plot.height() / 2, -8, plot.height(), 16), Qt::AlignCenter, chart.yLabel);
        painter.restore();
        painter.setPen(QPen(QColor(150, 150, 150), 1));
        painter.drawRect(plot);
        if (chart.referenceLine) {
            painter.setPen(QPen(QColor(90, 90, 90), 1, Qt::DashLine));
            painter.drawLine(QPointF(plot.left(), yOf(*chart.referenceLine)), QPointF(plot.right(), yOf(*chart.referenceLine)));
            painter.drawText(QRectF(plot.left() + 4, yOf(*chart.referenceLine) - 16, plot.width() - 8, 14),
                Qt::AlignRight | Qt::AlignVCenter, chart.referenceLabel);
        }
        // The front, left to right, then every point; front points ringed.
        std::vector<QPointF> front;
        for (std::size_t i = 0; i < chart.points.size(); ++i) {
            if (i < chart.onFront.size() && chart.onFront[i]) {
                front.push_back(chart.points[i]);
            }
        }
        std::sort(front.begin(), front.end(), [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); });
        painter.setPen(QPen(QColor(214, 39, 40), 1.5));
        for (std::size_t i = 1; i < front.size(); ++i) {
            painter.drawLine(QPointF(xOf(front[i - 1].x()), yOf(front[i - 1].y())), QPointF(xOf(front[i].x()), yOf(front[i].y())));
        }
        for (std::size_t i = 0; i < chart.points.size(); ++i) {
            const QPointF at(xOf(chart.points[i].x()), yOf(chart.points[i].y()));
            painter.setPen(Qt::NoPen);
            painter.setBrush(QColor(31, 119, 180));
            painter.drawEllipse(at, 3.5, 3.5);
            if (i < chart.onFront.size() && chart.onFront[i]) {
                painter.setBrush(Qt::NoBrush);
                painter.setPen(QPen(QColor(214, 39, 40), 1.5));
                painter.drawEllipse(at, 6.5, 6.5);
            }
        }
        painter.setBrush(Qt::NoBrush);
        painter.setPen(Qt::black);
        painter.drawText(QRectF(plot.left(), 24, plot.width(), 16), Qt::AlignCenter,
            QStringLiteral("\u25cf sweep point    \u25ef Pareto-optimal (no smaller and better point)"));
    });
}

QByteArray barChartSvg(const BarChart& chart)
{
    return paintSvg(chart.width, chart.height, chart.title, [&chart](QPainter& painter) {
        const QFontMetricsF metrics(painter.font());
        double low = 0, high = 0;
        for (const BarSeries& series : chart.series) {
            for (double v : series.values) {
                low = std::min(low, v);
                high = std::max(high, v);
            }
        }
        if (chart.referenceLine) {
            low = std::min(low, *chart.referenceLine);
            high = std::max(high, *chart.referenceLine);
        }
        if (high <= low) {
            high = low + 1;
        }
        const double step = niceStep(high - low, 5);
        low = std::floor(low / step) * step;
        high = std::ceil(high / step) * step;
        double labelWidth = 0;
        for (double v = low; v <= high + step / 2; v += step) {
            labelWidth = std::max(labelWidth, metrics.horizontalAdvance(tickLabel(v, step)));
        }
        double categoryWidth = 0;
        for (const QString& category : chart.categories) {
            categoryWidth = std::max(categoryWidth, metrics.horizontalAdvance(category));
        }
        const double legendHeight = chart.series.size() > 1 || chart.referenceLine ? 18 : 0;
        const QRectF plot(labelWidth + 34, 28 + legendHeight, chart.width - labelWidth - 44,
            chart.height - 28 - legendHeight - std::min(categoryWidth * 0.71, 120.0) - 36);
        drawTitle(painter, chart.title, chart.width);
        const auto yOf = [&](double v) { return plot.bottom() - (v - low) / (high - low) * plot.height(); };

        // Grid and y ticks.
        painter.setPen(QPen(QColor(225, 225, 225), 1));
        for (double v = low; v <= high + step / 2; v += step) {
            painter.drawLine(QPointF(plot.left(), yOf(v)), QPointF(plot.right(), yOf(v)));
        }
        painter.setPen(Qt::black);
        for (double v = low; v <= high + step / 2; v += step) {
            painter.drawText(QRectF(plot.left() - labelWidth - 6, yOf(v) - 8, labelWidth, 16),
                Qt::AlignRight | Qt::AlignVCenter, tickLabel(v, step));
        }
        painter.save();
        painter.translate(12, plot.center().y());
        painter.rotate(-90);
        painter.drawText(QRectF(-plot.height() / 2, -8, plot.height(), 16), Qt::AlignCenter, chart.yLabel);
        painter.restore();

        // Bars: each category gets a slot, split among the series.
        const int categories = static_cast<int>(chart.categories.size());
        const double slot = categories > 0 ? plot.width() / categories : plot.width();
        const double barWidth = slot * 0.8 / std::max<qsizetype>(1, chart.series.size());
        for (qsizetype s = 0; s < chart.series.size(); ++s) {
            const BarSeries& series = chart.series[s];
            for (int c = 0; c < categories && c < series.values.size(); ++c) {
                const double x = plot.left() + c * slot + slot * 0.1 + s * barWidth;
                const double y0 = yOf(std::max(0.0, low)), y1 = yOf(series.values[c]);
                painter.fillRect(QRectF(x, std::min(y0, y1), std::max(barWidth - 1, 1.0), std::abs(y1 - y0)), series.color);
            }
        }
        // Category labels, rotated when they would collide; thinned when there are too many.
        const int every = std::max(1, static_cast<int>(std::ceil(categories * 12.0 / plot.width())));
        const bool rotate = categoryWidth + 4 > slot * every;
        for (int c = 0; c < categories; c += every) {
            const double x = plot.left() + (c + 0.5) * slot;
            painter.save();
            painter.translate(x, plot.bottom() + 4);
            if (rotate) {
                painter.rotate(-45);
                painter.drawText(QRectF(-categoryWidth - 2, -6, categoryWidth, 14), Qt::AlignRight | Qt::AlignVCenter,
                    chart.categories[c]);
            } else {
                painter.drawText(QRectF(-slot * every / 2, 0, slot * every, 14), Qt::AlignHCenter | Qt::AlignTop,
                    chart.categories[c]);
            }
            painter.restore();
        }
        painter.drawText(QRectF(plot.left(), chart.height - 18, plot.width(), 16), Qt::AlignCenter, chart.xLabel);
        painter.setPen(QPen(Qt::black, 1));
        painter.drawLine(plot.bottomLeft(), plot.topLeft());
        painter.drawLine(QPointF(plot.left(), yOf(std::max(0.0, low))), QPointF(plot.right(), yOf(std::max(0.0, low))));

        // Reference line and legend.
        double legendX = plot.left();
        const double legendY = 26;
        if (chart.series.size() > 1 || chart.referenceLine) {
            for (const BarSeries& series : chart.series) {
                painter.fillRect(QRectF(legendX, legendY + 2, 10, 10), series.color);
                painter.drawText(QPointF(legendX + 14, legendY + 11), series.name);
                legendX += 24 + metrics.horizontalAdvance(series.name);
            }
        }
        if (chart.referenceLine) {
            QPen dashed(QColor(200, 30, 30), 1.5, Qt::DashLine);
            painter.setPen(dashed);
            painter.drawLine(QPointF(plot.left(), yOf(*chart.referenceLine)), QPointF(plot.right(), yOf(*chart.referenceLine)));
            painter.drawLine(QPointF(legendX, legendY + 7), QPointF(legendX + 18, legendY + 7));
            painter.setPen(Qt::black);
            painter.drawText(QPointF(legendX + 22, legendY + 11), chart.referenceLabel);
        }
    });
}

QByteArray heatmapSvg(const Heatmap& heatmap)
{
    const int margin = 34, bar = 14, width = heatmap.size + margin + 70, height = heatmap.size + margin + 30;
    return paintSvg(width, height, heatmap.title, [&](QPainter& painter) {
        drawTitle(painter, heatmap.title, width);
        const int t = std::max(1, heatmap.tokens);
        QImage image(t, t, QImage::Format_RGB32);
        const double scale = heatmap.maxValue > 0 ? heatmap.maxValue : 1.0;
        for (int q = 0; q < t; ++q) {
            for (int k = 0; k < t; ++k) {
                const std::size_t i = static_cast<std::size_t>(q) * t + k;
                const double v = i < heatmap.values.size() ? heatmap.values[i] / scale : 0.0;
                image.setPixelColor(k, q, heatmap.diverging ? diverging(v) : sequential(v));
            }
        }
        const QRectF square(margin, 26, heatmap.size, heatmap.size);
        painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
        painter.drawImage(square, image.scaled(heatmap.size, heatmap.size, Qt::IgnoreAspectRatio, Qt::FastTransformation));
        painter.setPen(Qt::black);
        painter.drawRect(square);
        painter.drawText(QRectF(square.left(), square.bottom() + 4, square.width(), 16), Qt::AlignCenter,
            QStringLiteral("key token (0\u2013%1)").arg(t - 1));
        painter.save();
        painter.translate(12, square.center().y());
        painter.rotate(-90);
        painter.drawText(QRectF(-square.height() / 2, -8, square.height(), 16), Qt::AlignCenter,
            QStringLiteral("query token (0\u2013%1)").arg(t - 1));
        painter.restore();
        // Colour bar with its end values.
        const QRectF barRect(square.right() + 12, square.top(), bar, square.height());
        for (int y = 0; y < static_cast<int>(barRect.height()); ++y) {
            const double f = 1.0 - y / barRect.height();
            painter.fillRect(QRectF(barRect.left(), barRect.top() + y, bar, 1.5),
                heatmap.diverging ? diverging(2 * f - 1) : sequential(f));
        }
        painter.drawRect(barRect);
        const QString top = QString::number(heatmap.maxValue, 'g', 3);
        const QString bottom = heatmap.diverging ? QString::number(-heatmap.maxValue, 'g', 3) : QStringLiteral("0");
        painter.drawText(QPointF(barRect.right() + 4, barRect.top() + 10), top);
        painter.drawText(QPointF(barRect.right() + 4, barRect.bottom()), bottom);
        painter.drawText(QPointF(barRect.right() + 4, barRect.center().y() + 4), QStringLiteral("prob."));
    });
}

QByteArray maskSvg(const QString& title, const QString& subtitle, int rows, int cols, const std::vector<std::uint8_t>& kept, int nmM)
{
    constexpr int kCell = 3;
    const int width = std::max(cols * kCell + 20, 240), height = rows * kCell + 58;
    return paintSvg(width, height, title, [&](QPainter& painter) {
        QImage image(cols, rows, QImage::Format_RGB32);
        for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < cols; ++c) {
                const bool on = kept[static_cast<std::size_t>(r) * cols + c] != 0;
                image.setPixelColor(c, r, on ? QColor(30, 60, 120) : Qt::white);
            }
        }
        const QRectF area((width - cols * kCell) / 2.0, 36, cols * kCell, rows * kCell);
        painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
        painter.drawImage(area, image.scaled(cols * kCell, rows * kCell, Qt::IgnoreAspectRatio, Qt::FastTransformation));
        if (nmM > 1) {
            painter.setPen(QPen(QColor(230, 150, 40, 160), 0.6));
            for (int c = nmM; c < cols; c += nmM) {
                painter.drawLine(QPointF(area.left() + c * kCell, area.top()), QPointF(area.left() + c * kCell, area.bottom()));
            }
        }
        painter.setPen(Qt::black);
        painter.drawRect(area);
        QFont small = painter.font();
        small.setPixelSize(10);
        painter.setFont(small);
        painter.drawText(QRectF(0, 2, width, 16), Qt::AlignCenter, title);
        painter.drawText(QRectF(0, 17, width, 16), Qt::AlignCenter, subtitle);
        painter.drawText(QRectF(0, area.bottom() + 2, width, 16), Qt::AlignCenter,
            QStringLiteral("in features \u2192 (rows: out features)"));
    });
}

QImage svgToImage(const QByteArray& svg, double scale)
{
    QSvgRenderer renderer(svg);
    const QSize size = (QSizeF(renderer.defaultSize()) * scale).toSize();
    QImage image(size.isValid() ? size : QSize(1, 1), QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    renderer.render(&painter);
    return image;
}

} // namespace optiscope::report
