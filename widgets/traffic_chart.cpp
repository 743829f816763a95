// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "traffic_chart.h"

#include <QChart>
#include <QLegend>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>

#include <algorithm>

namespace optiscope::widgets {

TrafficChart::TrafficChart(QWidget* parent)
    : QChartView(parent)
{
    setRenderHint(QPainter::Antialiasing, true);
    chart()->legend()->setAlignment(Qt::AlignBottom);
    chart()->setMargins(QMargins(4, 4, 4, 4));
    clearChart(tr("Run the model to see its memory traffic."));
}

void TrafficChart::clearChart(const QString& message)
{
    QChart* c = chart();
    c->removeAllSeries();
    for (QAbstractAxis* axis : c->axes()) {
        c->removeAxis(axis);
        delete axis;
    }
    m_x = m_y = nullptr;
    m_marker = nullptr;
    c->setTitle(message);
}

void TrafficChart::setSeries(
    const QString& title, const QString& xTitle, const QString& yTitle, const std::vector<Series>& series)
{
    clearChart(title);
    QChart* c = chart();
    // Follow the application palette (light or dark theme).
    c->setBackgroundBrush(palette().color(QPalette::Base));
    c->setTitleBrush(palette().color(QPalette::Text));
    c->legend()->setLabelColor(palette().color(QPalette::Text));
    m_x = new QValueAxis(c);
    m_y = new QValueAxis(c);
    for (QValueAxis* axis : { m_x, m_y }) {
        axis->setLabelsColor(palette().color(QPalette::Text));
        axis->setTitleBrush(palette().color(QPalette::Text));
        axis->setGridLineColor(palette().color(QPalette::Midlight));
    }
    m_x->setTitleText(xTitle);
    m_y->setTitleText(yTitle);
    m_x->setLabelFormat(QStringLiteral("%.0f"));
    c->addAxis(m_x, Qt::AlignBottom);
    c->addAxis(m_y, Qt::AlignLeft);
    double xMax = 1, yMax = 1;
    for (const Series& s : series) {
        auto* line = new QLineSeries(c);
        line->setName(s.name);
        line->setPen(QPen(s.color, 1.5));
        QList<QPointF> points(s.points.begin(), s.points.end());
        line->replace(points);
        for (const QPointF& p : s.points) {
            xMax = std::max(xMax, p.x());
            yMax = std::max(yMax, p.y());
        }
        c->addSeries(line);
        line->attachAxis(m_x);
        line->attachAxis(m_y);
    }
    m_x->setRange(0, xMax);
    m_y->setRange(0, yMax * 1.08);
    m_y->applyNiceNumbers();
    m_marker = new QLineSeries(c);
    m_marker->setName(tr("current cycle"));
    m_marker->setPen(QPen(palette().color(QPalette::Text), 1, Qt::DashLine));
    c->addSeries(m_marker);
    m_marker->attachAxis(m_x);
    m_marker->attachAxis(m_y);
    setMarker(m_markerX);
}

void TrafficChart::setMarker(double x)
{
    m_markerX = x;
    if (!m_marker || !m_x || !m_y) {
        return;
    }
    if (x < m_x->min() || x > m_x->max()) {
        m_marker->clear();
        return;
    }
    m_marker->replace(QList<QPointF> { { x, m_y->min() }, { x, m_y->max() } });
}

int TrafficChart::seriesCount() const
{
    const int all = static_cast<int>(chart()->series().size());
    return m_marker ? all - 1 : all;
}

} // namespace optiscope::widgets
