// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_bars_view.h"

#include "attention_bars_scene.h"
#include "gl_support.h"
#include "vtk_bridge_widget.h"

#include <QLabel>
#include <QStackedLayout>

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
namespace {
    constexpr double kBackgroundTop[3] = { 0.17, 0.19, 0.23 };
    constexpr double kBackgroundBottom[3] = { 0.08, 0.09, 0.11 };
}

AttentionBarsView::AttentionBarsView(QWidget* parent)
    : QWidget(parent)
{
    auto* stack = new QStackedLayout(this);
    stack->setContentsMargins(0, 0, 0, 0);
    m_placeholder = new QLabel(this);
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setMargin(16);
    stack->addWidget(m_placeholder);

    const QString reason = openGlUnavailableReason();
    if (!reason.isEmpty()) {
        m_placeholder->setText(reason);
        return;
    }
    m_vtk = new VtkBridgeWidget(this);
    stack->addWidget(m_vtk);
    stack->setCurrentWidget(m_vtk);

    m_renderer = vtkSmartPointer<vtkRenderer>::New();
    m_renderer->GradientBackgroundOn();
    m_renderer->SetBackground(kBackgroundBottom[0], kBackgroundBottom[1], kBackgroundBottom[2]);
    m_renderer->SetBackground2(kBackgroundTop[0], kBackgroundTop[1], kBackgroundTop[2]);
    m_vtk->renderWindow()->AddRenderer(m_renderer);

    m_barsMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    m_barsMapper->SetScalarModeToUseCellData();
    m_barsMapper->SetColorModeToMapScalars();
    m_bars = vtkSmartPointer<vtkActor>::New();
    m_bars->SetMapper(m_barsMapper);
    m_bars->GetProperty()->SetAmbient(0.25);
    m_bars->GetProperty()->SetDiffuse(0.8);
    m_renderer->AddActor(m_bars);

    m_floorMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    m_floorMapper->ScalarVisibilityOff();
    m_floor = vtkSmartPointer<vtkActor>::New();
    m_floor->SetMapper(m_floorMapper);
    m_floor->GetProperty()->SetColor(0.27, 0.005, 0.33); // viridis(0): what a zero looks like in 2D
    m_floor->GetProperty()->SetOpacity(0.85);
    m_renderer->AddActor(m_floor);

    m_scalarBar = vtkSmartPointer<vtkScalarBarActor>::New();
    m_scalarBar->SetTitle("attention\nprobability");
    m_scalarBar->SetNumberOfLabels(5);
    m_scalarBar->SetLabelFormat("%.2f");
    m_scalarBar->SetWidth(0.12);
    m_scalarBar->SetHeight(0.55);
    m_scalarBar->SetPosition(0.84, 0.2);
    m_scalarBar->SetBarRatio(0.3);
    m_scalarBar->UnconstrainedFontSizeOn();
    m_scalarBar->GetTitleTextProperty()->SetFontSize(13);
    m_scalarBar->GetTitleTextProperty()->SetItalic(false);
    m_scalarBar->GetTitleTextProperty()->SetShadow(false);
    m_scalarBar->GetLabelTextProperty()->SetFontSize(12);
    m_scalarBar->GetLabelTextProperty()->SetItalic(false);
    m_scalarBar->GetLabelTextProperty()->SetShadow(false);
    m_scalarBar->SetTextPositionToPrecedeScalarBar();
    m_scalarBar->VisibilityOff();
    m_renderer->AddActor2D(m_scalarBar);

    m_title = vtkSmartPointer<vtkTextActor>::New();
    m_title->GetTextProperty()->SetFontSize(15);
    m_title->GetTextProperty()->SetColor(0.92, 0.92, 0.92);
    m_title->GetTextProperty()->BoldOn();
    m_title->SetDisplayPosition(12, 12);
    m_title->SetInput("Run the model to see attention in 3D (drag to rotate, wheel to zoom)");
    m_renderer->AddActor2D(m_title);

    m_axes = vtkSmartPointer<vtkCubeAxesActor>::New();
    m_axes->SetCamera(m_renderer->GetActiveCamera());
    m_axes->SetXTitle("key");
    m_axes->SetYTitle("query");
    m_axes->SetZTitle("p");
    m_axes->SetFlyModeToOuterEdges();
    m_axes->DrawXGridlinesOff();
    m_axes->DrawYGridlinesOff();
    m_axes->DrawZGridlinesOff();
    m_axes->SetScreenSize(12);
    for (int i = 0; i < 3; ++i) {
        m_axes->GetTitleTextProperty(i)->SetColor(0.85, 0.85, 0.85);
        m_axes->GetLabelTextProperty(i)->SetColor(0.75, 0.75, 0.75);
    }
    m_axes->GetXAxesLinesProperty()->SetColor(0.6, 0.6, 0.6);
    m_axes->GetYAxesLinesProperty()->SetColor(0.6, 0.6, 0.6);
    m_axes->GetZAxesLinesProperty()->SetColor(0.6, 0.6, 0.6);
    m_axes->VisibilityOff();
    m_renderer->AddActor(m_axes);
}

AttentionBarsView::~AttentionBarsView() = default;

QString AttentionBarsView::placeholderText() const
{
    return m_vtk ? QString() : m_placeholder->text();
}

void AttentionBarsView::setData(AttentionDataPtr data)
{
    m_data = (data && data->isValid()) ? std::move(data) : nullptr;
    rebuildScene();
    resetCamera();
}

void AttentionBarsView::setSelection(int layer, int head)
{
    const bool sceneChanges = layer != m_layer || (m_mode == Mode::SelectedHead && head != m_head);
    m_layer = layer;
    m_head = head;
    if (sceneChanges) {
        rebuildScene();
    }
}

void AttentionBarsView::setMode(Mode mode)
{
    if (mode == m_mode) {
        return;
    }
    m_mode = mode;
    rebuildScene();
    resetCamera();
}

void AttentionBarsView::rebuildScene()
{
    m_barCount = 0;
    if (!m_vtk) {
        return;
    }
    if (!m_data || !m_data->contains(m_layer, m_head)) {
        m_bars->VisibilityOff();
        m_floor->VisibilityOff();
        m_axes->VisibilityOff();
        m_scalarBar->VisibilityOff();
        m_vtk->update();
        return;
    }
    for (auto& label : m_headLabels) {
        m_renderer->RemoveActor(label);
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
            m_renderer->AddActor(label);
            m_headLabels.push_back(label);
        }
    }

    const std::string title = m_mode == Mode::AllHeadsOfLayer
        ? "Layer " + std::to_string(m_layer) + ": " + std::to_string(m_data->heads) + " heads x "
            + std::to_string(m_data->tokens) + " queries x " + std::to_string(m_data->tokens) + " keys"
        : "Layer " + std::to_string(m_layer) + ", head " + std::to_string(m_head) + ": "
            + std::to_string(m_data->tokens) + " x " + std::to_string(m_data->tokens);
    m_title->SetInput(title.c_str());
    m_vtk->update();
}

void AttentionBarsView::resetCamera()
{
    if (!m_vtk) {
        return;
    }
    vtkCamera* camera = m_renderer->GetActiveCamera();
    camera->SetFocalPoint(0, 0, 0);
    camera->SetPosition(0.25, -1, 1.3); // from the front (query 0 at the back), looking down
    camera->SetViewUp(0, 0, 1);
    m_renderer->ResetCamera();
    camera->Zoom(0.92); // leaves room for the colour bar on the right
    m_renderer->ResetCameraClippingRange();
    m_vtk->update();
}

QImage AttentionBarsView::grabImage()
{
    return m_vtk ? m_vtk->grabVtkImage() : grab().toImage();
}

} // namespace optiscope::widgets
