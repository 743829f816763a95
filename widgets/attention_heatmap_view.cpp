// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_heatmap_view.h"

#include "color_map.h"

#include <QEvent>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>

namespace optiscope::widgets {
namespace {
    constexpr int kMargin = 12;
    constexpr int kTitleHeight = 26;
    constexpr int kAxisTitle = 18;
    constexpr int kMaxLabelWidth = 110;
    constexpr int kBarWidth = 16;
    constexpr int kBarArea = 104; // gap + bar + tick labels + rotated legend
}

AttentionHeatmapView::AttentionHeatmapView(QWidget* parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void AttentionHeatmapView::setData(AttentionDataPtr data)
{
    m_data = (data && data->isValid()) ? std::move(data) : nullptr;
    m_labels.clear();
    m_maxLabelWidth = 0;
    if (m_data) {
        const QFontMetrics metrics(font());
        for (int i = 0; i < m_data->tokens; ++i) {
            m_labels << displayTokenLabel(m_data->tokenLabels[i]);
            m_maxLabelWidth = std::max(m_maxLabelWidth, metrics.horizontalAdvance(m_labels.back()));
        }
        m_layer = std::clamp(m_layer, 0, m_data->layers - 1);
        m_head = std::clamp(m_head, 0, m_data->heads - 1);
    }
    rebuildImage();
}

void AttentionHeatmapView::setSelection(int layer, int head)
{
    if (layer == m_layer && head == m_head) {
        return;
    }
    m_layer = layer;
    m_head = head;
    rebuildImage();
}

void AttentionHeatmapView::setScaleMode(ScaleMode mode)
{
    m_scaleMode = mode;
    rebuildImage();
}

void AttentionHeatmapView::setCaption(const QString& titleFormat, const QString& valueName)
{
    m_titleFormat = titleFormat;
    m_valueName = valueName;
    update();
}

bool AttentionHeatmapView::hasMatrix() const
{
    return m_data && m_data->contains(m_layer, m_head);
}

float AttentionHeatmapView::value(int query, int key) const
{
    if (!hasMatrix() || query < 0 || key < 0 || query >= m_data->tokens || key >= m_data->tokens) {
        return std::numeric_limits<float>::quiet_NaN();
    }
    return m_data->at(m_layer, m_head, query, key);
}

void AttentionHeatmapView::rebuildImage()
{
    m_image = QImage();
    if (hasMatrix()) {
        const int t = m_data->tokens;
        m_scaleMax = m_scaleMode == ScaleMode::UnitInterval ? 1.0f : m_data->scaleOf(m_layer, m_head);
        m_image = QImage(t, t, QImage::Format_RGB32);
        const float* m = m_data->matrix(m_layer, m_head);
        for (int q = 0; q < t; ++q) {
            auto* line = reinterpret_cast<QRgb*>(m_image.scanLine(q));
            for (int k = 0; k < t; ++k) {
                line[k] = m_data->rgb(m[q * t + k], m_scaleMax);
            }
        }
    }
    update();
}

AttentionHeatmapView::Layout AttentionHeatmapView::computeLayout() const
{
    Layout layout;
    if (!hasMatrix()) {
        return layout;
    }
    layout.labelWidth = std::min(m_maxLabelWidth, kMaxLabelWidth) + 6;
    const double left = kMargin + kAxisTitle + layout.labelWidth;
    const double top = kMargin + kTitleHeight;
    const double availableWidth = width() - left - kBarArea - kMargin;
    const double availableHeight = height() - top - layout.labelWidth - kAxisTitle - kMargin;
    const double side = std::max(10.0, std::min(availableWidth, availableHeight));
    layout.cell = side / m_data->tokens;
    // Centre the whole figure (labels, matrix, colour bar) in the spare room.
    const double dx = std::max(0.0, (availableWidth - side) / 2);
    const double dy = std::max(0.0, (availableHeight - side) / 2);
    layout.matrix = QRectF(left + dx, top + dy, side, side);
    layout.colourBar = QRectF(layout.matrix.right() + 18, layout.matrix.top(), kBarWidth, side);
    return layout;
}

int AttentionHeatmapView::labelStride() const
{
    const Layout layout = computeLayout();
    if (layout.cell <= 0) {
        return 1;
    }
    const double needed = QFontMetrics(font()).height() * 1.05;
    return std::max(1, static_cast<int>(std::ceil(needed / layout.cell)));
}

QRectF AttentionHeatmapView::cellRect(int query, int key) const
{
    const Layout layout = computeLayout();
    if (layout.cell <= 0) {
        return {};
    }
    return QRectF(layout.matrix.left() + key * layout.cell, layout.matrix.top() + query * layout.cell, layout.cell,
        layout.cell);
}

QPoint AttentionHeatmapView::cellAt(QPointF position) const
{
    const Layout layout = computeLayout();
    if (layout.cell <= 0 || !layout.matrix.contains(position)) {
        return { -1, -1 };
    }
    const int t = m_data->tokens;
    const int key = std::min(t - 1, static_cast<int>((position.x() - layout.matrix.left()) / layout.cell));
    const int query = std::min(t - 1, static_cast<int>((position.y() - layout.matrix.top()) / layout.cell));
    return { query, key };
}

QString AttentionHeatmapView::toolTipAt(QPointF position) const
{
    const QPoint cell = cellAt(position);
    if (cell.x() < 0) {
        return {};
    }
    const int query = cell.x();
    const int key = cell.y();
    return QStringLiteral("%1 \u2192 %2: %3")
        .arg(QStringLiteral("%1 \u201c%2\u201d").arg(query).arg(m_labels[query]),
            QStringLiteral("%1 \u201c%2\u201d").arg(key).arg(m_labels[key]),
            QString::number(value(query, key), 'f', 4));
}

QSize AttentionHeatmapView::sizeHint() const
{
    return { 640, 640 };
}

QSize AttentionHeatmapView::minimumSizeHint() const
{
    return { 260, 260 };
}

bool AttentionHeatmapView::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QString text = toolTipAt(help->pos());
        if (text.isEmpty()) {
            QToolTip::hideText();
            event->ignore();
        } else {
            QToolTip::showText(help->globalPos(), text, this);
        }
        return true;
    }
    return QWidget::event(event);
}

void AttentionHeatmapView::mouseMoveEvent(QMouseEvent* event)
{
    const QPoint cell = cellAt(event->position());
    if (cell.x() >= 0) {
        emit cellHovered(cell.x(), cell.y());
    }
    QWidget::mouseMoveEvent(event);
}

void AttentionHeatmapView::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::FontChange && m_data) {
        setData(m_data); // label widths depend on the font
    }
    QWidget::changeEvent(event);
}

void AttentionHeatmapView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing, false);
    painter.setRenderHint(QPainter::TextAntialiasing, true);
    if (!hasMatrix()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("Run the model to see its attention map."));
        return;
    }
    const Layout layout = computeLayout();
    QFont titleFont = font();
    titleFont.setBold(true);
    painter.setFont(titleFont);
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(QRectF(layout.matrix.left(), layout.matrix.top() - kTitleHeight, width() - layout.matrix.left() - 4, kTitleHeight - 6),
        Qt::AlignLeft | Qt::AlignVCenter,
        titleText());
    painter.setFont(font());

    // One pixel per cell scaled without smoothing keeps cell edges crisp at any zoom.
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawImage(layout.matrix, m_image);
    paintPrunedTokens(painter, layout);
    painter.setPen(QPen(palette().color(QPalette::Mid), 1));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(layout.matrix);

    paintAxes(painter, layout);
    paintColourBar(painter, layout);
}

QString AttentionHeatmapView::titleText() const
{
    if (!hasMatrix()) {
        return {};
    }
    QString title = m_titleFormat.isEmpty()
        ? tr("Layer %1 \u00b7 Head %2 \u00b7 %3 tokens").arg(m_layer).arg(m_head).arg(m_data->tokens)
        : m_titleFormat.arg(m_layer).arg(m_data->tokens);
    if (m_data->prunesTokens()) {
        title += tr(" \u00b7 %1 kept").arg(m_data->keptCount(m_layer));
    }
    return title;
}

// Token pruning: the rows and columns of tokens this layer did not compute are hatched, so a
// zero there reads as "pruned", not as "no attention".
void AttentionHeatmapView::paintPrunedTokens(QPainter& painter, const Layout& layout) const
{
    if (!m_data->prunesTokens()) {
        return;
    }
    const QBrush hatch(QColor(200, 200, 200, 200), Qt::BDiagPattern);
    for (int i = 0; i < m_data->tokens; ++i) {
        if (m_data->isKept(m_layer, i)) {
            continue;
        }
        painter.fillRect(QRectF(layout.matrix.left(), layout.matrix.top() + i * layout.cell, layout.matrix.width(),
                             layout.cell),
            hatch);
        painter.fillRect(QRectF(layout.matrix.left() + i * layout.cell, layout.matrix.top(), layout.cell,
                             layout.matrix.height()),
            hatch);
    }
}

void AttentionHeatmapView::paintAxes(QPainter& painter, const Layout& layout) const
{
    const int t = m_data->tokens;
    const int stride = labelStride();
    const QFontMetrics metrics(font());
    const QColor text = palette().color(QPalette::Text);
    const QColor tick = palette().color(QPalette::Mid);
    const QColor prunedText = palette().color(QPalette::PlaceholderText);
    for (int i = 0; i < t; i += stride) {
        painter.setPen(m_data->isKept(m_layer, i) ? text : prunedText);
        const double centre = (i + 0.5) * layout.cell;
        const QString label = metrics.elidedText(m_labels[i], Qt::ElideRight, kMaxLabelWidth);
        // y axis: queries, right-aligned against the matrix.
        const QRectF yRect(layout.matrix.left() - layout.labelWidth, layout.matrix.top() + centre - metrics.height() / 2.0,
            layout.labelWidth - 5, metrics.height());
        painter.drawText(yRect, Qt::AlignRight | Qt::AlignVCenter, label);
        // x axis: keys, rotated to read bottom-up, right-aligned against the matrix.
        painter.save();
        painter.translate(layout.matrix.left() + centre, layout.matrix.bottom() + 5);
        painter.rotate(-90);
        painter.drawText(QRectF(-layout.labelWidth, -metrics.height() / 2.0, layout.labelWidth - 5, metrics.height()),
            Qt::AlignRight | Qt::AlignVCenter, label);
        painter.restore();
        painter.setPen(tick);
        painter.drawLine(QPointF(layout.matrix.left() - 3, layout.matrix.top() + centre),
            QPointF(layout.matrix.left(), layout.matrix.top() + centre));
        painter.drawLine(QPointF(layout.matrix.left() + centre, layout.matrix.bottom()),
            QPointF(layout.matrix.left() + centre, layout.matrix.bottom() + 3));
        painter.setPen(text);
    }
    QFont axisFont = font();
    axisFont.setItalic(true);
    painter.setFont(axisFont);
    painter.setPen(palette().color(QPalette::WindowText));
    painter.drawText(QRectF(layout.matrix.left(), layout.matrix.bottom() + layout.labelWidth + 2, layout.matrix.width(),
                         kAxisTitle),
        Qt::AlignCenter | Qt::TextDontClip, tr("key (attended-to token)")); // wider than a small matrix
    painter.save();
    painter.translate(layout.matrix.left() - layout.labelWidth - kAxisTitle, layout.matrix.center().y());
    painter.rotate(-90);
    painter.drawText(QRectF(-layout.matrix.height() / 2, 0, layout.matrix.height(), kAxisTitle),
        Qt::AlignCenter | Qt::TextDontClip, tr("query (attending token)"));
    painter.restore();
    painter.setFont(font());
}

void AttentionHeatmapView::paintColourBar(QPainter& painter, const Layout& layout) const
{
    const QRectF bar = layout.colourBar;
    const bool isSigned = m_data && m_data->signedValues;
    const int steps = std::max(2, static_cast<int>(bar.height()));
    for (int i = 0; i < steps; ++i) {
        const double t = 1.0 - static_cast<double>(i) / (steps - 1);
        painter.fillRect(QRectF(bar.left(), bar.top() + i * bar.height() / steps, bar.width(), bar.height() / steps + 1),
            isSigned ? diverging(2.0 * t - 1.0) : viridis(t));
    }
    painter.setPen(palette().color(QPalette::Mid));
    painter.drawRect(bar);
    const QFontMetrics metrics(font());
    painter.setPen(palette().color(QPalette::Text));
    constexpr int kTicks = 5;
    for (int i = 0; i < kTicks; ++i) {
        const double fraction = static_cast<double>(i) / (kTicks - 1);
        const double y = bar.bottom() - fraction * bar.height();
        painter.drawLine(QPointF(bar.right(), y), QPointF(bar.right() + 4, y));
        const double tick = isSigned ? (2.0 * fraction - 1.0) * m_scaleMax : fraction * m_scaleMax;
        painter.drawText(QRectF(bar.right() + 6, y - metrics.height() / 2.0, 40, metrics.height()),
            Qt::AlignLeft | Qt::AlignVCenter, QString::number(tick, 'f', isSigned && m_scaleMax < 0.1 ? 3 : 2));
    }
    painter.save();
    painter.translate(bar.right() + 46, bar.center().y());
    painter.rotate(-90);
    painter.drawText(QRectF(-bar.height() / 2, 0, bar.height(), metrics.height() + 4),
        Qt::AlignCenter | Qt::TextDontClip, isSigned  ? tr("difference (current \u2212 baseline)")
            : m_valueName.isEmpty() ? tr("attention probability")
                                    : m_valueName);
    painter.restore();
}

} // namespace optiscope::widgets
