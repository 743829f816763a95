// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The one type shared by core (which records what inference multiplied) and accelsim (which
// turns it into a workload). Header-only, no dependencies beyond the standard library.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace optiscope::optrace {

// Where a matrix product sits in the model; lets the simulator group and label layers.
enum class OpKind { QkvProjection, AttentionScores, AttentionContext, OutputProjection, FfnUp, FfnDown, Embedding, Head, Other };

// One GEMM A[M×K]·B[K×N] that inference actually performed.
struct MatMulOp {
    std::string name;       // e.g. "layer3.attn.qk.head2"
    OpKind kind = OpKind::Other;
    int layer = -1;         // -1 outside the transformer blocks
    int head = -1;          // -1 unless the op is per head
    std::int64_t m = 0;     // rows of A (tokens)
    std::int64_t k = 0;     // shared dimension
    std::int64_t n = 0;     // columns of B (output features)
    std::string aOperand;   // what A is, e.g. "hidden", "q"
    std::string bOperand;   // what B is, e.g. a weight tensor name or "k^T"
    int aBits = 32;
    int bBits = 32;
    // Weight sparsity as the compressed model defines it; 0/0 means dense.
    int nmN = 0;            // at most nmN nonzeros ...
    int nmM = 0;            // ... in every group of nmM along K
    double bDensity = 1.0;  // fraction of nonzero B elements
    // Unstructured mask summary of a sparse weight B: nonzeros in each of its N columns (along K). Set when
    // bDensity < 1 and the weight is known; shared, so copying a trace stays cheap. Null otherwise.
    std::shared_ptr<const std::vector<std::int64_t>> bColumnNonzeros;
};

struct OpTrace {
    std::vector<MatMulOp> ops;
    std::int64_t totalMacs() const
    {
        std::int64_t total = 0;
        for (const auto& op : ops) {
            total += op.m * op.k * op.n;
        }
        return total;
    }
};

} // namespace optiscope::optrace
