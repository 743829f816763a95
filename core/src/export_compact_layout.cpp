// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Which encoding a compressed tensor gets in the compact export, and how many bytes it takes. The
// compression metrics call compactLayout too, so the size they report is the file's.
#include "export_compact_codec.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/export/compact.h"

#include <limits>

namespace optiscope::core {

namespace detail {

    CompactCodec codecFor(const CompressedTensor& tensor)
    {
        CompactCodec codec;
        codec.matrix = tensor.matrix;
        if (tensor.quant) {
            codec.quantized = true;
            codec.spec = tensor.quant->spec;
            codec.scales = tensor.quant->scales;
            codec.zeroPoints = tensor.quant->zeroPoints;
            codec.sharedExponents = tensor.quant->sharedExponents;
            codec.codebook = tensor.quant->codebook;
            codec.outlierOffsets = tensor.quant->outlierOffsets;
        }
        return codec;
    }

    namespace {

        std::vector<std::int64_t> divisorsDescending(std::int64_t n)
        {
            std::vector<std::int64_t> divisors;
            for (std::int64_t d = n; d >= 1; --d) {
                if (n % d == 0) {
                    divisors.push_back(d);
                }
            }
            return divisors;
        }

    } // namespace

    BlockShape detectBlock(const std::vector<std::uint8_t>& mask, const MatrixShape& matrix)
    {
        const std::int64_t rows = matrix.outFeatures, cols = matrix.inFeatures;
        const auto at = [&](std::int64_t o, std::int64_t i) { return mask[matrix.index(o, i)]; };
        BlockShape block;
        for (const std::int64_t d : divisorsDescending(cols)) {
            bool constant = true;
            for (std::int64_t o = 0; o < rows && constant; ++o) {
                for (std::int64_t i = 0; i < cols; ++i) {
                    if (i % d != 0 && at(o, i) != at(o, i - i % d)) {
                        constant = false;
                        break;
                    }
                }
            }
            if (constant) {
                block.in = d;
                break;
            }
        }
        for (const std::int64_t e : divisorsDescending(rows)) {
            bool constant = true;
            for (std::int64_t o = 0; o < rows && constant; ++o) {
                if (o % e == 0) {
                    continue;
                }
                for (std::int64_t i = 0; i < cols; i += block.in) {
                    if (at(o, i) != at(o - o % e, i)) {
                        constant = false;
                        break;
                    }
                }
            }
            if (constant) {
                block.out = e;
                break;
            }
        }
        return block;
    }

    namespace {

        // Whether every group of m along the input keeps at most n (exactly n when zeros have no code).
        bool fitsNm(const CompressedTensor& t, bool exact)
        {
            const MatrixShape& matrix = t.matrix;
            if (t.nmM <= 0 || t.nmN <= 0 || matrix.inFeatures % t.nmM != 0) {
                return false;
            }
            for (std::int64_t o = 0; o < matrix.outFeatures; ++o) {
                for (std::int64_t g = 0; g < matrix.inFeatures; g += t.nmM) {
                    int kept = 0;
                    for (int j = 0; j < t.nmM; ++j) {
                        kept += t.mask[matrix.index(o, g + j)] ? 1 : 0;
                    }
                    if (kept > t.nmN || (exact && kept != t.nmN)) {
                        return false;
                    }
                }
            }
            return true;
        }

        std::int64_t keptBlocks(const CompressedTensor& t, const BlockShape& block)
        {
            std::int64_t count = 0;
            for (std::int64_t o = 0; o < t.matrix.outFeatures; o += block.out) {
                for (std::int64_t i = 0; i < t.matrix.inFeatures; i += block.in) {
                    count += t.mask[t.matrix.index(o, i)] ? 1 : 0;
                }
            }
            return count;
        }

    } // namespace

} // namespace detail

const char* compactEncodingName(CompactEncoding encoding)
{
    switch (encoding) {
    case CompactEncoding::Dense:
        return "dense";
    case CompactEncoding::NM:
        return "nm";
    case CompactEncoding::Bsr:
        return "bsr";
    case CompactEncoding::Bitmap:
        return "bitmap";
    case CompactEncoding::Csr:
        return "csr";
    }
    return "?";
}

CompactLayout compactLayout(const CompressedTensor& tensor)
{
    using detail::packedBytes;
    const detail::CompactCodec codec = detail::codecFor(tensor);
    const int bits = codec.bits();
    const std::int64_t metadata = codec.metadataBytes();
    const std::int64_t elements = tensor.matrix.elementCount();
    const std::int64_t kept = tensor.mask.empty() ? elements : countKept(tensor.mask);
    CompactLayout best { CompactEncoding::Dense, 0, 0, packedBytes(elements, bits) + metadata };
    if (tensor.mask.empty()) {
        return best;
    }
    if (!codec.hasZero() && kept != elements) {
        best.payloadBytes = std::numeric_limits<std::int64_t>::max(); // pruned zeros have no code
    }
    const auto consider
        = [&](CompactEncoding encoding, std::int64_t bytes, std::int64_t blockOut = 0, std::int64_t blockIn = 0) {
              if (bytes < best.payloadBytes) {
                  best = { encoding, static_cast<int>(blockOut), static_cast<int>(blockIn), bytes };
              }
          };
    const std::int64_t rows = tensor.matrix.outFeatures;
    if (detail::fitsNm(tensor, !codec.hasZero())) {
        const std::int64_t slots = elements / tensor.nmM * tensor.nmN;
        consider(CompactEncoding::NM,
            packedBytes(slots, bits) + packedBytes(slots, detail::indexBits(tensor.nmM)) + metadata);
    }
    const detail::BlockShape block = detail::detectBlock(tensor.mask, tensor.matrix);
    if (block.out * block.in >= 2) {
        const std::int64_t blocks = detail::keptBlocks(tensor, block);
        consider(CompactEncoding::Bsr,
            4 * (rows / block.out + 1) + 4 * blocks + packedBytes(blocks * block.out * block.in, bits) + metadata,
            block.out, block.in);
    }
    consider(CompactEncoding::Bitmap, packedBytes(elements, 1) + packedBytes(kept, bits) + metadata);
    if (kept <= std::numeric_limits<std::int32_t>::max()) {
        consider(CompactEncoding::Csr, 4 * (rows + 1) + 4 * kept + packedBytes(kept, bits) + metadata);
    }
    return best;
}

} // namespace optiscope::core
