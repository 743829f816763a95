// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "dram_schedule.h"

namespace optiscope::accelsim {

std::int64_t spreadWords(std::int64_t words, std::int64_t length, std::int64_t i)
{
    if (i < 0 || i >= length || words <= 0) {
        return 0;
    }
    const auto movedBefore
        = [&](std::int64_t j) { return static_cast<std::int64_t>(static_cast<__int128>(j) * words / length); };
    return movedBefore(i + 1) - movedBefore(i);
}

FoldDramWords dramWordsAt(const LayerDram& dram, const std::vector<std::int64_t>& stalls,
    const std::vector<std::int64_t>& foldStart, std::int64_t fold, std::int64_t spanCycle)
{
    const LayerGeometry& g = dram.geometry();
    const std::int64_t p = g.cyclesPerFold;
    FoldDramWords out;
    if (stalls.empty()) {
        const FoldDramWords w = dram.words(fold);
        out.ifmapReads = spreadWords(w.ifmapReads, p, spanCycle);
        out.filterReads = spreadWords(w.filterReads, p, spanCycle);
        out.ofmapWrites = spreadWords(w.ofmapWrites, p, spanCycle);
        return out;
    }
    const auto at = [](const std::vector<std::int64_t>& v, std::int64_t i) { return v[static_cast<std::size_t>(i)]; };
    const std::int64_t u = at(foldStart, fold) + spanCycle; // layer-local cycle
    const auto computeStart = [&](std::int64_t f) { return at(foldStart, f) + at(stalls, f); };
    const auto addReads = [&](std::int64_t f, std::int64_t start) {
        const FoldDramWords w = dram.words(f);
        const FoldTransfer x = dram.transfer(f);
        out.ifmapReads += spreadWords(w.ifmapReads, x.ifmap, u - start);
        out.filterReads += spreadWords(w.filterReads, x.filter, u - start);
    };
    const auto addWrites = [&](std::int64_t f, std::int64_t start) {
        out.ofmapWrites += spreadWords(dram.words(f).ofmapWrites, dram.transfer(f).ofmap, u - start);
    };
    // The stall model guarantees that reads of fold f end by its first compute cycle and writes of fold f by the
    // first compute cycle of fold f+2, so these are the only transfers that can be in flight.
    if (spanCycle < at(stalls, fold)) {
        addReads(fold, fold == 0 ? 0 : computeStart(fold - 1));
        if (fold >= 2) {
            addWrites(fold - 2, computeStart(fold - 1));
        }
        return out;
    }
    if (fold + 1 < g.folds) {
        addReads(fold + 1, computeStart(fold));
    }
    if (fold >= 1) {
        addWrites(fold - 1, computeStart(fold));
    }
    if (fold == g.folds - 1) {
        const std::int64_t previous = fold >= 1 ? dram.transfer(fold - 1).ofmap : 0;
        addWrites(fold, computeStart(fold) + std::max(p, previous));
    }
    return out;
}

} // namespace optiscope::accelsim
