// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/stepper.h"

#include "dataflow_model.h"
#include "optiscope/accelsim/check.h"
#include "text_util.h"

#include <algorithm>
#include <limits>

namespace optiscope::accelsim {

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
    for (const Layer& layer : stepper.m_workload.layers) {
        if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0) {
            return fail(ErrorCode::Shape,
                formatText(
                    "layer '{}': M, N, K: must be positive, got {}, {}, {}", layer.name, layer.m, layer.n, layer.k));
        }
        const LayerGeometry g = layerGeometry(layer, stepper.m_config);
        if (g.steppedCycles > std::numeric_limits<std::int64_t>::max() - stepper.m_layerStart.back()) {
            return fail(ErrorCode::TooLarge, formatText("layer '{}': stepped cycles overflow 64 bits", layer.name));
        }
        stepper.m_geometry.push_back(g);
        stepper.m_layerStart.push_back(stepper.m_layerStart.back() + g.steppedCycles);
    }
    stepper.locate();
    return stepper;
}

void Stepper::locate()
{
    // upper_bound over layer starts: the last layer starting at or before m_cycle.
    const auto it = std::upper_bound(m_layerStart.begin(), m_layerStart.end(), m_cycle);
    m_layer = static_cast<std::size_t>(std::distance(m_layerStart.begin(), it)) - 1;
    if (m_layer >= m_geometry.size()) {
        m_layer = m_geometry.size();
        m_fold = 0;
        m_foldCycle = 0;
        return;
    }
    const std::int64_t local = m_cycle - m_layerStart[m_layer];
    m_fold = local / m_geometry[m_layer].cyclesPerFold;
    m_foldCycle = local % m_geometry[m_layer].cyclesPerFold;
}

void Stepper::step()
{
    OPTISCOPE_CHECK(!atEnd());
    ++m_cycle;
    if (++m_foldCycle < m_geometry[m_layer].cyclesPerFold) {
        return;
    }
    m_foldCycle = 0;
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
    s.foldCycle = m_foldCycle;
    s.rowsUsed = g.rowsUsed(s.rowFold);
    s.colsUsed = g.colsUsed(s.colFold);
    const FoldAccess a = m_model->accessAt(g, FoldShape { s.rowsUsed, s.colsUsed }, m_foldCycle);
    s.ifmapSramReads = a.ifmapReads;
    s.filterSramReads = a.filterReads;
    s.ofmapSramWrites = a.ofmapWrites;
    return s;
}

PeState Stepper::peState(std::int64_t row, std::int64_t col) const
{
    OPTISCOPE_CHECK(!atEnd());
    const LayerGeometry& g = m_geometry[m_layer];
    OPTISCOPE_CHECK(row >= 0 && row < g.rows && col >= 0 && col < g.cols);
    const FoldShape f { g.rowsUsed(m_fold % g.rowFolds), g.colsUsed(m_fold / g.rowFolds) };
    return m_model->peState(g, f, row, col, m_foldCycle);
}

void Stepper::peStates(std::vector<PeState>& out) const
{
    OPTISCOPE_CHECK(!atEnd());
    const LayerGeometry& g = m_geometry[m_layer];
    const FoldShape f { g.rowsUsed(m_fold % g.rowFolds), g.colsUsed(m_fold / g.rowFolds) };
    out.resize(static_cast<std::size_t>(g.rows * g.cols));
    for (std::int64_t r = 0; r < g.rows; ++r) {
        for (std::int64_t c = 0; c < g.cols; ++c) {
            out[static_cast<std::size_t>(r * g.cols + c)] = m_model->peState(g, f, r, c, m_foldCycle);
        }
    }
}

Result<std::vector<StepperLayerTotals>> Stepper::runToEnd(std::int64_t maxCycles)
{
    const std::int64_t remaining = totalCycles() - m_cycle;
    if (remaining > maxCycles) {
        // Measured order of magnitude of this loop on one core; the message is an estimate, not a promise.
        constexpr double kCyclesPerSecond = 4e7; // bench_accelsim, 32x32 WS
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
        note(s.ifmapSramReads, s.layerCycle, t.ifmapSramReads, t.ifmapStart, t.ifmapStop);
        note(s.filterSramReads, s.layerCycle, t.filterSramReads, t.filterStart, t.filterStop);
        note(s.ofmapSramWrites, s.layerCycle, t.ofmapSramWrites, t.ofmapStart, t.ofmapStop);
        step();
    }
    for (StepperLayerTotals& t : totals) {
        t.reportedCycles = t.steppedCycles - (compat && t.steppedCycles > 0 ? 1 : 0);
    }
    return totals;
}

} // namespace optiscope::accelsim
