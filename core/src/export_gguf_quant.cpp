// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "export_gguf_detail.h"

#include "optiscope/core/check.h"
#include "optiscope/core/compression/number_format.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

namespace optiscope::core {

namespace {

    constexpr int kN = kGgufBlockElements;

    struct Block {
        std::uint16_t dBits = 0;
        std::array<std::int32_t, kN> q {}; // Q8_0: signed value; Q4_0: 0..15 as stored
    };

    int qOffset(GgufTensorType type) { return type == GgufTensorType::Q4_0 ? 8 : 0; }
    int qMin(GgufTensorType type) { return type == GgufTensorType::Q4_0 ? 0 : -128; }
    int qMax(GgufTensorType type) { return type == GgufTensorType::Q4_0 ? 15 : 127; }

    // std::lround is half away from zero, the rounding the spec's reference quantizers use.
    std::int32_t roundQuotient(float x, float d)
    {
        return d != 0.0f ? static_cast<std::int32_t>(std::lround(x / d)) : 0;
    }

    Block referenceBlock(GgufTensorType type, std::span<const float, kN> x)
    {
        Block block;
        float d = 0;
        if (type == GgufTensorType::Q8_0) {
            float amax = 0;
            for (float v : x) {
                amax = std::max(amax, std::fabs(v));
            }
            d = amax / 127.0f;
        } else {
            float amax = 0;
            float signedMax = 0;
            for (float v : x) {
                if (std::fabs(v) > amax) { // strictly greater: the first of equal magnitudes wins
                    amax = std::fabs(v);
                    signedMax = v;
                }
            }
            d = signedMax / -8.0f;
        }
        block.dBits = encodeFp16(d);
        for (int i = 0; i < kN; ++i) {
            block.q[i] = std::clamp(roundQuotient(x[i], d) + qOffset(type), qMin(type), qMax(type));
        }
        return block;
    }

    // The recipe's grid: d = its scale, q = x / scale, if every q lands in the type's range.
    std::optional<Block> gridBlock(GgufTensorType type, std::span<const float, kN> x, float scale)
    {
        if (!std::isfinite(scale) || scale <= 0.0f) {
            return std::nullopt;
        }
        Block block;
        block.dBits = encodeFp16(scale);
        const float stored = decodeFp16(block.dBits);
        if (!std::isfinite(stored) || stored == 0.0f) {
            return std::nullopt;
        }
        for (int i = 0; i < kN; ++i) {
            const std::int32_t q = roundQuotient(x[i], scale) + qOffset(type);
            if (q < qMin(type) || q > qMax(type)) {
                return std::nullopt;
            }
            block.q[i] = q;
        }
        return block;
    }

    double blockError(GgufTensorType type, std::span<const float, kN> x, const Block& block)
    {
        const double d = decodeFp16(block.dBits);
        double worst = 0;
        for (int i = 0; i < kN; ++i) {
            const auto dequantized = static_cast<float>(d * (block.q[i] - qOffset(type)));
            worst = std::max(worst, std::fabs(static_cast<double>(x[i]) - dequantized));
        }
        return worst;
    }

    void appendBlock(GgufTensorType type, const Block& block, std::byte* out)
    {
        out[0] = static_cast<std::byte>(block.dBits & 0xFFu);
        out[1] = static_cast<std::byte>(block.dBits >> 8);
        if (type == GgufTensorType::Q8_0) {
            for (int i = 0; i < kN; ++i) {
                out[2 + i] = static_cast<std::byte>(static_cast<std::uint8_t>(static_cast<std::int8_t>(block.q[i])));
            }
            return;
        }
        for (int j = 0; j < kN / 2; ++j) {
            out[2 + j] = static_cast<std::byte>(block.q[j] | (block.q[j + kN / 2] << 4));
        }
    }

    std::size_t blockBytes(GgufTensorType type)
    {
        return type == GgufTensorType::Q8_0 ? kGgufQ8_0BlockBytes : kGgufQ4_0BlockBytes;
    }

} // namespace

std::array<std::byte, kGgufQ8_0BlockBytes> encodeGgufQ8_0Block(std::span<const float, kGgufBlockElements> x)
{
    std::array<std::byte, kGgufQ8_0BlockBytes> bytes {};
    appendBlock(GgufTensorType::Q8_0, referenceBlock(GgufTensorType::Q8_0, x), bytes.data());
    return bytes;
}

std::array<std::byte, kGgufQ4_0BlockBytes> encodeGgufQ4_0Block(std::span<const float, kGgufBlockElements> x)
{
    std::array<std::byte, kGgufQ4_0BlockBytes> bytes {};
    appendBlock(GgufTensorType::Q4_0, referenceBlock(GgufTensorType::Q4_0, x), bytes.data());
    return bytes;
}

namespace detail {

    GgufBlockStats encodeGgufBlocks(GgufTensorType type, std::span<const float> rows, std::int64_t columns,
        const GgufGridScale& gridScale, std::vector<std::byte>& out)
    {
        OPTISCOPE_CHECK(type == GgufTensorType::Q8_0 || type == GgufTensorType::Q4_0);
        OPTISCOPE_CHECK(columns > 0 && columns % kN == 0 && rows.size() % static_cast<std::size_t>(columns) == 0);
        const std::int64_t rowCount = static_cast<std::int64_t>(rows.size()) / columns;
        const std::int64_t blocksPerRow = columns / kN;
        const std::size_t bytesPerBlock = blockBytes(type);
        const std::size_t start = out.size();
        out.resize(start + static_cast<std::size_t>(rowCount * blocksPerRow) * bytesPerBlock);
        GgufBlockStats stats;
        for (std::int64_t row = 0; row < rowCount; ++row) {
            for (std::int64_t b = 0; b < blocksPerRow; ++b) {
                const std::span<const float, kN> x(rows.data() + row * columns + b * kN, kN);
                Block chosen = referenceBlock(type, x);
                double error = blockError(type, x, chosen);
                if (gridScale) {
                    if (auto grid = gridBlock(type, x, gridScale(row, b))) {
                        if (const double gridError = blockError(type, x, *grid); gridError <= error) {
                            chosen = *grid;
                            error = gridError;
                            ++stats.blocksOnGrid;
                        }
                    }
                }
                float amax = 0;
                for (float v : x) {
                    amax = std::max(amax, std::fabs(v));
                }
                stats.maxAbsError = std::max(stats.maxAbsError, error);
                if (amax > 0) {
                    stats.maxRelativeError = std::max(stats.maxRelativeError, error / amax);
                }
                ++stats.blocks;
                const std::size_t index = static_cast<std::size_t>(row * blocksPerRow + b);
                appendBlock(type, chosen, out.data() + start + index * bytesPerBlock);
            }
        }
        return stats;
    }

} // namespace detail

} // namespace optiscope::core
