// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include <QString>
#include <QSurfaceFormat>

namespace optiscope::widgets {

// OpenGL 3.2 core, alpha 8, depth 8, no stencil, no multisampling: what VTK 9.1 needs.
QSurfaceFormat vtkSurfaceFormat();
// Call before constructing QApplication so every QOpenGLWidget gets vtkSurfaceFormat().
void setDefaultSurfaceFormatForVtk();
// Empty when VTK can render in this process; otherwise one sentence saying why not
// (offscreen platform, no 3.2 core context). Needs a QGuiApplication; cached.
QString openGlUnavailableReason();

} // namespace optiscope::widgets
