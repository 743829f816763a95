// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A weight matrix's mask, zoomable (wheel, +/-) and pannable (drag), output features down and input
// features across, with the kept fraction of every row and column in strips beside it. Far out, a pixel
// shows the kept fraction of the elements under it (MaskPyramid); close in, each element is a square and
// the pattern's groups (N:M along the input, p x q blocks) are outlined.
#include "mask_pyramid.h"

#include <QWidget>

#include <memory>

namespace optiscope::widgets {

struct MaskPattern {
    int groupSize = 0; // N:M: M consecutive input features
    int blockRows = 0; // block pruning: rows x cols
    int blockCols = 0;
};

class SparsityView : public QWidget {
    Q_OBJECT
public:
    explicit SparsityView(QWidget* parent = nullptr);

    void setMask(std::shared_ptr<const MaskPyramid> mask, const QString& title, MaskPattern pattern = {});
    void clear(const QString& message);
    const MaskPyramid* mask() const { return m_mask.get(); }

    // Screen pixels per element; fitted to the widget when a mask is set.
    double zoom() const { return m_zoom; }
    void setZoom(double zoom, QPointF anchor); // anchor: widget position that stays put
    void fitToView();
    // Element coordinates (column, row) at the matrix area's top-left corner.
    QPointF origin() const { return m_origin; }
    QRect matrixRect() const;
    // {row, col} under a widget position, or {-1, -1}.
    QPoint elementAt(QPointF position) const;
    // The pyramid level the current zoom draws from.
    int drawLevel() const;

    QSize sizeHint() const override { return { 560, 480 }; }
    QSize minimumSizeHint() const override { return { 260, 220 }; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    bool event(QEvent* event) override;

private:
    void clampOrigin();
    void drawMatrix(QPainter& painter, const QRect& area) const;
    void drawGroupLines(QPainter& painter, const QRect& area) const;
    void drawStrips(QPainter& painter, const QRect& area) const;
    void drawLegend(QPainter& painter) const;

    std::shared_ptr<const MaskPyramid> m_mask;
    MaskPattern m_pattern;
    QString m_title;
    QString m_message;
    double m_zoom = 1.0;
    double m_minZoom = 1.0;
    QPointF m_origin;
    QPointF m_dragStart;
    QPointF m_dragOrigin;
    bool m_dragging = false;
    bool m_fitted = true; // follow resizes until the user zooms or pans
};

} // namespace optiscope::widgets
