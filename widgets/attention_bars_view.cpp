// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_bars_view.h"

#include "attention_bars_scene.h"
#include "gl_support.h"
#include "vtk_bridge_widget.h"

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
#include <vtkTextActor.h>
#include <vtkTextProperty.h>

namespace optiscope::widgets {
AttentionBarsView::AttentionBarsView(QWidget* parent)
    : VtkViewBase(parent)
{
    if (!isRendering()) {
        return;
    }
    m_barsMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    m_barsMapper->SetScalarModeToUseCellData();
    m_barsMapper->SetColorModeToMapScalars();
    m_bars = vtkSmartPointer<vtkActor>::New();
    m_bars->SetMapper(m_barsMapper);
    m_bars->GetProperty()->SetAmbient(0.25);
    m_bars->GetProperty()->SetDiffuse(0.8);
    renderer()->AddActor(m_bars);

    m_floorMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    m_floorMapper->ScalarVisibilityOff();
    m_floor = vtkSmartPointer<vtkActor>::New();
    m_floor->SetMapper(m_floorMapper);
    m_floor->GetProperty()->SetColor(0.27, 0.005, 0.33); // viridis(0): what a zero looks like in 2D
    m_floor->GetProperty()->SetOpacity(0.85);
    renderer()->AddActor(m_floor);

    m_scalarBar = makeScalarBar("attention\nprobability");
    m_scalarBar->VisibilityOff();
    renderer()->AddActor2D(m_scalarBar);
    setTitle("Run the model to see attention in 3D (drag to rotate, wheel to zoom)");
    m_axes = makeAxes(renderer());
    m_axes->SetXTitle("key");
    m_axes->SetYTitle("query");
    m_axes->SetZTitle("p");
}

AttentionBarsView::~AttentionBarsView() = default;

void AttentionBarsView::setData(AttentionDataPtr data)
{
    m_data = (data && data->isValid()) ? std::move(data) : nullptr;
    rebuild();
    resetCamera();
}

void AttentionBarsView::setSelection(int layer, int head)
{
    const bool sceneChanges = layer != m_layer || (m_mode == Mode::SelectedHead && head != m_head);
    m_layer = layer;
    m_head = head;
    if (sceneChanges) {
        rebuild();
    }
}

void AttentionBarsView::setMode(Mode mode)
{
    if (mode == m_mode) {
        return;
    }
    m_mode = mode;
    rebuild();
    resetCamera();
}

void AttentionBarsView::rebuild()
{
    m_barCount = 0;
    if (!isRendering()) {
        return;
    }
    rebuildScene();
    vtkWidget()->update();
}

void AttentionBarsView::rebuildScene()
{
    m_barCount = 0;
    if (!m_data || !m_data->contains(m_layer, m_head)) {
        m_bars->VisibilityOff();
        m_floor->VisibilityOff();
        m_axes->VisibilityOff();
        m_scalarBar->VisibilityOff();
        return;
    }
    for (auto& label : m_headLabels) {
        renderer()->RemoveActor(label);
    }
    m_headLabels.clear();
    const int head = m_mode == Mode::AllHeadsOfLayer ? -1 : m_head;
    const AttentionBarsScene scene = buildAttentionBarsScene(*m_data, m_layer, head);
    m_barCount = scene.boxes;
    auto table = makeAttentionLookupTable(scene.maxValue);
    m_barsMapper->SetInputData(scene.bars);
    m_barsMapper->SetLookupTable(table);
    m_barsMapper->SetScalarRange(0, scene.maxValue);
    m_floorMapper->SetInputData(scene.floor);
    m_scalarBar->SetLookupTable(table);
    m_bars->VisibilityOn();
    m_floor->VisibilityOn();
    m_scalarBar->VisibilityOn();

    double bounds[6];
    scene.floor->GetBounds(bounds);
    const double t = m_data->tokens;
    bounds[4] = 0;
    bounds[5] = scene.bars->GetNumberOfPoints() > 0 ? scene.bars->GetBounds()[5] : 1.0;
    m_axes->SetBounds(bounds);
    // The z labels read as probabilities, not as scene units.
    m_axes->SetZAxisRange(0, scene.maxValue);
    m_axes->SetXAxisRange(0, t);
    m_axes->SetYAxisRange(t, 0);
    // Axes only make sense over one head; tiles of several heads get a name each instead.
    m_axes->SetVisibility(m_mode == Mode::SelectedHead);
    if (m_mode == Mode::AllHeadsOfLayer) {
        for (int h = 0; h < scene.heads; ++h) {
            auto label = vtkSmartPointer<vtkBillboardTextActor3D>::New();
            label->SetInput(("H" + std::to_string(h)).c_str());
            const auto& origin = scene.headOrigins[static_cast<std::size_t>(h)];
            // Behind the middle of the tile's back edge, clear of query 0's tall first bar.
            label->SetPosition(origin[0] + m_data->tokens / 2.0, origin[1] + 1.5, 0.0);
            label->GetTextProperty()->SetFontSize(16);
            label->GetTextProperty()->BoldOn();
            label->GetTextProperty()->SetColor(0.92, 0.92, 0.92);
            renderer()->AddActor(label);
            m_headLabels.push_back(label);
        }
    }

    const std::string title = m_mode == Mode::AllHeadsOfLayer
        ? "Layer " + std::to_string(m_layer) + ": " + std::to_string(m_data->heads) + " heads x "
            + std::to_string(m_data->tokens) + " queries x " + std::to_string(m_data->tokens) + " keys"
        : "Layer " + std::to_string(m_layer) + ", head " + std::to_string(m_head) + ": "
            + std::to_string(m_data->tokens) + " x " + std::to_string(m_data->tokens);
    setTitle(title);
}

void AttentionBarsView::resetCamera()
{
    if (!isRendering()) {
        return;
    }
    vtkCamera* camera = renderer()->GetActiveCamera();
    camera->SetFocalPoint(0, 0, 0);
    camera->SetPosition(0.25, -1, 1.3); // from the front (query 0 at the back), looking down
    camera->SetViewUp(0, 0, 1);
    renderer()->ResetCamera();
    camera->Zoom(0.92); // leaves room for the colour bar on the right
    renderer()->ResetCameraClippingRange();
    vtkWidget()->update();
}

} // namespace optiscope::widgets
