// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Distribution of a tensor's values (bars, linear or log count axis) with what quantization made of it:
// the representable levels as thin lines and the clipping range as dashed lines, labelled in a legend.
#include <QWidget>

#include <span>
#include <vector>

namespace optiscope::widgets {

struct HistogramData {
    QString title;
    QString valueLabel; // x axis, with its unit
    double minValue = 0;
    double maxValue = 0;
    std::vector<std::int64_t> counts; // equal-width bins over [minValue, maxValue]
    std::vector<double> levels; // quantization levels to overlay (empty: none)
    bool hasClipRange = false;
    double clipLow = 0;
    double clipHigh = 0;
    QString note; // one line under the title (error statistics)
};

// Bins values into `bins` equal-width bins over their range (one bin when all are equal).
HistogramData makeHistogram(std::span<const float> values, int bins);

class HistogramView : public QWidget {
    Q_OBJECT
public:
    explicit HistogramView(QWidget* parent = nullptr);

    void setData(HistogramData data);
    const HistogramData& data() const { return m_data; }
    void setLogScale(bool logScale);
    bool logScale() const { return m_log; }

    QSize sizeHint() const override { return { 480, 260 }; }
    QSize minimumSizeHint() const override { return { 240, 160 }; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    HistogramData m_data;
    bool m_log = true;
};

} // namespace optiscope::widgets
