// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Layers × heads grid of small attention maps (rows "L0…", columns "H0…"); a click selects
// one, the current one is framed.
#include "attention_data.h"

#include <QImage>
#include <QWidget>

#include <vector>

namespace optiscope::widgets {

class HeadGridView : public QWidget {
    Q_OBJECT
public:
    explicit HeadGridView(QWidget* parent = nullptr);

    void setData(AttentionDataPtr data);
    // Does not emit headSelected (only user clicks do).
    void setCurrent(int layer, int head);
    int currentLayer() const { return m_layer; }
    int currentHead() const { return m_head; }
    // Widget coordinates of one thumbnail; empty when nothing is shown.
    QRect thumbnailRect(int layer, int head) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void headSelected(int layer, int head);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Layout {
        int left = 0;
        int top = 0;
        int cell = 0; // thumbnail side + spacing
    };
    Layout computeLayout() const;
    QPoint headAt(QPoint position) const; // {layer, head} or {-1, -1}

    AttentionDataPtr m_data;
    std::vector<QImage> m_thumbnails; // [layer * heads + head], T×T pixels
    int m_layer = 0;
    int m_head = 0;
};

} // namespace optiscope::widgets
