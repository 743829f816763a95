// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Input stationary (SCALE-Sim systolic_compute_is): Sr=K, Sc=M, T=N. A K-chunk x M-chunk tile of the ifmap is
// preloaded over R cycles (bottom row first), then filter columns stream in from the left, skewed one cycle per
// array row; partial sums flow down and leave the bottom edge, skewed one cycle per column.
#include "dataflow_model.h"

namespace optiscope::accelsim {
namespace {

    class InputStationaryModel final : public DataflowModel {
    public:
        void map(std::int64_t m, std::int64_t n, std::int64_t k, LayerGeometry& g) const override
        {
            g.sr = k;
            g.sc = m;
            g.t = n;
        }
        std::int64_t cyclesPerFold(std::int64_t r, std::int64_t c, std::int64_t t) const override
        {
            return 2 * r + c + t - 2;
        }
        // SCALE-Sim divides by (ifmap demand rows + C - 1) although the ifmap demand is not skewed.
        std::int64_t computeUtilFoldCycles(std::int64_t r, std::int64_t c, std::int64_t t) const override
        {
            return 2 * r + 2 * c + t - 3;
        }
        SramTotals sramTotals(std::int64_t m, std::int64_t n, std::int64_t k, const LayerGeometry& g) const override
        {
            // Each input is loaded once; the filter is re-read per column (M) fold; each output is written once
            // per row (K) fold.
            return { m * k, k * n * g.colFolds, m * n * g.rowFolds };
        }
        FoldAccess accessAt(const LayerGeometry& g, FoldShape f, std::int64_t t) const override
        {
            FoldAccess a;
            a.ifmapReads = preloadRowActive(g.rows, f.rowsUsed, t) ? f.colsUsed : 0;
            a.filterReads = skewedActiveLanes(f.rowsUsed, g.rows, g.t, t);
            a.ofmapWrites = skewedActiveLanes(f.colsUsed, 2 * g.rows - 1, g.t, t);
            return a;
        }
        PeState peState(
            const LayerGeometry& g, FoldShape f, std::int64_t row, std::int64_t col, std::int64_t t) const override
        {
            if (row >= f.rowsUsed || col >= f.colsUsed) {
                return PeState::Idle;
            }
            if (t < g.rows) {
                return PeState::Loading;
            }
            const std::int64_t start = g.rows + row + col;
            if (t < start) {
                return PeState::Idle;
            }
            if (t < start + g.t) {
                return PeState::Mac;
            }
            return t < 2 * g.rows - 1 + col + g.t ? PeState::Draining : PeState::Idle;
        }
        AccessWindow window(Operand operand, const LayerGeometry& g, FoldShape f) const override
        {
            switch (operand) {
            case Operand::Ifmap:
                return { g.rows - f.rowsUsed, g.rows - 1 };
            case Operand::Filter:
                return { g.rows, g.rows + f.rowsUsed + g.t - 2 };
            case Operand::Ofmap:
                return { 2 * g.rows - 1, 2 * g.rows + f.colsUsed + g.t - 3 };
            }
            return {};
        }
    };

} // namespace

const DataflowModel& inputStationaryModel()
{
    static const InputStationaryModel model;
    return model;
}

} // namespace optiscope::accelsim
