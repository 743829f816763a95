// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Element codes of the compact export (COMPACT_FORMAT.md): one code of `bits` bits per element,
// packed LSB-first into a byte stream, and the quantization parameters that turn codes back into
// the exact float32 values of the compressed tensor.
#include "optiscope/core/compression/matrix_shape.h"
#include "optiscope/core/compression/quantization.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace optiscope::core {
struct CompressedTensor;
}

namespace optiscope::core::detail {

struct CompactCodec {
    bool quantized = false; // false: raw float32 bit patterns
    QuantSpec spec; // quantized only
    MatrixShape matrix;
    std::vector<float> scales;
    std::vector<std::int32_t> zeroPoints;
    std::vector<std::int16_t> sharedExponents;
    // Gobo: centroids (a code is an index) and the storage offsets of the fp32 outliers, which are
    // stored apart (their codes are 0).
    std::vector<float> codebook;
    std::vector<std::int64_t> outlierOffsets;

    int bits() const { return quantized ? spec.storedBits() : 32; }
    // Index of the scale / zero point / shared exponent of element (out, in).
    std::int64_t groupOf(std::int64_t out, std::int64_t in) const;
    // The code whose decode() is value (±0 may come back as +0); nullopt when the value is not on
    // the element's grid.
    std::optional<std::uint32_t> encode(float value, std::int64_t out, std::int64_t in) const;
    float decode(std::uint32_t code, std::int64_t out, std::int64_t in) const;
    // Whether a code for 0 exists (binary has none), so pruned elements can be stored as codes.
    bool hasZero() const
    {
        if (quantized && spec.format == NumberFormat::Gobo) {
            return std::find(codebook.begin(), codebook.end(), 0.0f) != codebook.end();
        }
        return !quantized || spec.format != NumberFormat::Binary;
    }
    bool isOutlier(std::int64_t out, std::int64_t in) const;
    // Bytes of scales (fp32), zero points (bits each, packed), Bfp shared exponents (int8), Gobo
    // codebook (fp32) and outliers (int32 position + fp32 value).
    std::int64_t metadataBytes() const;
};

inline std::int64_t packedBytes(std::int64_t count, int bits) { return (count * bits + 7) / 8; }

class BitWriter {
public:
    void put(std::uint32_t code, int bits);
    std::vector<std::byte> take() { return std::move(m_bytes); }

private:
    std::vector<std::byte> m_bytes;
    std::int64_t m_bitCount = 0;
};

// Code `index` of a stream of `bits`-bit codes; the caller checks the stream is long enough.
std::uint32_t readBits(std::span<const std::byte> bytes, std::int64_t index, int bits);

// Bits needed for values 0..count-1 (at least 1).
int indexBits(std::int64_t count);

CompactCodec codecFor(const CompressedTensor& tensor);

// The largest blocks (output × input features, aligned) on which the mask is constant: input
// extent first, then output extent. 1 × 1 for an unstructured mask.
struct BlockShape {
    std::int64_t out = 1;
    std::int64_t in = 1;
};
BlockShape detectBlock(const std::vector<std::uint8_t>& mask, const MatrixShape& matrix);

} // namespace optiscope::core::detail
