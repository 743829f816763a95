// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// DRAM words moved in one cycle, per operand, from the same per-fold transfers the stall model schedules
// (simulate.h, "DRAM stalls"), so the per-cycle series sums to the report's DRAM totals exactly.
//  - USER bandwidth: a transfer of W words lasting L = ceil(bytes / bandwidth) cycles moves
//    floor((i+1)W/L) - floor(iW/L) words in its cycle i. Reads of fold 0 run from the layer's cycle 0 (its cold
//    start stall), reads of fold f >= 1 from the first compute cycle of fold f-1; writes of fold f from the first
//    compute cycle of fold f+1, those of the last fold after its compute phase and the previous fold's writes.
//  - CALC bandwidth (the interface is as wide as needed, no stalls): each fold's reads and writes are spread the
//    same way over that fold's own compute phase.
#include "memory_model.h"

#include <vector>

namespace optiscope::accelsim {

// Words a transfer of `words` over `length` cycles moves in its cycle i; 0 outside [0, length).
std::int64_t spreadWords(std::int64_t words, std::int64_t length, std::int64_t i);

// stalls / foldStart as the Stepper keeps them: empty in CALC mode, folds + 1 entries in USER mode.
FoldDramWords dramWordsAt(const LayerDram& dram, const std::vector<std::int64_t>& stalls,
    const std::vector<std::int64_t>& foldStart, std::int64_t fold, std::int64_t spanCycle);

} // namespace optiscope::accelsim
