// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/simulate.h"
#include "text_util.h"

#include "dataflow_model.h"
#include "memory_model.h"

#include <algorithm>
#include <numeric>

namespace optiscope::accelsim {

std::int64_t macsPerformedOf(const Layer& layer, const LayerGeometry& g)
{
    if (g.unstructured) {
        // Padding slots multiply by an explicit zero: only the stored nonzeros count.
        std::int64_t nonzeros = 0;
        for (const std::int64_t c : *layer.filterColumnNonzeros) {
            nonzeros += c;
        }
        return layer.m * nonzeros;
    }
    return layer.m * layer.n * (g.dualMac ? g.kDense : g.kCompressed);
}

Result<LayerStats> analyzeLayer(const Layer& layer, const ArrayConfig& config)
{
    if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0) {
        return fail(ErrorCode::Shape,
            formatText("layer '{}': M, N, K: must be positive, got {}, {}, {}", layer.name, layer.m, layer.n, layer.k));
    }
    if (auto ok = checkLayerData(layer, formatText("layer '{}'", layer.name)); !ok) {
        return std::unexpected(ok.error());
    }
    const DataflowModel& model = dataflowModel(config.dataflow());
    const bool compat = config.scaleSimCompatible();
    LayerStats s;
    s.name = layer.name;
    s.geometry = layerGeometry(layer, config);
    auto stalls = foldStallsOf(layer, config, s.geometry);
    if (!stalls) {
        return std::unexpected(stalls.error());
    }
    LayerGeometry& g = s.geometry;
    g.stallCycles = std::accumulate(stalls->begin(), stalls->end(), std::int64_t { 0 });
    g.steppedCycles = g.computeCycles + g.stallCycles;
    s.macs = layer.macs();
    s.macsPerformed = macsPerformedOf(layer, g);
    // SCALE-Sim reports the index of the last demand row, one less than the rows it steps (upstream #125).
    s.totalCycles = g.steppedCycles - (compat ? 1 : 0);
    s.stallCycles = g.stallCycles;
    const double pes = static_cast<double>(g.rows * g.cols);
    s.overallUtilPct = 100.0 * static_cast<double>(s.macsPerformed) / (static_cast<double>(s.totalCycles) * pes);
    // Folds tile Sr x Sc as a grid, so the sum over folds of used PEs is Sr * Sc.
    const double usedPeFolds = static_cast<double>(g.sr) * static_cast<double>(g.sc);
    s.mappingEfficiencyPct = 100.0 * usedPeFolds / (static_cast<double>(g.folds) * pes);
    const std::int64_t utilFoldCycles = compat ? model.computeUtilFoldCycles(g.rows, g.cols, g.t) : g.cyclesPerFold;
    s.computeUtilPct = 100.0 * usedPeFolds * static_cast<double>(g.t)
        / (static_cast<double>(g.folds) * pes * static_cast<double>(utilFoldCycles));

    const SramTotals sram = model.sramTotals(layer.m, layer.n, g.kCompressed, g);
    s.ifmap.sramAccesses = sram.ifmapReads;
    s.filter.sramAccesses = sram.filterReads;
    s.ofmap.sramAccesses = sram.ofmapWrites;
    s.ofmapSramWritesReported = sram.ofmapWrites + (compat ? g.folds * model.phantomOfmapWritesPerFold(g) : 0);

    // First access in the first fold (after its cold-start stall), last access in the last fold (column fold and
    // row fold both last), which starts after every fold before it and its own stall.
    const FoldShape first { g.rowsUsed(0), g.colsUsed(0), 0 };
    const FoldShape last { g.rowsUsed(g.rowFolds - 1), g.colsUsed(g.colFolds - 1), (g.rowFolds - 1) * g.rows };
    const std::int64_t firstFoldStart = stalls->front();
    const std::int64_t lastFoldStart
        = (g.folds - 1) * g.cyclesPerFold + std::accumulate(stalls->begin(), stalls->end() - 1, std::int64_t { 0 });
    for (auto [operand, traffic] : { std::pair { Operand::Ifmap, &s.ifmap }, std::pair { Operand::Filter, &s.filter },
             std::pair { Operand::Ofmap, &s.ofmap } }) {
        traffic->sramStartCycle = firstFoldStart + model.window(operand, g, first).first;
        traffic->sramStopCycle = lastFoldStart + model.window(operand, g, last).last;
    }
    s.ifmap.bits = ifmapBitsOf(layer, config);
    s.filter.bits = filterBitsOf(layer, config);
    s.ofmap.bits = config.params().ofmapBits;
    applyDramModel(layer, config, s);
    s.metadataBitsPerWeight = metadataBitsOf(g);
    s.metadataSramBytes = metadataBytesOf(g, s.filter.sramAccesses);
    s.metadataDramBytes = metadataBytesOf(g, s.filter.dramAccesses);

    // Energy follows bytes, so narrower words are cheaper to move; a MAC costs by its wider operand.
    const EnergyTable& e = config.params().energy;
    auto bytes = [](std::int64_t b) { return static_cast<double>(b); };
    s.energy.macPj = static_cast<double>(s.macsPerformed) * e.macPj(std::max(s.ifmap.bits, s.filter.bits));
    s.energy.sram
        = { bytes(s.ifmap.sramBytes()) * e.sramReadPjPerByte, bytes(s.filter.sramBytes()) * e.sramReadPjPerByte,
              bytes(s.metadataSramBytes) * e.sramReadPjPerByte, bytes(s.ofmap.sramBytes()) * e.sramWritePjPerByte };
    s.energy.dram = { bytes(s.ifmap.dramBytes()) * e.dramPjPerByte, bytes(s.filter.dramBytes()) * e.dramPjPerByte,
        bytes(s.metadataDramBytes) * e.dramPjPerByte, bytes(s.ofmap.dramBytes()) * e.dramPjPerByte };
    s.energy.sramPj = s.energy.sram.totalPj();
    s.energy.dramPj = s.energy.dram.totalPj();
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

std::int64_t OperandTraffic::sramBytes() const { return ArrayConfig::packedBytes(sramAccesses, bits); }
std::int64_t OperandTraffic::dramBytes() const { return ArrayConfig::packedBytes(dramAccesses, bits); }

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
