// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_lines_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <array>
#include <cmath>

namespace optiscope::widgets {
namespace {
    constexpr int kMargin = 12;
    constexpr int kTitleHeight = 24;
    constexpr int kLegendHeight = 56;
    constexpr int kGap = 180; // between the two label columns, where the lines run
    constexpr int kMinRow = 16;
    // Lines fainter than this share of the head's maximum are not drawn: at 128 tokens a head has
    // 16k entries, most of them near zero, and drawing them all only greys the view.
    constexpr float kVisibilityFloor = 0.02f;
    constexpr int kMaxAlpha = 230;
}

AttentionLinesView::AttentionLinesView(QWidget* parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
}

QColor AttentionLinesView::headColour(int head)
{
    // Tableau 10: distinct on light and dark backgrounds, colour-blind-aware ordering.
    static const std::array<QRgb, 10> palette { 0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f, 0xedc948,
        0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac };
    return QColor::fromRgb(palette[static_cast<std::size_t>(head) % palette.size()]);
}

void AttentionLinesView::setData(AttentionDataPtr data)
{
    m_data = (data && data->isValid()) ? std::move(data) : nullptr;
    m_labels.clear();
    m_labelWidth = 0;
    if (m_data) {
        const QFontMetrics metrics(font());
        for (int i = 0; i < m_data->tokens; ++i) {
            m_labels << displayTokenLabel(m_data->tokenLabels.value(i));
            m_labelWidth = std::max(m_labelWidth, metrics.horizontalAdvance(m_labels.back()));
        }
        m_layer = std::clamp(m_layer, 0, m_data->layers - 1);
        m_head = std::clamp(m_head, 0, m_data->heads - 1);
        if (m_focusToken >= m_data->tokens) {
            m_focusToken = -1;
        }
    }
    updateGeometry();
    update();
}

void AttentionLinesView::setSelection(int layer, int head)
{
    m_layer = layer;
    m_head = head;
    update();
}

void AttentionLinesView::setAllHeads(bool allHeads)
{
    m_allHeads = allHeads;
    update();
}

void AttentionLinesView::setFocusToken(int token, bool isQuery)
{
    m_focusToken = token;
    m_focusIsQuery = isQuery;
    update();
}

AttentionLinesView::Layout AttentionLinesView::computeLayout() const
{
    Layout layout;
    layout.top = kMargin + kTitleHeight;
    const int tokens = m_data ? m_data->tokens : 1;
    const double available = height() - layout.top - kLegendHeight - kMargin;
    layout.row = std::max<double>(kMinRow, available / tokens);
    const double total = 2.0 * m_labelWidth + kGap;
    const double left = std::max<double>(kMargin, (width() - total) / 2);
    layout.leftText = left + m_labelWidth;
    layout.rightText = layout.leftText + kGap;
    return layout;
}

QPointF AttentionLinesView::queryAnchor(int token) const
{
    const Layout layout = computeLayout();
    return { layout.leftText + 6, layout.top + (token + 0.5) * layout.row };
}

QPointF AttentionLinesView::keyAnchor(int token) const
{
    const Layout layout = computeLayout();
    return { layout.rightText - 6, layout.top + (token + 0.5) * layout.row };
}

QSize AttentionLinesView::sizeHint() const
{
    const int tokens = m_data ? m_data->tokens : 12;
    return { 2 * m_labelWidth + kGap + 2 * kMargin, kMargin * 2 + kTitleHeight + kLegendHeight + tokens * kMinRow };
}

QSize AttentionLinesView::minimumSizeHint() const { return { 2 * m_labelWidth + kGap / 2, 160 }; }

bool AttentionLinesView::visible(int query, int key) const
{
    if (m_focusToken < 0) {
        return true;
    }
    return m_focusIsQuery ? query == m_focusToken : key == m_focusToken;
}

void AttentionLinesView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    m_drawnLines = 0;
    if (!m_data || !m_data->contains(m_layer, m_head)) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("Run some text to see which tokens each head attends to."));
        return;
    }
    const Layout layout = computeLayout();
    painter.setPen(palette().color(QPalette::Text));
    const QString what = m_allHeads ? tr("Layer %1 \u00b7 all %2 heads").arg(m_layer).arg(m_data->heads)
                                    : tr("Layer %1 \u00b7 Head %2").arg(m_layer).arg(m_head);
    painter.drawText(QRectF(0, kMargin, width(), kTitleHeight), Qt::AlignHCenter | Qt::AlignTop,
        what + tr("  \u2014  query (left) \u2192 key (right)"));
    paintLines(painter, layout);
    paintLabels(painter, layout);
    paintLegend(painter);
}

void AttentionLinesView::paintLines(QPainter& painter, const Layout& layout)
{
    const int t = m_data->tokens;
    const int firstHead = m_allHeads ? 0 : m_head;
    const int lastHead = m_allHeads ? m_data->heads - 1 : m_head;
    const double x1 = layout.leftText + 6;
    const double x2 = layout.rightText - 6;
    for (int head = firstHead; head <= lastHead; ++head) {
        const float scale = m_data->scaleOf(m_layer, head);
        const QColor base = m_allHeads ? headColour(head) : headColour(0);
        for (int query = 0; query < t; ++query) {
            for (int key = 0; key < t; ++key) {
                const float value = m_data->at(m_layer, head, query, key);
                const float share = std::abs(value) / scale;
                if (share < kVisibilityFloor || !visible(query, key)) {
                    continue;
                }
                QColor colour = m_data->signedValues ? (value > 0 ? QColor(0xd6, 0x27, 0x28) : QColor(0x1f, 0x77, 0xb4)) : base;
                colour.setAlpha(static_cast<int>(std::lround(kMaxAlpha * std::min(1.0f, share))));
                painter.setPen(QPen(colour, 1.0 + 2.0 * share));
                const double y1 = layout.top + (query + 0.5) * layout.row;
                const double y2 = layout.top + (key + 0.5) * layout.row;
                painter.drawLine(QPointF(x1, y1), QPointF(x2, y2));
                ++m_drawnLines;
            }
        }
    }
}

void AttentionLinesView::paintLabels(QPainter& painter, const Layout& layout) const
{
    const QColor text = palette().color(QPalette::Text);
    const QColor pruned = palette().color(QPalette::PlaceholderText);
    for (int token = 0; token < m_data->tokens; ++token) {
        const bool kept = m_data->isKept(m_layer, token);
        QFont labelFont = font();
        labelFont.setStrikeOut(!kept);
        const bool focused = token == m_focusToken;
        labelFont.setBold(focused);
        painter.setFont(labelFont);
        painter.setPen(kept ? text : pruned);
        const double y = layout.top + token * layout.row;
        painter.drawText(QRectF(layout.leftText - m_labelWidth - 4, y, m_labelWidth + 4, layout.row),
            Qt::AlignRight | Qt::AlignVCenter, m_labels[token]);
        painter.drawText(QRectF(layout.rightText, y, m_labelWidth + 4, layout.row), Qt::AlignLeft | Qt::AlignVCenter,
            m_labels[token]);
    }
    painter.setFont(font());
}

void AttentionLinesView::paintLegend(QPainter& painter) const
{
    const double y = height() - kMargin - kLegendHeight + 8;
    painter.setPen(palette().color(QPalette::Text));
    QString legend = m_data->signedValues
        ? tr("Difference current \u2212 baseline: red = more attention, blue = less; opacity \u221d |\u0394p|")
        : tr("Opacity \u221d attention probability p (the head's largest p is opaque; below 2 % of it not drawn)");
    painter.drawText(QRectF(kMargin, y, width() - 2 * kMargin, 32), Qt::AlignHCenter | Qt::AlignVCenter | Qt::TextWordWrap,
        legend);
    if (!m_allHeads || m_data->signedValues) {
        return;
    }
    // One swatch per head, centred on the row below.
    const QFontMetrics metrics(font());
    const int swatch = 12;
    int total = 0;
    for (int head = 0; head < m_data->heads; ++head) {
        total += swatch + 4 + metrics.horizontalAdvance(tr("H%1").arg(head)) + 12;
    }
    double x = std::max<double>(kMargin, (width() - total) / 2.0);
    const double rowY = y + 34;
    for (int head = 0; head < m_data->heads; ++head) {
        painter.fillRect(QRectF(x, rowY + 2, swatch, swatch), headColour(head));
        x += swatch + 4;
        const QString label = tr("H%1").arg(head);
        painter.drawText(QRectF(x, rowY, metrics.horizontalAdvance(label) + 2, 16), Qt::AlignLeft | Qt::AlignVCenter, label);
        x += metrics.horizontalAdvance(label) + 12;
    }
}

void AttentionLinesView::mouseMoveEvent(QMouseEvent* event)
{
    if (!m_data) {
        return;
    }
    const Layout layout = computeLayout();
    const QPointF position = event->position();
    const int token = static_cast<int>(std::floor((position.y() - layout.top) / layout.row));
    int focus = -1;
    bool isQuery = true;
    if (token >= 0 && token < m_data->tokens) {
        if (position.x() <= layout.leftText + 6 && position.x() >= layout.leftText - m_labelWidth - 8) {
            focus = token;
        } else if (position.x() >= layout.rightText - 6 && position.x() <= layout.rightText + m_labelWidth + 8) {
            focus = token;
            isQuery = false;
        }
    }
    if (focus != m_focusToken || isQuery != m_focusIsQuery) {
        setFocusToken(focus, isQuery);
    }
}

void AttentionLinesView::leaveEvent(QEvent*)
{
    if (m_focusToken >= 0) {
        setFocusToken(-1, true);
    }
}

} // namespace optiscope::widgets
