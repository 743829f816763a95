// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "pe_activity_scene.h"

#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkUnsignedCharArray.h>

#include <algorithm>

namespace optiscope::widgets {
namespace {
    // The window's height at most this many times its wider side, so long windows do not become towers.
    constexpr double kMaxHeightOverSide = 1.5;

    struct Builder {
        const PeActivityData& data;
        const std::vector<QColor>& colors;
        double zScale;
        vtkNew<vtkPoints> points;
        vtkNew<vtkCellArray> quads;
        vtkNew<vtkUnsignedCharArray> rgb;

        bool drawn(int slice, int row, int col) const
        {
            if (slice < 0 || slice >= data.cycles || row < 0 || row >= data.gridRows || col < 0
                || col >= data.gridCols) {
                return false;
            }
            return slice == data.currentSlice || data.at(slice, row, col) != data.idleState;
        }

        // One face of the voxel at (x, y, z): corner offsets as 0/1 per axis, counter-clockwise from outside.
        void face(double x, double y, double z0, double z1, const int (&corners)[4][3], const QColor& c)
        {
            vtkIdType ids[4];
            for (int i = 0; i < 4; ++i) {
                ids[i] = points->InsertNextPoint(x + corners[i][0], y + corners[i][1], corners[i][2] ? z1 : z0);
            }
            quads->InsertNextCell(4, ids);
            const unsigned char value[3] = { static_cast<unsigned char>(c.red()), static_cast<unsigned char>(c.green()),
                static_cast<unsigned char>(c.blue()) };
            rgb->InsertNextTypedTuple(value);
        }
    };

    // Faces as (neighbour offset in slice,row,col; corners). x grows with the column; row 0 is at the back
    // (largest y), as it is at the top of the 2D grid.
    struct Face {
        int ds, dr, dc;
        int corners[4][3];
    };
    constexpr Face kFaces[6] = {
        { 1, 0, 0, { { 0, 0, 1 }, { 1, 0, 1 }, { 1, 1, 1 }, { 0, 1, 1 } } }, // top (later cycle)
        { -1, 0, 0, { { 0, 0, 0 }, { 0, 1, 0 }, { 1, 1, 0 }, { 1, 0, 0 } } }, // bottom
        { 0, 1, 0, { { 0, 0, 0 }, { 1, 0, 0 }, { 1, 0, 1 }, { 0, 0, 1 } } }, // y low (row + 1)
        { 0, -1, 0, { { 1, 1, 0 }, { 0, 1, 0 }, { 0, 1, 1 }, { 1, 1, 1 } } }, // y high (row - 1)
        { 0, 0, -1, { { 0, 1, 0 }, { 0, 0, 0 }, { 0, 0, 1 }, { 0, 1, 1 } } }, // x low
        { 0, 0, 1, { { 1, 0, 0 }, { 1, 1, 0 }, { 1, 1, 1 }, { 1, 0, 1 } } }, // x high
    };
}

PeActivityScene buildPeActivityScene(const PeActivityData& data, const std::vector<QColor>& colors)
{
    PeActivityScene scene;
    scene.voxels = vtkSmartPointer<vtkPolyData>::New();
    scene.currentFrame = vtkSmartPointer<vtkPolyData>::New();
    if (!data.isValid() || colors.empty()) {
        return scene;
    }
    const double side = std::max(data.gridRows, data.gridCols);
    scene.zScale = std::min(1.0, kMaxHeightOverSide * side / data.cycles);
    scene.voxelsPerState.assign(colors.size(), 0);
    Builder b { data, colors, scene.zScale, {}, {}, {} };
    b.rgb->SetNumberOfComponents(3);
    b.rgb->SetName("state colour");
    for (int s = 0; s < data.cycles; ++s) {
        const double z0 = s * scene.zScale;
        const double z1 = (s + 1) * scene.zScale;
        for (int r = 0; r < data.gridRows; ++r) {
            for (int c = 0; c < data.gridCols; ++c) {
                const std::size_t state = std::min<std::size_t>(data.at(s, r, c), colors.size() - 1);
                ++scene.voxelsPerState[state];
                if (!b.drawn(s, r, c)) {
                    continue;
                }
                ++scene.drawnVoxels;
                for (const Face& f : kFaces) {
                    // Opaque voxels: a face against a drawn neighbour is never seen.
                    if (!b.drawn(s + f.ds, r + f.dr, c + f.dc)) {
                        b.face(c, data.gridRows - 1 - r, z0, z1, f.corners, colors[state]);
                    }
                }
            }
        }
    }
    scene.quads = static_cast<int>(b.quads->GetNumberOfCells());
    scene.voxels->SetPoints(b.points);
    scene.voxels->SetPolys(b.quads);
    scene.voxels->GetCellData()->SetScalars(b.rgb);

    if (data.currentSlice >= 0 && data.currentSlice < data.cycles) {
        // A frame just outside the current slice, above and below it: where "now" is in the window.
        vtkNew<vtkPoints> points;
        vtkNew<vtkCellArray> lines;
        const double pad = 0.15;
        for (const double z : { data.currentSlice * scene.zScale, (data.currentSlice + 1) * scene.zScale }) {
            const vtkIdType base = points->GetNumberOfPoints();
            points->InsertNextPoint(-pad, -pad, z);
            points->InsertNextPoint(data.gridCols + pad, -pad, z);
            points->InsertNextPoint(data.gridCols + pad, data.gridRows + pad, z);
            points->InsertNextPoint(-pad, data.gridRows + pad, z);
            const vtkIdType loop[5] = { base, base + 1, base + 2, base + 3, base };
            lines->InsertNextCell(5, loop);
        }
        scene.currentFrame->SetPoints(points);
        scene.currentFrame->SetLines(lines);
    }
    return scene;
}

} // namespace optiscope::widgets
