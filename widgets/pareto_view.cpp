// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "pareto_view.h"

#include "optiscope/core/pareto.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace optiscope::widgets {

namespace {
    constexpr int kMargin = 8;
    constexpr int kTitle = 20;
    constexpr int kLegend = 20;
    constexpr int kLeftAxis = 72;
    constexpr int kBottomAxis = 38;
    constexpr double kPointRadius = 4.5;
    constexpr double kPickRadius = 8;
    const QColor kFrontColor(0xd6, 0x27, 0x28);
    // Tableau 10: distinguishable and colour-blind tolerable.
    const QColor kSeriesColors[]
        = { QColor(0x4e, 0x79, 0xa7), QColor(0xf2, 0x8e, 0x2b), QColor(0x59, 0xa1, 0x4f), QColor(0xb0, 0x7a, 0xa1),
              QColor(0x76, 0xb7, 0xb2), QColor(0xed, 0xc9, 0x48), QColor(0x9c, 0x75, 0x5f), QColor(0xba, 0xb0, 0xac) };

    bool plotted(const ParetoPoint& p, bool logX)
    {
        return std::isfinite(p.x) && std::isfinite(p.y) && (!logX || p.x > 0);
    }

    // "Nice" tick values (1, 2, 5 × 10^k) covering [lo, hi], about `count` of them.
    std::vector<double> niceTicks(double lo, double hi, int count)
    {
        std::vector<double> ticks;
        if (!(hi > lo)) {
            return { lo };
        }
        const double raw = (hi - lo) / std::max(1, count);
        const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
        double step = magnitude;
        for (double m : { 1.0, 2.0, 5.0, 10.0 }) {
            if (m * magnitude >= raw) {
                step = m * magnitude;
                break;
            }
        }
        for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
            ticks.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
        }
        return ticks;
    }

    // Log axis (values are log10): decades, with 2 and 5 when fewer than three decades show.
    std::vector<double> logTicks(double lo, double hi)
    {
        std::vector<double> ticks;
        const bool fine = hi - lo < 3;
        for (double decade = std::floor(lo); decade <= std::ceil(hi); decade += 1) {
            for (double m : { 1.0, 2.0, 5.0 }) {
                const double v = decade + std::log10(m);
                if ((m == 1.0 || fine) && v >= lo - 1e-9 && v <= hi + 1e-9) {
                    ticks.push_back(v);
                }
            }
        }
        return ticks;
    }

    QString tickLabel(double v) { return QString::number(v, 'g', 4); }
}

std::vector<int> paretoFront(const std::vector<ParetoPoint>& points, bool lowerYIsBetter)
{
    std::vector<double> x, y;
    for (const ParetoPoint& p : points) {
        x.push_back(p.x);
        y.push_back(p.y);
    }
    return core::paretoFront(x, y, lowerYIsBetter);
}

ParetoView::ParetoView(QWidget* parent)
    : QWidget(parent)
{
    setMouseTracking(true);
}

void ParetoView::setData(ParetoPlotData data)
{
    m_data = std::move(data);
    m_front = paretoFront(m_data.points, m_data.lowerYIsBetter);
    m_hovered = -1;
    setLogX(m_logX); // recomputes the ranges
}

void ParetoView::setLogX(bool logX)
{
    m_logX = logX;
    bool any = false;
    double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
    for (const auto& p : m_data.points) {
        if (!plotted(p, m_logX)) {
            continue;
        }
        const double x = m_logX ? std::log10(p.x) : p.x;
        x0 = any ? std::min(x0, x) : x;
        x1 = any ? std::max(x1, x) : x;
        y0 = any ? std::min(y0, p.y) : p.y;
        y1 = any ? std::max(y1, p.y) : p.y;
        any = true;
    }
    // 6 % padding so points on the edge are not cut by the axes; a single value gets a unit span.
    const auto pad = [](double& lo, double& hi) {
        const double span = hi > lo ? hi - lo : std::max(std::fabs(lo), 1.0) * 0.1;
        lo -= span * 0.06;
        hi += span * 0.06;
    };
    pad(x0, x1);
    pad(y0, y1);
    m_xMin = x0;
    m_xMax = x1;
    m_yMin = y0;
    m_yMax = y1;
    update();
}

QRectF ParetoView::plotRect() const
{
    return QRectF(QPointF(kMargin + kLeftAxis, kMargin + kTitle + kLegend + 4),
        QPointF(width() - kMargin - 12, height() - kMargin - kBottomAxis));
}

std::optional<QPointF> ParetoView::pointPosition(int index) const
{
    if (index < 0 || index >= static_cast<int>(m_data.points.size()) || !plotted(m_data.points[index], m_logX)) {
        return std::nullopt;
    }
    const QRectF plot = plotRect();
    const ParetoPoint& p = m_data.points[index];
    const double x = m_logX ? std::log10(p.x) : p.x;
    return QPointF(plot.left() + (x - m_xMin) / (m_xMax - m_xMin) * plot.width(),
        plot.bottom() - (p.y - m_yMin) / (m_yMax - m_yMin) * plot.height());
}

int ParetoView::pointAt(const QPointF& pos) const
{
    int best = -1;
    double bestDistance = kPickRadius;
    for (int i = 0; i < static_cast<int>(m_data.points.size()); ++i) {
        if (const auto at = pointPosition(i)) {
            const double d = std::hypot(at->x() - pos.x(), at->y() - pos.y());
            if (d <= bestDistance) {
                best = i;
                bestDistance = d;
            }
        }
    }
    return best;
}

QStringList ParetoView::seriesNames() const
{
    QStringList names;
    for (const auto& p : m_data.points) {
        if (!names.contains(p.series)) {
            names << p.series;
        }
    }
    return names;
}

void ParetoView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.fillRect(rect(), palette().base());
    const QColor text = palette().text().color();
    painter.setPen(text);
    if (m_data.points.empty()) {
        painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
            tr("No sweep results. File \u25b8 Open Sweep Results\u2026 loads a CSV written by optiscope-cli sweep."));
        return;
    }
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.drawText(
        QRect(kMargin, kMargin, width() - 2 * kMargin, kTitle), Qt::AlignLeft | Qt::AlignVCenter, m_data.title);
    painter.setFont(font());
    const QFontMetrics metrics(font());
    const QRectF plot = plotRect();
    if (plot.width() < 40 || plot.height() < 40) {
        return;
    }

    // Legend: one dot per series, then the front.
    const QStringList series = seriesNames();
    const auto colorOf = [&series](const QString& name) {
        return kSeriesColors[std::max<qsizetype>(0, series.indexOf(name)) % std::size(kSeriesColors)];
    };
    double lx = kMargin;
    const double ly = kMargin + kTitle + kLegend / 2.0;
    for (const QString& name : series) {
        painter.setPen(Qt::NoPen);
        painter.setBrush(colorOf(name));
        painter.drawEllipse(QPointF(lx + kPointRadius, ly), kPointRadius, kPointRadius);
        const QString label = name.isEmpty() ? tr("points") : name;
        painter.setPen(text);
        painter.drawText(QPointF(lx + 2 * kPointRadius + 4, ly + metrics.ascent() / 2.0 - 1), label);
        lx += 2 * kPointRadius + 4 + metrics.horizontalAdvance(label) + 14;
    }
    painter.setPen(QPen(kFrontColor, 1.5));
    painter.setBrush(Qt::NoBrush);
    painter.drawLine(QPointF(lx, ly), QPointF(lx + 18, ly));
    painter.drawEllipse(QPointF(lx + 9, ly), kPointRadius + 2.5, kPointRadius + 2.5);
    painter.setPen(text);
    painter.drawText(QPointF(lx + 24, ly + metrics.ascent() / 2.0 - 1),
        m_data.lowerYIsBetter ? tr("Pareto front (smaller and lower is better)")
                              : tr("Pareto front (smaller and higher is better)"));

    // Grid, ticks and labels.
    const auto xPixel = [&](double v) { return plot.left() + (v - m_xMin) / (m_xMax - m_xMin) * plot.width(); };
    const auto yPixel = [&](double v) { return plot.bottom() - (v - m_yMin) / (m_yMax - m_yMin) * plot.height(); };
    const QColor grid = palette().mid().color();
    for (double v : m_logX ? logTicks(m_xMin, m_xMax) : niceTicks(m_xMin, m_xMax, 6)) {
        const double x = xPixel(v);
        painter.setPen(QPen(grid, 0.5, Qt::DotLine));
        painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        painter.setPen(text);
        const QString label = tickLabel(m_logX ? std::pow(10.0, v) : v);
        painter.drawText(
            QPointF(x - metrics.horizontalAdvance(label) / 2.0, plot.bottom() + 4 + metrics.ascent()), label);
    }
    for (double v : niceTicks(m_yMin, m_yMax, 5)) {
        const double y = yPixel(v);
        painter.setPen(QPen(grid, 0.5, Qt::DotLine));
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        painter.setPen(text);
        const QString label = tickLabel(v);
        painter.drawText(
            QPointF(plot.left() - 5 - metrics.horizontalAdvance(label), y + metrics.ascent() / 2.0 - 1), label);
    }
    painter.setPen(text);
    painter.drawRect(plot);
    painter.drawText(QRectF(plot.left(), plot.bottom() + 4 + metrics.height(), plot.width(), metrics.height() + 2),
        Qt::AlignCenter, m_data.xLabel + (m_logX ? tr(" \u2014 log scale") : QString()));
    painter.save();
    painter.translate(kMargin + metrics.height() / 2.0, plot.center().y());
    painter.rotate(-90);
    painter.drawText(QRectF(-plot.height() / 2, -metrics.height() / 2.0, plot.height(), metrics.height()),
        Qt::AlignCenter | Qt::TextDontClip, m_data.yLabel);
    painter.restore();

    // The front as a staircase (what the best choice at each budget is), then the points.
    painter.setClipRect(plot.adjusted(-kPointRadius, -kPointRadius, kPointRadius, kPointRadius));
    QPainterPath stairs;
    for (std::size_t k = 0; k < m_front.size(); ++k) {
        const auto at = pointPosition(m_front[k]);
        if (!at) {
            continue;
        }
        if (stairs.elementCount() == 0) {
            stairs.moveTo(*at);
        } else {
            stairs.lineTo(at->x(), stairs.currentPosition().y());
            stairs.lineTo(*at);
        }
    }
    painter.setPen(QPen(kFrontColor, 1.5, Qt::DashLine));
    painter.setBrush(Qt::NoBrush);
    painter.drawPath(stairs);
    for (int i = 0; i < static_cast<int>(m_data.points.size()); ++i) {
        if (const auto at = pointPosition(i)) {
            painter.setPen(QPen(palette().base().color(), 1));
            painter.setBrush(colorOf(m_data.points[i].series));
            painter.drawEllipse(*at, kPointRadius, kPointRadius);
        }
    }
    painter.setBrush(Qt::NoBrush);
    painter.setPen(QPen(kFrontColor, 2));
    for (int i : m_front) {
        if (const auto at = pointPosition(i)) {
            painter.drawEllipse(*at, kPointRadius + 2.5, kPointRadius + 2.5);
        }
    }
    if (const auto at = pointPosition(m_hovered)) {
        painter.setPen(QPen(text, 1.5));
        painter.drawEllipse(*at, kPointRadius + 5, kPointRadius + 5);
    }
}

void ParetoView::mouseMoveEvent(QMouseEvent* event)
{
    const int hovered = pointAt(event->position());
    if (hovered != m_hovered) {
        m_hovered = hovered;
        setCursor(hovered >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
        update();
    }
    QWidget::mouseMoveEvent(event);
}

void ParetoView::mousePressEvent(QMouseEvent* event)
{
    const int index = event->button() == Qt::LeftButton ? pointAt(event->position()) : -1;
    if (index >= 0) {
        emit pointClicked(m_data.points[index].id);
        return;
    }
    QWidget::mousePressEvent(event);
}

bool ParetoView::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int index = pointAt(help->pos());
        if (index >= 0) {
            QToolTip::showText(help->globalPos(), m_data.points[index].tooltip, this);
        } else {
            QToolTip::hideText();
            event->ignore();
        }
        return true;
    }
    return QWidget::event(event);
}

} // namespace optiscope::widgets
