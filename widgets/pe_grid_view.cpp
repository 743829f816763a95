// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "pe_grid_view.h"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace optiscope::widgets {

namespace {
    constexpr int kMargin = 8;
    constexpr int kTitleHeight = 22;
    constexpr int kAxisLabel = 18; // "PE column" above, "PE row" at the left
    constexpr int kLegendRow = 20;
    constexpr int kSwatch = 12;
    constexpr int kMinTextCell = 52; // px: three lines like "a −0.42 →" at a small font
}

PeGridView::PeGridView(QWidget* parent)
    : QWidget(parent)
    , m_message(tr("Run a model to simulate its matrix products on the array."))
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMouseTracking(true);
}

void PeGridView::setStateLegend(const QStringList& names, const std::vector<QColor>& colors)
{
    m_names = names;
    m_colors.clear();
    for (const QColor& color : colors) {
        m_colors.push_back(color.rgb());
    }
    m_counts.assign(static_cast<std::size_t>(m_names.size()), 0);
    update();
}

void PeGridView::setStates(int rows, int cols, std::span<const std::uint8_t> states)
{
    if (rows <= 0 || cols <= 0 || states.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols)
        || m_colors.empty()) {
        clear(tr("No array state to show."));
        return;
    }
    if (m_image.width() != cols || m_image.height() != rows) {
        m_image = QImage(cols, rows, QImage::Format_RGB32);
    }
    m_rows = rows;
    m_cols = cols;
    m_states.assign(states.begin(), states.end());
    m_counts.assign(static_cast<std::size_t>(m_names.size()), 0);
    const std::size_t last = m_colors.size() - 1;
    for (int r = 0; r < rows; ++r) {
        auto* line = reinterpret_cast<QRgb*>(m_image.scanLine(r));
        for (int c = 0; c < cols; ++c) {
            const std::size_t state = std::min<std::size_t>(states[static_cast<std::size_t>(r) * cols + c], last);
            line[c] = m_colors[state];
            if (state < m_counts.size()) {
                ++m_counts[state];
            }
        }
    }
    m_message.clear();
    update();
}

void PeGridView::setCellTexts(std::vector<QStringList> texts)
{
    m_cellTexts = std::move(texts);
    update();
}

bool PeGridView::showsCellTexts() const
{
    const QRect grid = gridRect();
    return !m_cellTexts.empty() && m_cellTexts.size() == m_states.size() && !grid.isEmpty()
        && grid.width() / m_cols >= kMinTextCell && grid.height() / m_rows >= kMinTextCell;
}

void PeGridView::paintCellTexts(QPainter& painter, const QRect& grid) const
{
    QFont small = font();
    small.setPointSizeF(std::max(6.0, font().pointSizeF() * 0.8));
    painter.setFont(small);
    const double side = static_cast<double>(grid.width()) / m_cols;
    for (int r = 0; r < m_rows; ++r) {
        for (int c = 0; c < m_cols; ++c) {
            const std::size_t index = static_cast<std::size_t>(r) * m_cols + c;
            const QColor fill(m_image.pixel(c, r));
            const double luma = 0.299 * fill.red() + 0.587 * fill.green() + 0.114 * fill.blue();
            painter.setPen(luma > 140 ? Qt::black : Qt::white);
            const QRectF cell(grid.left() + c * side, grid.top() + r * side, side, side);
            painter.drawText(cell.adjusted(2, 2, -2, -2), Qt::AlignCenter, m_cellTexts[index].join(QLatin1Char('\n')));
        }
    }
    painter.setFont(font());
    painter.setPen(palette().mid().color());
    for (int c = 1; c < m_cols; ++c) { // PE borders, so neighbours' numbers do not run together
        painter.drawLine(QPointF(grid.left() + c * side, grid.top()), QPointF(grid.left() + c * side, grid.bottom()));
    }
    for (int r = 1; r < m_rows; ++r) {
        painter.drawLine(QPointF(grid.left(), grid.top() + r * side), QPointF(grid.right(), grid.top() + r * side));
    }
}

void PeGridView::setTitle(const QString& title)
{
    m_title = title;
    update();
}

void PeGridView::clear(const QString& message)
{
    m_rows = m_cols = 0;
    m_states.clear();
    m_cellTexts.clear();
    std::fill(m_counts.begin(), m_counts.end(), 0);
    m_message = message;
    update();
}

QRect PeGridView::legendRect() const
{
    const int lines = (static_cast<int>(m_names.size()) + 2) / 3; // three entries per line
    return { kMargin, height() - kMargin - lines * kLegendRow, width() - 2 * kMargin, lines * kLegendRow };
}

QRect PeGridView::gridRect() const
{
    if (m_rows == 0) {
        return {};
    }
    const QRect legend = legendRect();
    const int left = kMargin + kAxisLabel;
    const int top = kMargin + kTitleHeight + kAxisLabel;
    const int availableWidth = width() - left - kMargin;
    const int availableHeight = legend.top() - kMargin - top;
    if (availableWidth <= 0 || availableHeight <= 0) {
        return {};
    }
    // Square PEs, as large as fit; whole pixels per PE when the array is small enough to allow it.
    double side = std::min(static_cast<double>(availableWidth) / m_cols, static_cast<double>(availableHeight) / m_rows);
    if (side >= 1.0) {
        side = std::floor(side);
    }
    const int w = std::max(1, static_cast<int>(side * m_cols));
    const int h = std::max(1, static_cast<int>(side * m_rows));
    return { left + (availableWidth - w) / 2, top, w, h };
}

QPoint PeGridView::peAt(QPoint position) const
{
    const QRect grid = gridRect();
    if (grid.isEmpty() || !grid.contains(position)) {
        return { -1, -1 };
    }
    const int col = std::min(m_cols - 1, (position.x() - grid.left()) * m_cols / grid.width());
    const int row = std::min(m_rows - 1, (position.y() - grid.top()) * m_rows / grid.height());
    return { row, col };
}

void PeGridView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    painter.setPen(palette().text().color());
    if (!m_message.isEmpty() || m_rows == 0) {
        painter.drawText(rect().adjusted(kMargin, kMargin, -kMargin, -kMargin), Qt::AlignCenter | Qt::TextWordWrap,
            m_message);
        return;
    }
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.drawText(QRect(kMargin, kMargin, width() - 2 * kMargin, kTitleHeight), Qt::AlignLeft | Qt::AlignVCenter,
        m_title);
    painter.setFont(font());

    const QRect grid = gridRect();
    if (!grid.isEmpty()) {
        painter.drawImage(grid, m_image); // nearest-neighbour: no SmoothPixmapTransform
        if (showsCellTexts()) {
            paintCellTexts(painter, grid);
        }
        painter.setPen(palette().mid().color());
        painter.drawRect(grid.adjusted(0, 0, -1, -1));
        painter.setPen(palette().text().color());
        painter.drawText(QRect(grid.left(), grid.top() - kAxisLabel, grid.width(), kAxisLabel), Qt::AlignCenter,
            tr("PE column 0 \u2192 %1").arg(m_cols - 1));
        painter.save();
        painter.translate(grid.left() - 4, grid.top() + grid.height() / 2);
        painter.rotate(-90);
        painter.drawText(QRect(-grid.height() / 2, -kAxisLabel, grid.height(), kAxisLabel), Qt::AlignCenter,
            tr("PE row 0 \u2192 %1").arg(m_rows - 1));
        painter.restore();
    }

    const QRect legend = legendRect();
    const int total = m_rows * m_cols;
    const int entryWidth = legend.width() / 3;
    for (int i = 0; i < m_names.size(); ++i) {
        const int x = legend.left() + (i % 3) * entryWidth;
        const int y = legend.top() + (i / 3) * kLegendRow;
        const QRect swatch(x, y + (kLegendRow - kSwatch) / 2, kSwatch, kSwatch);
        painter.fillRect(swatch, QColor(m_colors[std::min<std::size_t>(i, m_colors.size() - 1)]));
        painter.setPen(palette().mid().color());
        painter.drawRect(swatch);
        painter.setPen(palette().text().color());
        const int count = i < static_cast<int>(m_counts.size()) ? m_counts[i] : 0;
        painter.drawText(QRect(x + kSwatch + 5, y, entryWidth - kSwatch - 8, kLegendRow), Qt::AlignLeft | Qt::AlignVCenter,
            tr("%1 %2 (%3%)").arg(m_names[i]).arg(count).arg(100.0 * count / total, 0, 'f', 0));
    }
}

bool PeGridView::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QPoint pe = peAt(help->pos());
        if (pe.x() < 0) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        const std::size_t state = m_states[static_cast<std::size_t>(pe.x()) * m_cols + pe.y()];
        const QString name = state < static_cast<std::size_t>(m_names.size()) ? m_names[static_cast<int>(state)]
                                                                                 : QString::number(state);
        QString tip = tr("PE (row %1, column %2): %3").arg(pe.x()).arg(pe.y()).arg(name);
        if (m_cellTexts.size() == m_states.size()) {
            const QStringList& lines = m_cellTexts[static_cast<std::size_t>(pe.x()) * m_cols + pe.y()];
            if (!lines.isEmpty()) {
                tip += QLatin1Char('\n') + lines.join(QLatin1Char('\n'));
            }
        }
        QToolTip::showText(help->globalPos(), tip, this);
        return true;
    }
    return QWidget::event(event);
}

} // namespace optiscope::widgets
