// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The attention tensor (layer x head x query x key) as a stack of translucent slices, without any GL:
// either the heads of one layer (head x query x key) or the layers of one head (layer x query x key).
// Each slice is a heatmap of quads; near-zero cells are left out (only the slice's outline shows them), so
// the stack can be seen through, and the cells' opacity grows with the probability.
#include "attention_data.h"

#include <vtkSmartPointer.h>

#include <array>
#include <vector>

class vtkPolyData;
class vtkLookupTable;

namespace optiscope::widgets {

enum class AttentionStack { HeadsOfLayer, LayersOfHead };

struct AttentionVolumeScene {
    vtkSmartPointer<vtkPolyData> cells; // quads, cell scalars "attention"
    vtkSmartPointer<vtkPolyData> outlines; // one rectangle per slice
    double maxValue = 0; // colour scale end
    double sliceSpacing = 1; // scene units between slices
    int slices = 0;
    int quads = 0;
    std::vector<std::array<double, 3>> sliceLabelPositions; // beside each slice, for "H3" / "L2"
};

// fixed: the layer (HeadsOfLayer) or head (LayersOfHead) held fixed. Empty scene when out of range.
AttentionVolumeScene buildAttentionVolumeScene(const AttentionData& data, AttentionStack stack, int fixed);
// The bars' viridis table with opacity rising from a quarter at 0 to 1 at maxValue, so faint cells of
// the stacked slices let the slices below show through.
vtkSmartPointer<vtkLookupTable> makeAttentionVolumeLookupTable(double maxValue);

} // namespace optiscope::widgets
