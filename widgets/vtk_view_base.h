// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// What every 3D view shares: a VtkBridgeWidget (or a placeholder label where OpenGL widgets cannot
// work), one renderer on a dark gradient, a title line, and scenes rebuilt lazily: a hidden view (a
// background tab) only marks itself dirty, so following a playing simulator costs nothing off screen.
#include <QImage>
#include <QWidget>

#include <vtkSmartPointer.h>

#include <string>

class QLabel;
class vtkCubeAxesActor;
class vtkRenderer;
class vtkScalarBarActor;
class vtkTextActor;

namespace optiscope::widgets {

class VtkBridgeWidget;

class VtkViewBase : public QWidget {
    Q_OBJECT
public:
    explicit VtkViewBase(QWidget* parent = nullptr);
    ~VtkViewBase() override;

    // False when the placeholder is shown; placeholderText() says why.
    bool isRendering() const { return m_vtk != nullptr; }
    QString placeholderText() const;
    // Rebuilds a pending scene, renders, and returns the frame (the render window's pixels), or a
    // grab of the placeholder. What PNG export and "Copy image" use.
    QImage grabImage();
    VtkBridgeWidget* vtkWidget() const { return m_vtk; }
    // Scene rebuilds so far (tests check that hidden views do not rebuild).
    int rebuildCount() const { return m_rebuilds; }

protected:
    // Called with a live renderer only (never for the placeholder).
    virtual void rebuildScene() = 0;
    // Rebuild now when visible, else when next shown.
    void requestRebuild();
    void setTitle(const std::string& title);
    vtkRenderer* renderer() const;
    void showEvent(QShowEvent* event) override;

    // Shared looks, so every 3D view reads the same.
    static vtkSmartPointer<vtkCubeAxesActor> makeAxes(vtkRenderer* renderer);
    static vtkSmartPointer<vtkScalarBarActor> makeScalarBar(const char* title);

private:
    void rebuildIfDirty();

    QLabel* m_placeholder = nullptr;
    VtkBridgeWidget* m_vtk = nullptr;
    vtkSmartPointer<vtkRenderer> m_renderer;
    vtkSmartPointer<vtkTextActor> m_title;
    bool m_dirty = false;
    int m_rebuilds = 0;
};

} // namespace optiscope::widgets
