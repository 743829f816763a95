// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include "cli_common.h"
#include "optiscope/core/image.h"

#include <expected>
#include <string>

namespace optiscope::cli {

// Decodes an image file with QImage into 8-bit grey (if the file is grey) or RGB pixels.
std::expected<core::RawImage, CliFailure> decodeImageFile(const std::string& path);

} // namespace optiscope::cli
