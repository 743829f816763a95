// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// T×T attention map of one layer/head: token labels on both axes (x rotated, thinned when
// crowded), a colour bar "attention probability", tooltip "query → key: p".
#include "attention_data.h"

#include <QImage>
#include <QWidget>

namespace optiscope::widgets {

class AttentionHeatmapView : public QWidget {
    Q_OBJECT
public:
    enum class ScaleMode { HeadMaximum, UnitInterval };

    explicit AttentionHeatmapView(QWidget* parent = nullptr);

    void setData(AttentionDataPtr data);
    void setSelection(int layer, int head);
    void setScaleMode(ScaleMode mode);
    // For matrices that are not one head's probabilities (e.g. attention rollout): the title, with %1 the
    // layer and %2 the token count, and the colour bar's label. Empty restores the defaults.
    void setCaption(const QString& titleFormat, const QString& valueName);

    const AttentionDataPtr& data() const { return m_data; }
    int layer() const { return m_layer; }
    int head() const { return m_head; }
    bool hasMatrix() const;
    // Probability shown at (query, key); NaN when nothing is shown.
    float value(int query, int key) const;
    float scaleMaximum() const { return m_scaleMax; }
    // "Layer 1 · Head 0 · 20 tokens", plus " · 14 kept" when the run pruned tokens.
    QString titleText() const;
    // Widget coordinates of one cell; empty when nothing is shown.
    QRectF cellRect(int query, int key) const;
    // Every labelStride()-th token is labelled on each axis (1 = all).
    int labelStride() const;
    // {query, key} under a point, or {-1, -1}.
    QPoint cellAt(QPointF position) const;
    QString toolTipAt(QPointF position) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void cellHovered(int query, int key);

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    struct Layout {
        QRectF matrix; // the T×T square
        QRectF colourBar;
        double cell = 0;
        int labelWidth = 0;
    };
    Layout computeLayout() const;
    void rebuildImage();
    void paintAxes(QPainter& painter, const Layout& layout) const;
    void paintPrunedTokens(QPainter& painter, const Layout& layout) const;
    void paintColourBar(QPainter& painter, const Layout& layout) const;

    AttentionDataPtr m_data;
    int m_layer = 0;
    int m_head = 0;
    ScaleMode m_scaleMode = ScaleMode::HeadMaximum;
    QString m_titleFormat;
    QString m_valueName;
    float m_scaleMax = 1.0f;
    QImage m_image; // T×T, one pixel per cell
    QStringList m_labels; // display labels
    int m_maxLabelWidth = 0;
};

} // namespace optiscope::widgets
