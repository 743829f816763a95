// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "view_export.h"

#include <QAction>
#include <QBuffer>
#include <QClipboard>
#include <QFileDialog>
#include <QGuiApplication>
#include <QMessageBox>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWidget>

namespace optiscope::widgets {

namespace {

    QString writeWhole(const QString& path, const QByteArray& bytes)
    {
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly)) {
            return QObject::tr("%1: cannot write: %2").arg(path, file.errorString());
        }
        if (file.write(bytes) != bytes.size() || !file.commit()) {
            return QObject::tr("%1: cannot write: %2").arg(path, file.errorString());
        }
        return {};
    }

    QImage imageOf(QWidget* view, const ViewImageSource& source)
    {
        return source ? source() : view->grab().toImage();
    }

    void saveWithDialog(QWidget* view, const QString& baseName, bool svg, const ViewImageSource& source = {})
    {
        const QString filter = svg ? QObject::tr("SVG image (*.svg)") : QObject::tr("PNG image (*.png)");
        const QString path = QFileDialog::getSaveFileName(
            view, QObject::tr("Export view"), baseName + (svg ? ".svg" : ".png"), filter);
        if (path.isEmpty()) {
            return;
        }
        const QString error = svg ? saveViewSvg(view, path) : saveImagePng(imageOf(view, source), path);
        if (!error.isEmpty()) {
            QMessageBox::warning(view, QObject::tr("Export view"), error);
        }
    }

} // namespace

QString saveViewPng(QWidget* view, const QString& path) { return saveImagePng(view->grab().toImage(), path); }

QString saveImagePng(const QImage& image, const QString& path)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (image.isNull() || !image.save(&buffer, "PNG")) {
        return QObject::tr("%1: the view could not be rendered as PNG").arg(path);
    }
    return writeWhole(path, bytes);
}

QString saveViewSvg(QWidget* view, const QString& path)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator generator;
    generator.setOutputDevice(&buffer);
    generator.setSize(view->size());
    generator.setViewBox(QRect(QPoint(0, 0), view->size()));
    generator.setTitle(view->windowTitle().isEmpty() ? view->objectName() : view->windowTitle());
    generator.setDescription(QObject::tr("Exported from Optiscope"));
    {
        QPainter painter(&generator);
        view->render(&painter, QPoint(), QRegion(), QWidget::DrawChildren);
    }
    if (bytes.isEmpty()) {
        return QObject::tr("%1: the view could not be rendered as SVG").arg(path);
    }
    return writeWhole(path, bytes);
}

void installViewExport(QWidget* view, const QString& defaultBaseName, ExportFormats formats, ViewImageSource source)
{
    view->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto* png = new QAction(QObject::tr("Save as PNG\u2026"), view);
    QObject::connect(png, &QAction::triggered, view, [view, defaultBaseName, source] { saveWithDialog(view, defaultBaseName, false, source); });
    view->addAction(png);
    if (formats == ExportFormats::PngAndSvg) {
        auto* svg = new QAction(QObject::tr("Save as SVG\u2026"), view);
        QObject::connect(svg, &QAction::triggered, view, [view, defaultBaseName] { saveWithDialog(view, defaultBaseName, true); });
        view->addAction(svg);
    }
    auto* copy = new QAction(QObject::tr("Copy image"), view);
    QObject::connect(copy, &QAction::triggered, view, [view, source] { QGuiApplication::clipboard()->setImage(imageOf(view, source)); });
    view->addAction(copy);
}

} // namespace optiscope::widgets
