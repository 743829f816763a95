// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// QImage → the engine's 8-bit interleaved RawImage, shared by the CLI and the GUI (both decode
// files with Qt; the engine stays Qt-free). Header-only: two small front ends, no target of its own.
#include "optiscope/core/image.h"

#include <QImage>

#include <cstring>

namespace optiscope::app {

// Grey images stay 1 channel (the engine replicates them for RGB models); everything else
// becomes RGB with alpha dropped.
inline core::RawImage toRawImage(const QImage& source)
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

} // namespace optiscope::app
