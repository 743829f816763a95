// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// One layer's memory traffic over its cycles, for the accelerator panel's chart: SRAM reads and
// writes and DRAM words per cycle from the stepper (the same model as the PE grid and the reports).
// Averaged into at most maxPoints bins; a layer longer than kMaxSteppedCycles is sampled at
// evenly spaced cycles instead of stepped through (the title says so).
#include "traffic_chart.h"

#include "optiscope/accelsim/stepper.h"

#include <cstdint>
#include <vector>

namespace optiscope::gui {

inline constexpr std::int64_t kMaxSteppedCycles = 400'000;

struct LayerTraffic {
    std::vector<widgets::TrafficChart::Series> series; // ifmap, filter, ofmap SRAM; DRAM
    std::int64_t cycles = 0; // the layer's stepped cycles
    bool sampled = false;
    // Totals over the layer (exact when not sampled): checks against the analytic report.
    std::int64_t ifmapSramReads = 0;
    std::int64_t filterSramReads = 0;
    std::int64_t ofmapSramWrites = 0;
    double dramWords = 0; // the DRAM line summed over cycles
};

LayerTraffic layerTraffic(const accelsim::Stepper& stepper, std::size_t layer, int maxPoints = 600);

} // namespace optiscope::gui
