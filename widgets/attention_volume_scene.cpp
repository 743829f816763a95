// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_volume_scene.h"

#include "attention_bars_scene.h"

#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkFloatArray.h>
#include <vtkLookupTable.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>

#include <algorithm>

namespace optiscope::widgets {
namespace {
    // Cells below this fraction of the scale are not drawn: GPT-2's causal mask and the long tail
    // would otherwise fog the stack.
    constexpr double kMinVisibleFraction = 0.02;
    constexpr double kMinOpacity = 0.25;
    // The stack about as tall as a slice is wide, but slices never closer than one cell.
    constexpr double kStackHeightOverSide = 1.0;
}

AttentionVolumeScene buildAttentionVolumeScene(const AttentionData& data, AttentionStack stack, int fixed)
{
    AttentionVolumeScene scene;
    scene.cells = vtkSmartPointer<vtkPolyData>::New();
    scene.outlines = vtkSmartPointer<vtkPolyData>::New();
    const bool headsOfLayer = stack == AttentionStack::HeadsOfLayer;
    if (!data.isValid() || fixed < 0 || fixed >= (headsOfLayer ? data.layers : data.heads)) {
        return scene;
    }
    scene.slices = headsOfLayer ? data.heads : data.layers;
    const int t = data.tokens;
    auto matrixOf = [&](int slice) {
        return headsOfLayer ? data.matrix(fixed, slice) : data.matrix(slice, fixed);
    };
    for (int s = 0; s < scene.slices; ++s) {
        const float* m = matrixOf(s);
        scene.maxValue = std::max<double>(scene.maxValue, *std::max_element(m, m + static_cast<std::ptrdiff_t>(t) * t));
    }
    if (scene.maxValue <= 0) {
        scene.maxValue = 1;
    }
    scene.sliceSpacing = std::max(1.0, kStackHeightOverSide * t / std::max(1, scene.slices - 1));
    const float minVisible = static_cast<float>(kMinVisibleFraction * scene.maxValue);

    vtkNew<vtkPoints> points;
    vtkNew<vtkCellArray> quads;
    vtkNew<vtkFloatArray> scalars;
    scalars->SetName("attention");
    vtkNew<vtkPoints> outlinePoints;
    vtkNew<vtkCellArray> outlineLines;
    for (int s = 0; s < scene.slices; ++s) {
        const double z = s * scene.sliceSpacing;
        const float* m = matrixOf(s);
        for (int q = 0; q < t; ++q) {
            const double y = t - 1 - q; // query 0 at the back, as the heatmap reads from the top
            for (int k = 0; k < t; ++k) {
                const float value = m[q * t + k];
                if (value < minVisible) {
                    continue;
                }
                const vtkIdType ids[4] = { points->InsertNextPoint(k, y, z), points->InsertNextPoint(k + 1, y, z),
                    points->InsertNextPoint(k + 1, y + 1, z), points->InsertNextPoint(k, y + 1, z) };
                quads->InsertNextCell(4, ids);
                scalars->InsertNextValue(value);
            }
        }
        const vtkIdType base = outlinePoints->GetNumberOfPoints();
        outlinePoints->InsertNextPoint(0, 0, z);
        outlinePoints->InsertNextPoint(t, 0, z);
        outlinePoints->InsertNextPoint(t, t, z);
        outlinePoints->InsertNextPoint(0, t, z);
        const vtkIdType loop[5] = { base, base + 1, base + 2, base + 3, base };
        outlineLines->InsertNextCell(5, loop);
        scene.sliceLabelPositions.push_back({ -0.08 * t - 1.0, 0.0, z });
    }
    scene.quads = static_cast<int>(quads->GetNumberOfCells());
    scene.cells->SetPoints(points);
    scene.cells->SetPolys(quads);
    scene.cells->GetCellData()->SetScalars(scalars);
    scene.outlines->SetPoints(outlinePoints);
    scene.outlines->SetLines(outlineLines);
    return scene;
}

vtkSmartPointer<vtkLookupTable> makeAttentionVolumeLookupTable(double maxValue)
{
    return makeAttentionLookupTable(maxValue, kMinOpacity);
}

} // namespace optiscope::widgets
