// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "vtk_bridge_widget.h"

#include "gl_support.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLExtraFunctions>
#include <QWheelEvent>

#include <vtkCommand.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkOpenGLFramebufferObject.h>
#include <vtkOpenGLState.h>

namespace optiscope::widgets {

VtkBridgeWidget::VtkBridgeWidget(QWidget* parent)
    : QOpenGLWidget(parent)
{
    setFormat(vtkSurfaceFormat());
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setUpdateBehavior(QOpenGLWidget::NoPartialUpdate);

    m_renderWindow = vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New();
    // Not before initializeGL: VTK would try to render without a context.
    m_renderWindow->SetReadyForRendering(false);
    // VTK would otherwise blit to framebuffer 0, which is not QOpenGLWidget's target.
    m_renderWindow->SetFrameBlitModeToNoBlit();
    m_renderWindow->SetMultiSamples(0);
    m_renderWindow->SetForceMaximumHardwareLineWidth(1);
    for (const auto eventId : { vtkCommand::WindowMakeCurrentEvent, vtkCommand::WindowIsCurrentEvent,
             vtkCommand::WindowFrameEvent }) {
        m_windowObservers.push_back(m_renderWindow->AddObserver(eventId, this, &VtkBridgeWidget::onRenderWindowEvent));
    }

    m_interactor = vtkSmartPointer<vtkGenericRenderWindowInteractor>::New();
    m_interactor->SetRenderWindow(m_renderWindow);
    // Rendering happens only in paintGL; interactor render requests become update().
    m_interactor->EnableRenderOff();
    vtkNew<vtkInteractorStyleTrackballCamera> style;
    m_interactor->SetInteractorStyle(style);
    m_interactorObserver = m_interactor->AddObserver(vtkCommand::RenderEvent, this, &VtkBridgeWidget::onInteractorRender);
    m_interactor->Initialize();
}

VtkBridgeWidget::~VtkBridgeWidget()
{
    disconnect(m_contextConnection);
    if (context() && m_renderWindow->GetReadyForRendering()) {
        finalizeContext();
    }
    m_interactor->RemoveObserver(m_interactorObserver);
    for (const auto id : m_windowObservers) {
        m_renderWindow->RemoveObserver(id);
    }
    m_interactor->SetRenderWindow(nullptr);
}

void VtkBridgeWidget::onRenderWindowEvent(vtkObject*, unsigned long eventId, void* callData)
{
    switch (eventId) {
    case vtkCommand::WindowMakeCurrentEvent:
        // Not QOpenGLWidget::makeCurrent(): that rebinds Qt's framebuffer behind VTK's back.
        if (QOpenGLContext* ctx = context()) {
            ctx->makeCurrent(ctx->surface());
        }
        break;
    case vtkCommand::WindowIsCurrentEvent:
        // Without this answer VTK silently skips rendering.
        *static_cast<bool*>(callData) = context() != nullptr && QOpenGLContext::currentContext() == context();
        break;
    case vtkCommand::WindowFrameEvent:
        if (!m_inPaint) {
            update();
        }
        break;
    default:
        break;
    }
}

void VtkBridgeWidget::onInteractorRender(vtkObject*, unsigned long, void*)
{
    if (!m_inPaint) {
        update();
    }
}

void VtkBridgeWidget::initializeGL()
{
    // Called again with a new context after reparenting; the old one was finalized in
    // finalizeContext() when it went away.
    disconnect(m_contextConnection);
    m_contextConnection = connect(
        context(), &QOpenGLContext::aboutToBeDestroyed, this, [this] { finalizeContext(); }, Qt::DirectConnection);
    m_renderWindow->SetOwnContext(0);
    m_renderWindow->SetReadyForRendering(true);
    m_renderWindow->OpenGLInitContext();
    m_renderWindow->GetState()->Reset();
    const double dpr = devicePixelRatioF();
    m_interactor->UpdateSize(static_cast<int>(width() * dpr), static_cast<int>(height() * dpr));
}

void VtkBridgeWidget::finalizeContext()
{
    disconnect(m_contextConnection);
    if (!m_renderWindow->GetReadyForRendering()) {
        return;
    }
    if (QOpenGLContext* ctx = context()) {
        ctx->makeCurrent(ctx->surface());
    }
    // Releases VTK's GL objects while their context still exists.
    m_renderWindow->Finalize();
    m_renderWindow->SetReadyForRendering(false);
}

void VtkBridgeWidget::resizeGL(int width, int height)
{
    const double dpr = devicePixelRatioF();
    m_interactor->UpdateSize(static_cast<int>(width * dpr), static_cast<int>(height * dpr));
    m_renderWindow->SetDPI(static_cast<int>(72 * dpr));
}

void VtkBridgeWidget::paintGL()
{
    if (!m_renderWindow->GetReadyForRendering()) {
        return;
    }
    m_inPaint = true;
    vtkOpenGLState* state = m_renderWindow->GetState();
    // Qt changed GL state since VTK's last frame; VTK's cache must not trust its old values.
    state->Reset();
    state->Push();
    state->vtkglDepthMask(GL_TRUE);
    m_renderWindow->Render();
    state->Pop();
    blitToQt();
    ++m_framesRendered;
    m_inPaint = false;
}

void VtkBridgeWidget::blitToQt()
{
    QOpenGLExtraFunctions* f = context()->extraFunctions();
    vtkOpenGLState* state = m_renderWindow->GetState();
    const QSize deviceSize = size() * devicePixelRatioF();
    state->PushFramebufferBindings();
    state->vtkglBindFramebuffer(GL_DRAW_FRAMEBUFFER, defaultFramebufferObject());
    GLenum drawBuffer = GL_COLOR_ATTACHMENT0;
    state->vtkglDrawBuffers(1, &drawBuffer);
    int* source = m_renderWindow->GetRenderFramebuffer()->GetLastSize();
    m_renderWindow->BlitDisplayFramebuffer(0, 0, 0, source[0], source[1], 0, 0, deviceSize.width(),
        deviceSize.height(), GL_COLOR_BUFFER_BIT, GL_NEAREST);

    // Force alpha to 1, or Mesa lets whatever is behind the window show through.
    GLboolean colorMask[4];
    f->glGetBooleanv(GL_COLOR_WRITEMASK, colorMask);
    GLfloat clearColor[4];
    f->glGetFloatv(GL_COLOR_CLEAR_VALUE, clearColor);
    GLint viewport[4];
    f->glGetIntegerv(GL_VIEWPORT, viewport);
    const GLboolean scissor = f->glIsEnabled(GL_SCISSOR_TEST);
    f->glDisable(GL_SCISSOR_TEST);
    f->glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
    f->glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
    f->glViewport(0, 0, deviceSize.width(), deviceSize.height());
    f->glClear(GL_COLOR_BUFFER_BIT);
    f->glColorMask(colorMask[0], colorMask[1], colorMask[2], colorMask[3]);
    f->glClearColor(clearColor[0], clearColor[1], clearColor[2], clearColor[3]);
    f->glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
    if (scissor) {
        f->glEnable(GL_SCISSOR_TEST);
    }
    state->PopFramebufferBindings();
}

QImage VtkBridgeWidget::grabVtkImage()
{
    QImage image = grabFramebuffer();
    return image.isNull() ? image : image.convertToFormat(QImage::Format_RGB32);
}

void VtkBridgeWidget::setEventPosition(
    QPointF position, Qt::KeyboardModifiers modifiers, char keyCode, int repeat, const char* keySym)
{
    const double dpr = devicePixelRatioF();
    m_interactor->SetEventInformationFlipY(static_cast<int>(position.x() * dpr + 0.5),
        static_cast<int>(position.y() * dpr + 0.5), (modifiers & Qt::ControlModifier) ? 1 : 0,
        (modifiers & Qt::ShiftModifier) ? 1 : 0, keyCode, repeat, keySym);
    m_interactor->SetAltKey((modifiers & Qt::AltModifier) ? 1 : 0);
}

namespace {
    unsigned long pressEventFor(Qt::MouseButton button)
    {
        switch (button) {
        case Qt::LeftButton:
            return vtkCommand::LeftButtonPressEvent;
        case Qt::RightButton:
            return vtkCommand::RightButtonPressEvent;
        case Qt::MiddleButton:
            return vtkCommand::MiddleButtonPressEvent;
        default:
            return vtkCommand::NoEvent;
        }
    }
    unsigned long releaseEventFor(Qt::MouseButton button)
    {
        switch (button) {
        case Qt::LeftButton:
            return vtkCommand::LeftButtonReleaseEvent;
        case Qt::RightButton:
            return vtkCommand::RightButtonReleaseEvent;
        case Qt::MiddleButton:
            return vtkCommand::MiddleButtonReleaseEvent;
        default:
            return vtkCommand::NoEvent;
        }
    }
}

void VtkBridgeWidget::mousePressEvent(QMouseEvent* event)
{
    setEventPosition(event->position(), event->modifiers());
    if (const auto id = pressEventFor(event->button()); id != vtkCommand::NoEvent) {
        m_interactor->InvokeEvent(id, event);
    }
    event->accept();
}

void VtkBridgeWidget::mouseDoubleClickEvent(QMouseEvent* event)
{
    setEventPosition(event->position(), event->modifiers(), 0, 1);
    if (const auto id = pressEventFor(event->button()); id != vtkCommand::NoEvent) {
        m_interactor->InvokeEvent(id, event);
    }
    event->accept();
}

void VtkBridgeWidget::mouseReleaseEvent(QMouseEvent* event)
{
    setEventPosition(event->position(), event->modifiers());
    if (const auto id = releaseEventFor(event->button()); id != vtkCommand::NoEvent) {
        m_interactor->InvokeEvent(id, event);
    }
    event->accept();
}

void VtkBridgeWidget::mouseMoveEvent(QMouseEvent* event)
{
    setEventPosition(event->position(), event->modifiers());
    m_interactor->InvokeEvent(vtkCommand::MouseMoveEvent, event);
    event->accept();
}

void VtkBridgeWidget::wheelEvent(QWheelEvent* event)
{
    setEventPosition(event->position(), event->modifiers());
    const int delta = event->angleDelta().y();
    if (delta > 0) {
        m_interactor->InvokeEvent(vtkCommand::MouseWheelForwardEvent, event);
    } else if (delta < 0) {
        m_interactor->InvokeEvent(vtkCommand::MouseWheelBackwardEvent, event);
    }
    event->accept();
}

void VtkBridgeWidget::keyPressEvent(QKeyEvent* event)
{
    const QString text = event->text();
    const char keyCode = text.size() == 1 && text[0].unicode() < 128 ? text[0].toLatin1() : 0;
    setEventPosition(mapFromGlobal(QCursor::pos()), event->modifiers(), keyCode,
        event->isAutoRepeat() ? 1 : 0);
    m_interactor->InvokeEvent(vtkCommand::KeyPressEvent, event);
    // Only the harmless style keys: reset camera, wireframe, surface. Others ('3' stereo,
    // 'e'/'q' exit, 'p' pick) do not fit inside an application window.
    if (keyCode == 'r' || keyCode == 'w' || keyCode == 's') {
        m_interactor->InvokeEvent(vtkCommand::CharEvent, event);
    }
    event->accept();
}

void VtkBridgeWidget::keyReleaseEvent(QKeyEvent* event)
{
    const QString text = event->text();
    const char keyCode = text.size() == 1 && text[0].unicode() < 128 ? text[0].toLatin1() : 0;
    setEventPosition(mapFromGlobal(QCursor::pos()), event->modifiers(), keyCode);
    m_interactor->InvokeEvent(vtkCommand::KeyReleaseEvent, event);
    event->accept();
}

void VtkBridgeWidget::enterEvent(QEnterEvent* event)
{
    setEventPosition(event->position(), event->modifiers());
    m_interactor->InvokeEvent(vtkCommand::EnterEvent, event);
    QOpenGLWidget::enterEvent(event);
}

void VtkBridgeWidget::leaveEvent(QEvent* event)
{
    m_interactor->InvokeEvent(vtkCommand::LeaveEvent, event);
    QOpenGLWidget::leaveEvent(event);
}

} // namespace optiscope::widgets
