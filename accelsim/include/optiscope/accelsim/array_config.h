// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include "optiscope/accelsim/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optiscope::accelsim {

enum class Dataflow { OutputStationary, WeightStationary, InputStationary };

// SCALE-Sim's spelling: "os", "ws", "is".
std::string_view dataflowName(Dataflow dataflow);
std::optional<Dataflow> parseDataflow(std::string_view text);

// SCALE-Sim [run_presets] InterfaceBandwidth: CALC estimates the DRAM bandwidth the array needs, USER takes
// Bandwidth from the config.
enum class BandwidthMode { Calc, User };

// Energy per event in picojoules. Defaults: Horowitz, "Computing's Energy Problem", ISSCC 2014, 45 nm, 0.9 V:
// int8 mult 0.2 + add 0.03 -> MAC 0.23 pJ; int32 mult 3.1 + add 0.1 -> 3.2 pJ; fp16 mult 1.1 + add 0.4 -> 1.5 pJ;
// fp32 mult 3.7 + add 0.9 -> 4.6 pJ. int4 and int16 are not in the paper: multiplier energy scales about with the
// square of the width, so int4 = 0.2/4 + 0.03/2 = 0.065 pJ and int16 = 0.2*4 + 0.05 = 0.85 pJ (our scaling).
// SRAM: 64-bit read from a 32 KB array 20 pJ -> 2.5 pJ/byte (same for writes). DRAM: 1.3-2.6 nJ per 64-bit
// access -> midpoint 1.95 nJ / 8 B ~ 244 pJ/byte.
struct EnergyTable {
    double macInt4Pj = 0.065;
    double macInt8Pj = 0.23;
    double macInt16Pj = 0.85;
    double macFp16Pj = 1.5;
    double macInt32Pj = 3.2;
    double macFp32Pj = 4.6;
    double sramReadPjPerByte = 2.5;
    double sramWritePjPerByte = 2.5;
    double dramPjPerByte = 244.0;

    // Energy of one MAC whose wider operand has `bits` bits; integer formats below 32 bits, fp32 at 32.
    double macPj(int bits) const;
};

// Plain, editable parameters. Turn them into an ArrayConfig (validated once) before simulating.
struct ArrayParams {
    std::string runName = "optiscope";
    std::int64_t rows = 32; // R, PE rows
    std::int64_t cols = 32; // C, PE columns
    Dataflow dataflow = Dataflow::WeightStationary;
    std::int64_t ifmapSramKiB = 64; // whole double-buffered scratchpad, both halves
    std::int64_t filterSramKiB = 64;
    std::int64_t ofmapSramKiB = 64;
    std::int64_t ifmapOffset = 0; // word addresses as SCALE-Sim uses them in traces
    std::int64_t filterOffset = 10000000;
    std::int64_t ofmapOffset = 20000000;
    BandwidthMode bandwidthMode = BandwidthMode::Calc;
    // USER mode: DRAM interface bandwidth in bytes per cycle (SCALE-Sim's words are one byte). Entry 0 serves the
    // ifmap, entry 1 the filter, entry 2 the ofmap; an operand past the end uses the last entry, so one value
    // gives every operand its own interface of that width. CALC mode ignores it and never stalls.
    std::vector<std::int64_t> bandwidthWordsPerCycle;
    double clockMhz = 1000.0;
    // Operand widths; SCALE-Sim's word is one byte. A layer's own widths (from the op trace) override these.
    int ifmapBits = 8;
    int filterBits = 8;
    int ofmapBits = 8;
    // true: reproduce SCALE-Sim v2 exactly, quirks included (reported cycles = stepped cycles - 1, upstream
    // #125; OS phantom ofmap writes of R+C per fold, upstream #166; WS/IS compute util over 2R+2C+T-3 cycles).
    // false: the physically right numbers.
    bool scaleSimCompatible = true;
    // The PE plane skips the zeros of N:M-sparse weights (Fang et al. 2022 style): weights are stored
    // compressed, nonzeros only, each with a ceil(log2 M)-bit index. Applies to WS and OS; see simulate.h.
    bool sparseWeights = false;
    // Zero-skipping PEs for unstructured weight sparsity: each weight column is stored as its nonzeros plus a
    // bitmask (one bit per dense weight), padded to the layer's densest column. Needs the layer's
    // filterColumnNonzeros; WS and OS; N:M (sparseWeights) takes precedence. See simulate.h.
    bool unstructuredSparseWeights = false;
    // Each PE multiplies two pairs of operands per cycle when both operands of a layer are at most 4 bits wide
    // (packed int4 pairs along K, one accumulator). WS and OS, dense layers only; see simulate.h.
    bool dualInt4Macs = false;
    EnergyTable energy;
};

// Immutable, validated array description. Only create() makes one, so every ArrayConfig in flight is valid.
class ArrayConfig {
public:
    // source names the file (or "array config") in error messages.
    static Result<ArrayConfig> create(ArrayParams params, std::string_view source = "array config");

    const ArrayParams& params() const { return m_params; }
    std::int64_t rows() const { return m_params.rows; }
    std::int64_t cols() const { return m_params.cols; }
    Dataflow dataflow() const { return m_params.dataflow; }
    bool scaleSimCompatible() const { return m_params.scaleSimCompatible; }

    // Words of `bits` that fit in one half (the active buffer) of a scratchpad of `kib` KiB. Words are packed
    // bit-tight: int8 one per byte, int4 two per byte, int16 one per two bytes.
    static std::int64_t wordsPerHalf(std::int64_t kib, int bits);
    // Bytes that `words` packed words of `bits` occupy, rounded up to whole bytes.
    static std::int64_t packedBytes(std::int64_t words, int bits);
    // USER-mode DRAM bandwidth of an operand (0 ifmap, 1 filter, 2 ofmap) in bytes per cycle; 0 in CALC mode.
    std::int64_t dramBytesPerCycle(int operand) const;

private:
    explicit ArrayConfig(ArrayParams params)
        : m_params(std::move(params))
    {
    }
    ArrayParams m_params;
};

} // namespace optiscope::accelsim
