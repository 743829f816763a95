// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "memory_model.h"

#include "dataflow_model.h"
#include "optiscope/accelsim/check.h"
#include "text_util.h"

#include <algorithm>
#include <bit>

namespace optiscope::accelsim {
namespace {

    // Which reused slice stays resident in the active half of its scratchpad. Folds run column fold outer, row
    // fold inner; `reused` is the slice that must stay resident to avoid a refetch.
    struct Residency {
        bool ifmap = true;
        bool filter = true;
        bool ofmap = true;
    };

    Residency residency(const Layer& layer, const ArrayConfig& config, const LayerGeometry& g)
    {
        const ArrayParams& p = config.params();
        const std::int64_t ifmapWords = ArrayConfig::wordsPerHalf(p.ifmapSramKiB, ifmapBitsOf(layer, config));
        const std::int64_t filterWords = ArrayConfig::wordsPerHalf(p.filterSramKiB, filterBitsOf(layer, config));
        const std::int64_t ofmapWords = ArrayConfig::wordsPerHalf(p.ofmapSramKiB, p.ofmapBits);
        const std::int64_t cu = std::min(g.cols, g.sc); // widest column fold
        Residency r;
        switch (config.dataflow()) {
        case Dataflow::OutputStationary:
            // The whole ifmap is swept once per column fold; one filter column slice (K' x cu) serves all row folds.
            r.ifmap = layer.m * g.kDense <= ifmapWords;
            r.filter = g.filterWordsK() * cu <= filterWords;
            break;
        case Dataflow::WeightStationary:
            r.ifmap = layer.m * g.kDense <= ifmapWords;
            // Partial sums of one column slice (M x cu) accumulate over the row (K') folds.
            r.ofmap = layer.m * cu <= ofmapWords;
            break;
        case Dataflow::InputStationary:
            r.filter = g.kDense * layer.n <= filterWords;
            r.ofmap = cu * layer.n <= ofmapWords;
            break;
        }
        return r;
    }

} // namespace

int ifmapBitsOf(const Layer& layer, const ArrayConfig& config)
{
    return layer.ifmapBits > 0 ? layer.ifmapBits : config.params().ifmapBits;
}

int filterBitsOf(const Layer& layer, const ArrayConfig& config)
{
    return layer.filterBits > 0 ? layer.filterBits : config.params().filterBits;
}

int metadataBitsOf(const LayerGeometry& g)
{
    if (!g.sparse()) {
        return 0;
    }
    return g.unstructured ? 1 : std::bit_width(static_cast<unsigned>(g.nmM - 1));
}

std::int64_t metadataBytesOf(const LayerGeometry& g, std::int64_t filterWords)
{
    if (!g.unstructured) {
        return ArrayConfig::packedBytes(filterWords, metadataBitsOf(g));
    }
    // K bits per K' stored weights; split the product so it cannot overflow.
    const std::int64_t kept = g.kCompressed;
    const std::int64_t bits = filterWords / kept * g.kDense + ceilDiv(filterWords % kept * g.kDense, kept);
    return ceilDiv(bits, 8);
}

void applyDramModel(const Layer& layer, const ArrayConfig& config, LayerStats& stats)
{
    const LayerGeometry& g = stats.geometry;
    const Residency res = residency(layer, config, g);
    const std::int64_t m = layer.m;
    const std::int64_t n = layer.n;
    auto fetched
        = [](std::int64_t unique, bool resident, std::int64_t passes) { return resident ? unique : unique * passes; };
    switch (config.dataflow()) {
    case Dataflow::OutputStationary:
        stats.ifmap.dramAccesses = fetched(m * g.kDense, res.ifmap, g.colFolds);
        stats.filter.dramAccesses = fetched(g.filterWordsK() * n, res.filter, g.rowFolds);
        stats.ofmap.dramAccesses = m * n;
        break;
    case Dataflow::WeightStationary:
        stats.ifmap.dramAccesses = fetched(m * g.kDense, res.ifmap, g.colFolds);
        stats.filter.dramAccesses = g.filterWordsK() * n;
        stats.ofmap.dramAccesses = fetched(m * n, res.ofmap, g.rowFolds);
        break;
    case Dataflow::InputStationary:
        stats.ifmap.dramAccesses = m * g.kDense;
        stats.filter.dramAccesses = fetched(g.kDense * n, res.filter, g.colFolds);
        stats.ofmap.dramAccesses = fetched(m * n, res.ofmap, g.rowFolds);
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

LayerDram::LayerDram(const Layer& layer, const ArrayConfig& config, const LayerGeometry& g)
    : m_m(layer.m)
    , m_n(layer.n)
    , m_dataflow(config.dataflow())
    , m_g(g)
    , m_ifmapBits(ifmapBitsOf(layer, config))
    , m_filterBits(filterBitsOf(layer, config))
    , m_ofmapBits(config.params().ofmapBits)
{
    const Residency res = residency(layer, config, g);
    m_ifmapResident = res.ifmap;
    m_filterResident = res.filter;
    m_ofmapResident = res.ofmap;
    if (config.params().bandwidthMode == BandwidthMode::User) {
        for (int operand = 0; operand < 3; ++operand) {
            m_bandwidth[operand] = config.dramBytesPerCycle(operand);
        }
    }
}

FoldDramWords LayerDram::words(std::int64_t fold) const
{
    const LayerGeometry& g = m_g;
    const std::int64_t rowFold = fold % g.rowFolds;
    const std::int64_t colFold = fold / g.rowFolds;
    const std::int64_t ru = g.rowsUsed(rowFold);
    const std::int64_t cu = g.colsUsed(colFold);
    const bool lastRowFold = rowFold == g.rowFolds - 1;
    FoldDramWords w;
    switch (m_dataflow) {
    case Dataflow::OutputStationary:
        w.ifmapReads = colFold == 0 || !m_ifmapResident ? ru * g.kDense : 0;
        w.filterReads = rowFold == 0 || !m_filterResident ? g.filterWordsK() * cu : 0;
        w.ofmapWrites = ru * cu;
        break;
    case Dataflow::WeightStationary: {
        // Only the groups that start in this fold are new; a split group came with the previous fold.
        const std::int64_t r0 = rowFold * g.rows;
        const std::int64_t newK = denseBefore(g, r0 + ru) - denseBefore(g, r0);
        w.ifmapReads = colFold == 0 || !m_ifmapResident ? m_m * newK : 0;
        w.filterReads = filterWordsOf(g, r0, ru) * cu;
        w.ofmapWrites = !m_ofmapResident || lastRowFold ? m_m * cu : 0;
        break;
    }
    case Dataflow::InputStationary:
        w.ifmapReads = ru * cu;
        w.filterReads = colFold == 0 || !m_filterResident ? ru * m_n : 0;
        w.ofmapWrites = !m_ofmapResident || lastRowFold ? cu * m_n : 0;
        break;
    }
    return w;
}

FoldTransfer LayerDram::transfer(std::int64_t fold) const
{
    const FoldDramWords w = words(fold);
    const std::int64_t filterBytes
        = ArrayConfig::packedBytes(w.filterReads, m_filterBits) + metadataBytesOf(m_g, w.filterReads);
    return FoldTransfer { ceilDiv(ArrayConfig::packedBytes(w.ifmapReads, m_ifmapBits), m_bandwidth[0]),
        ceilDiv(filterBytes, m_bandwidth[1]), ceilDiv(ArrayConfig::packedBytes(w.ofmapWrites, m_ofmapBits), m_bandwidth[2]) };
}

FoldDramWords foldDramWords(const Layer& layer, const ArrayConfig& config, std::int64_t fold)
{
    const LayerGeometry g = layerGeometry(layer, config);
    OPTISCOPE_CHECK(fold >= 0 && fold < g.folds);
    return LayerDram(layer, config, g).words(fold);
}

Result<std::vector<std::int64_t>> foldStallsOf(const Layer& layer, const ArrayConfig& config, const LayerGeometry& g)
{
    if (config.params().bandwidthMode != BandwidthMode::User) {
        return std::vector<std::int64_t>(static_cast<std::size_t>(g.folds + 1), 0);
    }
    if (g.folds > kMaxStallFolds) {
        return fail(ErrorCode::TooLarge,
            formatText("layer '{}': {} folds exceed the {} the DRAM stall model walks; use CALC bandwidth", layer.name,
                g.folds, kMaxStallFolds));
    }
    const LayerDram dram(layer, config, g);
    const std::int64_t p = g.cyclesPerFold;
    std::vector<std::int64_t> stalls(static_cast<std::size_t>(g.folds + 1), 0);
    // Sliding window of transfers: folds f-2, f-1 (for their writes) and f (for its reads).
    FoldTransfer twoBack {}, oneBack {};
    for (std::int64_t f = 0; f < g.folds; ++f) {
        const FoldTransfer now = dram.transfer(f);
        std::int64_t stall = 0;
        if (f == 0) {
            stall = std::max(now.ifmap, now.filter);
        } else {
            stall = std::max({ std::int64_t { 0 }, now.ifmap - p, now.filter - p, f >= 2 ? twoBack.ofmap - p : 0 });
        }
        stalls[static_cast<std::size_t>(f)] = stall;
        twoBack = oneBack;
        oneBack = now;
    }
    // After the loop oneBack is fold F-1 and twoBack fold F-2 (zero when F == 1).
    stalls.back() = std::max<std::int64_t>(0, twoBack.ofmap - p) + oneBack.ofmap;
    return stalls;
}

Result<std::vector<std::int64_t>> foldStalls(const Layer& layer, const ArrayConfig& config)
{
    return foldStallsOf(layer, config, layerGeometry(layer, config));
}

} // namespace optiscope::accelsim
