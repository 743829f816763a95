// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Decodes an image file with QImage into the engine's 8-bit interleaved RawImage.
#include "optiscope/core/image.h"
#include "optiscope/core/result.h"

#include <QString>

class QImage;

namespace optiscope::gui {

core::Result<core::RawImage> loadRawImage(const QString& path);
// Grey images stay 1 channel, everything else becomes RGB (alpha dropped).
core::RawImage toRawImage(const QImage& image);

} // namespace optiscope::gui
