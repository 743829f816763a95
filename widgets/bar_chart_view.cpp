// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "bar_chart_view.h"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace optiscope::widgets {
namespace {
    constexpr double kTitleHeight = 24;
    constexpr double kAxisWidth = 64;
    constexpr double kLabelHeight = 22;
    constexpr double kMargin = 10;
    constexpr int kTicks = 5;

    // A round step (1, 2 or 5 × 10^k) giving about kTicks intervals over span.
    double niceStep(double span)
    {
        const double raw = span / kTicks;
        const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
        for (double factor : { 1.0, 2.0, 5.0, 10.0 }) {
            if (raw <= factor * magnitude) {
                return factor * magnitude;
            }
        }
        return 10 * magnitude;
    }
}

BarChartView::BarChartView(QWidget* parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    clear(tr("No data."));
}

void BarChartView::setBars(const QString& title, const QString& valueTitle, const QStringList& labels,
    const std::vector<double>& values, const QColor& color)
{
    m_title = title;
    m_valueTitle = valueTitle;
    m_labels = labels;
    m_values = values;
    m_color = color;
    m_message.clear();
    update();
}

void BarChartView::clear(const QString& message)
{
    m_values.clear();
    m_labels.clear();
    m_message = message;
    update();
}

int BarChartView::highestBar() const
{
    int best = -1;
    for (int i = 0; i < static_cast<int>(m_values.size()); ++i) {
        if (std::isfinite(m_values[i]) && (best < 0 || m_values[i] > m_values[best])) {
            best = i;
        }
    }
    return best;
}

BarChartView::Frame BarChartView::frame() const
{
    Frame f;
    f.plot = QRectF(kMargin + kAxisWidth, kMargin + kTitleHeight, width() - 2 * kMargin - kAxisWidth,
        height() - 2 * kMargin - kTitleHeight - kLabelHeight);
    double low = 0, high = 0;
    for (double v : m_values) {
        if (std::isfinite(v)) {
            low = std::min(low, v);
            high = std::max(high, v);
        }
    }
    if (high - low <= 0) {
        high = low + 1;
    }
    const double step = niceStep(high - low);
    f.low = std::floor(low / step) * step;
    f.high = std::ceil(high / step) * step;
    return f;
}

QRectF BarChartView::barRect(int index) const
{
    if (index < 0 || index >= static_cast<int>(m_values.size()) || !std::isfinite(m_values[index])) {
        return {};
    }
    const Frame f = frame();
    const double slot = f.plot.width() / static_cast<double>(m_values.size());
    auto y = [&](double v) { return f.plot.bottom() - (v - f.low) / (f.high - f.low) * f.plot.height(); };
    const double top = y(std::max(0.0, m_values[index])), bottom = y(std::min(0.0, m_values[index]));
    return QRectF(f.plot.left() + slot * (index + 0.15), top, slot * 0.7, std::max(1.0, bottom - top));
}

void BarChartView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    const QColor text = palette().color(QPalette::Text);
    if (m_values.empty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, m_message);
        return;
    }
    const Frame f = frame();
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.setPen(text);
    painter.drawText(QRectF(kMargin, kMargin, width() - 2 * kMargin, kTitleHeight), Qt::AlignCenter, m_title);
    painter.setFont(font());

    // Value axis with round ticks and grid lines.
    const double step = niceStep(f.high - f.low);
    auto y = [&](double v) { return f.plot.bottom() - (v - f.low) / (f.high - f.low) * f.plot.height(); };
    for (double v = f.low; v <= f.high + step * 1e-6; v += step) {
        painter.setPen(QPen(palette().color(QPalette::Midlight), 1));
        painter.drawLine(QPointF(f.plot.left(), y(v)), QPointF(f.plot.right(), y(v)));
        painter.setPen(text);
        painter.drawText(QRectF(kMargin + 14, y(v) - 8, kAxisWidth - 18, 16), Qt::AlignRight | Qt::AlignVCenter,
            QString::number(v, 'g', 3));
    }
    painter.save();
    painter.translate(kMargin + 6, f.plot.center().y());
    painter.rotate(-90);
    painter.drawText(QRectF(-f.plot.height() / 2, -8, f.plot.height(), 16), Qt::AlignCenter | Qt::TextDontClip,
        m_valueTitle);
    painter.restore();

    const double slot = f.plot.width() / static_cast<double>(m_values.size());
    const int highest = highestBar();
    for (int i = 0; i < static_cast<int>(m_values.size()); ++i) {
        const QRectF bar = barRect(i);
        if (!bar.isNull()) {
            painter.fillRect(bar, i == highest ? m_color.darker(130) : m_color);
        }
        painter.setPen(text);
        painter.drawText(QRectF(f.plot.left() + slot * i, f.plot.bottom() + 2, slot, kLabelHeight - 2),
            Qt::AlignHCenter | Qt::AlignTop, i < m_labels.size() ? m_labels[i] : QString::number(i));
    }
    painter.setPen(QPen(palette().color(QPalette::Mid), 1));
    painter.drawLine(QPointF(f.plot.left(), y(0)), QPointF(f.plot.right(), y(0)));
    painter.drawRect(f.plot);
}

bool BarChartView::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        const QPointF at = static_cast<QHelpEvent*>(event)->pos();
        for (int i = 0; i < static_cast<int>(m_values.size()); ++i) {
            const QRectF bar = barRect(i);
            if (!bar.isNull() && at.x() >= bar.left() && at.x() <= bar.right()) {
                QToolTip::showText(static_cast<QHelpEvent*>(event)->globalPos(),
                    QStringLiteral("%1: %2 %3").arg(i < m_labels.size() ? m_labels[i] : QString::number(i))
                        .arg(m_values[i], 0, 'g', 4)
                        .arg(m_valueTitle),
                    this);
                return true;
            }
        }
        QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

} // namespace optiscope::widgets
