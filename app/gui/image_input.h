// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Decodes an image file with QImage into the engine's 8-bit interleaved RawImage.
#include "optiscope/core/image.h"
#include "optiscope/core/result.h"

#include <QString>

namespace optiscope::gui {

core::Result<core::RawImage> loadRawImage(const QString& path);

} // namespace optiscope::gui
