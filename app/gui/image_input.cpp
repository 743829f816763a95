// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "image_input.h"

#include <QFileInfo>
#include <QImage>
#include <QImageReader>

#include <cstring>

namespace optiscope::gui {

core::RawImage toRawImage(const QImage& source)
{
    core::RawImage raw;
    const bool grey = source.isGrayscale();
    const QImage image = source.convertToFormat(grey ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    raw.width = image.width();
    raw.height = image.height();
    raw.channels = grey ? 1 : 3;
    const auto rowBytes = static_cast<std::size_t>(raw.width) * raw.channels;
    raw.bytes.resize(rowBytes * raw.height);
    // QImage rows are padded to 4 bytes; RawImage rows are not.
    for (int y = 0; y < raw.height; ++y) {
        std::memcpy(raw.bytes.data() + y * rowBytes, image.constScanLine(y), rowBytes);
    }
    return raw;
}

core::Result<core::RawImage> loadRawImage(const QString& path)
{
    const QString name = QFileInfo(path).fileName();
    QImageReader reader(path);
    const QImage image = reader.read();
    if (image.isNull()) {
        return core::fail(core::ErrorCode::Io,
            QStringLiteral("%1: cannot decode image (%2)").arg(name, reader.errorString()).toStdString());
    }
    return toRawImage(image);
}

} // namespace optiscope::gui
