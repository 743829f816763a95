// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Export of any view: a context menu with "Save as PNG…", "Save as SVG…" (vector, for widgets that paint
// with QPainter) and "Copy image". Files are written whole or not at all (QSaveFile).
#include <QImage>
#include <QString>

#include <functional>

class QWidget;

namespace optiscope::widgets {

enum class ExportFormats { PngAndSvg, PngOnly }; // PngOnly: OpenGL views, which QPainter cannot replay into SVG

// What PNG export and "Copy image" save; unset = QWidget::grab(). 3D views pass their render-window capture.
using ViewImageSource = std::function<QImage()>;

// The menu's dialogs suggest defaultBaseName.png / .svg.
void installViewExport(QWidget* view, const QString& defaultBaseName, ExportFormats formats = ExportFormats::PngAndSvg,
    ViewImageSource source = {});

// Both return an empty string on success, else a one-line reason naming the file.
QString saveViewPng(QWidget* view, const QString& path);
QString saveImagePng(const QImage& image, const QString& path);
QString saveViewSvg(QWidget* view, const QString& path);

} // namespace optiscope::widgets
