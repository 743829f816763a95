// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "sparsity_view.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace optiscope::widgets {

namespace {
    constexpr int kMargin = 8;
    constexpr int kTitle = 22;
    constexpr int kAxis = 18;
    constexpr int kStrip = 36; // density strips: right of and below the matrix
    constexpr int kStripGap = 6;
    constexpr int kLegend = 22;
    constexpr double kMaxZoom = 48.0; // screen pixels per element
    constexpr double kZoomStep = 1.25;
    constexpr double kGroupLinesFrom = 6.0; // pixels per element from which group outlines are drawn

    const char* const kCellNames[kMaskCellKinds]
        = { QT_TRANSLATE_NOOP("SparsityView", "kept"), QT_TRANSLATE_NOOP("SparsityView", "pruned"),
              QT_TRANSLATE_NOOP("SparsityView", "pruned row (output feature / head)"),
              QT_TRANSLATE_NOOP("SparsityView", "pruned column (input feature)") };
}

SparsityView::SparsityView(QWidget* parent)
    : QWidget(parent)
    , m_message(tr("Select a weight matrix to see its mask."))
{
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void SparsityView::setMask(std::shared_ptr<const MaskPyramid> mask, const QString& title, MaskPattern pattern)
{
    const bool sameShape = m_mask && mask && m_mask->rows() == mask->rows() && m_mask->cols() == mask->cols();
    m_mask = std::move(mask);
    m_pattern = pattern;
    m_title = title;
    m_message.clear();
    if (!m_mask || m_mask->isEmpty()) {
        clear(tr("This tensor has no matrix to show."));
        return;
    }
    if (!sameShape || m_fitted) {
        fitToView(); // the same matrix after a new recipe keeps the user's zoom and position
    }
    update();
}

void SparsityView::clear(const QString& message)
{
    m_mask.reset();
    m_message = message;
    update();
}

QRect SparsityView::matrixRect() const
{
    const int left = kMargin + kAxis;
    const int top = kMargin + kTitle + kAxis;
    const int right = width() - kMargin - kStrip - kStripGap;
    const int bottom = height() - kMargin - kLegend - kStrip - kStripGap;
    return { QPoint(left, top), QPoint(right - 1, bottom - 1) };
}

void SparsityView::fitToView()
{
    m_fitted = true;
    if (!m_mask) {
        return;
    }
    const QRect area = matrixRect();
    m_minZoom = std::min(static_cast<double>(area.width()) / m_mask->cols(),
        static_cast<double>(area.height()) / m_mask->rows());
    m_minZoom = std::max(m_minZoom, 1e-4);
    m_zoom = m_minZoom;
    m_origin = QPointF(0, 0);
    update();
}

void SparsityView::setZoom(double zoom, QPointF anchor)
{
    if (!m_mask) {
        return;
    }
    const QRect area = matrixRect();
    const QPointF element = m_origin + (anchor - area.topLeft()) / m_zoom;
    m_zoom = std::clamp(zoom, m_minZoom, std::max(kMaxZoom, m_minZoom));
    m_origin = element - (anchor - area.topLeft()) / m_zoom;
    m_fitted = false;
    clampOrigin();
    update();
}

void SparsityView::clampOrigin()
{
    const QRect area = matrixRect();
    const double maxX = std::max(0.0, m_mask->cols() - area.width() / m_zoom);
    const double maxY = std::max(0.0, m_mask->rows() - area.height() / m_zoom);
    m_origin.setX(std::clamp(m_origin.x(), 0.0, maxX));
    m_origin.setY(std::clamp(m_origin.y(), 0.0, maxY));
}

int SparsityView::drawLevel() const
{
    if (!m_mask || m_zoom >= 1.0) {
        return 0;
    }
    return std::clamp(static_cast<int>(std::floor(std::log2(1.0 / m_zoom))), 0, m_mask->levelCount() - 1);
}

QPoint SparsityView::elementAt(QPointF position) const
{
    if (!m_mask) {
        return { -1, -1 };
    }
    const QRect area = matrixRect();
    if (!area.contains(position.toPoint())) {
        return { -1, -1 };
    }
    const QPointF element = m_origin + (position - area.topLeft()) / m_zoom;
    const int col = static_cast<int>(element.x());
    const int row = static_cast<int>(element.y());
    if (row < 0 || col < 0 || row >= m_mask->rows() || col >= m_mask->cols()) {
        return { -1, -1 };
    }
    return { row, col };
}

void SparsityView::drawMatrix(QPainter& painter, const QRect& area) const
{
    const int level = drawLevel();
    const QImage& image = m_mask->level(level);
    const double scale = std::ldexp(1.0, level); // elements per level pixel
    const double visibleCols = std::min<double>(area.width() / m_zoom, m_mask->cols() - m_origin.x());
    const double visibleRows = std::min<double>(area.height() / m_zoom, m_mask->rows() - m_origin.y());
    const QRectF source(m_origin.x() / scale, m_origin.y() / scale, visibleCols / scale, visibleRows / scale);
    const QRectF target(area.left(), area.top(), visibleCols * m_zoom, visibleRows * m_zoom);
    painter.drawImage(target, image, source); // no smoothing: one element stays one crisp square
}

void SparsityView::drawGroupLines(QPainter& painter, const QRect& area) const
{
    if (m_zoom < kGroupLinesFrom) {
        return;
    }
    painter.setPen(QPen(QColor(0xd6, 0x27, 0x28, 160), 1));
    const int colStep = m_pattern.groupSize > 1 ? m_pattern.groupSize : m_pattern.blockCols;
    const int rowStep = m_pattern.blockRows;
    const double firstCol = std::floor(m_origin.x());
    const double lastCol = m_origin.x() + area.width() / m_zoom;
    if (colStep > 1) {
        for (double c = std::ceil(firstCol / colStep) * colStep; c <= lastCol; c += colStep) {
            const double x = area.left() + (c - m_origin.x()) * m_zoom;
            painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
        }
    }
    if (rowStep > 1) {
        const double lastRow = m_origin.y() + area.height() / m_zoom;
        for (double r = std::ceil(std::floor(m_origin.y()) / rowStep) * rowStep; r <= lastRow; r += rowStep) {
            const double y = area.top() + (r - m_origin.y()) * m_zoom;
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y));
        }
    }
}

// One bar per screen row / column of the visible part: the kept fraction of the element under it.
void SparsityView::drawStrips(QPainter& painter, const QRect& area) const
{
    const QColor bar(maskCellColor(MaskCell::Kept));
    const QRect rowStrip(area.right() + kStripGap, area.top(), kStrip, area.height());
    const QRect colStrip(area.left(), area.bottom() + kStripGap, area.width(), kStrip);
    painter.fillRect(rowStrip, palette().alternateBase());
    painter.fillRect(colStrip, palette().alternateBase());
    const auto& rows = m_mask->rowDensity();
    const auto& cols = m_mask->colDensity();
    for (int y = 0; y < area.height(); ++y) {
        const int row = static_cast<int>(m_origin.y() + y / m_zoom);
        if (row >= m_mask->rows()) {
            break;
        }
        painter.fillRect(QRectF(rowStrip.left(), rowStrip.top() + y, rows[static_cast<std::size_t>(row)] * kStrip, 1), bar);
    }
    for (int x = 0; x < area.width(); ++x) {
        const int col = static_cast<int>(m_origin.x() + x / m_zoom);
        if (col >= m_mask->cols()) {
            break;
        }
        const double h = cols[static_cast<std::size_t>(col)] * kStrip;
        painter.fillRect(QRectF(colStrip.left() + x, colStrip.bottom() + 1 - h, 1, h), bar);
    }
    painter.setPen(palette().text().color());
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    painter.setFont(small);
    painter.drawText(QRect(rowStrip.left(), rowStrip.top() - kAxis, kStrip + kMargin, kAxis), Qt::AlignCenter, tr("rows"));
    painter.drawText(QRect(colStrip.right() + kStripGap, colStrip.top(), kStrip + kMargin, kStrip),
        Qt::AlignLeft | Qt::AlignVCenter, tr("cols"));
    painter.setFont(font());
}

void SparsityView::drawLegend(QPainter& painter) const
{
    const int y = height() - kMargin - kLegend;
    int x = kMargin;
    const QFontMetrics metrics(font());
    for (int i = 0; i < kMaskCellKinds; ++i) {
        const QRect swatch(x, y + 5, 12, 12);
        painter.fillRect(swatch, QColor(maskCellColor(static_cast<MaskCell>(i))));
        painter.setPen(palette().mid().color());
        painter.drawRect(swatch);
        painter.setPen(palette().text().color());
        const QString name = tr(kCellNames[i]);
        painter.drawText(QPoint(x + 17, y + 5 + metrics.ascent() - 1), name);
        x += 17 + metrics.horizontalAdvance(name) + 14;
    }
}

void SparsityView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    painter.setPen(palette().text().color());
    if (!m_mask) {
        painter.drawText(rect().adjusted(kMargin, kMargin, -kMargin, -kMargin), Qt::AlignCenter | Qt::TextWordWrap,
            m_message);
        return;
    }
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.drawText(QRect(kMargin, kMargin, width() - 2 * kMargin, kTitle), Qt::AlignLeft | Qt::AlignVCenter,
        tr("%1 \u00b7 %2 \u00d7 %3 \u00b7 %4 % kept")
            .arg(m_title)
            .arg(m_mask->rows())
            .arg(m_mask->cols())
            .arg(100.0 * m_mask->density(), 0, 'f', 1));
    painter.setFont(font());
    const QRect area = matrixRect();
    if (area.width() <= 0 || area.height() <= 0) {
        return;
    }
    painter.save();
    painter.setClipRect(area);
    drawMatrix(painter, area);
    drawGroupLines(painter, area);
    painter.restore();
    painter.setPen(palette().mid().color());
    const QSizeF drawn(std::min<double>(area.width(), (m_mask->cols() - m_origin.x()) * m_zoom),
        std::min<double>(area.height(), (m_mask->rows() - m_origin.y()) * m_zoom));
    painter.drawRect(QRectF(QPointF(area.left() - 1, area.top() - 1), drawn + QSizeF(1, 1)));
    painter.setPen(palette().text().color());
    const int lastCol = std::min(m_mask->cols(), static_cast<int>(std::ceil(m_origin.x() + area.width() / m_zoom))) - 1;
    const int lastRow = std::min(m_mask->rows(), static_cast<int>(std::ceil(m_origin.y() + area.height() / m_zoom))) - 1;
    painter.drawText(QRect(area.left(), area.top() - kAxis, area.width(), kAxis), Qt::AlignCenter,
        tr("input feature (K) %1 \u2192 %2").arg(static_cast<int>(m_origin.x())).arg(lastCol));
    painter.save();
    painter.translate(area.left() - 3, area.center().y());
    painter.rotate(-90);
    painter.drawText(QRect(-area.height() / 2, -kAxis, area.height(), kAxis), Qt::AlignCenter,
        tr("output feature %1 \u2192 %2").arg(static_cast<int>(m_origin.y())).arg(lastRow));
    painter.restore();
    drawStrips(painter, area);
    drawLegend(painter);
}

void SparsityView::resizeEvent(QResizeEvent*)
{
    if (!m_mask) {
        return;
    }
    if (m_fitted) {
        fitToView();
    } else {
        const QRect area = matrixRect();
        m_minZoom = std::max(1e-4,
            std::min(static_cast<double>(area.width()) / m_mask->cols(), static_cast<double>(area.height()) / m_mask->rows()));
        m_zoom = std::max(m_zoom, m_minZoom);
        clampOrigin();
    }
}

void SparsityView::wheelEvent(QWheelEvent* event)
{
    const double steps = event->angleDelta().y() / 120.0;
    setZoom(m_zoom * std::pow(kZoomStep, steps), event->position());
    event->accept();
}

void SparsityView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton && m_mask) {
        m_dragging = true;
        m_dragStart = event->position();
        m_dragOrigin = m_origin;
        setCursor(Qt::ClosedHandCursor);
    }
}

void SparsityView::mouseMoveEvent(QMouseEvent* event)
{
    if (!m_dragging) {
        return;
    }
    m_origin = m_dragOrigin - (event->position() - m_dragStart) / m_zoom;
    m_fitted = false;
    clampOrigin();
    update();
}

void SparsityView::mouseReleaseEvent(QMouseEvent*)
{
    m_dragging = false;
    unsetCursor();
}

void SparsityView::mouseDoubleClickEvent(QMouseEvent*) { fitToView(); }

void SparsityView::keyPressEvent(QKeyEvent* event)
{
    const QPointF center = matrixRect().center();
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        setZoom(m_zoom * kZoomStep * kZoomStep, center);
        break;
    case Qt::Key_Minus:
        setZoom(m_zoom / (kZoomStep * kZoomStep), center);
        break;
    case Qt::Key_0:
        fitToView();
        break;
    default:
        QWidget::keyPressEvent(event);
    }
}

bool SparsityView::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QPoint element = elementAt(help->pos());
        if (element.x() < 0) {
            QToolTip::hideText();
            event->ignore();
            return true;
        }
        const int row = element.x();
        const int col = element.y();
        QToolTip::showText(help->globalPos(),
            tr("output %1, input %2: %3\nrow kept %4 %, column kept %5 %")
                .arg(row)
                .arg(col)
                .arg(tr(kCellNames[static_cast<int>(m_mask->cell(row, col))]))
                .arg(100.0 * m_mask->rowDensity()[static_cast<std::size_t>(row)], 0, 'f', 1)
                .arg(100.0 * m_mask->colDensity()[static_cast<std::size_t>(col)], 0, 'f', 1),
            this);
        return true;
    }
    return QWidget::event(event);
}

} // namespace optiscope::widgets
