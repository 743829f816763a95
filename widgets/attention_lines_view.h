// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The head view (after BertViz): the tokens twice, queries on the left and keys on the right, a line
// from query i to key j whose opacity is the attention p(i → j) relative to the head's maximum. One
// head in one colour, or every head of the layer in its own colour. Hovering a token keeps only its
// lines; pruned tokens are greyed. Difference data draws positive lines red and negative blue.
#include "attention_data.h"

#include <QWidget>

namespace optiscope::widgets {

class AttentionLinesView : public QWidget {
    Q_OBJECT
public:
    explicit AttentionLinesView(QWidget* parent = nullptr);

    void setData(AttentionDataPtr data);
    void setSelection(int layer, int head);
    void setAllHeads(bool allHeads);
    // Only the lines of one query (left) or key (right) token; -1 clears.
    void setFocusToken(int token, bool isQuery);

    bool allHeads() const { return m_allHeads; }
    int layer() const { return m_layer; }
    int head() const { return m_head; }
    // Lines drawn in the last paint (those above the visibility floor), for tests.
    int drawnLineCount() const { return m_drawnLines; }
    // The colour of head h in the all-heads mode.
    static QColor headColour(int head);
    // Anchor points of a token's label on either side, in widget coordinates.
    QPointF queryAnchor(int token) const;
    QPointF keyAnchor(int token) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    struct Layout {
        double top = 0;
        double row = 0;
        double leftText = 0; // right edge of the query labels
        double rightText = 0; // left edge of the key labels
    };
    Layout computeLayout() const;
    void paintLines(QPainter& painter, const Layout& layout);
    void paintLabels(QPainter& painter, const Layout& layout) const;
    void paintLegend(QPainter& painter) const;
    bool visible(int query, int key) const;

    AttentionDataPtr m_data;
    QStringList m_labels;
    int m_labelWidth = 0;
    int m_layer = 0;
    int m_head = 0;
    bool m_allHeads = false;
    int m_focusToken = -1;
    bool m_focusIsQuery = true;
    int m_drawnLines = 0;
};

} // namespace optiscope::widgets
