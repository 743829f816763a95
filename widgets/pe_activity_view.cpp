// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "pe_activity_view.h"

#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkCubeAxesActor.h>
#include <vtkLegendBoxActor.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkTextProperty.h>

namespace optiscope::widgets {
namespace {
    // The legend's symbol: a filled square.
    vtkSmartPointer<vtkPolyData> squareSymbol()
    {
        auto square = vtkSmartPointer<vtkPolyData>::New();
        vtkNew<vtkPoints> points;
        points->InsertNextPoint(0, 0, 0);
        points->InsertNextPoint(1, 0, 0);
        points->InsertNextPoint(1, 1, 0);
        points->InsertNextPoint(0, 1, 0);
        vtkNew<vtkCellArray> polys;
        const vtkIdType ids[4] = { 0, 1, 2, 3 };
        polys->InsertNextCell(4, ids);
        square->SetPoints(points);
        square->SetPolys(polys);
        return square;
    }
}

PeActivityView::PeActivityView(QWidget* parent)
    : VtkViewBase(parent)
{
    if (!isRendering()) {
        return;
    }
    m_voxelsMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    m_voxelsMapper->SetScalarModeToUseCellData();
    m_voxelsMapper->SetColorModeToDirectScalars(); // exactly the 2D grid's colours
    m_voxels = vtkSmartPointer<vtkActor>::New();
    m_voxels->SetMapper(m_voxelsMapper);
    m_voxels->GetProperty()->SetAmbient(0.3);
    m_voxels->GetProperty()->SetDiffuse(0.75);
    renderer()->AddActor(m_voxels);

    m_frameMapper = vtkSmartPointer<vtkPolyDataMapper>::New();
    m_frameMapper->ScalarVisibilityOff();
    m_frame = vtkSmartPointer<vtkActor>::New();
    m_frame->SetMapper(m_frameMapper);
    m_frame->GetProperty()->SetColor(1, 1, 1);
    m_frame->GetProperty()->SetLineWidth(2);
    m_frame->GetProperty()->LightingOff();
    renderer()->AddActor(m_frame);

    m_axes = makeAxes(renderer());
    m_axes->SetXTitle("PE column");
    m_axes->SetYTitle("PE row");
    m_axes->SetZTitle("cycle of the product");

    m_legend = vtkSmartPointer<vtkLegendBoxActor>::New();
    m_legend->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
    m_legend->GetPositionCoordinate()->SetValue(0.83, 0.62);
    m_legend->GetPosition2Coordinate()->SetCoordinateSystemToNormalizedViewport();
    m_legend->GetPosition2Coordinate()->SetValue(0.16, 0.3);
    m_legend->BorderOff();
    m_legend->UseBackgroundOff();
    m_legend->GetEntryTextProperty()->SetColor(0.92, 0.92, 0.92);
    m_legend->GetEntryTextProperty()->SetFontSize(13);
    m_legend->GetEntryTextProperty()->ShadowOff();
    m_legend->VisibilityOff();
    renderer()->AddActor2D(m_legend);
    setTitle("Simulate a model to see PE activity over cycles (drag to rotate, wheel to zoom)");
}

PeActivityView::~PeActivityView() = default;

void PeActivityView::setStateLegend(const QStringList& names, const std::vector<QColor>& colors)
{
    m_names = names;
    m_colors = colors;
    if (!m_legend) {
        return;
    }
    const auto symbol = squareSymbol();
    m_legend->SetNumberOfEntries(static_cast<int>(colors.size()));
    for (std::size_t i = 0; i < colors.size(); ++i) {
        const QColor& c = colors[i];
        double rgb[3] = { c.redF(), c.greenF(), c.blueF() };
        QString name = i < static_cast<std::size_t>(names.size()) ? names[static_cast<int>(i)] : QString();
        if (i == 0) {
            name += QStringLiteral(" (now only)"); // idle voxels are drawn in the current cycle only
        }
        m_legend->SetEntry(static_cast<int>(i), symbol, name.toUtf8().constData(), rgb);
    }
    requestRebuild();
}

void PeActivityView::setData(PeActivityData data)
{
    const bool reshaped = data.gridRows != m_data.gridRows || data.gridCols != m_data.gridCols
        || data.cycles != m_data.cycles || !m_data.isValid();
    m_data = std::move(data);
    m_message.clear();
    m_cameraPending = m_cameraPending || reshaped;
    requestRebuild();
}

void PeActivityView::clear(const QString& message)
{
    m_data = {};
    m_message = message;
    m_cameraPending = true;
    requestRebuild();
}

void PeActivityView::rebuildScene()
{
    const PeActivityScene scene = buildPeActivityScene(m_data, m_colors);
    m_drawnVoxels = scene.drawnVoxels;
    m_quads = scene.quads;
    m_voxelsPerState = scene.voxelsPerState;
    const bool show = m_data.isValid() && !m_colors.empty();
    m_voxels->SetVisibility(show);
    m_frame->SetVisibility(show);
    m_axes->SetVisibility(show);
    m_legend->SetVisibility(show);
    if (!show) {
        setTitle(m_message.isEmpty() ? "Simulate a model to see PE activity over cycles" : m_message.toStdString());
        return;
    }
    m_voxelsMapper->SetInputData(scene.voxels);
    m_frameMapper->SetInputData(scene.currentFrame);
    const double bounds[6] = { 0, double(m_data.gridCols), 0, double(m_data.gridRows), 0,
        m_data.cycles * scene.zScale };
    m_axes->SetBounds(bounds);
    // Labels in PEs and cycles of the product, whatever the blocking and squashing.
    m_axes->SetXAxisRange(0, m_data.arrayCols);
    m_axes->SetYAxisRange(m_data.arrayRows, 0); // row 0 at the back
    const double first = static_cast<double>(m_data.firstCycle - m_data.layerFirstCycle);
    m_axes->SetZAxisRange(first, first + m_data.cycles);

    const std::int64_t now = m_data.firstCycle + m_data.currentSlice;
    std::string title = m_data.title.toStdString() + ": cycles " + std::to_string(m_data.firstCycle) + "-"
        + std::to_string(m_data.firstCycle + m_data.cycles - 1) + ", white frame = cycle " + std::to_string(now);
    if (m_data.blockRows > 1 || m_data.blockCols > 1) {
        title += "\n" + std::to_string(m_data.arrayRows) + "x" + std::to_string(m_data.arrayCols)
            + " PEs, one voxel per " + std::to_string(m_data.blockRows) + "x" + std::to_string(m_data.blockCols)
            + " block (its most common state)";
    }
    setTitle(title);
    if (m_cameraPending) {
        m_cameraPending = false;
        resetCamera();
    }
}

void PeActivityView::resetCamera()
{
    if (!isRendering()) {
        return;
    }
    vtkCamera* camera = renderer()->GetActiveCamera();
    camera->SetFocalPoint(0, 0, 0);
    // Row 0 at the back, cycles going up: the 2D grid seen from the front, above.
    camera->SetPosition(1.1, -1.4, 0.8);
    camera->SetViewUp(0, 0, 1);
    renderer()->ResetCamera();
    camera->Zoom(0.78); // room for the legend on the right and the axis titles below
    renderer()->ResetCameraClippingRange();
}

} // namespace optiscope::widgets
