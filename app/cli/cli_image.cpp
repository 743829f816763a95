// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "cli_image.h"

#include <QImage>
#include <QImageReader>
#include <QString>

#include <cstring>
#include <filesystem>

namespace optiscope::cli {

std::expected<core::RawImage, CliFailure> decodeImageFile(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        return inputError(path + ": image: file does not exist");
    }
    QImageReader reader(QString::fromStdString(path));
    QImage image = reader.read();
    if (image.isNull()) {
        return inputError(path + ": image: cannot decode (" + reader.errorString().toStdString() + ")");
    }
    core::RawImage raw;
    // Grey stays one channel so the engine can replicate it; everything else is RGB (alpha dropped).
    const bool grey = image.isGrayscale();
    image = image.convertToFormat(grey ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
    raw.width = image.width();
    raw.height = image.height();
    raw.channels = grey ? 1 : 3;
    const auto rowBytes = static_cast<std::size_t>(raw.width) * raw.channels;
    raw.bytes.resize(rowBytes * raw.height);
    // QImage rows are padded to 4 bytes; copy row by row into the packed layout.
    for (int y = 0; y < raw.height; ++y) {
        std::memcpy(raw.bytes.data() + rowBytes * y, image.constScanLine(y), rowBytes);
    }
    return raw;
}

} // namespace optiscope::cli
