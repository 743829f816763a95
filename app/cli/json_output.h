// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// JSON text for the --dump-* files, built by hand because attention dumps run to tens of
// megabytes and every float must read back bit-exact.
#include "cli_common.h"
#include "optiscope/core/inference.h"

#include <filesystem>
#include <string>

namespace optiscope::cli {

// Shortest decimal that reads back to the same float (never more than max_digits10 digits);
// non-finite values become null because JSON has no NaN.
void appendFloat(std::string& out, float value);

// {"logits": [[...], ...]}: result.logitRows rows of result.logitCols values.
std::string logitsJson(const core::RunResult& result);
// {"attentions": [layer][head][query][key]}.
std::string attentionsJson(const core::RunResult& result);

// Fails early (before any inference) when the folder of an output file does not exist.
CliResult checkOutputPath(const std::filesystem::path& path, const char* option);
// Temp file + rename through the engine's writer, so a failure leaves no partial file.
CliResult writeOutputFile(const std::filesystem::path& path, const std::string& contents);

} // namespace optiscope::cli
