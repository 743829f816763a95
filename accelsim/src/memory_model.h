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
// Index bits stored with each nonzero weight: ceil(log2 nmM) on an N:M-sparse plane, 1 (bitmask bit per dense
// weight) for unstructured zero skipping, else 0.
int metadataBitsOf(const LayerGeometry& geometry);
// Metadata bytes that travel with `filterWords` stored weights: N:M indices packed bit-tight, or for unstructured
// zero skipping the bitmask, K bits per K' stored weights (rounded up to a whole bit, then byte).
std::int64_t metadataBytesOf(const LayerGeometry& geometry, std::int64_t filterWords);

// Stall schedule from an already computed (stall-free) geometry; see foldStalls in simulate.h.
Result<std::vector<std::int64_t>> foldStallsOf(const Layer& layer, const ArrayConfig& config, const LayerGeometry& g);

// Transfer time of one fold's DRAM traffic on each operand's interface, in cycles (USER bandwidth).
struct FoldTransfer {
    std::int64_t ifmap = 0;
    std::int64_t filter = 0; // weights and their metadata
    std::int64_t ofmap = 0;
};

// Everything the per-fold DRAM traffic of one layer depends on, computed once: the words of a fold and, in USER
// mode, how long they take. Shared by the stall schedule and the stepper's per-cycle DRAM traffic so both see
// the same transfers.
class LayerDram {
public:
    LayerDram(const Layer& layer, const ArrayConfig& config, const LayerGeometry& g);
    FoldDramWords words(std::int64_t fold) const;
    FoldTransfer transfer(std::int64_t fold) const; // requires USER bandwidth
    const LayerGeometry& geometry() const { return m_g; }

private:
    std::int64_t m_m = 0;
    std::int64_t m_n = 0;
    Dataflow m_dataflow = Dataflow::WeightStationary;
    LayerGeometry m_g;
    bool m_ifmapResident = true;
    bool m_filterResident = true;
    bool m_ofmapResident = true;
    int m_ifmapBits = 8;
    int m_filterBits = 8;
    int m_ofmapBits = 8;
    std::int64_t m_bandwidth[3] = { 1, 1, 1 };
};

} // namespace optiscope::accelsim
