// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "operand_flow.h"

#include "text_util.h"

namespace optiscope::accelsim {
namespace {

    struct Data {
        const Layer& layer;
        const SlotTable& slots;
        float a(std::int64_t m, std::int64_t k) const
        {
            return layer.operands->a[static_cast<std::size_t>(m * layer.k + k)];
        }
        float b(std::int64_t k, std::int64_t n) const
        {
            return layer.operands->b[static_cast<std::size_t>(k * layer.n + n)];
        }
        // Everything slot `slot` of column n contributes to output (m, n).
        double slotProduct(std::int64_t m, std::int64_t n, std::int64_t slot) const
        {
            double sum = 0;
            for (int pair = 0; pair < slots.perSlot; ++pair) {
                const std::int64_t k = slots.at(n, slot, pair);
                if (k >= 0) {
                    sum += double(a(m, k)) * double(b(k, n));
                }
            }
            return sum;
        }
        // The moving / stationary operand pair(s) of slot `slot` of column n for output row m.
        void fill(PeOperands& out, std::int64_t m, std::int64_t n, std::int64_t slot, bool withA, bool withB) const
        {
            out.k = slots.at(n, slot, 0);
            out.k2 = slots.perSlot > 1 ? slots.at(n, slot, 1) : -1;
            if (out.k >= 0) {
                out.hasA = withA;
                out.hasB = withB;
                out.a = withA ? a(m, out.k) : 0.0f;
                out.b = withB ? b(out.k, n) : 0.0f;
            } else {
                out.hasB = withB; // a padding slot holds an explicit zero weight
            }
            if (out.k2 >= 0) {
                out.a2 = withA ? a(m, out.k2) : 0.0f;
                out.b2 = withB ? b(out.k2, n) : 0.0f;
            }
        }
    };

} // namespace

Result<std::shared_ptr<const SlotTable>> buildSlotTable(const Layer& layer, const LayerGeometry& g)
{
    auto table = std::make_shared<SlotTable>();
    table->slots = g.kCompressed;
    table->perSlot = g.dualMac ? 2 : 1;
    table->denseK.assign(static_cast<std::size_t>(layer.n * g.kCompressed * table->perSlot), -1);
    for (std::int64_t n = 0; n < layer.n; ++n) {
        std::int64_t* column = table->denseK.data() + n * g.kCompressed * table->perSlot;
        if (g.dualMac) {
            for (std::int64_t k = 0; k < layer.k; ++k) {
                column[k] = k; // slot k / 2, pair k % 2
            }
            continue;
        }
        if (!g.sparse()) {
            for (std::int64_t k = 0; k < layer.k; ++k) {
                column[k] = k;
            }
            continue;
        }
        // Groups of nmM dense elements, nmN slots each (one group of K and K' slots when unstructured).
        for (std::int64_t group = 0; group * g.nmM < layer.k; ++group) {
            const std::int64_t first = group * g.nmM;
            const std::int64_t end = std::min(first + g.nmM, layer.k);
            std::int64_t stored = 0;
            for (std::int64_t k = first; k < end; ++k) {
                if (layer.operands->b[static_cast<std::size_t>(k * layer.n + n)] == 0.0f) {
                    continue;
                }
                if (stored == g.nmN) {
                    return fail(ErrorCode::Input,
                        formatText("layer '{}': operands b: column {} has more than {} nonzeros in K rows [{}, {}), "
                                   "more than the sparse plane stores ({})",
                            layer.name, n, g.nmN, first, end,
                            g.unstructured ? "the densest column of filterColumnNonzeros" : "its N:M pattern"));
                }
                column[group * g.nmN + stored++] = k;
            }
        }
    }
    return std::shared_ptr<const SlotTable>(std::move(table));
}

PeOperands operandsAt(const Layer& layer, const LayerGeometry& g, const SlotTable& slots, Dataflow dataflow,
    const FoldPosition& at, std::int64_t row, std::int64_t col, PeState state)
{
    PeOperands out;
    const FoldShape& f = at.shape;
    if (row >= f.rowsUsed || col >= f.colsUsed || state == PeState::Stalled) {
        return out;
    }
    const Data data { layer, slots };
    const std::int64_t t = at.cycle;
    if (dataflow == Dataflow::OutputStationary) {
        const std::int64_t m = f.rowStart + row;
        const std::int64_t n = at.colStart + col;
        const std::int64_t step = t - row - col; // slot at the PE this cycle
        if (state != PeState::Mac && state != PeState::Draining) {
            return out;
        }
        const std::int64_t last = state == PeState::Mac ? step : g.t - 1;
        double sum = 0;
        for (std::int64_t slot = 0; slot <= last; ++slot) {
            sum += data.slotProduct(m, n, slot);
        }
        if (state == PeState::Mac) {
            data.fill(out, m, n, step, true, true);
        }
        out.m = m;
        out.n = n;
        out.psum = static_cast<float>(sum);
        out.hasPsum = true;
        return out;
    }
    // WS and IS: the stationary operand arrives at cycle R-1-row of the preload and stays for the fold.
    const bool weightStationary = dataflow == Dataflow::WeightStationary;
    const std::int64_t slot = f.rowStart + row;
    const bool loaded = t >= g.rows - 1 - row;
    const std::int64_t step = t - g.rows - row - col; // index of the moving operand (WS: m, IS: n)
    const bool mac = state == PeState::Mac;
    // WS: column = output column n, lane = m. IS: column = output row m, lane = n.
    const std::int64_t m = weightStationary ? (mac ? step : -1) : at.colStart + col;
    const std::int64_t n = weightStationary ? at.colStart + col : (mac ? step : -1);
    if (!loaded) {
        return out;
    }
    if (weightStationary) {
        data.fill(out, mac ? m : 0, n, slot, mac, true);
        out.n = n; // the stationary weight's column
    } else {
        // IS is never sparse: slot == dense k.
        out.k = slot;
        out.m = m; // the stationary input's row
        out.hasA = true;
        out.a = data.a(m, slot);
        if (mac) {
            out.hasB = true;
            out.b = data.b(slot, n);
        }
    }
    if (mac) {
        double sum = 0;
        for (std::int64_t r = 0; r <= row; ++r) {
            sum += data.slotProduct(m, n, f.rowStart + r);
        }
        out.m = m;
        out.n = n;
        out.psum = static_cast<float>(sum);
        out.hasPsum = true;
    }
    return out;
}

} // namespace optiscope::accelsim
