// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "cli_image.h"

#include "qimage_to_raw.h"

#include <QImage>
#include <QImageReader>
#include <QString>

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
    return app::toRawImage(image);
}

} // namespace optiscope::cli
