// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The compact export: one safetensors file holding each compressed tensor as its integer or
// low-bit codes, quantization parameters and sparse structure (N:M indices, bitmap, CSR or BSR),
// and every unchanged tensor as the base checkpoint stores it. The layout is specified exactly in
// COMPACT_FORMAT.md beside this header.
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/result.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace optiscope::core {

inline constexpr int kCompactSchemaVersion = 1;

// How a changed tensor's elements are laid out; values are always in logical [out][in] order.
enum class CompactEncoding { Dense, NM, Bsr, Bitmap, Csr };
const char* compactEncodingName(CompactEncoding encoding); // "dense", "nm", "bsr", "bitmap", "csr"

struct CompactLayout {
    CompactEncoding encoding = CompactEncoding::Dense;
    int blockOut = 0; // Bsr only: block of blockOut × blockIn (output × input features)
    int blockIn = 0;
    // Bytes of every safetensors tensor the encoding writes (codes, indices, scales, ...).
    std::int64_t payloadBytes = 0;
};

// The encoding exportCompact uses for a tensor: the smallest of those that fit its mask (ties go
// to the earlier one in CompactEncoding's order). O(elements · divisors of the dimensions).
CompactLayout compactLayout(const CompressedTensor& tensor);

struct CompactExportOptions {
    bool overwrite = false; // replace an existing file; otherwise an existing target is an error
};

// Writes the file atomically. Errors: the target exists (without overwrite), its folder is missing
// or not writable, a tensor whose codes would not decode to its exact values.
Result<void> exportCompact(
    const CompressedModel& model, const std::filesystem::path& file, const CompactExportOptions& options = {});

struct CompactTensor {
    std::vector<std::int64_t> shape; // as in the base checkpoint
    std::vector<float> values; // decoded, in the base tensor's storage order
    std::string encoding; // "raw" for tensors stored as in the base, else compactEncodingName
    std::string format; // "fp32", "int", "fp16", ... (numberFormatName); the base dtype for raw ones
    int bits = 32;
};

struct CompactFile {
    int schemaVersion = 0;
    std::vector<int> skippedLayers; // blocks removed by prune_layers: skip them, do not run them
    std::map<std::string, CompactTensor> tensors; // by stored name
};

// Reads and decodes every tensor (values as float32, exactly what the compressed model holds).
Result<CompactFile> readCompact(const std::filesystem::path& file);

} // namespace optiscope::core
