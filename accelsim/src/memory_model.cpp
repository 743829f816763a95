// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "memory_model.h"

#include <algorithm>

namespace optiscope::accelsim {

int ifmapBitsOf(const Layer& layer, const ArrayConfig& config)
{
    return layer.ifmapBits > 0 ? layer.ifmapBits : config.params().ifmapBits;
}

int filterBitsOf(const Layer& layer, const ArrayConfig& config)
{
    return layer.filterBits > 0 ? layer.filterBits : config.params().filterBits;
}

void applyDramModel(const Layer& layer, const ArrayConfig& config, LayerStats& stats)
{
    const ArrayParams& p = config.params();
    const LayerGeometry& g = stats.geometry;
    const std::int64_t m = layer.m;
    const std::int64_t n = layer.n;
    const std::int64_t k = layer.k;
    const std::int64_t ifmapWords = ArrayConfig::wordsPerHalf(p.ifmapSramKiB, stats.ifmap.bits);
    const std::int64_t filterWords = ArrayConfig::wordsPerHalf(p.filterSramKiB, stats.filter.bits);
    const std::int64_t ofmapWords = ArrayConfig::wordsPerHalf(p.ofmapSramKiB, stats.ofmap.bits);
    // Folds run column fold outer, row fold inner. `reused` is the slice that must stay resident to avoid a
    // refetch; `passes` how often it is swept when it does not.
    auto fetched = [](std::int64_t unique, std::int64_t reused, std::int64_t capacity, std::int64_t passes) {
        return reused <= capacity ? unique : unique * passes;
    };
    const std::int64_t cu = std::min(g.cols, g.sc); // widest column fold
    switch (config.dataflow()) {
    case Dataflow::OutputStationary:
        // The whole ifmap is swept once per column fold; one filter column slice (K x cu) serves all row folds.
        stats.ifmap.dramAccesses = fetched(m * k, m * k, ifmapWords, g.colFolds);
        stats.filter.dramAccesses = fetched(k * n, k * cu, filterWords, g.rowFolds);
        stats.ofmap.dramAccesses = m * n;
        break;
    case Dataflow::WeightStationary:
        stats.ifmap.dramAccesses = fetched(m * k, m * k, ifmapWords, g.colFolds);
        stats.filter.dramAccesses = k * n;
        // Partial sums of one column slice (M x cu) accumulate over the row (K) folds.
        stats.ofmap.dramAccesses = fetched(m * n, m * cu, ofmapWords, g.rowFolds);
        break;
    case Dataflow::InputStationary:
        stats.ifmap.dramAccesses = m * k;
        stats.filter.dramAccesses = fetched(k * n, k * n, filterWords, g.colFolds);
        stats.ofmap.dramAccesses = fetched(m * n, cu * n, ofmapWords, g.rowFolds);
        break;
    }
    // Reads are prefetched from cycle 0 and last until the operand's final SRAM read; output writes start with
    // the first SRAM write and end with the layer.
    stats.ifmap.dramStartCycle = 0;
    stats.ifmap.dramStopCycle = stats.ifmap.sramStopCycle;
    stats.filter.dramStartCycle = 0;
    stats.filter.dramStopCycle = stats.filter.sramStopCycle;
    stats.ofmap.dramStartCycle = stats.ofmap.sramStartCycle;
    stats.ofmap.dramStopCycle = stats.totalCycles;
}

} // namespace optiscope::accelsim
