// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_bars_scene.h"

#include "color_map.h"

#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkFloatArray.h>
#include <vtkLookupTable.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>

#include <algorithm>
#include <cmath>

namespace optiscope::widgets {
namespace {
    // Zero-probability cells (GPT-2's causal mask) get no box; the floor shows them.
    constexpr float kMinVisible = 1e-4f;
    constexpr double kBarWidth = 0.8; // of one cell
    constexpr double kHeadGap = 2.0; // cells between heads
    constexpr double kHeightOfMax = 0.35; // tallest bar, as a fraction of T

    void addBox(vtkPoints* points, vtkCellArray* quads, vtkFloatArray* scalars, double x, double y, double height,
        float value)
    {
        const double h = kBarWidth / 2;
        const vtkIdType base = points->GetNumberOfPoints();
        points->InsertNextPoint(x - h, y - h, 0);
        points->InsertNextPoint(x + h, y - h, 0);
        points->InsertNextPoint(x + h, y + h, 0);
        points->InsertNextPoint(x - h, y + h, 0);
        points->InsertNextPoint(x - h, y - h, height);
        points->InsertNextPoint(x + h, y - h, height);
        points->InsertNextPoint(x + h, y + h, height);
        points->InsertNextPoint(x - h, y + h, height);
        // Five faces (the bottom is never seen), counter-clockwise seen from outside.
        const vtkIdType faces[5][4] = { { 4, 5, 6, 7 }, { 0, 1, 5, 4 }, { 1, 2, 6, 5 }, { 2, 3, 7, 6 }, { 3, 0, 4, 7 } };
        for (const auto& face : faces) {
            const vtkIdType ids[4] = { base + face[0], base + face[1], base + face[2], base + face[3] };
            quads->InsertNextCell(4, ids);
            scalars->InsertNextValue(value);
        }
    }
}

AttentionBarsScene buildAttentionBarsScene(const AttentionData& data, int layer, int head)
{
    AttentionBarsScene scene;
    scene.bars = vtkSmartPointer<vtkPolyData>::New();
    scene.floor = vtkSmartPointer<vtkPolyData>::New();
    const bool allHeads = head < 0;
    if (!data.isValid() || layer < 0 || layer >= data.layers || (!allHeads && head >= data.heads)) {
        return scene;
    }
    const int firstHead = allHeads ? 0 : head;
    scene.heads = allHeads ? data.heads : 1;
    const int t = data.tokens;
    for (int h = firstHead; h < firstHead + scene.heads; ++h) {
        scene.maxValue = std::max<double>(scene.maxValue, data.maxOf(layer, h));
    }
    if (scene.maxValue <= 0) {
        scene.maxValue = 1;
    }
    const double heightScale = kHeightOfMax * std::max(t, 4) / scene.maxValue;

    vtkNew<vtkPoints> points;
    vtkNew<vtkCellArray> quads;
    vtkNew<vtkFloatArray> scalars;
    scalars->SetName("attention");
    vtkNew<vtkPoints> floorPoints;
    vtkNew<vtkCellArray> floorQuads;
    const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(scene.heads))));
    const int rows = (scene.heads + columns - 1) / columns;
    for (int slot = 0; slot < scene.heads; ++slot) {
        const int h = firstHead + slot;
        const double x0 = (slot % columns) * (t + kHeadGap);
        // First row of heads at the back.
        const double y0 = (rows - 1 - slot / columns) * (t + kHeadGap);
        scene.headOrigins.push_back({ x0 - 0.5, y0 + t - 0.5, 0.0 });
        const float* m = data.matrix(layer, h);
        for (int q = 0; q < t; ++q) {
            // Query 0 at the back so the field reads like the heatmap seen from the front.
            const double y = y0 + t - 1 - q;
            for (int k = 0; k < t; ++k) {
                const float value = m[q * t + k];
                if (value < kMinVisible) {
                    continue;
                }
                addBox(points, quads, scalars, x0 + k, y, value * heightScale, value);
                ++scene.boxes;
            }
        }
        const vtkIdType base = floorPoints->GetNumberOfPoints();
        floorPoints->InsertNextPoint(x0 - 0.5, y0 - 0.5, -0.01);
        floorPoints->InsertNextPoint(x0 + t - 0.5, y0 - 0.5, -0.01);
        floorPoints->InsertNextPoint(x0 + t - 0.5, y0 + t - 0.5, -0.01);
        floorPoints->InsertNextPoint(x0 - 0.5, y0 + t - 0.5, -0.01);
        const vtkIdType ids[4] = { base, base + 1, base + 2, base + 3 };
        floorQuads->InsertNextCell(4, ids);
    }
    scene.bars->SetPoints(points);
    scene.bars->SetPolys(quads);
    scene.bars->GetCellData()->SetScalars(scalars);
    scene.floor->SetPoints(floorPoints);
    scene.floor->SetPolys(floorQuads);
    return scene;
}

vtkSmartPointer<vtkLookupTable> makeAttentionLookupTable(double maxValue, double minOpacity)
{
    auto table = vtkSmartPointer<vtkLookupTable>::New();
    constexpr int kColours = 256;
    table->SetNumberOfTableValues(kColours);
    table->SetTableRange(0, maxValue > 0 ? maxValue : 1);
    table->Build(); // before SetTableValue, which a later Build() would overwrite
    for (int i = 0; i < kColours; ++i) {
        const double t = static_cast<double>(i) / (kColours - 1);
        const QColor c = viridis(t);
        table->SetTableValue(i, c.redF(), c.greenF(), c.blueF(), minOpacity + (1 - minOpacity) * t);
    }
    return table;
}

} // namespace optiscope::widgets
