// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The systolic array at one cycle: an R x C grid of processing elements, each coloured by its state
// (idle, loading, MAC, draining, stalled), with a legend that counts the PEs in each state. Fed plain
// state indices, so the view knows nothing of the simulator; one pixel per PE in an image scaled
// without smoothing keeps a 128 x 128 array far above 60 frames per second.
#include <QImage>
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <span>
#include <vector>

namespace optiscope::widgets {

class PeGridView : public QWidget {
    Q_OBJECT
public:
    explicit PeGridView(QWidget* parent = nullptr);

    // State names and colours, index = state value; the legend lists them in this order.
    void setStateLegend(const QStringList& names, const std::vector<QColor>& colors);
    // states: rows * cols values, row-major; values past the legend draw as the last colour.
    void setStates(int rows, int cols, std::span<const std::uint8_t> states);
    void setTitle(const QString& title);
    void clear(const QString& message);
    // Teaching: a few short lines per PE (row-major, rows * cols entries, e.g. the operand values at this
    // cycle), drawn inside each PE once PEs are large enough to read them; empty clears.
    void setCellTexts(std::vector<QStringList> texts);
    // Texts are set and the PEs are large enough to show them.
    bool showsCellTexts() const;
    const std::vector<QStringList>& cellTexts() const { return m_cellTexts; }

    int rows() const { return m_rows; }
    int cols() const { return m_cols; }
    // PEs in each legend state at the current cycle.
    const std::vector<int>& stateCounts() const { return m_counts; }
    // Widget rectangle of the grid; empty when nothing is shown.
    QRect gridRect() const;
    // {row, col} of the PE under a widget position, or {-1, -1}.
    QPoint peAt(QPoint position) const;

    QSize sizeHint() const override { return { 420, 420 }; }
    QSize minimumSizeHint() const override { return { 220, 200 }; }

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    QRect legendRect() const;
    void paintCellTexts(QPainter& painter, const QRect& grid) const;

    QStringList m_names;
    std::vector<QRgb> m_colors;
    std::vector<std::uint8_t> m_states;
    std::vector<int> m_counts;
    std::vector<QStringList> m_cellTexts;
    QImage m_image; // cols x rows pixels
    int m_rows = 0;
    int m_cols = 0;
    QString m_title;
    QString m_message;
};

} // namespace optiscope::widgets
