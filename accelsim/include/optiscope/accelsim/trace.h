// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Views of a run over time, produced by stepping: SRAM bandwidth per window of cycles, and a per-cycle trace
// file. Both step a copy of the given stepper from cycle 0 and leave the original where it is.
#include "optiscope/accelsim/stepper.h"

#include <filesystem>
#include <vector>

namespace optiscope::accelsim {

// SRAM words moved during [startCycle, startCycle + cycles); divide by cycles for words per cycle.
struct BandwidthSample {
    std::int64_t startCycle = 0;
    std::int64_t cycles = 0; // windowCycles, less in the last window
    std::int64_t ifmapSramReads = 0;
    std::int64_t filterSramReads = 0;
    std::int64_t ofmapSramWrites = 0;
    std::int64_t stallCycles = 0; // DRAM stall cycles in the window (USER bandwidth)
};

// Refuses (TooLarge) to step more than maxCycles, and windowCycles < 1 (Input).
Result<std::vector<BandwidthSample>> sramBandwidthOverTime(
    const Stepper& stepper, std::int64_t windowCycles, std::int64_t maxCycles = Stepper::kDefaultMaxRunCycles);

// One CSV line per cycle, SCALE-Sim style separators:
// "Cycle, Layer, Fold, Stalled, IFMAP SRAM Reads, FILTER SRAM Reads, OFMAP SRAM Writes,". Written atomically;
// refuses runs longer than maxCycles (a line is about 30 bytes) and writes nothing then.
Result<void> writeCycleTrace(
    const Stepper& stepper, const std::filesystem::path& path, std::int64_t maxCycles = std::int64_t { 1 } << 22);

} // namespace optiscope::accelsim
