// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// VTK 9.1 rendering inside a Qt 6 QOpenGLWidget (Debian's QVTKOpenGLNativeWidget is Qt 5).
// See /work/shared/VTK_QT6_BRIDGE.md: VTK renders into its own framebuffer (NoBlit) and
// paintGL blits it into Qt's. Only create one where openGlUnavailableReason() is empty.
#include <QImage>
#include <QMetaObject>
#include <QOpenGLWidget>

#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkSmartPointer.h>

class vtkObject;

namespace optiscope::widgets {

class VtkBridgeWidget : public QOpenGLWidget {
    Q_OBJECT
public:
    explicit VtkBridgeWidget(QWidget* parent = nullptr);
    ~VtkBridgeWidget() override;

    vtkGenericOpenGLRenderWindow* renderWindow() const { return m_renderWindow; }
    vtkGenericRenderWindowInteractor* interactor() const { return m_interactor; }
    // Renders now and returns the frame (opaque RGB); null image if GL never initialised.
    QImage grabVtkImage();
    // Number of VTK frames blitted so far (tests check that rendering happened).
    int framesRendered() const { return m_framesRendered; }

protected:
    void initializeGL() override;
    void resizeGL(int width, int height) override;
    void paintGL() override;

    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;
    void enterEvent(QEnterEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    void onRenderWindowEvent(vtkObject* caller, unsigned long eventId, void* callData);
    void onInteractorRender(vtkObject* caller, unsigned long eventId, void* callData);
    void finalizeContext();
    void setEventPosition(QPointF position, Qt::KeyboardModifiers modifiers, char keyCode = 0, int repeat = 0,
        const char* keySym = nullptr);
    void blitToQt();

    vtkSmartPointer<vtkGenericOpenGLRenderWindow> m_renderWindow;
    vtkSmartPointer<vtkGenericRenderWindowInteractor> m_interactor;
    std::vector<unsigned long> m_windowObservers;
    unsigned long m_interactorObserver = 0;
    QMetaObject::Connection m_contextConnection;
    bool m_inPaint = false;
    int m_framesRendered = 0;
};

} // namespace optiscope::widgets
