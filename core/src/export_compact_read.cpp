// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Reader of the compact export (COMPACT_FORMAT.md): every size, index and row pointer is checked
// before it is used, so a corrupt file gives an error naming the tensor and field.
#include "export_compact_codec.h"
#include "optiscope/core/export/compact.h"
#include "optiscope/core/safetensors.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <functional>
#include <set>

namespace optiscope::core {

namespace {

    using nlohmann::json;

    class TensorReader {
    public:
        TensorReader(
            const SafetensorsFile& file, std::string name, const json& description, std::set<std::string>& used)
            : m_file(file)
            , m_name(std::move(name))
            , m_d(description)
            , m_used(used)
            , m_where(file.path().string() + ": __metadata__: tensors: '" + m_name + "': ")
        {
        }

        Result<CompactTensor> read();

    private:
        std::unexpected<Error> error(const std::string& field, const std::string& problem) const
        {
            return fail(ErrorCode::Format, m_where + field + ": " + problem);
        }

        Result<std::int64_t> integer(const char* field, std::int64_t min, std::int64_t max) const
        {
            if (!m_d.contains(field) || !m_d[field].is_number_integer()) {
                return error(field, "missing or not an integer");
            }
            const auto value = m_d[field].get<std::int64_t>();
            if (value < min || value > max) {
                return error(field,
                    std::to_string(value) + " out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
            }
            return value;
        }

        // The bytes of tensor "<name><suffix>", which must hold exactly `bytes` bytes.
        Result<std::span<const std::byte>> piece(const std::string& suffix, std::int64_t bytes)
        {
            const TensorView* view = m_file.find(m_name + suffix);
            if (!view) {
                return error(suffix.substr(1), "tensor '" + m_name + suffix + "' is missing");
            }
            if (static_cast<std::int64_t>(view->bytes.size()) != bytes) {
                return error(suffix.substr(1),
                    "holds " + std::to_string(view->bytes.size()) + " bytes, expected " + std::to_string(bytes));
            }
            m_used.insert(view->name);
            return view->bytes;
        }

        Result<std::vector<std::int32_t>> int32Piece(const std::string& suffix, std::int64_t count)
        {
            auto bytes = piece(suffix, 4 * count);
            if (!bytes) {
                return std::unexpected(bytes.error());
            }
            std::vector<std::int32_t> values(count);
            if (count) {
                std::memcpy(values.data(), bytes->data(), bytes->size());
            }
            return values;
        }

        Result<void> readCodec();
        Result<void> readRowPointers(const char* field, const std::vector<std::int32_t>& rowPtr,
            const std::vector<std::int32_t>& colIdx, std::int64_t columns);
        Result<std::int64_t> decodeElements(std::vector<float>& values);

        const SafetensorsFile& m_file;
        std::string m_name;
        const json& m_d;
        std::set<std::string>& m_used;
        std::string m_where;
        detail::CompactCodec m_codec;
        std::span<const std::byte> m_codes;
        std::vector<float> m_outlierValues; // Gobo
    };

    std::int64_t groupCount(const detail::CompactCodec& c)
    {
        if (c.spec.format != NumberFormat::Bfp && c.spec.granularity == QuantGranularity::PerHead) {
            return (c.spec.headAlongInput ? c.matrix.inFeatures : c.matrix.outFeatures) / c.spec.headSize;
        }
        const std::int64_t size = c.spec.format == NumberFormat::Bfp ? c.spec.blockSize
            : c.spec.granularity == QuantGranularity::PerChannel     ? c.matrix.inFeatures
            : c.spec.granularity == QuantGranularity::Group          ? c.spec.groupSize
                                                                     : 0;
        return size == 0 ? 1 : c.matrix.elementCount() / size;
    }

    Result<void> TensorReader::readCodec()
    {
        const std::string format = m_d.value("format", "");
        m_codec.quantized = format != "fp32";
        if (m_codec.quantized) {
            bool known = false;
            for (int f = 0; f <= static_cast<int>(NumberFormat::Gobo); ++f) {
                if (format == numberFormatName(static_cast<NumberFormat>(f))) {
                    m_codec.spec.format = static_cast<NumberFormat>(f);
                    known = true;
                }
            }
            if (!known) {
                return error("format", "unknown number format '" + format + "'");
            }
        }
        QuantSpec& s = m_codec.spec;
        const bool grouped
            = s.format == NumberFormat::Int || s.format == NumberFormat::Ternary || s.format == NumberFormat::Binary;
        if (m_codec.quantized && s.format == NumberFormat::Int) {
            auto bits = integer("bits", 2, 16);
            if (!bits) {
                return std::unexpected(bits.error());
            }
            s.bits = static_cast<int>(*bits);
            s.symmetric = m_d.value("symmetric", true);
        }
        if (m_codec.quantized && s.format == NumberFormat::Gobo) {
            auto bits = integer("bits", 2, 8);
            auto outliers = bits ? integer("outliers", 0, m_codec.matrix.elementCount()) : bits;
            if (!bits || !outliers) {
                return std::unexpected(!bits ? bits.error() : outliers.error());
            }
            s.bits = static_cast<int>(*bits);
            auto codebook = piece(".codebook", 4 * (std::int64_t { 1 } << s.bits));
            auto positions = codebook ? int32Piece(".outlier_positions", *outliers) : std::unexpected(codebook.error());
            auto values = positions ? piece(".outlier_values", 4 * *outliers) : std::unexpected(positions.error());
            if (!values) {
                return std::unexpected(values.error());
            }
            m_codec.codebook.resize(std::size_t { 1 } << s.bits);
            std::memcpy(m_codec.codebook.data(), codebook->data(), codebook->size());
            m_outlierValues.resize(static_cast<std::size_t>(*outliers));
            if (*outliers) {
                std::memcpy(m_outlierValues.data(), values->data(), values->size());
            }
            for (auto position : *positions) {
                if (position < 0 || position >= m_codec.matrix.elementCount()
                    || (!m_codec.outlierOffsets.empty() && position <= m_codec.outlierOffsets.back())) {
                    return error("outlier_positions", "must be ascending storage offsets inside the tensor");
                }
                m_codec.outlierOffsets.push_back(position);
            }
        }
        if (m_codec.quantized && s.format == NumberFormat::Bfp) {
            auto mantissa = integer("mantissa_bits", 1, 23);
            auto block = integer("block_size", 1, m_codec.matrix.inFeatures);
            if (!mantissa || !block) {
                return std::unexpected(!mantissa ? mantissa.error() : block.error());
            }
            s.mantissaBits = static_cast<int>(*mantissa);
            s.blockSize = static_cast<int>(*block);
            if (m_codec.matrix.inFeatures % s.blockSize != 0) {
                return error("block_size", "does not divide the input dimension");
            }
        }
        if (m_codec.quantized && grouped) {
            const std::string granularity = m_d.value("granularity", "");
            s.granularity = granularity == "per_channel" ? QuantGranularity::PerChannel
                : granularity == "group"                 ? QuantGranularity::Group
                : granularity == "per_head"              ? QuantGranularity::PerHead
                                                         : QuantGranularity::PerTensor;
            if (granularity != "per_channel" && granularity != "group" && granularity != "per_tensor"
                && granularity != "per_head") {
                return error("granularity", "unknown granularity '" + granularity + "'");
            }
            if (s.granularity == QuantGranularity::PerHead) {
                const std::string axis = m_d.value("head_axis", "");
                s.headAlongInput = axis == "input";
                const std::int64_t extent = s.headAlongInput ? m_codec.matrix.inFeatures : m_codec.matrix.outFeatures;
                auto size = integer("head_size", 1, extent);
                if (!size || extent % *size != 0 || (axis != "input" && axis != "output")) {
                    return size ? error("head_size", "head_axis must be input or output and head_size divide it")
                                : std::unexpected(size.error());
                }
                s.headSize = static_cast<int>(*size);
            }
            if (s.granularity == QuantGranularity::Group) {
                auto size = integer("group_size", 1, m_codec.matrix.inFeatures);
                if (!size || m_codec.matrix.inFeatures % *size != 0) {
                    return size ? error("group_size", "does not divide the input dimension")
                                : std::unexpected(size.error());
                }
                s.groupSize = static_cast<int>(*size);
            }
        }
        if (m_d.value("bits", -1) != m_codec.bits()) {
            return error("bits", "does not match the format (" + std::to_string(m_codec.bits()) + ")");
        }
        const std::int64_t groups = groupCount(m_codec);
        if (m_codec.quantized && grouped) {
            auto scales = piece(".scales", 4 * groups);
            if (!scales) {
                return std::unexpected(scales.error());
            }
            m_codec.scales.resize(groups);
            std::memcpy(m_codec.scales.data(), scales->data(), scales->size());
        }
        if (m_codec.quantized && s.format == NumberFormat::Int && !s.symmetric) {
            auto zeros = piece(".zero_points", detail::packedBytes(groups, s.bits));
            if (!zeros) {
                return std::unexpected(zeros.error());
            }
            for (std::int64_t g = 0; g < groups; ++g) {
                m_codec.zeroPoints.push_back(static_cast<std::int32_t>(detail::readBits(*zeros, g, s.bits)));
            }
        }
        if (m_codec.quantized && s.format == NumberFormat::Bfp) {
            auto exponents = piece(".shared_exponents", groups);
            if (!exponents) {
                return std::unexpected(exponents.error());
            }
            for (std::byte b : *exponents) {
                m_codec.sharedExponents.push_back(static_cast<std::int8_t>(b));
            }
        }
        return {};
    }

    Result<void> TensorReader::readRowPointers(const char* field, const std::vector<std::int32_t>& rowPtr,
        const std::vector<std::int32_t>& colIdx, std::int64_t columns)
    {
        if (rowPtr.front() != 0 || rowPtr.back() != static_cast<std::int64_t>(colIdx.size())) {
            return error(field, "row_ptr must start at 0 and end at the number of column indices");
        }
        for (std::size_t r = 1; r < rowPtr.size(); ++r) {
            if (rowPtr[r] < rowPtr[r - 1]) {
                return error(field, "row_ptr decreases at row " + std::to_string(r));
            }
        }
        for (auto c : colIdx) {
            if (c < 0 || c >= columns) {
                return error(field, "column index " + std::to_string(c) + " out of range");
            }
        }
        return {};
    }

    // Decodes the codes into values (logical order → storage order); returns the number of codes.
    Result<std::int64_t> TensorReader::decodeElements(std::vector<float>& values)
    {
        const MatrixShape& mx = m_codec.matrix;
        const int bits = m_codec.bits();
        const std::string encoding = m_d.value("encoding", "");
        std::int64_t next = 0;
        const auto emit = [&](std::int64_t o, std::int64_t i) {
            values[mx.index(o, i)] = m_codec.decode(detail::readBits(m_codes, next++, bits), o, i);
        };
        const auto codes = [&](std::int64_t count) -> Result<void> {
            auto bytes = piece(".codes", detail::packedBytes(count, bits));
            if (!bytes) {
                return std::unexpected(bytes.error());
            }
            m_codes = *bytes;
            return {};
        };
        const std::int64_t rows = mx.outFeatures, cols = mx.inFeatures;
        if (encoding == "dense") {
            if (auto ok = codes(rows * cols); !ok) {
                return std::unexpected(ok.error());
            }
            for (std::int64_t o = 0; o < rows; ++o) {
                for (std::int64_t i = 0; i < cols; ++i) {
                    emit(o, i);
                }
            }
        } else if (encoding == "nm") {
            auto m = integer("m", 2, cols);
            auto n = integer("n", 1, m ? *m - 1 : 1);
            if (!m || !n) {
                return std::unexpected(!m ? m.error() : n.error());
            }
            if (cols % *m != 0 || m_d.value("index_bits", -1) != detail::indexBits(*m)) {
                return error("m", "does not divide the input dimension or index_bits does not fit it");
            }
            const int indexBits = detail::indexBits(*m);
            const std::int64_t slots = rows * cols / *m * *n;
            auto indices = piece(".nm_indices", detail::packedBytes(slots, indexBits));
            if (!indices) {
                return std::unexpected(indices.error());
            }
            if (auto ok = codes(slots); !ok) {
                return std::unexpected(ok.error());
            }
            for (std::int64_t slot = 0; slot < slots; ++slot) {
                const std::int64_t group = slot / *n;
                const std::int64_t j = detail::readBits(*indices, slot, indexBits);
                if (j >= *m) {
                    return error("nm_indices", "index " + std::to_string(j) + " out of range");
                }
                emit(group / (cols / *m), group % (cols / *m) * *m + j);
            }
        } else if (encoding == "bsr" || encoding == "csr") {
            std::int64_t bo = 1, bi = 1;
            if (encoding == "bsr") {
                if (!m_d.contains("block") || !m_d["block"].is_array() || m_d["block"].size() != 2
                    || !m_d["block"][0].is_number_integer() || !m_d["block"][1].is_number_integer()) {
                    return error("block", "expected [out, in]");
                }
                bo = m_d["block"][0].get<std::int64_t>();
                bi = m_d["block"][1].get<std::int64_t>();
                if (bo < 1 || bi < 1 || rows % bo != 0 || cols % bi != 0) {
                    return error("block", "does not divide the matrix");
                }
            }
            const TensorView* colView = m_file.find(m_name + ".col_idx");
            const std::int64_t nnz = colView ? static_cast<std::int64_t>(colView->bytes.size() / 4) : 0;
            auto rowPtr = int32Piece(".row_ptr", rows / bo + 1);
            auto colIdx = int32Piece(".col_idx", nnz);
            if (!rowPtr || !colIdx) {
                return std::unexpected(!rowPtr ? rowPtr.error() : colIdx.error());
            }
            if (auto ok = readRowPointers("row_ptr", *rowPtr, *colIdx, cols / bi); !ok) {
                return std::unexpected(ok.error());
            }
            if (auto ok = codes(nnz * bo * bi); !ok) {
                return std::unexpected(ok.error());
            }
            for (std::int64_t r = 0; r < rows / bo; ++r) {
                for (auto k = (*rowPtr)[r]; k < (*rowPtr)[r + 1]; ++k) {
                    for (std::int64_t a = 0; a < bo; ++a) {
                        for (std::int64_t b = 0; b < bi; ++b) {
                            emit(r * bo + a, (*colIdx)[k] * bi + b);
                        }
                    }
                }
            }
        } else if (encoding == "bitmap") {
            auto bitmap = piece(".bitmap", detail::packedBytes(rows * cols, 1));
            if (!bitmap) {
                return std::unexpected(bitmap.error());
            }
            std::int64_t kept = 0;
            for (std::int64_t e = 0; e < rows * cols; ++e) {
                kept += detail::readBits(*bitmap, e, 1);
            }
            if (auto ok = codes(kept); !ok) {
                return std::unexpected(ok.error());
            }
            for (std::int64_t e = 0; e < rows * cols; ++e) {
                if (detail::readBits(*bitmap, e, 1)) {
                    emit(e / cols, e % cols);
                }
            }
        } else {
            return error("encoding", "unknown encoding '" + encoding + "'");
        }
        return next;
    }

    Result<CompactTensor> TensorReader::read()
    {
        if (!m_d.is_object() || !m_d.contains("shape") || !m_d["shape"].is_array()) {
            return error("shape", "missing or not an array");
        }
        CompactTensor tensor;
        std::int64_t elements = 1;
        for (const auto& dim : m_d["shape"]) {
            if (!dim.is_number_integer() || dim.get<std::int64_t>() < 1 || dim.get<std::int64_t>() > (1ll << 40)) {
                return error("shape", "dimensions must be positive integers");
            }
            tensor.shape.push_back(dim.get<std::int64_t>());
            elements *= tensor.shape.back();
        }
        auto out = integer("out", 1, elements);
        auto in = integer("in", 1, elements);
        if (!out || !in) {
            return std::unexpected(!out ? out.error() : in.error());
        }
        if (*out * *in != elements) {
            return error("in", "out × in is not the shape's element count");
        }
        m_codec.matrix = { *out, *in, m_d.value("input_major", false) };
        if (auto ok = readCodec(); !ok) {
            return std::unexpected(ok.error());
        }
        tensor.values.assign(elements, 0.0f);
        auto decoded = decodeElements(tensor.values);
        if (!decoded) {
            return std::unexpected(decoded.error());
        }
        for (std::size_t i = 0; i < m_outlierValues.size(); ++i) {
            tensor.values[m_codec.outlierOffsets[i]] = m_outlierValues[i]; // Gobo: fp32 outliers
        }
        tensor.encoding = m_d.value("encoding", "");
        tensor.format = m_codec.quantized ? numberFormatName(m_codec.spec.format) : "fp32";
        tensor.bits = m_codec.bits();
        return tensor;
    }

} // namespace

Result<CompactFile> readCompact(const std::filesystem::path& path)
{
    auto file = SafetensorsFile::open(path);
    if (!file) {
        return std::unexpected(file.error());
    }
    const std::string where = path.string() + ": __metadata__: ";
    const auto& metadata = file->metadata();
    const auto field = [&](const char* key) {
        const auto it = metadata.find(key);
        return it == metadata.end() ? std::string() : it->second;
    };
    if (field("format") != "optiscope-compact") {
        return fail(ErrorCode::Format, where + "format: expected 'optiscope-compact', got '" + field("format") + "'");
    }
    CompactFile result;
    if (field("schema_version") != std::to_string(kCompactSchemaVersion)) {
        return fail(ErrorCode::Format,
            where + "schema_version: '" + field("schema_version") + "' is not the supported "
                + std::to_string(kCompactSchemaVersion));
    }
    result.schemaVersion = kCompactSchemaVersion;
    if (metadata.contains("skipped_layers")) {
        const json skipped = json::parse(field("skipped_layers"), nullptr, false);
        if (!skipped.is_array()) {
            return fail(ErrorCode::Format, where + "skipped_layers: not a JSON array");
        }
        for (const auto& layer : skipped) {
            if (!layer.is_number_integer() || layer.get<std::int64_t>() < 0 || layer.get<std::int64_t>() > 1'000'000) {
                return fail(ErrorCode::Format, where + "skipped_layers: not an array of layer indices");
            }
            result.skippedLayers.push_back(layer.get<int>());
        }
    }
    const json descriptions = json::parse(field("tensors"), nullptr, false);
    if (!descriptions.is_object()) {
        return fail(ErrorCode::Format, where + "tensors: not a JSON object");
    }
    std::set<std::string> used;
    for (const auto& [name, description] : descriptions.items()) {
        Result<CompactTensor> tensor;
        try {
            tensor = TensorReader(*file, name, description, used).read();
        } catch (const json::exception& e) { // value() of a field with the wrong type
            return fail(ErrorCode::Format, where + "tensors: '" + name + "': " + e.what());
        }
        if (!tensor) {
            return std::unexpected(tensor.error());
        }
        result.tensors[name] = std::move(*tensor);
    }
    for (const TensorView& view : file->tensors()) {
        if (used.contains(view.name)) {
            continue;
        }
        if (result.tensors.contains(view.name)) {
            return fail(
                ErrorCode::Format, path.string() + ": tensor '" + view.name + "': also described as compressed");
        }
        CompactTensor raw { view.shape, toFloat32(view), "raw", dtypeName(view.dtype),
            static_cast<int>(8 * dtypeSize(view.dtype)) };
        result.tensors[view.name] = std::move(raw);
    }
    return result;
}

} // namespace optiscope::core
