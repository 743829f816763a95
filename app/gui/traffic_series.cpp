// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "traffic_series.h"

#include <algorithm>

namespace optiscope::gui {

LayerTraffic layerTraffic(const accelsim::Stepper& stepper, std::size_t layer, int maxPoints)
{
    LayerTraffic out;
    if (layer >= stepper.workload().layers.size()) {
        return out;
    }
    const std::int64_t start = stepper.layerStartCycle(layer);
    const std::int64_t end = layer + 1 < stepper.workload().layers.size() ? stepper.layerStartCycle(layer + 1)
                                                                          : stepper.totalCycles();
    out.cycles = end - start;
    if (out.cycles <= 0) {
        return out;
    }
    out.sampled = out.cycles > kMaxSteppedCycles;
    const std::int64_t samples = std::min(out.cycles, kMaxSteppedCycles);
    const std::int64_t bins = std::max<std::int64_t>(1, std::min<std::int64_t>(maxPoints, samples));
    std::vector<double> sums[4];
    for (auto& s : sums) {
        s.assign(static_cast<std::size_t>(bins), 0.0);
    }
    std::vector<std::int64_t> counts(static_cast<std::size_t>(bins), 0);
    accelsim::Stepper probe = stepper;
    probe.seek(start);
    for (std::int64_t i = 0; i < samples; ++i) {
        const std::int64_t local = out.sampled ? i * out.cycles / samples : i;
        if (out.sampled) {
            probe.seek(start + local);
        }
        const accelsim::CycleState s = probe.state();
        const auto bin = static_cast<std::size_t>(local * bins / out.cycles);
        sums[0][bin] += static_cast<double>(s.ifmapSramReads);
        sums[1][bin] += static_cast<double>(s.filterSramReads);
        sums[2][bin] += static_cast<double>(s.ofmapSramWrites);
        const auto dram = static_cast<double>(s.ifmapDramReads + s.filterDramReads + s.ofmapDramWrites);
        sums[3][bin] += dram;
        out.dramWords += dram;
        ++counts[bin];
        out.ifmapSramReads += s.ifmapSramReads;
        out.filterSramReads += s.filterSramReads;
        out.ofmapSramWrites += s.ofmapSramWrites;
        if (!out.sampled) {
            probe.step();
        }
    }
    const QString names[4] = { QObject::tr("ifmap SRAM reads"), QObject::tr("filter SRAM reads"),
        QObject::tr("ofmap SRAM writes"), QObject::tr("DRAM reads + writes") };
    const QColor colors[4] = { QColor(76, 120, 168), QColor(84, 162, 75), QColor(245, 133, 24), QColor(228, 87, 86) };
    for (int k = 0; k < 4; ++k) {
        widgets::TrafficChart::Series series { names[k], colors[k], {} };
        for (std::int64_t b = 0; b < bins; ++b) {
            const auto index = static_cast<std::size_t>(b);
            if (counts[index] > 0) {
                // The bin's centre cycle, as a cycle of the layer.
                const double x = (static_cast<double>(b) + 0.5) * static_cast<double>(out.cycles) / bins;
                series.points.emplace_back(x, sums[k][index] / counts[index]);
            }
        }
        out.series.push_back(std::move(series));
    }
    return out;
}

} // namespace optiscope::gui
