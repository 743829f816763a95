// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "vtk_view_base.h"

#include "gl_support.h"
#include "vtk_bridge_widget.h"

#include <QLabel>
#include <QStackedLayout>

#include <vtkCubeAxesActor.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkScalarBarActor.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>

namespace optiscope::widgets {

VtkViewBase::VtkViewBase(QWidget* parent)
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

    // The same dark gradient as the 3D attention bars.
    m_renderer = vtkSmartPointer<vtkRenderer>::New();
    m_renderer->GradientBackgroundOn();
    m_renderer->SetBackground(0.08, 0.09, 0.11);
    m_renderer->SetBackground2(0.17, 0.19, 0.23);
    m_vtk->renderWindow()->AddRenderer(m_renderer);

    m_title = vtkSmartPointer<vtkTextActor>::New();
    m_title->GetTextProperty()->SetFontSize(15);
    m_title->GetTextProperty()->SetColor(0.92, 0.92, 0.92);
    m_title->GetTextProperty()->BoldOn();
    // Top left: the bottom belongs to the axes' labels.
    m_title->GetTextProperty()->SetVerticalJustificationToTop();
    m_title->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
    m_title->GetPositionCoordinate()->SetValue(0.012, 0.985);
    m_renderer->AddActor2D(m_title);
}

VtkViewBase::~VtkViewBase() = default;

vtkRenderer* VtkViewBase::renderer() const { return m_renderer; }

QString VtkViewBase::placeholderText() const { return m_vtk ? QString() : m_placeholder->text(); }

void VtkViewBase::setTitle(const std::string& title)
{
    if (m_title) {
        m_title->SetInput(title.c_str());
    }
}

void VtkViewBase::requestRebuild()
{
    m_dirty = true;
    if (isVisible()) {
        rebuildIfDirty();
    }
}

void VtkViewBase::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    rebuildIfDirty();
}

void VtkViewBase::rebuildIfDirty()
{
    if (!m_dirty || !m_vtk) {
        return;
    }
    m_dirty = false;
    ++m_rebuilds;
    rebuildScene();
    m_vtk->update();
}

QImage VtkViewBase::grabImage()
{
    if (!m_vtk) {
        return grab().toImage();
    }
    rebuildIfDirty();
    return m_vtk->grabVtkImage();
}

vtkSmartPointer<vtkCubeAxesActor> VtkViewBase::makeAxes(vtkRenderer* renderer)
{
    auto axes = vtkSmartPointer<vtkCubeAxesActor>::New();
    axes->SetCamera(renderer->GetActiveCamera());
    axes->SetFlyModeToOuterEdges();
    axes->DrawXGridlinesOff();
    axes->DrawYGridlinesOff();
    axes->DrawZGridlinesOff();
    axes->SetScreenSize(12);
    for (int i = 0; i < 3; ++i) {
        axes->GetTitleTextProperty(i)->SetColor(0.85, 0.85, 0.85);
        axes->GetLabelTextProperty(i)->SetColor(0.75, 0.75, 0.75);
    }
    axes->GetXAxesLinesProperty()->SetColor(0.6, 0.6, 0.6);
    axes->GetYAxesLinesProperty()->SetColor(0.6, 0.6, 0.6);
    axes->GetZAxesLinesProperty()->SetColor(0.6, 0.6, 0.6);
    axes->VisibilityOff();
    renderer->AddActor(axes);
    return axes;
}

vtkSmartPointer<vtkScalarBarActor> VtkViewBase::makeScalarBar(const char* title)
{
    auto bar = vtkSmartPointer<vtkScalarBarActor>::New();
    bar->SetTitle(title);
    bar->SetNumberOfLabels(5);
    bar->SetLabelFormat("%.2f");
    bar->SetWidth(0.12);
    bar->SetHeight(0.55);
    bar->SetPosition(0.84, 0.2);
    bar->SetBarRatio(0.3);
    bar->UnconstrainedFontSizeOn();
    for (vtkTextProperty* text : { bar->GetTitleTextProperty(), bar->GetLabelTextProperty() }) {
        text->SetItalic(false);
        text->SetShadow(false);
    }
    bar->GetTitleTextProperty()->SetFontSize(13);
    bar->GetLabelTextProperty()->SetFontSize(12);
    bar->SetTextPositionToPrecedeScalarBar();
    bar->VisibilityOff();
    return bar;
}

} // namespace optiscope::widgets
