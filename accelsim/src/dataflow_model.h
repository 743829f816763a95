// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// One model per dataflow (os_dataflow.cpp, ws_dataflow.cpp, is_dataflow.cpp). Each states, for one fold, what
// SCALE-Sim v2's demand matrices say happens at fold-local cycle t: which PEs work and how many words each SRAM
// serves. Cycle t of a fold is row t of SCALE-Sim's (skewed) per-fold demand matrix.
#include "optiscope/accelsim/array_config.h"
#include "optiscope/accelsim/pe_state.h"
#include "optiscope/accelsim/simulate.h"

#include <algorithm>
#include <cstdint>

namespace optiscope::accelsim {

enum class Operand { Ifmap, Filter, Ofmap };

struct FoldAccess {
    std::int64_t ifmapReads = 0;
    std::int64_t filterReads = 0;
    std::int64_t ofmapWrites = 0;
};

// Fold-local first and last cycle at which an operand's SRAM is accessed.
struct AccessWindow {
    std::int64_t first = 0;
    std::int64_t last = 0;
};

struct FoldShape {
    std::int64_t rowsUsed = 0; // ru <= R
    std::int64_t colsUsed = 0; // cu <= C
    std::int64_t rowStart = 0; // first Sr index of the fold: rowFold * R
};

// SRAM words over the whole layer, from the mapping alone (not from the per-cycle model).
struct SramTotals {
    std::int64_t ifmapReads = 0;
    std::int64_t filterReads = 0;
    std::int64_t ofmapWrites = 0;
};

class DataflowModel {
public:
    virtual ~DataflowModel() = default;
    // Sr, Sc, T of the mapping.
    virtual void map(std::int64_t m, std::int64_t n, std::int64_t k, LayerGeometry& geometry) const = 0;
    virtual std::int64_t cyclesPerFold(std::int64_t r, std::int64_t c, std::int64_t t) const = 0;
    // Fold length SCALE-Sim divides by for compute utilization (differs from cyclesPerFold for WS and IS).
    virtual std::int64_t computeUtilFoldCycles(std::int64_t r, std::int64_t c, std::int64_t t) const = 0;
    virtual SramTotals sramTotals(std::int64_t m, std::int64_t n, std::int64_t k, const LayerGeometry& g) const = 0;
    virtual FoldAccess accessAt(const LayerGeometry& g, FoldShape fold, std::int64_t t) const = 0;
    virtual PeState peState(
        const LayerGeometry& g, FoldShape fold, std::int64_t row, std::int64_t col, std::int64_t t) const = 0;
    virtual AccessWindow window(Operand operand, const LayerGeometry& g, FoldShape fold) const = 0;
    // Extra ofmap writes SCALE-Sim counts per fold without issuing them (upstream #166); 0 but for OS.
    virtual std::int64_t phantomOfmapWritesPerFold(const LayerGeometry&) const { return 0; }
};

const DataflowModel& dataflowModel(Dataflow dataflow);
const DataflowModel& outputStationaryModel();
const DataflowModel& weightStationaryModel();
const DataflowModel& inputStationaryModel();

inline std::int64_t ceilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// N:M groups along K (see simulate.h). Compressed position x (of K') lies in group x / nmN.
inline std::int64_t compressedK(std::int64_t k, int nmN, int nmM)
{
    return k / nmM * nmN + std::min<std::int64_t>(nmN, k % nmM);
}

// Dense K elements of the groups whose first compressed position is below x: the ifmap words a lane has read
// once it has passed positions [0, x). Dense (1:1): x.
inline std::int64_t denseBefore(const LayerGeometry& g, std::int64_t x)
{
    return std::min(ceilDiv(x, g.nmN) * g.nmM, g.kDense);
}

// Filter words held by compressed positions [x, x + count): one per position, or the K elements paired into
// each position with dualMac.
inline std::int64_t filterWordsOf(const LayerGeometry& g, std::int64_t x, std::int64_t count)
{
    return g.dualMac ? denseBefore(g, x + count) - denseBefore(g, x) : count;
}

// Ifmap words read by positions [start, start + count) of one fold when position `start` begins the fold: the
// first position reads its whole group, later ones only when they start a group.
inline std::int64_t groupReadsInFold(const LayerGeometry& g, std::int64_t foldStart, std::int64_t count)
{
    if (count <= 0) {
        return 0;
    }
    const std::int64_t group = foldStart / g.nmN;
    const std::int64_t firstGroupWords = std::min((group + 1) * g.nmM, g.kDense) - group * g.nmM;
    return firstGroupWords + denseBefore(g, foldStart + count) - denseBefore(g, foldStart + 1);
}

// Lanes l in [0, lanes) that are active at t when lane l is active during [start + l, start + l + length):
// the systolic skew, one cycle per lane.
inline std::int64_t skewedActiveLanes(std::int64_t lanes, std::int64_t start, std::int64_t length, std::int64_t t)
{
    const std::int64_t hi = std::min(lanes - 1, t - start);
    const std::int64_t lo = std::max<std::int64_t>(0, t - start - length + 1);
    return hi >= lo ? hi - lo + 1 : 0;
}

// First and last lane active at t under the same skew; first > last when none is.
struct LaneRange {
    std::int64_t first = 0;
    std::int64_t last = -1;
};
inline LaneRange skewedLaneRange(std::int64_t lanes, std::int64_t start, std::int64_t length, std::int64_t t)
{
    return { std::max<std::int64_t>(0, t - start - length + 1), std::min(lanes - 1, t - start) };
}

// A preload that pushes an R-row tile in reverse row order (bottom row first), one row per cycle, so array
// row `row` receives its data at cycle R-1-row; rows >= rowsUsed carry no data.
inline bool preloadRowActive(std::int64_t arrayRows, std::int64_t rowsUsed, std::int64_t t)
{
    return t >= arrayRows - rowsUsed && t < arrayRows;
}

} // namespace optiscope::accelsim
