// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A weight mask as an image pyramid for a zoomable view: level 0 has one pixel per element, coloured by
// what happened to it; each further level halves both sides and shows the kept fraction of the 2 x 2
// pixels below it. Drawing any zoom then touches at most about one screen of pixels, so a 3072 x 768
// FFN mask pans and zooms as smoothly as a small one.
#include <QImage>

#include <cstdint>
#include <span>
#include <vector>

namespace optiscope::widgets {

// What one element of a mask is; the view's legend lists them in this order.
enum class MaskCell : std::uint8_t {
    Kept,
    Pruned, // by an element-wise or group (N:M, block) decision
    PrunedRow, // its whole output feature (row) is pruned: neurons, heads
    PrunedColumn, // its whole input feature (column) is pruned
};
inline constexpr int kMaskCellKinds = 4;

QRgb maskCellColor(MaskCell cell);

class MaskPyramid {
public:
    MaskPyramid() = default;
    // cells: rows x cols, row-major.
    MaskPyramid(int rows, int cols, std::span<const MaskCell> cells);

    int rows() const { return m_rows; }
    int cols() const { return m_cols; }
    bool isEmpty() const { return m_levels.empty(); }
    int levelCount() const { return static_cast<int>(m_levels.size()); }
    // Level l has ceil(cols / 2^l) x ceil(rows / 2^l) pixels.
    const QImage& level(int index) const { return m_levels[static_cast<std::size_t>(index)]; }
    MaskCell cell(int row, int col) const { return m_cells[static_cast<std::size_t>(row) * m_cols + col]; }
    // Kept fraction of each row / column (the density strips).
    const std::vector<float>& rowDensity() const { return m_rowDensity; }
    const std::vector<float>& colDensity() const { return m_colDensity; }
    double density() const { return m_density; }

private:
    int m_rows = 0;
    int m_cols = 0;
    std::vector<MaskCell> m_cells;
    std::vector<QImage> m_levels;
    std::vector<float> m_rowDensity;
    std::vector<float> m_colDensity;
    double m_density = 1.0;
};

} // namespace optiscope::widgets
