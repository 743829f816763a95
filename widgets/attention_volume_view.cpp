// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_volume_view.h"

#include <vtkActor.h>
#include <vtkBillboardTextActor3D.h>
#include <vtkCamera.h>
#include <vtkCubeAxesActor.h>
#include <vtkLookupTable.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkScalarBarActor.h>
#include <vtkTextProperty.h>

namespace optiscope::widgets {

AttentionVolumeView::AttentionVolumeView(QWidget* parent)
    : VtkViewBase(parent)
{
    if (!isRendering()) {
        return;
    }
    m_cellsMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    m_cellsMapper->SetScalarModeToUseCellData();
    m_cellsMapper->SetColorModeToMapScalars();
    m_cells = vtkSmartPointer<vtkActor>::New();
    m_cells->SetMapper(m_cellsMapper);
    m_cells->GetProperty()->LightingOff(); // flat heatmap colours, whatever the angle
    m_cells->GetProperty()->BackfaceCullingOff();
    renderer()->AddActor(m_cells);

    m_outlinesMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    m_outlinesMapper->ScalarVisibilityOff();
    m_outlines = vtkSmartPointer<vtkActor>::New();
    m_outlines->SetMapper(m_outlinesMapper);
    m_outlines->GetProperty()->SetColor(0.55, 0.55, 0.6);
    m_outlines->GetProperty()->LightingOff();
    renderer()->AddActor(m_outlines);

    m_scalarBar = makeScalarBar("attention\nprobability");
    renderer()->AddActor2D(m_scalarBar);
    m_axes = makeAxes(renderer());
    m_axes->SetXTitle("key (token)");
    m_axes->SetYTitle("query (token)");
    setTitle("Run the model to see its attention as a volume (drag to rotate, wheel to zoom)");
}

AttentionVolumeView::~AttentionVolumeView() = default;

void AttentionVolumeView::setData(AttentionDataPtr data)
{
    const bool reshaped = !m_data || !data || data->tokens != m_data->tokens;
    m_data = (data && data->isValid() && !data->signedValues) ? std::move(data) : nullptr;
    m_cameraPending = m_cameraPending || reshaped;
    requestRebuild();
}

void AttentionVolumeView::setSelection(int layer, int head)
{
    const bool changes = m_stack == AttentionStack::HeadsOfLayer ? layer != m_layer : head != m_head;
    m_layer = layer;
    m_head = head;
    if (changes) {
        requestRebuild();
    }
}

void AttentionVolumeView::setStack(AttentionStack stack)
{
    if (stack != m_stack) {
        m_stack = stack;
        m_cameraPending = true;
        requestRebuild();
    }
}

void AttentionVolumeView::rebuildScene()
{
    for (auto& label : m_labels) {
        renderer()->RemoveActor(label);
    }
    m_labels.clear();
    const bool headsOfLayer = m_stack == AttentionStack::HeadsOfLayer;
    const int fixed = headsOfLayer ? m_layer : m_head;
    const AttentionVolumeScene scene = m_data ? buildAttentionVolumeScene(*m_data, m_stack, fixed)
                                              : AttentionVolumeScene {};
    m_slices = scene.slices;
    m_quads = scene.quads;
    const bool show = scene.slices > 0;
    m_cells->SetVisibility(show);
    m_outlines->SetVisibility(show);
    m_scalarBar->SetVisibility(show);
    m_axes->SetVisibility(show);
    if (!show) {
        setTitle("Run the model to see its attention as a volume");
        return;
    }
    auto table = makeAttentionVolumeLookupTable(scene.maxValue);
    m_cellsMapper->SetInputData(scene.cells);
    m_cellsMapper->SetLookupTable(table);
    m_cellsMapper->SetScalarRange(0, scene.maxValue);
    m_outlinesMapper->SetInputData(scene.outlines);
    m_scalarBar->SetLookupTable(table);

    const double t = m_data->tokens;
    const double top = (scene.slices - 1) * scene.sliceSpacing;
    const double bounds[6] = { 0, t, 0, t, 0, std::max(top, 1.0) };
    m_axes->SetBounds(bounds);
    m_axes->SetXAxisRange(0, t);
    m_axes->SetYAxisRange(t, 0); // query 0 at the back
    m_axes->SetZAxisRange(0, std::max(scene.slices - 1, 1));
    m_axes->SetZTitle(headsOfLayer ? "head" : "layer");
    m_axes->ZAxisLabelVisibilityOff(); // the slices carry their own names (H0, L1, ...)
    m_axes->ZAxisMinorTickVisibilityOff();
    const std::string prefix = headsOfLayer ? "H" : "L";
    for (int s = 0; s < scene.slices; ++s) {
        auto label = vtkSmartPointer<vtkBillboardTextActor3D>::New();
        label->SetInput((prefix + std::to_string(s)).c_str());
        const auto& p = scene.sliceLabelPositions[static_cast<std::size_t>(s)];
        label->SetPosition(p[0], p[1], p[2]);
        label->GetTextProperty()->SetFontSize(13);
        label->GetTextProperty()->BoldOn();
        label->GetTextProperty()->SetColor(0.92, 0.92, 0.92);
        renderer()->AddActor(label);
        m_labels.push_back(label);
    }
    const std::string tokens = std::to_string(m_data->tokens);
    setTitle(headsOfLayer ? "Layer " + std::to_string(m_layer) + ": " + std::to_string(scene.slices) + " heads x "
                                + tokens + " queries x " + tokens + " keys"
                          : "Head " + std::to_string(m_head) + ": " + std::to_string(scene.slices) + " layers x "
                                + tokens + " queries x " + tokens + " keys");
    if (m_cameraPending) {
        m_cameraPending = false;
        resetCamera();
    }
}

void AttentionVolumeView::resetCamera()
{
    if (!isRendering()) {
        return;
    }
    vtkCamera* camera = renderer()->GetActiveCamera();
    camera->SetFocalPoint(0, 0, 0);
    camera->SetPosition(0.9, -1.4, 0.8); // the stack from the front right, slices seen at a slant
    camera->SetViewUp(0, 0, 1);
    renderer()->ResetCamera();
    camera->Zoom(0.9); // room for the colour bar
    renderer()->ResetCameraClippingRange();
}

} // namespace optiscope::widgets
