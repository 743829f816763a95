// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/array_config.h"
#include "text_util.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace optiscope::accelsim {

std::string_view dataflowName(Dataflow dataflow)
{
    switch (dataflow) {
    case Dataflow::OutputStationary:
        return "os";
    case Dataflow::WeightStationary:
        return "ws";
    case Dataflow::InputStationary:
        return "is";
    }
    return "ws";
}

std::optional<Dataflow> parseDataflow(std::string_view text)
{
    std::string lower(text);
    std::ranges::transform(lower, lower.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (lower == "os" || lower == "output_stationary") {
        return Dataflow::OutputStationary;
    }
    if (lower == "ws" || lower == "weight_stationary") {
        return Dataflow::WeightStationary;
    }
    if (lower == "is" || lower == "input_stationary") {
        return Dataflow::InputStationary;
    }
    return std::nullopt;
}

double EnergyTable::macPj(int bits) const
{
    if (bits <= 4) {
        return macInt4Pj;
    }
    if (bits <= 8) {
        return macInt8Pj;
    }
    if (bits <= 16) {
        return macInt16Pj;
    }
    return macFp32Pj;
}

std::int64_t ArrayConfig::wordsPerHalf(std::int64_t kib, int bits)
{
    // Double buffering: the array reads the active half while DRAM fills the other.
    return kib * 1024 * 8 / bits / 2;
}

std::int64_t ArrayConfig::packedBytes(std::int64_t words, int bits)
{
    // Split so words * bits cannot overflow for words near 2^60.
    return words / 8 * bits + (words % 8 * bits + 7) / 8;
}

std::int64_t ArrayConfig::dramBytesPerCycle(int operand) const
{
    const auto& bw = m_params.bandwidthWordsPerCycle;
    if (m_params.bandwidthMode != BandwidthMode::User || bw.empty()) {
        return 0;
    }
    return bw[std::min<std::size_t>(static_cast<std::size_t>(operand), bw.size() - 1)];
}

Result<ArrayConfig> ArrayConfig::create(ArrayParams p, std::string_view source)
{
    auto bad = [&](std::string_view field, std::string why) {
        return fail(ErrorCode::Config, formatText("{}: {}: {}", source, field, why));
    };
    // Beyond a million PEs per side the int64 cycle arithmetic is still safe, but nothing real is that large.
    constexpr std::int64_t kMaxArraySide = 1 << 20;
    if (p.rows <= 0 || p.rows > kMaxArraySide) {
        return bad("ArrayHeight", formatText("must be in [1, {}], got {}", kMaxArraySide, p.rows));
    }
    if (p.cols <= 0 || p.cols > kMaxArraySide) {
        return bad("ArrayWidth", formatText("must be in [1, {}], got {}", kMaxArraySide, p.cols));
    }
    struct Bits {
        std::string_view field;
        int bits;
    };
    for (const Bits& b :
        { Bits { "IfmapBits", p.ifmapBits }, Bits { "FilterBits", p.filterBits }, Bits { "OfmapBits", p.ofmapBits } }) {
        if (b.bits < 1 || b.bits > 32) {
            return bad(b.field, formatText("must be in [1, 32] bits, got {}", b.bits));
        }
    }
    // Each scratchpad must stage at least one row of operands for the array per half: max(R, C) words covers
    // every dataflow's widest edge (ifmap rows in OS/WS, preloaded columns in IS, output columns).
    const std::int64_t rowWords = std::max(p.rows, p.cols);
    struct Sram {
        std::string_view field;
        std::int64_t kib;
        int bits;
    };
    for (const Sram& s : { Sram { "IfmapSramSzkB", p.ifmapSramKiB, p.ifmapBits },
             Sram { "FilterSramSzkB", p.filterSramKiB, p.filterBits },
             Sram { "OfmapSramSzkB", p.ofmapSramKiB, p.ofmapBits } }) {
        // The cap keeps kib * 8192 bits (wordsPerHalf) inside int64; a 1 TiB scratchpad is far beyond any array.
        constexpr std::int64_t kMaxSramKiB = std::int64_t { 1 } << 30;
        if (s.kib <= 0 || s.kib > kMaxSramKiB) {
            return bad(s.field, formatText("must be a size in [1, {}] KiB, got {}", kMaxSramKiB, s.kib));
        }
        const std::int64_t words = wordsPerHalf(s.kib, s.bits);
        if (words < rowWords) {
            return bad(s.field,
                formatText("{} KiB holds {} {}-bit words per half buffer, fewer than one row of operands ({})", s.kib,
                    words, s.bits, rowWords));
        }
    }
    for (const auto& [field, offset] : { std::pair<std::string_view, std::int64_t> { "IfmapOffset", p.ifmapOffset },
             { "FilterOffset", p.filterOffset }, { "OfmapOffset", p.ofmapOffset } }) {
        if (offset < 0) {
            return bad(field, formatText("must not be negative, got {}", offset));
        }
    }
    if (p.bandwidthMode == BandwidthMode::User) {
        if (p.bandwidthWordsPerCycle.empty()) {
            return bad("Bandwidth", "InterfaceBandwidth is USER but no bandwidth is given");
        }
        for (std::int64_t bw : p.bandwidthWordsPerCycle) {
            if (bw <= 0) {
                return bad("Bandwidth", formatText("must be positive words per cycle, got {}", bw));
            }
        }
    }
    if (!(p.clockMhz > 0)) {
        return bad("ClockMhz", formatText("must be positive, got {}", p.clockMhz));
    }
    const EnergyTable& e = p.energy;
    for (double v : { e.macInt4Pj, e.macInt8Pj, e.macInt16Pj, e.macFp16Pj, e.macInt32Pj, e.macFp32Pj,
             e.sramReadPjPerByte, e.sramWritePjPerByte, e.dramPjPerByte }) {
        if (!(v >= 0)) {
            return bad("energy", "every energy value must be a non-negative number");
        }
    }
    return ArrayConfig(std::move(p));
}

} // namespace optiscope::accelsim
