// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Optiscope's own array-config format: one JSON object with every ArrayParams field, so a config carries what
// SCALE-Sim's .cfg cannot (operand widths, sparse PE plane, clock, energy table, compatibility switch).
//
// {
//   "runName": "optiscope", "rows": 32, "cols": 32, "dataflow": "ws",
//   "ifmapSramKiB": 64, "filterSramKiB": 64, "ofmapSramKiB": 64,
//   "ifmapOffset": 0, "filterOffset": 10000000, "ofmapOffset": 20000000,
//   "interfaceBandwidth": "CALC" | "USER", "bandwidthBytesPerCycle": [10],
//   "clockMhz": 1000.0, "ifmapBits": 8, "filterBits": 8, "ofmapBits": 8,
//   "scaleSimCompatible": true, "sparseWeights": false, "unstructuredSparseWeights": false,
//   "dualInt4Macs": false,
//   "energyPj": { "macInt4": ..., "macInt8": ..., "macInt16": ..., "macFp16": ..., "macInt32": ...,
//                 "macFp32": ..., "sramReadPerByte": ..., "sramWritePerByte": ..., "dramPerByte": ... }
// }
//
// Every key is optional (ArrayParams defaults); unknown keys and wrong types are errors, so a typo never
// silently falls back to a default. The result is validated by ArrayConfig::create.
#include "optiscope/accelsim/array_config.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace optiscope::accelsim {

// source names the file in error messages: "arrays/edge.json: rows: must be an integer".
Result<ArrayConfig> parseArrayConfigJson(std::string_view text, std::string_view source);
Result<ArrayConfig> readArrayConfigJson(const std::filesystem::path& path);
// Every field, two-space indented; parseArrayConfigJson(formatArrayConfigJson(c)) gives back c's params.
std::string formatArrayConfigJson(const ArrayConfig& config);
Result<void> writeArrayConfigJson(const std::filesystem::path& path, const ArrayConfig& config);

} // namespace optiscope::accelsim
