// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Weight stationary (SCALE-Sim systolic_compute_ws): Sr=K, Sc=N, T=M. A K-chunk x N-chunk weight tile is
// preloaded over R cycles (bottom row first), then ifmap rows stream in from the left, skewed one cycle per
// array row; partial sums flow down and leave the bottom edge, skewed one cycle per column.
// With N:M-sparse weights the rows are compressed weight positions and a row reads the ifmap only when it
// starts a group (or starts the fold), taking the whole group (simulate.h).
#include "dataflow_model.h"

#include <numeric>

namespace optiscope::accelsim {
namespace {

    // Dense K elements one streamed ifmap row reads over all row folds: K plus every group a row-fold boundary
    // splits, once per split (closed form of the sum over folds of groupReadsInFold).
    std::int64_t ifmapReadsPerRow(const LayerGeometry& g)
    {
        if (!g.sparse()) {
            return g.kDense;
        }
        const std::int64_t boundaries = g.rowFolds - 1;
        const std::int64_t period = g.nmN / std::gcd(g.rows, std::int64_t { g.nmN }); // boundaries between aligned ones
        const std::int64_t splits = boundaries - boundaries / period;
        std::int64_t reads = g.kDense + splits * g.nmM;
        // The last group may be short (K mod nmM words); correct the boundaries inside it.
        const std::int64_t lastGroup = (g.kCompressed - 1) / g.nmN;
        const std::int64_t lastWords = g.kDense - lastGroup * g.nmM;
        const std::int64_t lastStart = lastGroup * g.nmN;
        const std::int64_t inside = (g.kCompressed - 1) / g.rows - lastStart / g.rows;
        return reads + inside * (lastWords - g.nmM);
    }

    // Last row of the fold that reads the ifmap: the last group start in it, or row 0.
    std::int64_t lastReadingLane(const LayerGeometry& g, FoldShape f)
    {
        const std::int64_t lastStart = (f.rowStart + f.rowsUsed - 1) / g.nmN * g.nmN;
        return std::max<std::int64_t>(0, lastStart - f.rowStart);
    }

    class WeightStationaryModel final : public DataflowModel {
    public:
        void map(std::int64_t m, std::int64_t n, std::int64_t k, LayerGeometry& g) const override
        {
            g.sr = k;
            g.sc = n;
            g.t = m;
        }
        // R cycles of weight preload, then R-1 + C-1 cycles of skew around T streaming cycles, plus the R-row
        // fall of the last partial sum.
        std::int64_t cyclesPerFold(std::int64_t r, std::int64_t c, std::int64_t t) const override
        {
            return 2 * r + c + t - 2;
        }
        // SCALE-Sim divides by (filter demand rows + C - 1) although the filter demand is not skewed.
        std::int64_t computeUtilFoldCycles(std::int64_t r, std::int64_t c, std::int64_t t) const override
        {
            return 2 * r + 2 * c + t - 3;
        }
        SramTotals sramTotals(std::int64_t m, std::int64_t n, std::int64_t /*k*/, const LayerGeometry& g) const override
        {
            // Every ifmap element is re-read per column fold (groups split by a row-fold boundary twice); each
            // weight is loaded once; each output column is written once per row fold (partial sums).
            return { m * ifmapReadsPerRow(g) * g.colFolds, g.filterWordsK() * n, m * n * g.rowFolds };
        }
        FoldAccess accessAt(const LayerGeometry& g, FoldShape f, std::int64_t t) const override
        {
            FoldAccess a;
            // Array row R-1-t is loaded at cycle t.
            a.filterReads = preloadRowActive(g.rows, f.rowsUsed, t)
                ? f.colsUsed * filterWordsOf(g, f.rowStart + g.rows - 1 - t, 1)
                : 0;
            const LaneRange lanes = skewedLaneRange(f.rowsUsed, g.rows, g.t, t);
            a.ifmapReads = lanes.first <= lanes.last
                ? groupReadsInFold(g, f.rowStart, lanes.last + 1) - groupReadsInFold(g, f.rowStart, lanes.first)
                : 0;
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
            // Until the column's last output has been written.
            return t < 2 * g.rows - 1 + col + g.t ? PeState::Draining : PeState::Idle;
        }
        AccessWindow window(Operand operand, const LayerGeometry& g, FoldShape f) const override
        {
            switch (operand) {
            case Operand::Ifmap:
                return { g.rows, g.rows + lastReadingLane(g, f) + g.t - 1 };
            case Operand::Filter:
                return { g.rows - f.rowsUsed, g.rows - 1 };
            case Operand::Ofmap:
                return { 2 * g.rows - 1, 2 * g.rows + f.colsUsed + g.t - 3 };
            }
            return {};
        }
    };

} // namespace

const DataflowModel& weightStationaryModel()
{
    static const WeightStationaryModel model;
    return model;
}

} // namespace optiscope::accelsim
