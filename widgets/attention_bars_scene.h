// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Geometry of the 3D attention bar field, without any GL: one box per (head, query, key) whose
// height and colour follow the probability. Several heads are tiled in a near-square grid.
#include "attention_data.h"

#include <vtkSmartPointer.h>

#include <array>
#include <vector>

class vtkPolyData;
class vtkLookupTable;

namespace optiscope::widgets {

struct AttentionBarsScene {
    vtkSmartPointer<vtkPolyData> bars; // cell scalars "attention" = probability
    vtkSmartPointer<vtkPolyData> floor; // one flat tile per head
    double maxValue = 0; // colour and height scale
    int heads = 0; // heads shown
    int boxes = 0; // bars actually built (values below kMinVisible skipped)
    std::vector<std::array<double, 3>> headOrigins; // back-left corner of each head's tile, for labels
};

// All heads of one layer (head < 0) or one head; empty scene if the data does not contain it.
AttentionBarsScene buildAttentionBarsScene(const AttentionData& data, int layer, int head);
// Viridis over [0, maxValue], matching the 2D views; opacity rises from minOpacity at 0 to 1 at maxValue
// (1: opaque everywhere, as the bars are).
vtkSmartPointer<vtkLookupTable> makeAttentionLookupTable(double maxValue, double minOpacity = 1.0);

} // namespace optiscope::widgets
