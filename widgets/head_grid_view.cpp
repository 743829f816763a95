// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "head_grid_view.h"

#include "color_map.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace optiscope::widgets {
namespace {
    constexpr int kMargin = 6;
    constexpr int kHeaderHeight = 20;
    constexpr int kRowHeaderWidth = 30;
    constexpr int kSpacing = 5;
    constexpr int kMaxThumbnail = 120;
}

HeadGridView::HeadGridView(QWidget* parent)
    : QWidget(parent)
{
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
    setMouseTracking(true);
    setCursor(Qt::PointingHandCursor);
}

void HeadGridView::setData(AttentionDataPtr data)
{
    m_data = (data && data->isValid()) ? std::move(data) : nullptr;
    m_thumbnails.clear();
    if (m_data) {
        const int t = m_data->tokens;
        for (int layer = 0; layer < m_data->layers; ++layer) {
            for (int head = 0; head < m_data->heads; ++head) {
                // Each head on its own scale, as in the heatmap's default mode.
                const float maxValue = m_data->scaleOf(layer, head);
                const float* m = m_data->matrix(layer, head);
                QImage image(t, t, QImage::Format_RGB32);
                for (int q = 0; q < t; ++q) {
                    auto* line = reinterpret_cast<QRgb*>(image.scanLine(q));
                    for (int k = 0; k < t; ++k) {
                        line[k] = m_data->rgb(m[q * t + k], maxValue);
                    }
                }
                m_thumbnails.push_back(std::move(image));
            }
        }
        m_layer = std::clamp(m_layer, 0, m_data->layers - 1);
        m_head = std::clamp(m_head, 0, m_data->heads - 1);
    }
    updateGeometry();
    update();
}

void HeadGridView::setCurrent(int layer, int head)
{
    m_layer = layer;
    m_head = head;
    update();
}

HeadGridView::Layout HeadGridView::computeLayout() const
{
    Layout layout;
    if (!m_data) {
        return layout;
    }
    const int availableWidth = width() - 2 * kMargin - kRowHeaderWidth;
    const int availableHeight = height() - 2 * kMargin - kHeaderHeight;
    layout.cell = std::clamp(std::min(availableWidth / m_data->heads, availableHeight / m_data->layers), 8,
        kMaxThumbnail + kSpacing);
    const int gridWidth = layout.cell * m_data->heads;
    layout.left = kMargin + kRowHeaderWidth + std::max(0, (availableWidth - gridWidth) / 2);
    layout.top = kMargin + kHeaderHeight;
    return layout;
}

QRect HeadGridView::thumbnailRect(int layer, int head) const
{
    const Layout layout = computeLayout();
    if (layout.cell == 0 || !m_data->contains(layer, head)) {
        return {};
    }
    const int side = layout.cell - kSpacing;
    return { layout.left + head * layout.cell, layout.top + layer * layout.cell, side, side };
}

QPoint HeadGridView::headAt(QPoint position) const
{
    if (!m_data) {
        return { -1, -1 };
    }
    for (int layer = 0; layer < m_data->layers; ++layer) {
        for (int head = 0; head < m_data->heads; ++head) {
            if (thumbnailRect(layer, head).adjusted(-2, -2, 2, 2).contains(position)) {
                return { layer, head };
            }
        }
    }
    return { -1, -1 };
}

QSize HeadGridView::sizeHint() const
{
    if (!m_data) {
        return { 320, 240 };
    }
    constexpr int kPreferred = 72;
    return { 2 * kMargin + kRowHeaderWidth + m_data->heads * (kPreferred + kSpacing),
        2 * kMargin + kHeaderHeight + m_data->layers * (kPreferred + kSpacing) };
}

QSize HeadGridView::minimumSizeHint() const
{
    return { 160, 120 };
}

void HeadGridView::mousePressEvent(QMouseEvent* event)
{
    const QPoint hit = headAt(event->position().toPoint());
    if (event->button() == Qt::LeftButton && hit.x() >= 0) {
        setCurrent(hit.x(), hit.y());
        emit headSelected(hit.x(), hit.y());
        event->accept();
        return;
    }
    QWidget::mousePressEvent(event);
}

bool HeadGridView::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QPoint hit = headAt(help->pos());
        if (hit.x() >= 0) {
            QToolTip::showText(help->globalPos(),
                tr("Layer %1, head %2 \u2014 max %3\nClick to inspect")
                    .arg(hit.x())
                    .arg(hit.y())
                    .arg(QString::number(m_data->maxOf(hit.x(), hit.y()), 'f', 3)),
                this);
        } else {
            QToolTip::hideText();
        }
        return true;
    }
    return QWidget::event(event);
}

void HeadGridView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    if (!m_data) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap,
            tr("All layers and heads appear here after a run."));
        return;
    }
    const Layout layout = computeLayout();
    painter.setPen(palette().color(QPalette::Text));
    for (int head = 0; head < m_data->heads; ++head) {
        const QRect r = thumbnailRect(0, head);
        painter.drawText(QRect(r.left(), kMargin, r.width(), kHeaderHeight - 2), Qt::AlignCenter,
            QStringLiteral("H%1").arg(head));
    }
    for (int layer = 0; layer < m_data->layers; ++layer) {
        const QRect r = thumbnailRect(layer, 0);
        painter.drawText(QRect(layout.left - kRowHeaderWidth - 2, r.top(), kRowHeaderWidth - 4, r.height()),
            Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("L%1").arg(layer));
    }
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    for (int layer = 0; layer < m_data->layers; ++layer) {
        for (int head = 0; head < m_data->heads; ++head) {
            const QRect r = thumbnailRect(layer, head);
            painter.drawImage(r, m_thumbnails[static_cast<std::size_t>(layer * m_data->heads + head)]);
        }
    }
    if (m_data->contains(m_layer, m_head)) {
        painter.setRenderHint(QPainter::Antialiasing, true);
        painter.setPen(QPen(palette().color(QPalette::Highlight), 3));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(QRectF(thumbnailRect(m_layer, m_head)).adjusted(-1.5, -1.5, 1.5, 1.5));
    }
}

} // namespace optiscope::widgets
