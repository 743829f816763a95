// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// PE activity over time as voxels, without any GL: x = PE column, y = PE row, z = cycle. Fed plain
// state indices (the same legend as the 2D PE grid), so this knows nothing of the simulator. Idle
// PEs are drawn only in the current cycle's slice (a full grid, like the 2D view); elsewhere they are
// empty space, so the work of each fold stands out as solid blocks. Faces between two drawn voxels
// are left out: a 32 x 32 x 64 window of MACs costs a few thousand quads, not 400 000.
#include <QColor>
#include <QString>

#include <vtkSmartPointer.h>

#include <cstdint>
#include <vector>

class vtkPolyData;

namespace optiscope::widgets {

struct PeActivityData {
    int arrayRows = 0; // the PE array
    int arrayCols = 0;
    int gridRows = 0; // cells drawn: the array, or blocks of it for large arrays
    int gridCols = 0;
    int blockRows = 1; // PEs per cell (a cell shows its block's most common state)
    int blockCols = 1;
    std::int64_t firstCycle = 0; // cycle number of slice 0 (global, as the panel shows it)
    std::int64_t layerFirstCycle = 0; // the layer's first cycle: the axis counts cycles of the layer
    int cycles = 0; // slices
    int currentSlice = -1; // the shown cycle's slice
    std::uint8_t idleState = 0;
    std::vector<std::uint8_t> states; // [slice][gridRow][gridCol]
    QString title; // what is stepped, e.g. the matrix product's name

    bool isValid() const
    {
        return gridRows > 0 && gridCols > 0 && cycles > 0
            && states.size() == static_cast<std::size_t>(cycles) * gridRows * gridCols;
    }
    std::uint8_t at(int slice, int row, int col) const
    {
        return states[(static_cast<std::size_t>(slice) * gridRows + row) * gridCols + col];
    }
};

struct PeActivityScene {
    vtkSmartPointer<vtkPolyData> voxels; // quads with RGB cell colours ("state colour")
    vtkSmartPointer<vtkPolyData> currentFrame; // outline of the current cycle's slice
    int drawnVoxels = 0;
    int quads = 0;
    double zScale = 1; // scene units per cycle (long windows are squashed to stay readable)
    std::vector<int> voxelsPerState; // over the window, drawn or not
};

// colors: one per state index; states past the end draw in the last colour.
PeActivityScene buildPeActivityScene(const PeActivityData& data, const std::vector<QColor>& colors);

} // namespace optiscope::widgets
