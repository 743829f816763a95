// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// SCALE-Sim v2 input formats, read and written: .cfg files, topology CSV (convolutions) and GEMM CSV.
#include "optiscope/accelsim/array_config.h"
#include "optiscope/accelsim/workload.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace optiscope::accelsim {

// [general] run_name; [architecture_presets] ArrayHeight, ArrayWidth, IfmapSramSzkB, FilterSramSzkB,
// OfmapSramSzkB, IfmapOffset, FilterOffset, OfmapOffset, Dataflow, Bandwidth; [run_presets] InterfaceBandwidth.
// Keys are case-insensitive as in Python's configparser. source names the file in errors.
Result<ArrayConfig> parseScaleSimConfig(std::string_view text, std::string_view source);
Result<ArrayConfig> readScaleSimConfig(const std::filesystem::path& path);
std::string formatScaleSimConfig(const ArrayConfig& config);
Result<void> writeScaleSimConfig(const std::filesystem::path& path, const ArrayConfig& config);

// Header line, then "name, ifmap h, ifmap w, filter h, filter w, channels, filters, stride[, stride w]," per
// layer, each row ending in a comma. Names containing "DP" are depthwise: one layer per channel, as SCALE-Sim.
Result<Workload> parseTopologyCsv(std::string_view text, std::string_view source);
Result<Workload> readTopologyCsv(const std::filesystem::path& path);
// GEMM layers are written in SCALE-Sim's conv form of a GEMM: M, K, 1, K, 1, N, 1, 1.
std::string formatTopologyCsv(const Workload& workload);

// Header line, then "name, M, N, K," per layer.
Result<Workload> parseGemmCsv(std::string_view text, std::string_view source);
Result<Workload> readGemmCsv(const std::filesystem::path& path);
std::string formatGemmCsv(const Workload& workload);

// Whole-file helpers. writeFileAtomically writes a sibling temporary file and renames it over path, so readers
// see either the old or the new file, never half of one.
Result<std::string> readTextFile(const std::filesystem::path& path);
Result<void> writeFileAtomically(const std::filesystem::path& path, std::string_view contents);

} // namespace optiscope::accelsim
