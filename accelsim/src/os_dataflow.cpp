// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Output stationary (SCALE-Sim systolic_compute_os): Sr=M, Sc=N, T=K. Each PE keeps one output; ifmap rows
// enter from the left, filter columns from the top, both skewed one cycle per lane, so PE(r, c) multiplies
// element k at cycle r + c + k. Outputs leave from the bottom edge after the last MAC. No preload.
// With N:M-sparse weights T counts compressed positions; an ifmap lane reads a whole group (nmM words) at the
// step that starts it (simulate.h).
#include "dataflow_model.h"

namespace optiscope::accelsim {
namespace {

    class OutputStationaryModel final : public DataflowModel {
    public:
        void map(std::int64_t m, std::int64_t n, std::int64_t k, LayerGeometry& g) const override
        {
            g.sr = m;
            g.sc = n;
            g.t = k;
        }
        // Stream T operands, plus R-1 and C-1 cycles of skew; outputs drain within the skew of the next phase.
        std::int64_t cyclesPerFold(std::int64_t r, std::int64_t c, std::int64_t t) const override
        {
            return r + c + t - 2;
        }
        std::int64_t computeUtilFoldCycles(std::int64_t r, std::int64_t c, std::int64_t t) const override
        {
            return r + c + t - 2;
        }
        SramTotals sramTotals(std::int64_t m, std::int64_t n, std::int64_t /*k*/, const LayerGeometry& g) const override
        {
            // A is re-read for every column fold, B for every row fold; each output is written once.
            return { m * g.kDense * g.colFolds, g.filterWordsK() * n * g.rowFolds, m * n };
        }
        FoldAccess accessAt(const LayerGeometry& g, FoldShape f, std::int64_t t) const override
        {
            FoldAccess a;
            // Lane l is at step t - l: the active lanes cover steps [t - last, t - first].
            const LaneRange lanes = skewedLaneRange(f.rowsUsed, 0, g.t, t);
            a.ifmapReads
                = lanes.first <= lanes.last ? denseBefore(g, t - lanes.first + 1) - denseBefore(g, t - lanes.last) : 0;
            const LaneRange cols = skewedLaneRange(f.colsUsed, 0, g.t, t);
            a.filterReads = cols.first > cols.last ? 0
                : g.dualMac                        ? denseBefore(g, t - cols.first + 1) - denseBefore(g, t - cols.last)
                                                   : cols.last - cols.first + 1;
            // SCALE-Sim writes the (row-flipped) output tile after T-1 empty rows, skewed per column: column c
            // writes one word per cycle during [T-1+R-ru+c, T-1+R+c).
            a.ofmapWrites = skewedActiveLanes(f.colsUsed, g.t - 1 + g.rows - f.rowsUsed, f.rowsUsed, t);
            return a;
        }
        PeState peState(
            const LayerGeometry& g, FoldShape f, std::int64_t row, std::int64_t col, std::int64_t t) const override
        {
            if (row >= f.rowsUsed || col >= f.colsUsed) {
                return PeState::Idle;
            }
            const std::int64_t start = row + col;
            if (t < start) {
                return PeState::Idle;
            }
            if (t < start + g.t) {
                return PeState::Mac;
            }
            // Until the column's last output (from row 0) has been written.
            return t <= col + g.t + g.rows - 2 ? PeState::Draining : PeState::Idle;
        }
        AccessWindow window(Operand operand, const LayerGeometry& g, FoldShape f) const override
        {
            switch (operand) {
            case Operand::Ifmap:
                // The last lane reads at its last group-start step.
                return { 0, f.rowsUsed - 1 + (g.t - 1) / g.nmN * g.nmN };
            case Operand::Filter:
                return { 0, f.colsUsed + g.t - 2 };
            case Operand::Ofmap:
                return { g.t - 1 + g.rows - f.rowsUsed, g.t + g.rows + f.colsUsed - 3 };
            }
            return {};
        }
        std::int64_t phantomOfmapWritesPerFold(const LayerGeometry& g) const override { return g.rows + g.cols; }
    };

} // namespace

const DataflowModel& outputStationaryModel()
{
    static const OutputStationaryModel model;
    return model;
}

} // namespace optiscope::accelsim
