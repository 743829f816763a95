// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// One number per attention head on a layers × heads grid (e.g. head entropy in bits): each cell
// coloured on the shared viridis scale from 0 to a stated maximum, the value printed inside, a
// colour bar with the unit. A click selects the head; the current one is framed.
#include <QWidget>

#include <vector>

namespace optiscope::widgets {

class HeadValueGridView : public QWidget {
    Q_OBJECT
public:
    explicit HeadValueGridView(QWidget* parent = nullptr);

    // values: [layer * heads + head]; maximum: the colour scale's top (> 0); unit: e.g. "bits".
    void setValues(int layers, int heads, std::vector<float> values, float maximum, const QString& unit);
    void setTitle(const QString& title);
    void setCurrent(int layer, int head);
    float value(int layer, int head) const;
    QRectF cellRect(int layer, int head) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void headSelected(int layer, int head);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    struct Layout {
        double left = 0;
        double top = 0;
        double cell = 0;
    };
    Layout computeLayout() const;
    void paintColourBar(QPainter& painter, const Layout& layout) const;

    int m_layers = 0;
    int m_heads = 0;
    std::vector<float> m_values;
    float m_maximum = 1.0f;
    QString m_unit;
    QString m_title;
    int m_layer = 0;
    int m_head = 0;
};

} // namespace optiscope::widgets
