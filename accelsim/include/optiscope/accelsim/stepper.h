// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Cycle stepper: walks a workload one cycle at a time through the same model as analytic mode and exposes each
// PE's state and each SRAM's traffic in the current cycle. Every position is computed in closed form from
// (layer, fold, cycle in fold), so seek() to any cycle is O(log layers + log folds) and stepping is
// deterministic. In USER bandwidth mode each fold starts with its DRAM stall cycles (simulate.h) and the last
// fold of a layer ends with the write-back tail; the stepper keeps each layer's fold start cycles for that.
// With Layer::operands the stepper also shows the operand values at every PE (pe_operands.h), and every cycle
// carries its DRAM reads / writes per operand (dram_schedule.h in src/ states the schedule).
// Not thread-safe; copy it to step in several threads (copies share the immutable per-layer tables).
#include "optiscope/accelsim/array_config.h"
#include "optiscope/accelsim/pe_operands.h"
#include "optiscope/accelsim/pe_state.h"
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/workload.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace optiscope::accelsim {

class DataflowModel;
struct StepperLayerData;

struct CycleState {
    std::int64_t cycle = 0; // global stepped cycle, [0, totalCycles())
    std::size_t layer = 0;
    std::int64_t layerCycle = 0; // cycle within the layer (SCALE-Sim's demand-row index)
    std::int64_t fold = 0;
    std::int64_t rowFold = 0;
    std::int64_t colFold = 0;
    // Cycle of the fold's compute phase, [0, cyclesPerFold); negative while the fold waits for its operands,
    // >= cyclesPerFold in the layer's write-back tail.
    std::int64_t foldCycle = 0;
    bool stalled = false; // waiting on DRAM: no SRAM access, the fold's PEs are Stalled
    std::int64_t rowsUsed = 0;
    std::int64_t colsUsed = 0;
    std::int64_t ifmapSramReads = 0; // words this cycle
    std::int64_t filterSramReads = 0;
    std::int64_t ofmapSramWrites = 0;
    // DRAM words this cycle (reads fetched into the ifmap / filter scratchpads, ofmap words written back).
    // Filter words exclude sparse metadata, which shares the filter interface (LayerStats::metadataDramBytes).
    std::int64_t ifmapDramReads = 0;
    std::int64_t filterDramReads = 0;
    std::int64_t ofmapDramWrites = 0;
};

// What stepping a whole layer added up to; compare with LayerStats.
struct StepperLayerTotals {
    std::int64_t steppedCycles = 0;
    std::int64_t reportedCycles = 0; // same convention as LayerStats::totalCycles
    std::int64_t stallCycles = 0; // cycles with CycleState::stalled
    std::int64_t ifmapSramReads = 0;
    std::int64_t filterSramReads = 0;
    std::int64_t ofmapSramWrites = 0;
    std::int64_t ifmapDramReads = 0; // equal LayerStats' dramAccesses
    std::int64_t filterDramReads = 0;
    std::int64_t ofmapDramWrites = 0;
    // Layer-local first / last cycle with an access; -1 if none.
    std::int64_t ifmapStart = -1, ifmapStop = -1;
    std::int64_t filterStart = -1, filterStop = -1;
    std::int64_t ofmapStart = -1, ofmapStop = -1;
};

class Stepper {
public:
    // Refuses workloads whose stepped cycles overflow int64, and layer data that does not fit its shape
    // (checkLayerData) or the sparse plane (more nonzeros than it stores); nothing is stepped yet.
    static Result<Stepper> create(Workload workload, ArrayConfig config);

    std::int64_t totalCycles() const { return m_layerStart.back(); }
    std::int64_t cycle() const { return m_cycle; }
    bool atEnd() const { return m_cycle >= totalCycles(); }
    const Workload& workload() const { return m_workload; }
    const ArrayConfig& config() const { return m_config; }
    const LayerGeometry& geometry(std::size_t layer) const { return m_geometry[layer]; }
    std::int64_t layerStartCycle(std::size_t layer) const { return m_layerStart[layer]; }

    void step();
    // cycle in [0, totalCycles()]; totalCycles() is the end position.
    void seek(std::int64_t cycle);

    // Current cycle; must not be atEnd().
    CycleState state() const;
    PeState peState(std::int64_t row, std::int64_t col) const;
    // R*C states, row-major ([row][col]); out is resized.
    void peStates(std::vector<PeState>& out) const;

    // Operand values (pe_operands.h); only layers with Layer::operands have them, the others give empty
    // PeOperands. Must not be atEnd().
    bool hasOperands() const;
    PeOperands peOperands(std::int64_t row, std::int64_t col) const;
    // R*C values, row-major ([row][col]); out is resized. O(R*C*R) for WS / IS, O(R*C*K') for OS: meant for
    // teaching-sized arrays.
    void peOperands(std::vector<PeOperands>& out) const;

    // Steps from the current cycle to the end and returns one entry per layer (layers already passed count what
    // is left of them). Refuses, with an estimate, to step more than maxCycles.
    Result<std::vector<StepperLayerTotals>> runToEnd(std::int64_t maxCycles = kDefaultMaxRunCycles);

    // About 2.7e8 cycles: a few seconds of stepping (see bench_accelsim).
    static constexpr std::int64_t kDefaultMaxRunCycles = std::int64_t { 1 } << 28;

private:
    Stepper(Workload workload, ArrayConfig config);
    void locate();
    std::int64_t stallBefore(std::size_t layer, std::int64_t fold) const;
    std::int64_t foldSpan(std::size_t layer, std::int64_t fold) const; // stall + compute (+ tail for the last)
    PeOperands operandsOf(std::int64_t row, std::int64_t col, PeState state) const;

    Workload m_workload;
    ArrayConfig m_config;
    const DataflowModel* m_model = nullptr;
    std::vector<LayerGeometry> m_geometry;
    std::vector<std::int64_t> m_layerStart; // prefix sums of steppedCycles; back() is the total
    // Per layer, USER bandwidth only (else empty): stall before each fold and the tail (folds + 1 entries), and
    // the layer-local cycle each fold's stall begins (folds + 1 entries, the last is the tail's start).
    std::vector<std::vector<std::int64_t>> m_stalls;
    std::vector<std::vector<std::int64_t>> m_foldStart;
    // Per layer: DRAM transfers and, with operands, the weight slot table. Immutable, shared by copies.
    std::shared_ptr<const std::vector<StepperLayerData>> m_data;
    std::int64_t m_cycle = 0;
    std::size_t m_layer = 0;
    std::int64_t m_fold = 0;
    std::int64_t m_spanCycle = 0; // cycle within foldSpan(m_layer, m_fold)
};

} // namespace optiscope::accelsim
