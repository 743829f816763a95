// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Reports named and shaped like SCALE-Sim v2's (same file names, header text, ", " separators and trailing
// commas) so the two tools' outputs diff line by line, plus a JSON summary with what SCALE-Sim lacks (energy,
// DRAM model, geometry).
#include "optiscope/accelsim/simulate.h"

#include <filesystem>
#include <string>

namespace optiscope::accelsim {

// LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,
std::string formatComputeReport(const SimulationResult& result);
// LayerID, Avg {IFMAP,FILTER,OFMAP} SRAM BW, Avg {IFMAP,FILTER,OFMAP} DRAM BW, (words per cycle)
std::string formatBandwidthReport(const SimulationResult& result);
// Start/stop cycles and counts of SRAM and DRAM accesses per operand. SCALE-Sim's newer six PE action-count
// columns are not produced.
std::string formatDetailedAccessReport(const SimulationResult& result);
std::string formatJsonSummary(const SimulationResult& result);

// Writes COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv and summary.json into an existing
// directory, each atomically (temporary file + rename).
Result<void> writeReports(const SimulationResult& result, const std::filesystem::path& directory);

// Python's repr of a float (shortest round-trip, "100.0" not "100"), as SCALE-Sim writes its numbers.
std::string pythonFloat(double value);

} // namespace optiscope::accelsim
