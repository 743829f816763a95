// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "head_value_grid_view.h"

#include "color_map.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <limits>

namespace optiscope::widgets {
namespace {
    constexpr int kMargin = 12;
    constexpr int kTitleHeight = 24;
    constexpr int kAxisWidth = 36; // "L11"
    constexpr int kAxisHeight = 18; // "H0"
    constexpr int kBarArea = 90; // gap + bar + tick labels + unit
    constexpr int kMaxCell = 64;
}

HeadValueGridView::HeadValueGridView(QWidget* parent)
    : QWidget(parent)
{
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
}

void HeadValueGridView::setValues(int layers, int heads, std::vector<float> values, float maximum, const QString& unit)
{
    const bool shaped = layers > 0 && heads > 0 && values.size() == static_cast<std::size_t>(layers) * heads;
    m_layers = shaped ? layers : 0;
    m_heads = shaped ? heads : 0;
    m_values = shaped ? std::move(values) : std::vector<float> {};
    m_maximum = maximum > 0 ? maximum : 1.0f;
    m_unit = unit;
    m_layer = std::clamp(m_layer, 0, std::max(0, m_layers - 1));
    m_head = std::clamp(m_head, 0, std::max(0, m_heads - 1));
    updateGeometry();
    update();
}

void HeadValueGridView::setTitle(const QString& title)
{
    m_title = title;
    update();
}

void HeadValueGridView::setCurrent(int layer, int head)
{
    m_layer = layer;
    m_head = head;
    update();
}

float HeadValueGridView::value(int layer, int head) const
{
    if (layer < 0 || layer >= m_layers || head < 0 || head >= m_heads) {
        return std::numeric_limits<float>::quiet_NaN();
    }
    return m_values[static_cast<std::size_t>(layer) * m_heads + head];
}

HeadValueGridView::Layout HeadValueGridView::computeLayout() const
{
    Layout layout;
    layout.left = kMargin + kAxisWidth;
    layout.top = kMargin + kTitleHeight + kAxisHeight;
    if (m_layers == 0) {
        return layout;
    }
    const double across = (width() - layout.left - kBarArea - kMargin) / m_heads;
    const double down = (height() - layout.top - kMargin) / m_layers;
    layout.cell = std::clamp(std::min(across, down), 8.0, static_cast<double>(kMaxCell));
    // Centre grid and colour bar in the spare width.
    const double used = kAxisWidth + m_heads * layout.cell + kBarArea;
    layout.left += std::max(0.0, (width() - 2 * kMargin - used) / 2);
    return layout;
}

QRectF HeadValueGridView::cellRect(int layer, int head) const
{
    const Layout layout = computeLayout();
    if (layer < 0 || layer >= m_layers || head < 0 || head >= m_heads) {
        return {};
    }
    return { layout.left + head * layout.cell, layout.top + layer * layout.cell, layout.cell, layout.cell };
}

QSize HeadValueGridView::sizeHint() const
{
    const int heads = std::max(m_heads, 4);
    const int layers = std::max(m_layers, 4);
    return { kMargin * 2 + kAxisWidth + kBarArea + heads * 44, kMargin * 2 + kTitleHeight + kAxisHeight + layers * 44 };
}

QSize HeadValueGridView::minimumSizeHint() const { return { 220, 160 }; }

void HeadValueGridView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    const QColor text = palette().color(QPalette::Text);
    painter.setPen(text);
    painter.drawText(QRectF(0, kMargin, width(), kTitleHeight), Qt::AlignHCenter | Qt::AlignTop, m_title);
    if (m_layers == 0) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("Run some text first."));
        return;
    }
    const Layout layout = computeLayout();
    const bool printValues = layout.cell >= 26;
    for (int layer = 0; layer < m_layers; ++layer) {
        painter.setPen(text);
        painter.drawText(QRectF(layout.left - kAxisWidth, layout.top + layer * layout.cell, kAxisWidth - 4, layout.cell),
            Qt::AlignRight | Qt::AlignVCenter, tr("L%1").arg(layer));
        for (int head = 0; head < m_heads; ++head) {
            const QRectF cell = cellRect(layer, head).adjusted(1, 1, -1, -1);
            const double t = value(layer, head) / m_maximum;
            const QColor fill = viridis(t);
            painter.fillRect(cell, fill);
            if (printValues) {
                const double luma = 0.299 * fill.red() + 0.587 * fill.green() + 0.114 * fill.blue();
                painter.setPen(luma > 140 ? Qt::black : Qt::white);
                painter.drawText(cell, Qt::AlignCenter, QString::number(value(layer, head), 'f', 2));
            }
        }
    }
    painter.setPen(text);
    for (int head = 0; head < m_heads; ++head) {
        painter.drawText(QRectF(layout.left + head * layout.cell, layout.top - kAxisHeight, layout.cell, kAxisHeight),
            Qt::AlignCenter, tr("H%1").arg(head));
    }
    painter.setPen(QPen(palette().color(QPalette::Highlight), 2.5));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(cellRect(m_layer, m_head));
    paintColourBar(painter, layout);
}

void HeadValueGridView::paintColourBar(QPainter& painter, const Layout& layout) const
{
    const double x = layout.left + m_heads * layout.cell + 16;
    const double top = layout.top;
    const double height = std::max(60.0, m_layers * layout.cell);
    const int steps = 64;
    for (int i = 0; i < steps; ++i) {
        const double t = 1.0 - (i + 0.5) / steps;
        painter.fillRect(QRectF(x, top + i * height / steps, 14, height / steps + 1), viridis(t));
    }
    painter.setPen(palette().color(QPalette::Text));
    const QFontMetrics metrics(font());
    painter.drawText(QPointF(x + 18, top + metrics.ascent()), QString::number(m_maximum, 'f', 2));
    painter.drawText(QPointF(x + 18, top + height), QStringLiteral("0"));
    painter.save();
    painter.translate(x + 18 + metrics.horizontalAdvance(QStringLiteral("0.00")) + 14, top + height / 2);
    painter.rotate(90);
    painter.drawText(QRectF(-height / 2, -12, height, 16), Qt::AlignCenter, m_unit);
    painter.restore();
}

void HeadValueGridView::mousePressEvent(QMouseEvent* event)
{
    const Layout layout = computeLayout();
    if (m_layers == 0 || layout.cell <= 0) {
        return;
    }
    const QPointF p = event->position();
    const int head = static_cast<int>(std::floor((p.x() - layout.left) / layout.cell));
    const int layer = static_cast<int>(std::floor((p.y() - layout.top) / layout.cell));
    if (layer >= 0 && layer < m_layers && head >= 0 && head < m_heads) {
        setCurrent(layer, head);
        emit headSelected(layer, head);
    }
}

} // namespace optiscope::widgets
