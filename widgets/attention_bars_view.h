// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// 3D bar field of attention (all heads of a layer, or the selected head), rotatable with the
// mouse. Shows a placeholder label instead where OpenGL widgets cannot work (VtkViewBase). Unlike
// the other 3D views it rebuilds at once, also while hidden: the scene is small and barCount() is
// what the window's tests read.
#include "attention_data.h"
#include "vtk_view_base.h"

#include <vtkSmartPointer.h>

#include <vector>

class vtkActor;
class vtkPolyDataMapper;
class vtkScalarBarActor;
class vtkCubeAxesActor;
class vtkBillboardTextActor3D;

namespace optiscope::widgets {

class AttentionBarsView : public VtkViewBase {
    Q_OBJECT
public:
    enum class Mode { AllHeadsOfLayer, SelectedHead };

    explicit AttentionBarsView(QWidget* parent = nullptr);
    ~AttentionBarsView() override;

    void setData(AttentionDataPtr data);
    void setSelection(int layer, int head);
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }

    // Bars in the current scene (0 without data).
    int barCount() const { return m_barCount; }

protected:
    void rebuildScene() override;

private:
    void rebuild(); // now, when rendering
    void resetCamera();

    AttentionDataPtr m_data;
    int m_layer = 0;
    int m_head = 0;
    Mode m_mode = Mode::AllHeadsOfLayer;
    int m_barCount = 0;
    vtkSmartPointer<vtkActor> m_bars;
    vtkSmartPointer<vtkPolyDataMapper> m_barsMapper;
    vtkSmartPointer<vtkActor> m_floor;
    vtkSmartPointer<vtkPolyDataMapper> m_floorMapper;
    vtkSmartPointer<vtkScalarBarActor> m_scalarBar;
    vtkSmartPointer<vtkCubeAxesActor> m_axes; // single-head mode
    std::vector<vtkSmartPointer<vtkBillboardTextActor3D>> m_headLabels; // all-heads mode
};

} // namespace optiscope::widgets
