// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Analytic mode: closed-form per-layer totals of SCALE-Sim v2's stall-free model, extended with operand widths,
// N:M-sparse weights and DRAM bandwidth stalls. The cycle Stepper reproduces every total here by stepping
// (tested), so the two can be used interchangeably.
//
// Word sizes. Every operand has a width in bits (the layer's own from the op trace, else the config's). SRAM
// and DRAM counts stay in words (elements), as SCALE-Sim counts them; bytes are the words packed bit-tight and
// rounded up (ArrayConfig::packedBytes): int8 1 byte, int4 two per byte. Scratchpad capacity in words, hence
// DRAM refetches, and all energy follow the bytes.
//
// N:M-sparse weights (ArrayParams::sparseWeights, layer nmN:nmM with nmN < nmM, WS and OS only). Every group
// of nmM consecutive weights along K holds at most nmN nonzeros; the plane stores and streams the nonzeros
// only, so the weight-side K shrinks to K' = floor(K / nmM) * nmN + min(nmN, K mod nmM) compressed rows:
//  - WS: Sr = K' (each PE column holds the nonzero weights of one output column); OS: T = K'.
//  - MACs performed = M * N * K' (= M*N*K * nmN/nmM when nmM divides K); cycles follow from the new mapping.
//  - Each weight travels with a ceil(log2 nmM)-bit index (metadata): it is read and fetched with the weight and
//    counted in bytes (metadataSramBytes / metadataDramBytes), never in filter words.
//  - Different output columns keep different nonzeros, so a PE picks its activation from the whole group: the
//    ifmap lane carries all nmM activations of a group (K mod nmM for the last one), read once from SRAM by
//    the first PE row (WS) or step (OS) of that group within the fold. A group split across two WS row folds
//    is read by both (SRAM) but fetched from DRAM once. Ifmap SRAM reads per WS column fold are therefore
//    M * (K + the words of every group a row-fold boundary splits), per OS fold M_used * K.
//  - IS keeps the ifmap stationary along K and cannot skip the weight zeros: it runs dense (sparse = false).
//
// Unstructured-sparse weights (ArrayParams::unstructuredSparseWeights, layer filterColumnNonzeros, WS and OS;
// N:M takes precedence when both apply). Zero-skipping PEs in the style of Fang et al., without a pattern:
//  - every weight column (one output feature) is stored compressed, its nonzeros in K order plus a K-bit
//    bitmask, padded with zero slots to K' = the nonzeros of the layer's densest column (ELLPACK-style: one
//    schedule for every column fold, so the densest column sets every fold's length and imbalance between
//    columns costs cycles). K' = max(1, max column nonzeros); K' == K runs dense.
//  - this is exactly the group pattern K':K with a single group spanning K, so the N:M formulas above apply
//    unchanged with nmN = K', nmM = K: WS Sr = K', OS T = K'; the ifmap lane carries the whole A row (read
//    once per lane and WS row fold, by its first row); DRAM fetches every activation once per residency.
//  - MACs performed = M * (sum of column nonzeros); padding slots keep their PEs in the Mac state (they
//    multiply by an explicit zero) but are not counted as MACs performed.
//  - metadata = the bitmask: 1 bit per dense weight, i.e. K bits for every K' stored weights of a column,
//    read and fetched with them (metadataSramBytes / metadataDramBytes; per transfer rounded up to a bit).
// Hand-derived example (tst_accelsim_sparse_unstructured): WS 4x4, M=5, K=8, N=6, column nonzeros
// {3,1,0,2,4,2} -> K' = 4, Sr=4, Sc=6, T=5, 1x2 folds of 2R+C+T-2 = 15 cycles: 30 stepped (dense K: 60).
//
// Two int4 MACs per PE per cycle (ArrayParams::dualInt4Macs, both operands <= 4 bits, dense layer, WS and OS):
// adjacent K elements are paired, so the mapping sees K' = ceil(K / 2) positions, each carrying two weights
// and two activations (one of each in the last position when K is odd). Cycles follow from K'; MACs performed
// stay M*N*K; a MAC-state PE-cycle does two of them (one in the odd last position). Word counts and bytes
// are unchanged, only their timing. In the formulas below this is the group pattern 1:2 (dualMac).
//
// DRAM stalls (BandwidthMode::User; CALC never stalls). Each operand has its own interface of
// dramBytesPerCycle(operand) bytes per cycle (the filter's carries the weight indices too) and the per-fold
// DRAM traffic of the residency model (foldDramWords below). Transfers of x bytes take ceil(x / bandwidth) cycles and
// overlap exactly one fold's compute phase of P = cyclesPerFold cycles, from its first compute cycle:
//  - the reads for fold f (f >= 1) during fold f-1; the writes of fold f during fold f+1;
//  - stall before fold 0 = max over reads of their transfer time (cold start, nothing to overlap);
//  - stall before fold f >= 1 = max(0, reads(f) - P, writes(f-2) - P) over the three interfaces, in cycles;
//  - tail after the last fold F-1 = max(0, writes(F-2) - P) + writes(F-1).
// Stall cycles come before the fold they delay (tail: after the last fold); PEs of that fold show Stalled.
// This is Optiscope's model, not a reproduction of SCALE-Sim's USER-mode memory system; with sparseWeights,
// dualInt4Macs and USER bandwidth all off the numbers are SCALE-Sim's.
#include "optiscope/accelsim/array_config.h"
#include "optiscope/accelsim/workload.h"

#include <cstdint>
#include <string>
#include <vector>

namespace optiscope::accelsim {

// How a GEMM maps onto the R x C array. OS: Sr=M, Sc=N, T=K; WS: Sr=K, Sc=N, T=M; IS: Sr=K, Sc=M, T=N.
// Folds run column fold outer, row fold inner (SCALE-Sim's order); edge folds are partially occupied.
struct LayerGeometry {
    std::int64_t rows = 0; // R
    std::int64_t cols = 0; // C
    std::int64_t sr = 0;
    std::int64_t sc = 0;
    std::int64_t t = 0;
    std::int64_t rowFolds = 0; // ceil(Sr / R)
    std::int64_t colFolds = 0; // ceil(Sc / C)
    std::int64_t folds = 0;
    std::int64_t cyclesPerFold = 0; // OS R+C+T-2, WS/IS 2R+C+T-2, compute phase only
    std::int64_t computeCycles = 0; // folds * cyclesPerFold
    std::int64_t stallCycles = 0; // DRAM stalls of the whole layer (USER bandwidth), 0 otherwise
    std::int64_t steppedCycles = 0; // computeCycles + stallCycles: cycles the stepper advances through
    // Weight sparsity the plane exploits; 1:1 when dense (every formula below reduces to the dense one).
    int nmN = 1;
    int nmM = 1;
    std::int64_t kDense = 0; // K of the GEMM
    std::int64_t kCompressed = 0; // K': compressed weight rows (== kDense when dense)
    bool dualMac = false; // two int4 MACs per PE per cycle: positions pair K elements (nmN:nmM = 1:2)
    bool unstructured = false; // unstructured zero skipping: one group K':K (nmN = K', nmM = K)
    bool sparse() const { return nmM > 1 && !dualMac; }
    // Dense K elements a weight-side position carries: 1 when sparse or dense, up to 2 with dualMac.
    std::int64_t filterWordsK() const { return dualMac ? kDense : kCompressed; }

    // Rows / columns of the array the fold actually uses.
    std::int64_t rowsUsed(std::int64_t rowFold) const;
    std::int64_t colsUsed(std::int64_t colFold) const;
};

// The mapping alone: stallCycles is 0 and steppedCycles == computeCycles here; analyzeLayer and the Stepper add
// the DRAM stalls of USER bandwidth mode.
LayerGeometry layerGeometry(const Layer& layer, const ArrayConfig& config);

// Counts are in words (elements) as SCALE-Sim counts them; byte counts follow from the operand width.
struct OperandTraffic {
    std::int64_t sramAccesses = 0; // reads for ifmap/filter, writes for ofmap
    std::int64_t sramStartCycle = 0; // first / last cycle with an access, SCALE-Sim's cycle numbering
    std::int64_t sramStopCycle = 0;
    std::int64_t dramAccesses = 0; // reads for ifmap/filter, writes for ofmap
    std::int64_t dramStartCycle = 0;
    std::int64_t dramStopCycle = 0;
    int bits = 8;
    std::int64_t sramBytes() const;
    std::int64_t dramBytes() const;
};

// Per operand: SRAM reads (ifmap, filter, weight indices) and writes (ofmap), DRAM fetches and write-backs.
struct OperandEnergy {
    double ifmapPj = 0;
    double filterPj = 0;
    double metadataPj = 0; // N:M indices
    double ofmapPj = 0;
    double totalPj() const { return ifmapPj + filterPj + metadataPj + ofmapPj; }
};

struct EnergyBreakdown {
    double macPj = 0;
    double sramPj = 0; // == sram.totalPj()
    double dramPj = 0; // == dram.totalPj()
    OperandEnergy sram;
    OperandEnergy dram;
    double totalPj() const { return macPj + sramPj + dramPj; }
};

struct LayerStats {
    std::string name;
    LayerGeometry geometry;
    std::int64_t macs = 0; // dense M*N*K
    std::int64_t macsPerformed = 0; // M*N*K' with the zeros of sparse weights skipped
    std::int64_t totalCycles = 0; // as reported: steppedCycles (compute + stalls), - 1 in SCALE-Sim-compatible mode
    std::int64_t stallCycles = 0; // DRAM bandwidth stalls (USER mode), 0 in CALC mode
    double overallUtilPct = 0; // macsPerformed / (totalCycles * R * C)
    double mappingEfficiencyPct = 0; // mean over folds of used PEs / (R*C)
    double computeUtilPct = 0; // mean over folds of used PE-cycles / (R*C * fold cycles)
    OperandTraffic ifmap;
    OperandTraffic filter;
    OperandTraffic ofmap;
    // SCALE-Sim's OS counts R+C phantom ofmap writes per fold (upstream #166); reported here in compatible mode,
    // never in ofmap.sramAccesses, which holds the writes that happen.
    std::int64_t ofmapSramWritesReported = 0;
    // Sparse weights: index bits per stored weight (N:M) or 1 for the bitmask of unstructured sparsity (1 bit
    // per dense weight), and the metadata bytes read from SRAM / fetched from DRAM.
    int metadataBitsPerWeight = 0;
    std::int64_t metadataSramBytes = 0;
    std::int64_t metadataDramBytes = 0;
    EnergyBreakdown energy;
};

struct SimulationResult {
    std::string runName;
    Dataflow dataflow = Dataflow::WeightStationary;
    std::vector<LayerStats> layers;
    std::int64_t totalCycles() const;
    std::int64_t totalMacs() const;
    double totalEnergyPj() const;
};

// Per-fold DRAM traffic in words (fold order: column fold outer, row fold inner). Sums over folds equal the
// layer's dramAccesses. A fold fetches the operand slices it maps (OS: its M rows x K ifmap and K' x C filter
// slice; WS: the M x K-chunk ifmap slice and its weight tile; IS: its ifmap tile and K-chunk x N filter
// slice) unless that slice is still resident from an earlier fold (whole ifmap in OS/WS, filter column slice in
// OS, whole filter in IS, when they fit a half scratchpad); outputs are written once the last row fold has
// accumulated them when the output slice fits (WS, IS), else after every fold.
struct FoldDramWords {
    std::int64_t ifmapReads = 0;
    std::int64_t filterReads = 0;
    std::int64_t ofmapWrites = 0;
};
FoldDramWords foldDramWords(const Layer& layer, const ArrayConfig& config, std::int64_t fold);

// Stall cycles before each fold of the layer, plus the tail after the last: folds + 1 entries, all 0 in CALC
// mode. Refuses layers with more than kMaxStallFolds folds in USER mode (the schedule is walked per fold).
Result<std::vector<std::int64_t>> foldStalls(const Layer& layer, const ArrayConfig& config);
constexpr std::int64_t kMaxStallFolds = std::int64_t { 1 } << 26;

// MACs the plane performs: M*N*K dense, M*N*K' with N:M skipping, M * (sum of column nonzeros) unstructured.
std::int64_t macsPerformedOf(const Layer& layer, const LayerGeometry& geometry);

Result<LayerStats> analyzeLayer(const Layer& layer, const ArrayConfig& config);
Result<SimulationResult> simulate(const Workload& workload, const ArrayConfig& config);

} // namespace optiscope::accelsim
