// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "dataflow_model.h"
#include "memory_model.h"

#include <limits>

namespace optiscope::accelsim {

const DataflowModel& dataflowModel(Dataflow dataflow)
{
    switch (dataflow) {
    case Dataflow::OutputStationary:
        return outputStationaryModel();
    case Dataflow::WeightStationary:
        return weightStationaryModel();
    case Dataflow::InputStationary:
        return inputStationaryModel();
    }
    return weightStationaryModel();
}

namespace {
    // K' of unstructured zero skipping: the densest column's nonzeros (at least 1), or K when it does not apply.
    std::int64_t unstructuredK(const Layer& layer, const ArrayConfig& config)
    {
        const auto* counts = layer.filterColumnNonzeros.get();
        // nmN / nmM are ints: layers with K beyond int range run dense.
        if (!config.params().unstructuredSparseWeights || !counts || config.dataflow() == Dataflow::InputStationary
            || static_cast<std::int64_t>(counts->size()) != layer.n || layer.k > std::numeric_limits<int>::max()) {
            return layer.k;
        }
        std::int64_t densest = 1;
        for (const std::int64_t c : *counts) {
            densest = std::max(densest, c);
        }
        return std::min(densest, layer.k);
    }
} // namespace

std::int64_t LayerGeometry::rowsUsed(std::int64_t rowFold) const { return std::min(rows, sr - rowFold * rows); }
std::int64_t LayerGeometry::colsUsed(std::int64_t colFold) const { return std::min(cols, sc - colFold * cols); }

LayerGeometry layerGeometry(const Layer& layer, const ArrayConfig& config)
{
    const DataflowModel& model = dataflowModel(config.dataflow());
    LayerGeometry g;
    g.rows = config.rows();
    g.cols = config.cols();
    g.kDense = layer.k;
    g.kCompressed = layer.k;
    const bool nmValid = layer.nmN > 0 && layer.nmM > 0 && layer.nmN < layer.nmM;
    if (config.params().sparseWeights && nmValid && config.dataflow() != Dataflow::InputStationary) {
        g.nmN = layer.nmN;
        g.nmM = layer.nmM;
        g.kCompressed = compressedK(layer.k, g.nmN, g.nmM);
    } else if (const std::int64_t kept = unstructuredK(layer, config); kept < layer.k) {
        g.nmN = static_cast<int>(kept);
        g.nmM = static_cast<int>(layer.k);
        g.unstructured = true;
        g.kCompressed = kept;
    } else if (config.params().dualInt4Macs && config.dataflow() != Dataflow::InputStationary
        && ifmapBitsOf(layer, config) <= 4 && filterBitsOf(layer, config) <= 4) {
        g.nmN = 1;
        g.nmM = 2;
        g.dualMac = true;
        g.kCompressed = ceilDiv(layer.k, 2);
    }
    model.map(layer.m, layer.n, g.kCompressed, g);
    g.rowFolds = ceilDiv(g.sr, g.rows);
    g.colFolds = ceilDiv(g.sc, g.cols);
    g.folds = g.rowFolds * g.colFolds;
    g.cyclesPerFold = model.cyclesPerFold(g.rows, g.cols, g.t);
    g.computeCycles = g.folds * g.cyclesPerFold;
    g.stallCycles = 0;
    g.steppedCycles = g.computeCycles;
    return g;
}

} // namespace optiscope::accelsim
