// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/stepper.h"

#include "dataflow_model.h"
#include "dram_schedule.h"
#include "memory_model.h"
#include "operand_flow.h"
#include "optiscope/accelsim/check.h"
#include "text_util.h"

#include <algorithm>
#include <limits>

namespace optiscope::accelsim {

struct StepperLayerData {
    LayerDram dram;
    std::shared_ptr<const SlotTable> slots; // null without operands
};

Stepper::Stepper(Workload workload, ArrayConfig config)
    : m_workload(std::move(workload))
    , m_config(std::move(config))
    , m_model(&dataflowModel(m_config.dataflow()))
{
}

Result<Stepper> Stepper::create(Workload workload, ArrayConfig config)
{
    Stepper stepper(std::move(workload), std::move(config));
    stepper.m_layerStart.push_back(0);
    auto data = std::make_shared<std::vector<StepperLayerData>>();
    data->reserve(stepper.m_workload.layers.size());
    const bool user = stepper.m_config.params().bandwidthMode == BandwidthMode::User;
    for (const Layer& layer : stepper.m_workload.layers) {
        if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0) {
            return fail(ErrorCode::Shape,
                formatText(
                    "layer '{}': M, N, K: must be positive, got {}, {}, {}", layer.name, layer.m, layer.n, layer.k));
        }
        if (auto ok = checkLayerData(layer, formatText("layer '{}'", layer.name)); !ok) {
            return std::unexpected(ok.error());
        }
        LayerGeometry g = layerGeometry(layer, stepper.m_config);
        std::vector<std::int64_t> stalls;
        std::vector<std::int64_t> foldStart;
        if (user) {
            auto schedule = foldStallsOf(layer, stepper.m_config, g);
            if (!schedule) {
                return std::unexpected(schedule.error());
            }
            stalls = std::move(*schedule);
            foldStart.reserve(stalls.size());
            std::int64_t at = 0;
            for (std::int64_t f = 0; f < g.folds; ++f) {
                foldStart.push_back(at);
                at += stalls[static_cast<std::size_t>(f)] + g.cyclesPerFold;
            }
            foldStart.push_back(at);
            g.stallCycles = at + stalls.back() - g.computeCycles;
            g.steppedCycles = g.computeCycles + g.stallCycles;
        }
        if (g.steppedCycles > std::numeric_limits<std::int64_t>::max() - stepper.m_layerStart.back()) {
            return fail(ErrorCode::TooLarge, formatText("layer '{}': stepped cycles overflow 64 bits", layer.name));
        }
        std::shared_ptr<const SlotTable> slots;
        if (layer.operands) {
            auto table = buildSlotTable(layer, g);
            if (!table) {
                return std::unexpected(table.error());
            }
            slots = std::move(*table);
        }
        data->push_back(StepperLayerData { LayerDram(layer, stepper.m_config, g), std::move(slots) });
        stepper.m_geometry.push_back(g);
        stepper.m_stalls.push_back(std::move(stalls));
        stepper.m_foldStart.push_back(std::move(foldStart));
        stepper.m_layerStart.push_back(stepper.m_layerStart.back() + g.steppedCycles);
    }
    stepper.m_data = std::move(data);
    stepper.locate();
    return stepper;
}

std::int64_t Stepper::stallBefore(std::size_t layer, std::int64_t fold) const
{
    const auto& stalls = m_stalls[layer];
    return stalls.empty() ? 0 : stalls[static_cast<std::size_t>(fold)];
}

std::int64_t Stepper::foldSpan(std::size_t layer, std::int64_t fold) const
{
    const LayerGeometry& g = m_geometry[layer];
    const std::int64_t tail = fold == g.folds - 1 ? stallBefore(layer, g.folds) : 0;
    return stallBefore(layer, fold) + g.cyclesPerFold + tail;
}

void Stepper::locate()
{
    // upper_bound over layer starts: the last layer starting at or before m_cycle.
    const auto it = std::upper_bound(m_layerStart.begin(), m_layerStart.end(), m_cycle);
    m_layer = static_cast<std::size_t>(std::distance(m_layerStart.begin(), it)) - 1;
    if (m_layer >= m_geometry.size()) {
        m_layer = m_geometry.size();
        m_fold = 0;
        m_spanCycle = 0;
        return;
    }
    const std::int64_t local = m_cycle - m_layerStart[m_layer];
    const auto& starts = m_foldStart[m_layer];
    if (starts.empty()) {
        m_fold = local / m_geometry[m_layer].cyclesPerFold;
        m_spanCycle = local % m_geometry[m_layer].cyclesPerFold;
        return;
    }
    // Last fold starting at or before local; the tail belongs to the last fold.
    const auto fit = std::upper_bound(starts.begin(), starts.end() - 1, local);
    m_fold = static_cast<std::int64_t>(std::distance(starts.begin(), fit)) - 1;
    m_spanCycle = local - starts[static_cast<std::size_t>(m_fold)];
}

void Stepper::step()
{
    OPTISCOPE_CHECK(!atEnd());
    ++m_cycle;
    if (++m_spanCycle < foldSpan(m_layer, m_fold)) {
        return;
    }
    m_spanCycle = 0;
    if (++m_fold < m_geometry[m_layer].folds) {
        return;
    }
    m_fold = 0;
    ++m_layer;
}

void Stepper::seek(std::int64_t cycle)
{
    OPTISCOPE_CHECK(cycle >= 0 && cycle <= totalCycles());
    m_cycle = cycle;
    locate();
}

CycleState Stepper::state() const
{
    OPTISCOPE_CHECK(!atEnd());
    const LayerGeometry& g = m_geometry[m_layer];
    CycleState s;
    s.cycle = m_cycle;
    s.layer = m_layer;
    s.layerCycle = m_cycle - m_layerStart[m_layer];
    s.fold = m_fold;
    // SCALE-Sim's fold order: column fold outer, row fold inner.
    s.rowFold = m_fold % g.rowFolds;
    s.colFold = m_fold / g.rowFolds;
    s.foldCycle = m_spanCycle - stallBefore(m_layer, m_fold);
    s.stalled = s.foldCycle < 0 || s.foldCycle >= g.cyclesPerFold;
    s.rowsUsed = g.rowsUsed(s.rowFold);
    s.colsUsed = g.colsUsed(s.colFold);
    if (!s.stalled) {
        const FoldAccess a
            = m_model->accessAt(g, FoldShape { s.rowsUsed, s.colsUsed, s.rowFold * g.rows }, s.foldCycle);
        s.ifmapSramReads = a.ifmapReads;
        s.filterSramReads = a.filterReads;
        s.ofmapSramWrites = a.ofmapWrites;
    }
    const FoldDramWords dram = dramWordsAt(
        (*m_data)[m_layer].dram, m_stalls[m_layer], m_foldStart[m_layer], m_fold, m_spanCycle);
    s.ifmapDramReads = dram.ifmapReads;
    s.filterDramReads = dram.filterReads;
    s.ofmapDramWrites = dram.ofmapWrites;
    return s;
}

PeState Stepper::peState(std::int64_t row, std::int64_t col) const
{
    OPTISCOPE_CHECK(!atEnd());
    const LayerGeometry& g = m_geometry[m_layer];
    OPTISCOPE_CHECK(row >= 0 && row < g.rows && col >= 0 && col < g.cols);
    const std::int64_t rowFold = m_fold % g.rowFolds;
    const FoldShape f { g.rowsUsed(rowFold), g.colsUsed(m_fold / g.rowFolds), rowFold * g.rows };
    const std::int64_t foldCycle = m_spanCycle - stallBefore(m_layer, m_fold);
    if (foldCycle < 0 || foldCycle >= g.cyclesPerFold) {
        return row < f.rowsUsed && col < f.colsUsed ? PeState::Stalled : PeState::Idle;
    }
    return m_model->peState(g, f, row, col, foldCycle);
}

void Stepper::peStates(std::vector<PeState>& out) const
{
    OPTISCOPE_CHECK(!atEnd());
    const LayerGeometry& g = m_geometry[m_layer];
    const std::int64_t rowFold = m_fold % g.rowFolds;
    const FoldShape f { g.rowsUsed(rowFold), g.colsUsed(m_fold / g.rowFolds), rowFold * g.rows };
    const std::int64_t foldCycle = m_spanCycle - stallBefore(m_layer, m_fold);
    const bool stalled = foldCycle < 0 || foldCycle >= g.cyclesPerFold;
    out.resize(static_cast<std::size_t>(g.rows * g.cols));
    for (std::int64_t r = 0; r < g.rows; ++r) {
        for (std::int64_t c = 0; c < g.cols; ++c) {
            PeState state = PeState::Idle;
            if (stalled) {
                state = r < f.rowsUsed && c < f.colsUsed ? PeState::Stalled : PeState::Idle;
            } else {
                state = m_model->peState(g, f, r, c, foldCycle);
            }
            out[static_cast<std::size_t>(r * g.cols + c)] = state;
        }
    }
}

bool Stepper::hasOperands() const
{
    OPTISCOPE_CHECK(!atEnd());
    return (*m_data)[m_layer].slots != nullptr;
}

PeOperands Stepper::operandsOf(std::int64_t row, std::int64_t col, PeState state) const
{
    const StepperLayerData& data = (*m_data)[m_layer];
    if (!data.slots) {
        return {};
    }
    const LayerGeometry& g = m_geometry[m_layer];
    const std::int64_t rowFold = m_fold % g.rowFolds;
    const std::int64_t colFold = m_fold / g.rowFolds;
    const FoldPosition at { FoldShape { g.rowsUsed(rowFold), g.colsUsed(colFold), rowFold * g.rows },
        colFold * g.cols, m_spanCycle - stallBefore(m_layer, m_fold) };
    return operandsAt(m_workload.layers[m_layer], g, *data.slots, m_config.dataflow(), at, row, col, state);
}

PeOperands Stepper::peOperands(std::int64_t row, std::int64_t col) const
{
    return operandsOf(row, col, peState(row, col));
}

void Stepper::peOperands(std::vector<PeOperands>& out) const
{
    OPTISCOPE_CHECK(!atEnd());
    const LayerGeometry& g = m_geometry[m_layer];
    out.assign(static_cast<std::size_t>(g.rows * g.cols), PeOperands {});
    if (!hasOperands()) {
        return;
    }
    std::vector<PeState> states;
    peStates(states);
    for (std::int64_t r = 0; r < g.rows; ++r) {
        for (std::int64_t c = 0; c < g.cols; ++c) {
            const std::size_t i = static_cast<std::size_t>(r * g.cols + c);
            out[i] = operandsOf(r, c, states[i]);
        }
    }
}

Result<std::vector<StepperLayerTotals>> Stepper::runToEnd(std::int64_t maxCycles)
{
    const std::int64_t remaining = totalCycles() - m_cycle;
    if (remaining > maxCycles) {
        // Measured order of magnitude of this loop on one core; the message is an estimate, not a promise.
        constexpr double kCyclesPerSecond = 2e7; // bench_accelsim, 32x32 WS, SRAM and DRAM traffic per cycle
        return fail(ErrorCode::TooLarge,
            formatText("stepper: {} cycles to step exceed the limit of {} (about {} s); use analytic mode", remaining,
                maxCycles, static_cast<double>(remaining) / kCyclesPerSecond));
    }
    std::vector<StepperLayerTotals> totals(m_geometry.size());
    const bool compat = m_config.scaleSimCompatible();
    auto note = [](std::int64_t count, std::int64_t cycle, std::int64_t& sum, std::int64_t& start, std::int64_t& stop) {
        if (count > 0) {
            sum += count;
            if (start < 0) {
                start = cycle;
            }
            stop = cycle;
        }
    };
    while (!atEnd()) {
        const CycleState s = state();
        StepperLayerTotals& t = totals[s.layer];
        ++t.steppedCycles;
        t.stallCycles += s.stalled ? 1 : 0;
        note(s.ifmapSramReads, s.layerCycle, t.ifmapSramReads, t.ifmapStart, t.ifmapStop);
        note(s.filterSramReads, s.layerCycle, t.filterSramReads, t.filterStart, t.filterStop);
        note(s.ofmapSramWrites, s.layerCycle, t.ofmapSramWrites, t.ofmapStart, t.ofmapStop);
        t.ifmapDramReads += s.ifmapDramReads;
        t.filterDramReads += s.filterDramReads;
        t.ofmapDramWrites += s.ofmapDramWrites;
        step();
    }
    for (StepperLayerTotals& t : totals) {
        t.reportedCycles = t.steppedCycles - (compat && t.steppedCycles > 0 ? 1 : 0);
    }
    return totals;
}

} // namespace optiscope::accelsim
