// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include "optiscope/accelsim/array_config.h"
#include "optiscope/accelsim/simulate.h"

namespace optiscope::accelsim {

// Fills the DRAM fields of stats (SRAM fields and totalCycles must be set): each operand is fetched once per
// residency in the active half of its double-buffered scratchpad, refetched on every reuse pass when the reused
// slice does not fit. Ofmap partial sums stay in SRAM while the accumulating slice fits, else every partial
// result goes to DRAM.
void applyDramModel(const Layer& layer, const ArrayConfig& config, LayerStats& stats);

// Operand widths of a layer: the layer's own (from the op trace) or the config's.
int ifmapBitsOf(const Layer& layer, const ArrayConfig& config);
int filterBitsOf(const Layer& layer, const ArrayConfig& config);
// Index bits stored with each nonzero weight: ceil(log2 nmM) on a sparse plane, else 0.
int metadataBitsOf(const LayerGeometry& geometry);

// Stall schedule from an already computed (stall-free) geometry; see foldStalls in simulate.h.
Result<std::vector<std::int64_t>> foldStallsOf(const Layer& layer, const ArrayConfig& config, const LayerGeometry& g);

} // namespace optiscope::accelsim
