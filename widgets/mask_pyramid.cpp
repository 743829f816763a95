// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "mask_pyramid.h"


#include <algorithm>

namespace optiscope::widgets {

namespace {
    // Kept elements dark, pruned ones light, structural removals in their own hues.
    constexpr QRgb kColors[kMaskCellKinds] = { qRgb(0x2b, 0x4c, 0x7e), qRgb(0xee, 0xee, 0xee), qRgb(0xf4, 0xc4, 0x8a),
        qRgb(0xc6, 0xa6, 0xde) };

    // Coarser levels: colour by kept fraction between the pruned and the kept colour.
    QRgb densityColor(float kept)
    {
        const QColor low(kColors[1]);
        const QColor high(kColors[0]);
        const auto mix = [kept](int a, int b) { return static_cast<int>(a + (b - a) * kept + 0.5f); };
        return qRgb(mix(low.red(), high.red()), mix(low.green(), high.green()), mix(low.blue(), high.blue()));
    }
}

QRgb maskCellColor(MaskCell cell) { return kColors[static_cast<int>(cell)]; }

MaskPyramid::MaskPyramid(int rows, int cols, std::span<const MaskCell> cells)
    : m_rows(rows)
    , m_cols(cols)
    , m_cells(cells.begin(), cells.end())
    , m_rowDensity(static_cast<std::size_t>(rows), 0.0f)
    , m_colDensity(static_cast<std::size_t>(cols), 0.0f)
{
    if (rows <= 0 || cols <= 0 || cells.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols)) {
        *this = MaskPyramid();
        return;
    }
    // Level 0 and the kept fractions that feed the coarser levels.
    QImage base(cols, rows, QImage::Format_RGB32);
    std::vector<float> kept(cells.size());
    std::int64_t keptTotal = 0;
    for (int r = 0; r < rows; ++r) {
        auto* line = reinterpret_cast<QRgb*>(base.scanLine(r));
        for (int c = 0; c < cols; ++c) {
            const std::size_t i = static_cast<std::size_t>(r) * cols + c;
            line[c] = kColors[static_cast<int>(cells[i])];
            const bool isKept = cells[i] == MaskCell::Kept;
            kept[i] = isKept ? 1.0f : 0.0f;
            m_rowDensity[static_cast<std::size_t>(r)] += kept[i];
            m_colDensity[static_cast<std::size_t>(c)] += kept[i];
            keptTotal += isKept;
        }
    }
    for (float& d : m_rowDensity) {
        d /= static_cast<float>(cols);
    }
    for (float& d : m_colDensity) {
        d /= static_cast<float>(rows);
    }
    m_density = static_cast<double>(keptTotal) / static_cast<double>(cells.size());
    m_levels.push_back(std::move(base));

    int w = cols;
    int h = rows;
    while (w > 1 || h > 1) {
        const int nw = (w + 1) / 2;
        const int nh = (h + 1) / 2;
        std::vector<float> next(static_cast<std::size_t>(nw) * nh);
        QImage image(nw, nh, QImage::Format_RGB32);
        for (int y = 0; y < nh; ++y) {
            auto* line = reinterpret_cast<QRgb*>(image.scanLine(y));
            for (int x = 0; x < nw; ++x) {
                float sum = 0;
                int n = 0;
                for (int dy = 0; dy < 2 && 2 * y + dy < h; ++dy) {
                    for (int dx = 0; dx < 2 && 2 * x + dx < w; ++dx) {
                        sum += kept[static_cast<std::size_t>(2 * y + dy) * w + (2 * x + dx)];
                        ++n;
                    }
                }
                const float value = sum / static_cast<float>(n);
                next[static_cast<std::size_t>(y) * nw + x] = value;
                line[x] = densityColor(value);
            }
        }
        kept = std::move(next);
        w = nw;
        h = nh;
        m_levels.push_back(std::move(image));
    }
}

} // namespace optiscope::widgets
