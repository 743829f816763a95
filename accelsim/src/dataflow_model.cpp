// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "dataflow_model.h"

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
    model.map(layer.m, layer.n, layer.k, g);
    g.rowFolds = ceilDiv(g.sr, g.rows);
    g.colFolds = ceilDiv(g.sc, g.cols);
    g.folds = g.rowFolds * g.colFolds;
    g.cyclesPerFold = model.cyclesPerFold(g.rows, g.cols, g.t);
    g.steppedCycles = g.folds * g.cyclesPerFold;
    return g;
}

} // namespace optiscope::accelsim
