// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "histogram_view.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace optiscope::widgets {

namespace {
    constexpr int kMargin = 8;
    constexpr int kTitle = 20;
    constexpr int kNote = 34; // two lines
    constexpr int kLeftAxis = 64;
    constexpr int kBottomAxis = 34;
    constexpr int kLegend = 20;
    constexpr std::size_t kMaxDrawnLevels = 1024; // finer grids (fp16, int16) would paint the axis solid
    constexpr std::size_t kMaxFullHeightLevels = 40; // beyond this, levels are ticks under the axis
    const QColor kBarColor(0x4e, 0x79, 0xa7);
    const QColor kLevelColor(0x59, 0xa1, 0x4f);
    const QColor kClipColor(0xd6, 0x27, 0x28);

    QString formatValue(double v) { return QString::number(v, 'g', 3); }
}

HistogramData makeHistogram(std::span<const float> values, int bins)
{
    HistogramData data;
    if (values.empty() || bins <= 0) {
        return data;
    }
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    data.minValue = *lo;
    data.maxValue = *hi;
    const int used = data.maxValue > data.minValue ? bins : 1;
    data.counts.assign(static_cast<std::size_t>(used), 0);
    const double width = (data.maxValue - data.minValue) / used;
    for (float v : values) {
        const int bin = width > 0 ? static_cast<int>((v - data.minValue) / width) : 0;
        ++data.counts[static_cast<std::size_t>(std::clamp(bin, 0, used - 1))];
    }
    return data;
}

HistogramView::HistogramView(QWidget* parent)
    : QWidget(parent)
{
}

void HistogramView::setData(HistogramData data)
{
    m_data = std::move(data);
    update();
}

void HistogramView::setLogScale(bool logScale)
{
    m_log = logScale;
    update();
}

void HistogramView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    painter.setPen(palette().text().color());
    if (m_data.counts.empty()) {
        painter.drawText(rect(), Qt::AlignCenter, tr("No values to show."));
        return;
    }
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.drawText(QRect(kMargin, kMargin, width() - 2 * kMargin, kTitle), Qt::AlignLeft | Qt::AlignVCenter,
        m_data.title);
    painter.setFont(font());
    painter.drawText(QRect(kMargin, kMargin + kTitle, width() - 2 * kMargin, kNote),
        Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, m_data.note);
    const QRect plot(QPoint(kMargin + kLeftAxis, kMargin + kTitle + kNote + 6),
        QPoint(width() - kMargin - 1, height() - kMargin - kBottomAxis - kLegend));
    if (plot.width() < 20 || plot.height() < 20) {
        return;
    }
    const double lo = std::min(m_data.minValue, m_data.hasClipRange ? m_data.clipLow : m_data.minValue);
    const double hi = std::max(m_data.maxValue, m_data.hasClipRange ? m_data.clipHigh : m_data.maxValue);
    const double span = hi > lo ? hi - lo : 1.0;
    const auto xOf = [&](double v) { return plot.left() + (v - lo) / span * plot.width(); };
    const std::int64_t maxCount = *std::max_element(m_data.counts.begin(), m_data.counts.end());
    const double top = m_log ? std::log10(static_cast<double>(maxCount) + 1.0) : static_cast<double>(maxCount);
    const auto yOf = [&](double count) {
        const double h = m_log ? std::log10(count + 1.0) : count;
        return plot.bottom() - (top > 0 ? h / top : 0.0) * plot.height();
    };

    const double binWidth = (m_data.maxValue - m_data.minValue) / static_cast<double>(m_data.counts.size());
    for (std::size_t i = 0; i < m_data.counts.size(); ++i) {
        const double x0 = xOf(m_data.minValue + binWidth * static_cast<double>(i));
        const double x1 = std::max(x0 + 1.0, xOf(m_data.minValue + binWidth * static_cast<double>(i + 1)));
        const double y = yOf(static_cast<double>(m_data.counts[i]));
        painter.fillRect(QRectF(x0, y, x1 - x0, plot.bottom() - y), kBarColor);
    }
    if (!m_data.levels.empty() && m_data.levels.size() <= kMaxDrawnLevels) {
        // Few levels: lines through the plot; many (int8's 255): ticks on the axis, where their spacing shows.
        const bool full = m_data.levels.size() <= kMaxFullHeightLevels;
        painter.setPen(QPen(kLevelColor, 1));
        for (double level : m_data.levels) {
            const double x = xOf(level);
            painter.drawLine(QPointF(x, full ? plot.top() : plot.bottom() - 8), QPointF(x, plot.bottom()));
        }
    }
    if (m_data.hasClipRange) {
        painter.setPen(QPen(kClipColor, 1.5, Qt::DashLine));
        for (double v : { m_data.clipLow, m_data.clipHigh }) {
            painter.drawLine(QPointF(xOf(v), plot.top()), QPointF(xOf(v), plot.bottom()));
        }
    }

    // Axes: value ticks at both ends and zero, counts at the top.
    painter.setPen(palette().text().color());
    painter.drawLine(plot.bottomLeft(), plot.bottomRight());
    painter.drawLine(plot.bottomLeft(), plot.topLeft());
    const QFontMetrics metrics(font());
    for (double v : { lo, hi, 0.0 }) {
        if (v < lo || v > hi) {
            continue;
        }
        const double x = xOf(v);
        painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4));
        const QString text = formatValue(v);
        const int w = metrics.horizontalAdvance(text);
        painter.drawText(QPointF(std::clamp(x - w / 2.0, 0.0, double(width() - w)), plot.bottom() + 4 + metrics.ascent()),
            text);
    }
    painter.drawText(QRect(plot.left(), plot.bottom() + 4 + metrics.height(), plot.width(), metrics.height()),
        Qt::AlignCenter, m_data.valueLabel);
    const int tickLeft = kMargin + metrics.height() + 2; // right of the rotated axis title
    painter.drawText(QRect(tickLeft, plot.top(), plot.left() - 4 - tickLeft, metrics.height()), Qt::AlignRight,
        QString::number(maxCount));
    painter.drawText(QRect(tickLeft, plot.bottom() - metrics.height(), plot.left() - 4 - tickLeft, metrics.height()),
        Qt::AlignRight, QStringLiteral("0"));
    painter.save();
    painter.translate(kMargin + metrics.height() / 2, plot.center().y());
    painter.rotate(-90);
    painter.drawText(QRect(-plot.height() / 2, -metrics.height() / 2, plot.height(), metrics.height()), Qt::AlignCenter | Qt::TextDontClip,
        m_log ? tr("count (log scale)") : tr("count"));
    painter.restore();

    // Legend.
    int x = plot.left();
    const int y = height() - kMargin - kLegend + 4;
    const auto entry = [&](const QColor& color, Qt::PenStyle style, const QString& text) {
        painter.setPen(QPen(color, 2, style));
        painter.drawLine(x, y + 6, x + 16, y + 6);
        painter.setPen(palette().text().color());
        painter.drawText(QPoint(x + 20, y + metrics.ascent() - 1), text);
        x += 20 + metrics.horizontalAdvance(text) + 16;
    };
    entry(kBarColor, Qt::SolidLine, tr("values"));
    if (!m_data.levels.empty()) {
        entry(kLevelColor, Qt::SolidLine,
            m_data.levels.size() <= kMaxDrawnLevels ? tr("%1 quantization levels").arg(m_data.levels.size())
                                                    : tr("%1 levels (too many to draw)").arg(m_data.levels.size()));
    }
    if (m_data.hasClipRange) {
        entry(kClipColor, Qt::DashLine, tr("clipping range"));
    }
}

} // namespace optiscope::widgets
