// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// 3D bar field of attention (all heads of a layer, or the selected head), rotatable with the
// mouse. Shows a placeholder label instead where OpenGL widgets cannot work.
#include "attention_data.h"

#include <QImage>
#include <QWidget>

#include <vtkSmartPointer.h>

#include <vector>

class QLabel;
class QStackedLayout;
class vtkActor;
class vtkPolyDataMapper;
class vtkRenderer;
class vtkScalarBarActor;
class vtkTextActor;
class vtkCubeAxesActor;
class vtkBillboardTextActor3D;

namespace optiscope::widgets {

class VtkBridgeWidget;

class AttentionBarsView : public QWidget {
    Q_OBJECT
public:
    enum class Mode { AllHeadsOfLayer, SelectedHead };

    explicit AttentionBarsView(QWidget* parent = nullptr);
    ~AttentionBarsView() override;

    void setData(AttentionDataPtr data);
    void setSelection(int layer, int head);
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }

    // False when the placeholder is shown; placeholderText() says why.
    bool isRendering() const { return m_vtk != nullptr; }
    QString placeholderText() const;
    // Bars in the current scene (0 without data).
    int barCount() const { return m_barCount; }
    // The rendered frame, or a grab of the placeholder.
    QImage grabImage();
    VtkBridgeWidget* vtkWidget() const { return m_vtk; }

private:
    void rebuildScene();
    void resetCamera();

    AttentionDataPtr m_data;
    int m_layer = 0;
    int m_head = 0;
    Mode m_mode = Mode::AllHeadsOfLayer;
    int m_barCount = 0;
    QLabel* m_placeholder = nullptr;
    VtkBridgeWidget* m_vtk = nullptr;
    vtkSmartPointer<vtkRenderer> m_renderer;
    vtkSmartPointer<vtkActor> m_bars;
    vtkSmartPointer<vtkPolyDataMapper> m_barsMapper;
    vtkSmartPointer<vtkActor> m_floor;
    vtkSmartPointer<vtkPolyDataMapper> m_floorMapper;
    vtkSmartPointer<vtkScalarBarActor> m_scalarBar;
    vtkSmartPointer<vtkTextActor> m_title;
    vtkSmartPointer<vtkCubeAxesActor> m_axes; // single-head mode
    std::vector<vtkSmartPointer<vtkBillboardTextActor3D>> m_headLabels; // all-heads mode
};

} // namespace optiscope::widgets
