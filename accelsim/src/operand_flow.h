// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Operand values at a PE in a cycle (pe_operands.h), computed in closed form from the fold, the fold-local cycle
// and the layer's data, like the PE states. Cost per PE: O(R) for WS / IS partial sums, O(K') for OS.
#include "dataflow_model.h"
#include "optiscope/accelsim/pe_operands.h"
#include "optiscope/accelsim/workload.h"

#include <memory>
#include <vector>

namespace optiscope::accelsim {

// Which dense K elements each weight slot of each column holds: identity when dense, the nonzeros of each group
// in K order (padding -1) on a sparse plane, two consecutive K elements with dualMac.
struct SlotTable {
    std::int64_t slots = 0; // K'
    int perSlot = 1; // 2 with dualMac
    std::vector<std::int64_t> denseK; // [column][slot][pair], -1 for padding
    std::int64_t at(std::int64_t column, std::int64_t slot, int pair) const
    {
        return denseK[static_cast<std::size_t>((column * slots + slot) * perSlot + pair)];
    }
};

// Refuses (Input) filter data with more nonzeros in a group than the sparse plane stores (N:M pattern violated,
// or a column denser than filterColumnNonzeros says).
Result<std::shared_ptr<const SlotTable>> buildSlotTable(const Layer& layer, const LayerGeometry& g);

struct FoldPosition {
    FoldShape shape;
    std::int64_t colStart = 0; // first Sc index of the fold: colFold * C
    std::int64_t cycle = 0; // fold-local compute cycle, [0, cyclesPerFold)
};

PeOperands operandsAt(const Layer& layer, const LayerGeometry& g, const SlotTable& slots, Dataflow dataflow,
    const FoldPosition& at, std::int64_t row, std::int64_t col, PeState state);

} // namespace optiscope::accelsim
