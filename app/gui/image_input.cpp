// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "image_input.h"

#include "qimage_to_raw.h"

#include <QFileInfo>
#include <QImage>
#include <QImageReader>

namespace optiscope::gui {

core::Result<core::RawImage> loadRawImage(const QString& path)
{
    const QString name = QFileInfo(path).fileName();
    QImageReader reader(path);
    const QImage image = reader.read();
    if (image.isNull()) {
        return core::fail(core::ErrorCode::Io,
            QStringLiteral("%1: cannot decode image (%2)").arg(name, reader.errorString()).toStdString());
    }
    return app::toRawImage(image);
}

} // namespace optiscope::gui
