// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Writer of the compact export; the layout is COMPACT_FORMAT.md.
#include "export_compact_codec.h"
#include "export_target.h"
#include "optiscope/core/export/compact.h"
#include "optiscope/core/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace optiscope::core {

namespace {

    struct Piece {
        std::string suffix; // ".codes", ".scales", ...
        DType dtype = DType::U8;
        std::vector<std::byte> bytes;
    };

    struct EncodedTensor {
        std::vector<Piece> pieces;
        nlohmann::json description;
    };

    template <typename T> std::vector<std::byte> rawBytes(const std::vector<T>& values)
    {
        std::vector<std::byte> bytes(values.size() * sizeof(T));
        if (!bytes.empty()) {
            std::memcpy(bytes.data(), values.data(), bytes.size());
        }
        return bytes;
    }

    // The dtype the codes are labelled with; the bytes are the same LSB-first stream either way.
    DType codesDType(const detail::CompactCodec& codec)
    {
        if (!codec.quantized) {
            return DType::F32;
        }
        switch (codec.spec.format) {
        case NumberFormat::Fp16:
            return DType::F16;
        case NumberFormat::Bf16:
            return DType::BF16;
        case NumberFormat::Tf32:
            return DType::I32;
        case NumberFormat::Int:
            return codec.spec.bits == 8 && codec.spec.symmetric ? DType::I8 : DType::U8;
        default:
            return DType::U8;
        }
    }

    const char* granularityName(QuantGranularity granularity)
    {
        switch (granularity) {
        case QuantGranularity::PerTensor:
            return "per_tensor";
        case QuantGranularity::PerChannel:
            return "per_channel";
        case QuantGranularity::Group:
            return "group";
        case QuantGranularity::PerHead:
            return "per_head";
        }
        return "?";
    }

    nlohmann::json describe(const CompressedTensor& t, const detail::CompactCodec& codec, const CompactLayout& layout,
        const std::vector<std::int64_t>& shape)
    {
        nlohmann::json d = { { "shape", shape }, { "out", t.matrix.outFeatures }, { "in", t.matrix.inFeatures },
            { "input_major", t.matrix.inputMajor }, { "encoding", compactEncodingName(layout.encoding) },
            { "format", codec.quantized ? numberFormatName(codec.spec.format) : "fp32" }, { "bits", codec.bits() } };
        if (codec.quantized) {
            const QuantSpec& s = codec.spec;
            if (s.format == NumberFormat::Int || s.format == NumberFormat::Ternary
                || s.format == NumberFormat::Binary) {
                d["granularity"] = granularityName(s.granularity);
                d["group_size"] = s.granularity == QuantGranularity::Group ? s.groupSize : 0;
                if (s.granularity == QuantGranularity::PerHead) {
                    d["head_size"] = s.headSize;
                    d["head_axis"] = s.headAlongInput ? "input" : "output";
                }
            }
            if (s.format == NumberFormat::Gobo) {
                d["outliers"] = codec.outlierOffsets.size();
            }
            if (s.format == NumberFormat::Int) {
                d["symmetric"] = s.symmetric;
            }
            if (s.format == NumberFormat::Bfp) {
                d["mantissa_bits"] = s.mantissaBits;
                d["block_size"] = s.blockSize;
            }
        }
        if (layout.encoding == CompactEncoding::NM) {
            d["n"] = t.nmN;
            d["m"] = t.nmM;
            d["index_bits"] = detail::indexBits(t.nmM);
        }
        if (layout.encoding == CompactEncoding::Bsr) {
            d["block"] = { layout.blockOut, layout.blockIn };
        }
        return d;
    }

    // Codes of chosen elements, each checked to decode to the tensor's value.
    class CodeStream {
    public:
        CodeStream(const CompressedTensor& t, const detail::CompactCodec& codec, std::string where)
            : m_tensor(t)
            , m_codec(codec)
            , m_where(std::move(where))
        {
        }

        Result<void> put(std::int64_t out, std::int64_t in)
        {
            const float value = m_tensor.values[m_tensor.matrix.index(out, in)];
            const auto code = m_codec.encode(value, out, in);
            if (code && m_codec.isOutlier(out, in)) {
                m_writer.put(*code, m_codec.bits()); // Gobo: the fp32 value is stored apart
                return {};
            }
            const float back = code ? m_codec.decode(*code, out, in) : 0.0f;
            const bool exact = code
                && (std::bit_cast<std::uint32_t>(back) == std::bit_cast<std::uint32_t>(value)
                    || (back == 0.0f && value == 0.0f));
            if (!exact) {
                return fail(ErrorCode::Internal,
                    m_where + ": element (" + std::to_string(out) + ", " + std::to_string(in) + ") value "
                        + std::to_string(value) + " is not on its quantization grid");
            }
            m_writer.put(*code, m_codec.bits());
            return {};
        }

        std::vector<std::byte> take() { return m_writer.take(); }

    private:
        const CompressedTensor& m_tensor;
        const detail::CompactCodec& m_codec;
        std::string m_where;
        detail::BitWriter m_writer;
    };

    // The structure pieces (indices, bitmap, row pointers) and the order in which codes are written.
    Result<void> encodeElements(
        const CompressedTensor& t, const CompactLayout& layout, CodeStream& codes, std::vector<Piece>& pieces)
    {
        const MatrixShape& mx = t.matrix;
        const auto kept = [&](std::int64_t o, std::int64_t i) { return t.mask.empty() || t.mask[mx.index(o, i)]; };
        Result<void> ok;
        switch (layout.encoding) {
        case CompactEncoding::Dense:
            for (std::int64_t o = 0; o < mx.outFeatures && ok; ++o) {
                for (std::int64_t i = 0; i < mx.inFeatures && ok; ++i) {
                    ok = codes.put(o, i);
                }
            }
            return ok;
        case CompactEncoding::NM: {
            detail::BitWriter indices;
            const int indexBits = detail::indexBits(t.nmM);
            for (std::int64_t o = 0; o < mx.outFeatures && ok; ++o) {
                for (std::int64_t g = 0; g < mx.inFeatures && ok; g += t.nmM) {
                    // Kept positions first, then pruned ones as zero padding, written in index order.
                    std::vector<int> slots;
                    for (int j = 0; j < t.nmM; ++j) {
                        if (kept(o, g + j)) {
                            slots.push_back(j);
                        }
                    }
                    for (int j = 0; j < t.nmM && static_cast<int>(slots.size()) < t.nmN; ++j) {
                        if (!kept(o, g + j)) {
                            slots.push_back(j);
                        }
                    }
                    std::sort(slots.begin(), slots.end());
                    for (int j : slots) {
                        indices.put(static_cast<std::uint32_t>(j), indexBits);
                        if (ok = codes.put(o, g + j); !ok) {
                            break;
                        }
                    }
                }
            }
            pieces.push_back({ ".nm_indices", DType::U8, indices.take() });
            return ok;
        }
        case CompactEncoding::Bsr: {
            std::vector<std::int32_t> rowPtr { 0 }, colIdx;
            for (std::int64_t o = 0; o < mx.outFeatures && ok; o += layout.blockOut) {
                for (std::int64_t i = 0; i < mx.inFeatures && ok; i += layout.blockIn) {
                    if (!kept(o, i)) {
                        continue;
                    }
                    colIdx.push_back(static_cast<std::int32_t>(i / layout.blockIn));
                    for (std::int64_t bo = 0; bo < layout.blockOut && ok; ++bo) {
                        for (std::int64_t bi = 0; bi < layout.blockIn && ok; ++bi) {
                            ok = codes.put(o + bo, i + bi);
                        }
                    }
                }
                rowPtr.push_back(static_cast<std::int32_t>(colIdx.size()));
            }
            pieces.push_back({ ".row_ptr", DType::I32, rawBytes(rowPtr) });
            pieces.push_back({ ".col_idx", DType::I32, rawBytes(colIdx) });
            return ok;
        }
        case CompactEncoding::Bitmap: {
            detail::BitWriter bitmap;
            for (std::int64_t o = 0; o < mx.outFeatures && ok; ++o) {
                for (std::int64_t i = 0; i < mx.inFeatures && ok; ++i) {
                    bitmap.put(kept(o, i) ? 1u : 0u, 1);
                    if (kept(o, i)) {
                        ok = codes.put(o, i);
                    }
                }
            }
            pieces.push_back({ ".bitmap", DType::U8, bitmap.take() });
            return ok;
        }
        case CompactEncoding::Csr: {
            std::vector<std::int32_t> rowPtr { 0 }, colIdx;
            for (std::int64_t o = 0; o < mx.outFeatures && ok; ++o) {
                for (std::int64_t i = 0; i < mx.inFeatures && ok; ++i) {
                    if (kept(o, i)) {
                        colIdx.push_back(static_cast<std::int32_t>(i));
                        ok = codes.put(o, i);
                    }
                }
                rowPtr.push_back(static_cast<std::int32_t>(colIdx.size()));
            }
            pieces.push_back({ ".row_ptr", DType::I32, rawBytes(rowPtr) });
            pieces.push_back({ ".col_idx", DType::I32, rawBytes(colIdx) });
            return ok;
        }
        }
        return ok;
    }

    Result<EncodedTensor> encodeTensor(
        const CompressedTensor& t, const std::vector<std::int64_t>& shape, const std::string& where)
    {
        const detail::CompactCodec codec = detail::codecFor(t);
        const CompactLayout layout = compactLayout(t);
        EncodedTensor encoded;
        encoded.description = describe(t, codec, layout, shape);
        CodeStream codes(t, codec, where + ": tensor '" + t.name + "'");
        if (auto ok = encodeElements(t, layout, codes, encoded.pieces); !ok) {
            return std::unexpected(ok.error());
        }
        encoded.pieces.push_back({ ".codes", codesDType(codec), codes.take() });
        if (!codec.scales.empty()) {
            encoded.pieces.push_back({ ".scales", DType::F32, rawBytes(codec.scales) });
        }
        if (!codec.zeroPoints.empty()) {
            detail::BitWriter zeros;
            for (auto z : codec.zeroPoints) {
                zeros.put(static_cast<std::uint32_t>(z), codec.bits());
            }
            encoded.pieces.push_back({ ".zero_points", DType::U8, zeros.take() });
        }
        if (!codec.sharedExponents.empty()) {
            std::vector<std::int8_t> exponents(codec.sharedExponents.begin(), codec.sharedExponents.end());
            encoded.pieces.push_back({ ".shared_exponents", DType::I8, rawBytes(exponents) });
        }
        if (codec.quantized && codec.spec.format == NumberFormat::Gobo) {
            std::vector<std::int32_t> positions;
            std::vector<float> values;
            for (auto offset : codec.outlierOffsets) {
                if (offset > std::numeric_limits<std::int32_t>::max()) {
                    return fail(ErrorCode::Internal, where + ": tensor '" + t.name + "': outlier position beyond 2^31");
                }
                positions.push_back(static_cast<std::int32_t>(offset));
                values.push_back(t.values[offset]);
            }
            encoded.pieces.push_back({ ".codebook", DType::F32, rawBytes(codec.codebook) });
            encoded.pieces.push_back({ ".outlier_positions", DType::I32, rawBytes(positions) });
            encoded.pieces.push_back({ ".outlier_values", DType::F32, rawBytes(values) });
        }
        return encoded;
    }

} // namespace

Result<void> exportCompact(
    const CompressedModel& model, const std::filesystem::path& file, const CompactExportOptions& options)
{
    if (auto ok = detail::checkExportTarget(file, detail::TargetKind::File, options.overwrite); !ok) {
        return ok;
    }
    const std::string where = file.string();
    auto checkpoint = Checkpoint::open(model.folder());
    if (!checkpoint) {
        return std::unexpected(checkpoint.error());
    }
    std::vector<EncodedTensor> encoded; // owns the bytes the TensorToWrite spans point at
    encoded.reserve(model.compressedTensors().size());
    std::vector<TensorToWrite> tensors;
    nlohmann::json descriptions = nlohmann::json::object();
    for (const TensorInfo& info : model.tensorInfos()) {
        const auto changed = model.compressedTensors().find(info.name);
        if (changed == model.compressedTensors().end()) {
            const TensorView* view = checkpoint->find(info.name);
            if (!view) {
                return fail(
                    ErrorCode::Format, where + ": tensor '" + info.name + "': missing from the base checkpoint");
            }
            tensors.push_back({ view->name, view->dtype, view->shape, view->bytes });
            continue;
        }
        auto tensor = encodeTensor(*changed->second, info.shape, where);
        if (!tensor) {
            return std::unexpected(tensor.error());
        }
        descriptions[info.name] = tensor->description;
        encoded.push_back(std::move(*tensor));
        for (const Piece& piece : encoded.back().pieces) {
            const std::int64_t count = static_cast<std::int64_t>(piece.bytes.size() / dtypeSize(piece.dtype));
            tensors.push_back({ info.name + piece.suffix, piece.dtype, { count }, piece.bytes });
        }
    }
    // A piece named like a base tensor (".codes" suffixes) fails in writeSafetensors as a duplicate.
    std::map<std::string, std::string> metadata { { "format", "optiscope-compact" },
        { "schema_version", std::to_string(kCompactSchemaVersion) }, { "tensors", descriptions.dump() } };
    nlohmann::json skipped = nlohmann::json::array();
    for (int layer = 0; layer < model.config().layers; ++layer) {
        if (model.layerSkipped(layer)) {
            skipped.push_back(layer);
        }
    }
    if (!skipped.empty()) {
        metadata["skipped_layers"] = skipped.dump();
    }
    return writeSafetensors(file, tensors, metadata);
}

} // namespace optiscope::core
