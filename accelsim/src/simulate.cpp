// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/simulate.h"
#include "text_util.h"

#include "dataflow_model.h"
#include "memory_model.h"

#include <algorithm>
#include <numeric>

namespace optiscope::accelsim {

Result<LayerStats> analyzeLayer(const Layer& layer, const ArrayConfig& config)
{
    if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0) {
        return fail(ErrorCode::Shape,
            formatText("layer '{}': M, N, K: must be positive, got {}, {}, {}", layer.name, layer.m, layer.n, layer.k));
    }
    const DataflowModel& model = dataflowModel(config.dataflow());
    const bool compat = config.scaleSimCompatible();
    LayerStats s;
    s.name = layer.name;
    s.geometry = layerGeometry(layer, config);
    const LayerGeometry& g = s.geometry;
    s.macs = layer.macs();
    // SCALE-Sim reports the index of the last demand row, one less than the rows it steps (upstream #125).
    s.totalCycles = g.steppedCycles - (compat ? 1 : 0);
    s.stallCycles = 0;
    const double pes = static_cast<double>(g.rows * g.cols);
    s.overallUtilPct = 100.0 * static_cast<double>(s.macs) / (static_cast<double>(s.totalCycles) * pes);
    // Folds tile Sr x Sc as a grid, so the sum over folds of used PEs is Sr * Sc.
    const double usedPeFolds = static_cast<double>(g.sr) * static_cast<double>(g.sc);
    s.mappingEfficiencyPct = 100.0 * usedPeFolds / (static_cast<double>(g.folds) * pes);
    const std::int64_t utilFoldCycles = compat ? model.computeUtilFoldCycles(g.rows, g.cols, g.t) : g.cyclesPerFold;
    s.computeUtilPct = 100.0 * usedPeFolds * static_cast<double>(g.t)
        / (static_cast<double>(g.folds) * pes * static_cast<double>(utilFoldCycles));

    const SramTotals sram = model.sramTotals(layer.m, layer.n, layer.k, g);
    s.ifmap.sramAccesses = sram.ifmapReads;
    s.filter.sramAccesses = sram.filterReads;
    s.ofmap.sramAccesses = sram.ofmapWrites;
    s.ofmapSramWritesReported = sram.ofmapWrites + (compat ? g.folds * model.phantomOfmapWritesPerFold(g) : 0);

    // First access in the first fold, last access in the last fold (column fold and row fold both last).
    const FoldShape first { g.rowsUsed(0), g.colsUsed(0) };
    const FoldShape last { g.rowsUsed(g.rowFolds - 1), g.colsUsed(g.colFolds - 1) };
    const std::int64_t lastFoldStart = (g.folds - 1) * g.cyclesPerFold;
    for (auto [operand, traffic] : { std::pair { Operand::Ifmap, &s.ifmap }, std::pair { Operand::Filter, &s.filter },
             std::pair { Operand::Ofmap, &s.ofmap } }) {
        traffic->sramStartCycle = model.window(operand, g, first).first;
        traffic->sramStopCycle = lastFoldStart + model.window(operand, g, last).last;
    }
    s.ifmap.bits = ifmapBitsOf(layer, config);
    s.filter.bits = filterBitsOf(layer, config);
    s.ofmap.bits = config.params().ofmapBits;
    applyDramModel(layer, config, s);

    const EnergyTable& e = config.params().energy;
    auto bytes = [](std::int64_t words, int bits) { return static_cast<double>(words) * bits / 8.0; };
    s.energy.macPj = static_cast<double>(s.macs) * e.macPj(std::max(s.ifmap.bits, s.filter.bits));
    s.energy.sramPj = (bytes(s.ifmap.sramAccesses, s.ifmap.bits) + bytes(s.filter.sramAccesses, s.filter.bits))
            * e.sramReadPjPerByte
        + bytes(s.ofmap.sramAccesses, s.ofmap.bits) * e.sramWritePjPerByte;
    s.energy.dramPj = (bytes(s.ifmap.dramAccesses, s.ifmap.bits) + bytes(s.filter.dramAccesses, s.filter.bits)
                          + bytes(s.ofmap.dramAccesses, s.ofmap.bits))
        * e.dramPjPerByte;
    return s;
}

Result<SimulationResult> simulate(const Workload& workload, const ArrayConfig& config)
{
    SimulationResult result;
    result.runName = config.params().runName;
    result.dataflow = config.dataflow();
    result.layers.reserve(workload.layers.size());
    for (const Layer& layer : workload.layers) {
        auto stats = analyzeLayer(layer, config);
        if (!stats) {
            return std::unexpected(stats.error());
        }
        result.layers.push_back(std::move(*stats));
    }
    return result;
}

std::int64_t SimulationResult::totalCycles() const
{
    return std::accumulate(layers.begin(), layers.end(), std::int64_t { 0 },
        [](std::int64_t sum, const LayerStats& l) { return sum + l.totalCycles; });
}

std::int64_t SimulationResult::totalMacs() const
{
    return std::accumulate(layers.begin(), layers.end(), std::int64_t { 0 },
        [](std::int64_t sum, const LayerStats& l) { return sum + l.macs; });
}

double SimulationResult::totalEnergyPj() const
{
    return std::accumulate(
        layers.begin(), layers.end(), 0.0, [](double sum, const LayerStats& l) { return sum + l.energy.totalPj(); });
}

} // namespace optiscope::accelsim
