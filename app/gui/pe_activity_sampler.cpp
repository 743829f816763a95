// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "pe_activity_sampler.h"

#include <algorithm>
#include <array>

namespace optiscope::gui {

namespace {
    constexpr int kStates = 5; // PeState values
    int ceilDiv(int a, int b) { return (a + b - 1) / b; }
}

widgets::PeActivityData samplePeActivity(const accelsim::Stepper& stepper, PeActivityLimits limits)
{
    widgets::PeActivityData data;
    if (stepper.totalCycles() == 0 || stepper.atEnd()) {
        return data;
    }
    const accelsim::CycleState now = stepper.state();
    const auto rows = static_cast<int>(stepper.config().rows());
    const auto cols = static_cast<int>(stepper.config().cols());
    data.arrayRows = rows;
    data.arrayCols = cols;
    data.blockRows = ceilDiv(rows, limits.maxCells);
    data.blockCols = ceilDiv(cols, limits.maxCells);
    data.gridRows = ceilDiv(rows, data.blockRows);
    data.gridCols = ceilDiv(cols, data.blockCols);
    data.idleState = static_cast<std::uint8_t>(accelsim::PeState::Idle);

    const std::int64_t layerFirst = stepper.layerStartCycle(now.layer);
    const std::int64_t layerEnd = now.layer + 1 < stepper.workload().layers.size()
        ? stepper.layerStartCycle(now.layer + 1)
        : stepper.totalCycles();
    const int window = std::clamp(limits.voxelBudget / (data.gridRows * data.gridCols), limits.minCycles,
        limits.maxCycles);
    const std::int64_t length = std::min<std::int64_t>(window, layerEnd - layerFirst);
    // Centred on the current cycle, slid back inside the product at its ends.
    const std::int64_t first
        = std::clamp<std::int64_t>(now.cycle - length / 2, layerFirst, layerEnd - length);
    data.firstCycle = first;
    data.layerFirstCycle = layerFirst;
    data.cycles = static_cast<int>(length);
    data.currentSlice = static_cast<int>(now.cycle - first);
    data.title = QString::fromStdString(stepper.workload().layers[now.layer].name);
    data.states.resize(static_cast<std::size_t>(data.cycles) * data.gridRows * data.gridCols);

    accelsim::Stepper probe = stepper;
    probe.seek(first);
    std::vector<accelsim::PeState> states;
    std::vector<std::array<int, kStates>> counts(static_cast<std::size_t>(data.gridRows) * data.gridCols);
    for (int slice = 0; slice < data.cycles; ++slice, probe.step()) {
        probe.peStates(states);
        std::uint8_t* out = data.states.data() + static_cast<std::size_t>(slice) * data.gridRows * data.gridCols;
        if (data.blockRows == 1 && data.blockCols == 1) {
            std::transform(states.begin(), states.end(), out, [](accelsim::PeState s) { return std::uint8_t(s); });
            continue;
        }
        std::fill(counts.begin(), counts.end(), std::array<int, kStates> {});
        for (int r = 0; r < rows; ++r) {
            const std::size_t gridRow = static_cast<std::size_t>(r / data.blockRows) * data.gridCols;
            for (int c = 0; c < cols; ++c) {
                ++counts[gridRow + c / data.blockCols][static_cast<std::size_t>(states[r * cols + c])];
            }
        }
        for (std::size_t cell = 0; cell < counts.size(); ++cell) {
            // Most common state; ties go to the busier state (the higher value), so a half-busy block shows work.
            const auto& n = counts[cell];
            int best = 0;
            for (int s = 1; s < kStates; ++s) {
                if (n[static_cast<std::size_t>(s)] >= n[static_cast<std::size_t>(best)]) {
                    best = s;
                }
            }
            out[cell] = static_cast<std::uint8_t>(best);
        }
    }
    return data;
}

} // namespace optiscope::gui
