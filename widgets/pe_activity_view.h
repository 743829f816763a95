// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// PE activity over time in 3D (pe_activity_scene.h): a window of cycles around the current one as a
// voxel stack, coloured like the 2D PE grid, with a state legend, axes in PE and cycle units and a
// frame around the current cycle; drag to rotate, wheel to zoom.
#include "pe_activity_scene.h"
#include "vtk_view_base.h"

#include <QStringList>

class vtkActor;
class vtkCubeAxesActor;
class vtkLegendBoxActor;
class vtkPolyDataMapper;

namespace optiscope::widgets {

class PeActivityView : public VtkViewBase {
    Q_OBJECT
public:
    explicit PeActivityView(QWidget* parent = nullptr);
    ~PeActivityView() override;

    // State names and colours, index = state value (the 2D grid's legend).
    void setStateLegend(const QStringList& names, const std::vector<QColor>& colors);
    // A new window; the camera is kept unless the array's shape changed.
    void setData(PeActivityData data);
    void clear(const QString& message);
    void resetCamera();

    const PeActivityData& data() const { return m_data; }
    // Of the last built scene (0 before one is built).
    int drawnVoxels() const { return m_drawnVoxels; }
    int quadCount() const { return m_quads; }
    const std::vector<int>& voxelsPerState() const { return m_voxelsPerState; }

protected:
    void rebuildScene() override;

private:
    PeActivityData m_data;
    QStringList m_names;
    std::vector<QColor> m_colors;
    QString m_message;
    int m_drawnVoxels = 0;
    int m_quads = 0;
    std::vector<int> m_voxelsPerState;
    bool m_cameraPending = true;
    vtkSmartPointer<vtkActor> m_voxels;
    vtkSmartPointer<vtkPolyDataMapper> m_voxelsMapper;
    vtkSmartPointer<vtkActor> m_frame;
    vtkSmartPointer<vtkPolyDataMapper> m_frameMapper;
    vtkSmartPointer<vtkCubeAxesActor> m_axes;
    vtkSmartPointer<vtkLegendBoxActor> m_legend;
};

} // namespace optiscope::widgets
