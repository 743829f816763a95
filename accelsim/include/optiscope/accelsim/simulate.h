// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Analytic mode: closed-form per-layer totals of SCALE-Sim v2's stall-free model. The cycle Stepper reproduces
// every total here by stepping (tested), so the two can be used interchangeably.
#include "optiscope/accelsim/array_config.h"
#include "optiscope/accelsim/workload.h"

#include <cstdint>
#include <string>
#include <vector>

namespace optiscope::accelsim {

// How a GEMM maps onto the R x C array. OS: Sr=M, Sc=N, T=K; WS: Sr=K, Sc=N, T=M; IS: Sr=K, Sc=M, T=N.
// Folds run column fold outer, row fold inner (SCALE-Sim's order); edge folds are partially occupied.
struct LayerGeometry {
    std::int64_t rows = 0; // R
    std::int64_t cols = 0; // C
    std::int64_t sr = 0;
    std::int64_t sc = 0;
    std::int64_t t = 0;
    std::int64_t rowFolds = 0; // ceil(Sr / R)
    std::int64_t colFolds = 0; // ceil(Sc / C)
    std::int64_t folds = 0;
    std::int64_t cyclesPerFold = 0; // OS R+C+T-2, WS/IS 2R+C+T-2
    std::int64_t steppedCycles = 0; // folds * cyclesPerFold: cycles the stepper advances through

    // Rows / columns of the array the fold actually uses.
    std::int64_t rowsUsed(std::int64_t rowFold) const;
    std::int64_t colsUsed(std::int64_t colFold) const;
};

LayerGeometry layerGeometry(const Layer& layer, const ArrayConfig& config);

// Counts are in words (elements) as SCALE-Sim counts them; byte counts follow from the operand width.
struct OperandTraffic {
    std::int64_t sramAccesses = 0; // reads for ifmap/filter, writes for ofmap
    std::int64_t sramStartCycle = 0; // first / last cycle with an access, SCALE-Sim's cycle numbering
    std::int64_t sramStopCycle = 0;
    std::int64_t dramAccesses = 0; // reads for ifmap/filter, writes for ofmap
    std::int64_t dramStartCycle = 0;
    std::int64_t dramStopCycle = 0;
    int bits = 8;
};

struct EnergyBreakdown {
    double macPj = 0;
    double sramPj = 0;
    double dramPj = 0;
    double totalPj() const { return macPj + sramPj + dramPj; }
};

struct LayerStats {
    std::string name;
    LayerGeometry geometry;
    std::int64_t macs = 0;
    std::int64_t totalCycles = 0; // as reported: steppedCycles - 1 in SCALE-Sim-compatible mode (+ stalls)
    std::int64_t stallCycles = 0; // always 0: the stall-free model (SCALE-Sim's CALC bandwidth mode)
    double overallUtilPct = 0; // M*N*K / (totalCycles * R * C)
    double mappingEfficiencyPct = 0; // mean over folds of used PEs / (R*C)
    double computeUtilPct = 0; // mean over folds of used PE-cycles / (R*C * fold cycles)
    OperandTraffic ifmap;
    OperandTraffic filter;
    OperandTraffic ofmap;
    // SCALE-Sim's OS counts R+C phantom ofmap writes per fold (upstream #166); reported here in compatible mode,
    // never in ofmap.sramAccesses, which holds the writes that happen.
    std::int64_t ofmapSramWritesReported = 0;
    EnergyBreakdown energy;
};

struct SimulationResult {
    std::string runName;
    Dataflow dataflow = Dataflow::WeightStationary;
    std::vector<LayerStats> layers;
    std::int64_t totalCycles() const;
    std::int64_t totalMacs() const;
    double totalEnergyPj() const;
};

Result<LayerStats> analyzeLayer(const Layer& layer, const ArrayConfig& config);
Result<SimulationResult> simulate(const Workload& workload, const ArrayConfig& config);

} // namespace optiscope::accelsim
