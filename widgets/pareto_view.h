// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Scatter of sweep results, e.g. perplexity against compact size: one colour per series, the
// Pareto front (no other point is at most as large and at least as good, and better in one) ringed
// and joined, axes with units, optional log x. Hovering a point shows its parameters; clicking one
// emits pointClicked with its id.
#include <QWidget>

#include <optional>
#include <vector>

namespace optiscope::widgets {

struct ParetoPoint {
    double x = 0; // cost: lower is better (bytes, MACs)
    double y = 0; // quality: lower or higher is better, see ParetoPlotData::lowerYIsBetter
    QString series; // legend entry ("" = one unnamed series)
    QString tooltip; // the point's parameters, one per line
    int id = 0; // handed back by pointClicked (e.g. the CSV row)
};

struct ParetoPlotData {
    QString title;
    QString xLabel; // with its unit, e.g. "compact size (MB)"
    QString yLabel;
    bool lowerYIsBetter = true; // perplexity, KL: true; top-1 agreement, accuracy: false
    std::vector<ParetoPoint> points; // non-finite coordinates are left out of the plot
};

// Indices of the non-dominated points, by increasing x (core/pareto.h: the report uses the same
// definition). Equal points are all kept.
std::vector<int> paretoFront(const std::vector<ParetoPoint>& points, bool lowerYIsBetter);

class ParetoView : public QWidget {
    Q_OBJECT
public:
    explicit ParetoView(QWidget* parent = nullptr);

    void setData(ParetoPlotData data);
    const ParetoPlotData& data() const { return m_data; }
    const std::vector<int>& front() const { return m_front; } // indices into data().points
    void setLogX(bool logX);
    bool logX() const { return m_logX; }
    // Where point i is drawn (widget coordinates); empty when it is not drawn.
    std::optional<QPointF> pointPosition(int index) const;
    // The point under pos within the pick radius, or -1.
    int pointAt(const QPointF& pos) const;

    QSize sizeHint() const override { return { 560, 380 }; }
    QSize minimumSizeHint() const override { return { 280, 200 }; }

signals:
    void pointClicked(int id);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    bool event(QEvent* event) override; // tooltips

private:
    QRectF plotRect() const;
    QStringList seriesNames() const;

    ParetoPlotData m_data;
    std::vector<int> m_front;
    bool m_logX = false;
    int m_hovered = -1;
    double m_xMin = 0, m_xMax = 1, m_yMin = 0, m_yMax = 1; // axis ranges (log10 for a log x)
};

} // namespace optiscope::widgets
