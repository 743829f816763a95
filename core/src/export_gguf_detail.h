// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Pieces of the GGUF writer shared by export_gguf*.cpp.
#include "optiscope/core/export/gguf.h"
#include "optiscope/core/model.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace optiscope::core::detail {

struct GgufBlockStats {
    double maxAbsError = 0;
    double maxRelativeError = 0; // max over blocks of (block's max error / block's max |x|)
    std::int64_t blocksOnGrid = 0;
    std::int64_t blocks = 0;
};

// The recipe's scale for the 32 inputs starting at column `block * 32` of output row `row`, or
// NaN when the recipe gave those elements no single uniform-grid scale.
using GgufGridScale = std::function<float(std::int64_t row, std::int64_t block)>;

// Encodes rows [rowCount][columns] (row-major, columns % 32 == 0) as Q8_0 or Q4_0 blocks, each
// with the recipe's scale when that fits and is at least as accurate, else the reference rule.
GgufBlockStats encodeGgufBlocks(GgufTensorType type, std::span<const float> rows, std::int64_t columns,
    const GgufGridScale& gridScale, std::vector<std::byte>& out);

struct GgufVocab {
    std::vector<std::string> tokens; // byte-level strings, indexed by id
    std::vector<std::int32_t> tokenTypes; // 1 normal, 3 control, 5 unused
    std::vector<std::string> merges; // "left right", rank order
    std::int32_t bos = -1;
    std::int32_t eos = -1;
    std::int32_t unk = -1;
    std::int32_t pad = -1;
};

// The GPT-2 BPE vocabulary (from the loaded tokenizer) padded to the embedding rows, and the
// merges read from the folder's tokenizer.json or merges.txt.
Result<GgufVocab> ggufVocab(const Model& model);

} // namespace optiscope::core::detail
