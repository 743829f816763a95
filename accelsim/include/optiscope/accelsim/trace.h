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

// DRAM words moved during [startCycle, startCycle + cycles) of one layer (layer-local cycles), per operand.
struct DramBandwidthSample {
    std::int64_t startCycle = 0;
    std::int64_t cycles = 0; // the bin width, less in the last bin
    std::int64_t ifmapReads = 0;
    std::int64_t filterReads = 0;
    std::int64_t ofmapWrites = 0;
    double ifmapWordsPerCycle() const { return cycles > 0 ? double(ifmapReads) / double(cycles) : 0.0; }
    double filterWordsPerCycle() const { return cycles > 0 ? double(filterReads) / double(cycles) : 0.0; }
    double ofmapWordsPerCycle() const { return cycles > 0 ? double(ofmapWrites) / double(cycles) : 0.0; }
};

// DRAM bandwidth over time of one layer, stepped (CycleState's DRAM fields): one sample per cycle, or with
// maxPoints > 0 bins of ceil(layer cycles / maxPoints) cycles. The samples' words sum to the layer's
// dramAccesses (LayerStats) exactly. Refuses (Input) a layer index out of range or maxPoints < 0, (TooLarge)
// layers longer than maxCycles.
Result<std::vector<DramBandwidthSample>> dramBandwidthOverTime(const Stepper& stepper, std::size_t layer,
    std::int64_t maxPoints = 0, std::int64_t maxCycles = Stepper::kDefaultMaxRunCycles);

// One CSV line per cycle, SCALE-Sim style separators: "Cycle, Layer, Fold, Stalled, IFMAP SRAM Reads,
// FILTER SRAM Reads, OFMAP SRAM Writes, IFMAP DRAM Reads, FILTER DRAM Reads, OFMAP DRAM Writes," (words in that
// cycle). Written atomically; refuses runs longer than maxCycles (a line is about 40 bytes) and writes nothing.
Result<void> writeCycleTrace(
    const Stepper& stepper, const std::filesystem::path& path, std::int64_t maxCycles = std::int64_t { 1 } << 22);

// The DRAM bandwidth series of every layer in one CSV, "Layer, Layer Name, Start Cycle, Cycles,
// IFMAP DRAM Reads, FILTER DRAM Reads, OFMAP DRAM Writes," with words per bin (divide by Cycles for words per
// cycle), at most maxPointsPerLayer bins per layer. Atomic; same refusals as dramBandwidthOverTime.
Result<void> writeDramBandwidthTrace(const Stepper& stepper, const std::filesystem::path& path,
    std::int64_t maxPointsPerLayer = 1000, std::int64_t maxCycles = std::int64_t { 1 } << 22);

} // namespace optiscope::accelsim
