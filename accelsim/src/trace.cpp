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
    std::string out = "Cycle, Layer, Fold, Stalled, IFMAP SRAM Reads, FILTER SRAM Reads, OFMAP SRAM Writes,\n";
    for (; !walk.atEnd(); walk.step()) {
        const CycleState s = walk.state();
        out += std::to_string(s.cycle) + ", " + std::to_string(s.layer) + ", " + std::to_string(s.fold) + ", "
            + (s.stalled ? "1" : "0") + ", " + std::to_string(s.ifmapSramReads) + ", "
            + std::to_string(s.filterSramReads) + ", " + std::to_string(s.ofmapSramWrites) + ",\n";
    }
    return writeFileAtomically(path, out);
}

} // namespace optiscope::accelsim
