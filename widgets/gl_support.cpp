// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "gl_support.h"

#include <QGuiApplication>
#include <QOffscreenSurface>
#include <QOpenGLContext>

#include <optional>

namespace optiscope::widgets {

QSurfaceFormat vtkSurfaceFormat()
{
    QSurfaceFormat format;
    format.setRenderableType(QSurfaceFormat::OpenGL);
    format.setVersion(3, 2);
    format.setProfile(QSurfaceFormat::CoreProfile);
    format.setSwapBehavior(QSurfaceFormat::DoubleBuffer);
    format.setRedBufferSize(8);
    format.setGreenBufferSize(8);
    format.setBlueBufferSize(8);
    format.setAlphaBufferSize(8);
    format.setDepthBufferSize(8);
    format.setStencilBufferSize(0);
    format.setSamples(0);
    return format;
}

void setDefaultSurfaceFormatForVtk()
{
    QSurfaceFormat::setDefaultFormat(vtkSurfaceFormat());
}

QString openGlUnavailableReason()
{
    static std::optional<QString> cached;
    if (cached) {
        return *cached;
    }
    const QString platform = QGuiApplication::platformName();
    // Qt 6.4's offscreen and minimal platforms have no QOpenGLWidget support; showing one
    // there crashes instead of failing.
    if (platform == QLatin1String("offscreen") || platform == QLatin1String("minimal")) {
        cached = QObject::tr("3D view unavailable: the \u201c%1\u201d Qt platform has no OpenGL widgets.").arg(platform);
        return *cached;
    }
    QOpenGLContext context;
    context.setFormat(vtkSurfaceFormat());
    if (!context.create()) {
        cached = QObject::tr("3D view unavailable: no OpenGL context could be created.");
        return *cached;
    }
    const QSurfaceFormat got = context.format();
    if (got.version() < qMakePair(3, 2)) {
        cached = QObject::tr("3D view unavailable: OpenGL %1.%2 found, 3.2 core needed.")
                     .arg(got.majorVersion())
                     .arg(got.minorVersion());
        return *cached;
    }
    QOffscreenSurface surface;
    surface.setFormat(got);
    surface.create();
    if (!context.makeCurrent(&surface)) {
        cached = QObject::tr("3D view unavailable: the OpenGL context cannot be made current.");
        return *cached;
    }
    context.doneCurrent();
    cached = QString();
    return *cached;
}

} // namespace optiscope::widgets
