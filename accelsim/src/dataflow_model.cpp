// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "dataflow_model.h"
#include "memory_model.h"

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
