// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/trace.h"

#include "optiscope/accelsim/scalesim_io.h"
#include "text_util.h"

namespace optiscope::accelsim {
namespace {

    Result<void> checkLength(const Stepper& stepper, std::int64_t maxCycles, std::string_view what)
    {
        if (stepper.totalCycles() > maxCycles) {
            return fail(ErrorCode::TooLarge,
                formatText("{}: {} cycles exceed the limit of {}", what, stepper.totalCycles(), maxCycles));
        }
        return {};
    }

} // namespace

Result<std::vector<BandwidthSample>> sramBandwidthOverTime(
    const Stepper& stepper, std::int64_t windowCycles, std::int64_t maxCycles)
{
    if (windowCycles < 1) {
        return fail(
            ErrorCode::Input, formatText("bandwidth over time: window: must be >= 1 cycle, got {}", windowCycles));
    }
    if (auto ok = checkLength(stepper, maxCycles, "bandwidth over time"); !ok) {
        return std::unexpected(ok.error());
    }
    Stepper walk = stepper;
    walk.seek(0);
    std::vector<BandwidthSample> samples;
    samples.reserve(static_cast<std::size_t>((walk.totalCycles() + windowCycles - 1) / windowCycles));
    for (; !walk.atEnd(); walk.step()) {
        if (walk.cycle() % windowCycles == 0) {
            samples.push_back(BandwidthSample { walk.cycle(), 0, 0, 0, 0, 0 });
        }
        const CycleState s = walk.state();
        BandwidthSample& b = samples.back();
        ++b.cycles;
        b.ifmapSramReads += s.ifmapSramReads;
        b.filterSramReads += s.filterSramReads;
        b.ofmapSramWrites += s.ofmapSramWrites;
        b.stallCycles += s.stalled ? 1 : 0;
    }
    return samples;
}

Result<void> writeCycleTrace(const Stepper& stepper, const std::filesystem::path& path, std::int64_t maxCycles)
{
    if (auto ok = checkLength(stepper, maxCycles, path.string()); !ok) {
        return ok;
    }
    Stepper walk = stepper;
    walk.seek(0);
    std::string out = "Cycle, Layer, Fold, Stalled, IFMAP SRAM Reads, FILTER SRAM Reads, OFMAP SRAM Writes, "
                      "IFMAP DRAM Reads, FILTER DRAM Reads, OFMAP DRAM Writes,\n";
    for (; !walk.atEnd(); walk.step()) {
        const CycleState s = walk.state();
        out += std::to_string(s.cycle) + ", " + std::to_string(s.layer) + ", " + std::to_string(s.fold) + ", "
            + (s.stalled ? "1" : "0") + ", " + std::to_string(s.ifmapSramReads) + ", "
            + std::to_string(s.filterSramReads) + ", " + std::to_string(s.ofmapSramWrites) + ", "
            + std::to_string(s.ifmapDramReads) + ", " + std::to_string(s.filterDramReads) + ", "
            + std::to_string(s.ofmapDramWrites) + ",\n";
    }
    return writeFileAtomically(path, out);
}

Result<std::vector<DramBandwidthSample>> dramBandwidthOverTime(
    const Stepper& stepper, std::size_t layer, std::int64_t maxPoints, std::int64_t maxCycles)
{
    if (layer >= stepper.workload().layers.size()) {
        return fail(ErrorCode::Input,
            formatText("DRAM bandwidth over time: layer: {} is out of range (the workload has {})", layer,
                stepper.workload().layers.size()));
    }
    if (maxPoints < 0) {
        return fail(ErrorCode::Input, formatText("DRAM bandwidth over time: maxPoints: must be >= 0, got {}", maxPoints));
    }
    const std::int64_t first = stepper.layerStartCycle(layer);
    const std::int64_t cycles = stepper.geometry(layer).steppedCycles;
    if (cycles > maxCycles) {
        return fail(ErrorCode::TooLarge,
            formatText("DRAM bandwidth over time: layer {}: {} cycles exceed the limit of {}", layer, cycles, maxCycles));
    }
    const std::int64_t bin = maxPoints == 0 ? 1 : std::max<std::int64_t>(1, (cycles + maxPoints - 1) / maxPoints);
    Stepper walk = stepper;
    walk.seek(first);
    std::vector<DramBandwidthSample> samples;
    samples.reserve(static_cast<std::size_t>((cycles + bin - 1) / bin));
    for (std::int64_t local = 0; local < cycles; ++local, walk.step()) {
        if (local % bin == 0) {
            samples.push_back(DramBandwidthSample { local, 0, 0, 0, 0 });
        }
        const CycleState s = walk.state();
        DramBandwidthSample& b = samples.back();
        ++b.cycles;
        b.ifmapReads += s.ifmapDramReads;
        b.filterReads += s.filterDramReads;
        b.ofmapWrites += s.ofmapDramWrites;
    }
    return samples;
}

Result<void> writeDramBandwidthTrace(
    const Stepper& stepper, const std::filesystem::path& path, std::int64_t maxPointsPerLayer, std::int64_t maxCycles)
{
    if (auto ok = checkLength(stepper, maxCycles, path.string()); !ok) {
        return ok;
    }
    std::string out = "Layer, Layer Name, Start Cycle, Cycles, IFMAP DRAM Reads, FILTER DRAM Reads, OFMAP DRAM Writes,\n";
    for (std::size_t layer = 0; layer < stepper.workload().layers.size(); ++layer) {
        auto series = dramBandwidthOverTime(stepper, layer, maxPointsPerLayer, maxCycles);
        if (!series) {
            return std::unexpected(series.error());
        }
        for (const DramBandwidthSample& b : *series) {
            out += formatText("{}, {}, {}, {}, {}, {}, {},\n", layer, stepper.workload().layers[layer].name,
                b.startCycle, b.cycles, b.ifmapReads, b.filterReads, b.ofmapWrites);
        }
    }
    return writeFileAtomically(path, out);
}

} // namespace optiscope::accelsim
