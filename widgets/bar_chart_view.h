// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// One bar per category (e.g. per layer) with a labelled value axis: the per-layer sensitivity
// chart. QPainter-drawn, so it exports to SVG like the other views; follows the palette.
#include <QColor>
#include <QStringList>
#include <QWidget>

#include <vector>

namespace optiscope::widgets {

class BarChartView : public QWidget {
    Q_OBJECT
public:
    explicit BarChartView(QWidget* parent = nullptr);

    // values may be negative (bars hang below the zero line); non-finite values draw no bar.
    void setBars(const QString& title, const QString& valueTitle, const QStringList& labels,
        const std::vector<double>& values, const QColor& color = QColor(76, 120, 168));
    void clear(const QString& message);

    const std::vector<double>& values() const { return m_values; }
    int highestBar() const; // index of the largest value, -1 when empty
    QRectF barRect(int index) const; // where bar index is drawn, for tests and tooltips
    QSize sizeHint() const override { return { 420, 260 }; }
    QSize minimumSizeHint() const override { return { 220, 160 }; }

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Frame {
        QRectF plot;
        double low = 0;
        double high = 1;
    };
    Frame frame() const;

    QString m_title;
    QString m_valueTitle;
    QStringList m_labels;
    std::vector<double> m_values;
    QColor m_color;
    QString m_message;
};

} // namespace optiscope::widgets
