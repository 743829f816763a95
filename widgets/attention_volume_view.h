// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The attention tensor as a volume of stacked slices (attention_volume_scene.h): the heads of the selected
// layer, or the layers of the selected head; rotatable, with a colour legend and key / query / slice axes.
#include "attention_data.h"
#include "attention_volume_scene.h"
#include "vtk_view_base.h"

#include <vector>

class vtkActor;
class vtkBillboardTextActor3D;
class vtkCubeAxesActor;
class vtkPolyDataMapper;
class vtkScalarBarActor;

namespace optiscope::widgets {

class AttentionVolumeView : public VtkViewBase {
    Q_OBJECT
public:
    explicit AttentionVolumeView(QWidget* parent = nullptr);
    ~AttentionVolumeView() override;

    void setData(AttentionDataPtr data); // probabilities; signed data is refused (nothing shown)
    void setSelection(int layer, int head);
    void setStack(AttentionStack stack);
    AttentionStack stack() const { return m_stack; }
    void resetCamera();

    // Of the last built scene.
    int sliceCount() const { return m_slices; }
    int quadCount() const { return m_quads; }

protected:
    void rebuildScene() override;

private:
    AttentionDataPtr m_data;
    int m_layer = 0;
    int m_head = 0;
    AttentionStack m_stack = AttentionStack::HeadsOfLayer;
    int m_slices = 0;
    int m_quads = 0;
    bool m_cameraPending = true;
    vtkSmartPointer<vtkActor> m_cells;
    vtkSmartPointer<vtkPolyDataMapper> m_cellsMapper;
    vtkSmartPointer<vtkActor> m_outlines;
    vtkSmartPointer<vtkPolyDataMapper> m_outlinesMapper;
    vtkSmartPointer<vtkScalarBarActor> m_scalarBar;
    vtkSmartPointer<vtkCubeAxesActor> m_axes;
    std::vector<vtkSmartPointer<vtkBillboardTextActor3D>> m_labels;
};

} // namespace optiscope::widgets
