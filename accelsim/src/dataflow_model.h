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

// Lanes l in [0, lanes) that are active at t when lane l is active during [start + l, start + l + length):
// the systolic skew, one cycle per lane.
inline std::int64_t skewedActiveLanes(std::int64_t lanes, std::int64_t start, std::int64_t length, std::int64_t t)
{
    const std::int64_t hi = std::min(lanes - 1, t - start);
    const std::int64_t lo = std::max<std::int64_t>(0, t - start - length + 1);
    return hi >= lo ? hi - lo + 1 : 0;
}

// A preload that pushes an R-row tile in reverse row order (bottom row first), one row per cycle, so array
// row `row` receives its data at cycle R-1-row; rows >= rowsUsed carry no data.
inline bool preloadRowActive(std::int64_t arrayRows, std::int64_t rowsUsed, std::int64_t t)
{
    return t >= arrayRows - rowsUsed && t < arrayRows;
}

} // namespace optiscope::accelsim
