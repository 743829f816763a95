// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Memory traffic over time (Qt Charts): one line per operand stream, words per cycle against the
// cycle, with a vertical marker at the cycle on screen. Fed plain points; knows nothing of accelsim.
#include <QChartView>
#include <QColor>
#include <QPointF>
#include <QString>

#include <vector>

class QLineSeries;
class QValueAxis;

namespace optiscope::widgets {

class TrafficChart : public QChartView {
    Q_OBJECT
public:
    struct Series {
        QString name;
        QColor color;
        std::vector<QPointF> points; // x ascending
    };

    explicit TrafficChart(QWidget* parent = nullptr);

    void setSeries(const QString& title, const QString& xTitle, const QString& yTitle, const std::vector<Series>& series);
    void setMarker(double x); // the current cycle; outside the x range hides it
    void clearChart(const QString& message);

    int seriesCount() const; // data series, the marker not counted
    double markerX() const { return m_markerX; }
    QSize sizeHint() const override { return { 420, 220 }; }

private:
    QValueAxis* m_x = nullptr;
    QValueAxis* m_y = nullptr;
    QLineSeries* m_marker = nullptr;
    double m_markerX = -1;
};

} // namespace optiscope::widgets
