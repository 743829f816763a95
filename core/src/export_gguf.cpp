// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "export_gguf_detail.h"

#include "optiscope/core/atomic_write.h"
#include "optiscope/core/check.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/number_format.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <ostream>

namespace optiscope::core {

namespace {

    static_assert(std::endian::native == std::endian::little, "the GGUF writer stores native little-endian values");

    // gguf_metadata_value_type
    enum class ValueType : std::uint32_t { Uint32 = 4, Int32 = 5, Float32 = 6, String = 8, Array = 9 };

    // general.file_type (llama_ftype)
    std::uint32_t fileType(GgufTensorType type)
    {
        switch (type) {
        case GgufTensorType::F32:
            return 0;
        case GgufTensorType::F16:
            return 1;
        case GgufTensorType::Q4_0:
            return 2;
        case GgufTensorType::Q8_0:
            return 7;
        }
        return 0;
    }

    constexpr std::uint32_t kQuantizationVersion = 2; // GGML_QNT_VERSION of the Q8_0/Q4_0 layouts

    class ByteSink {
    public:
        void u32(std::uint32_t value) { raw(&value, sizeof value); }
        void i32(std::int32_t value) { raw(&value, sizeof value); }
        void u64(std::uint64_t value) { raw(&value, sizeof value); }
        void f32(float value) { raw(&value, sizeof value); }
        void string(std::string_view text)
        {
            u64(text.size());
            raw(text.data(), text.size());
        }
        void raw(const void* data, std::size_t size) { m_bytes.append(static_cast<const char*>(data), size); }
        const std::string& bytes() const { return m_bytes; }

    private:
        std::string m_bytes;
    };

    // Key-value pairs, serialised as they are added.
    class Metadata {
    public:
        void string(std::string_view key, std::string_view value)
        {
            head(key, ValueType::String);
            m_sink.string(value);
        }
        void u32(std::string_view key, std::uint32_t value)
        {
            head(key, ValueType::Uint32);
            m_sink.u32(value);
        }
        void f32(std::string_view key, float value)
        {
            head(key, ValueType::Float32);
            m_sink.f32(value);
        }
        void strings(std::string_view key, const std::vector<std::string>& values)
        {
            head(key, ValueType::Array);
            m_sink.u32(static_cast<std::uint32_t>(ValueType::String));
            m_sink.u64(values.size());
            for (const auto& value : values) {
                m_sink.string(value);
            }
        }
        void i32s(std::string_view key, const std::vector<std::int32_t>& values)
        {
            head(key, ValueType::Array);
            m_sink.u32(static_cast<std::uint32_t>(ValueType::Int32));
            m_sink.u64(values.size());
            for (auto value : values) {
                m_sink.i32(value);
            }
        }
        std::uint64_t count() const { return m_count; }
        const std::string& bytes() const { return m_sink.bytes(); }

    private:
        void head(std::string_view key, ValueType type)
        {
            m_sink.string(key);
            m_sink.u32(static_cast<std::uint32_t>(type));
            ++m_count;
        }
        ByteSink m_sink;
        std::uint64_t m_count = 0;
    };

    struct PlannedTensor {
        std::string ggufName;
        std::string canonicalName; // what Model::weight() is asked for
        bool transpose = false; // Conv1D [in, out] → rows of output features
        std::vector<std::uint64_t> dims; // ne0 first
        GgufTensorType type = GgufTensorType::F32;
        bool fellBack = false;
        std::uint64_t bytes = 0;
        std::uint64_t offset = 0;
    };

    std::uint64_t alignUp(std::uint64_t value, std::uint64_t alignment)
    {
        return value + (alignment - value % alignment) % alignment;
    }

    std::uint64_t dataBytes(GgufTensorType type, std::uint64_t elements)
    {
        switch (type) {
        case GgufTensorType::F32:
            return elements * 4;
        case GgufTensorType::F16:
            return elements * 2;
        case GgufTensorType::Q8_0:
            return elements / kGgufBlockElements * kGgufQ8_0BlockBytes;
        case GgufTensorType::Q4_0:
            return elements / kGgufBlockElements * kGgufQ4_0BlockBytes;
        }
        return 0;
    }

    int typeBits(GgufTensorType type)
    {
        switch (type) {
        case GgufTensorType::F32:
            return 32;
        case GgufTensorType::F16:
            return 16;
        case GgufTensorType::Q8_0:
            return 8;
        case GgufTensorType::Q4_0:
            return 4;
        }
        return 32;
    }

    // llama.cpp's GPT-2 tensor map (gguf-py MODEL_TENSOR names for MODEL_ARCH.GPT2).
    Result<std::vector<PlannedTensor>> planTensors(const Model& model, GgufTensorType weightType)
    {
        const ModelConfig& config = model.config();
        std::vector<PlannedTensor> plan;
        const auto add = [&](std::string ggufName, std::string canonical, bool transpose) {
            PlannedTensor tensor;
            tensor.ggufName = std::move(ggufName);
            tensor.canonicalName = std::move(canonical);
            tensor.transpose = transpose;
            plan.push_back(std::move(tensor));
        };
        add("token_embd.weight", "wte.weight", false);
        add("position_embd.weight", "wpe.weight", false);
        for (int layer = 0; layer < config.layers; ++layer) {
            const std::string blk = "blk." + std::to_string(layer) + ".";
            const std::string h = "h." + std::to_string(layer) + ".";
            const std::pair<const char*, const char*> parts[]
                = { { "attn_norm", "ln_1" }, { "attn_qkv", "attn.c_attn" }, { "attn_output", "attn.c_proj" },
                      { "ffn_norm", "ln_2" }, { "ffn_up", "mlp.c_fc" }, { "ffn_down", "mlp.c_proj" } };
            for (const auto& [ggufPart, hfPart] : parts) {
                const bool conv1d = std::string_view(hfPart).find("c_") != std::string_view::npos;
                add(blk + ggufPart + ".weight", h + hfPart + ".weight", conv1d);
                add(blk + ggufPart + ".bias", h + hfPart + ".bias", false);
            }
        }
        add("output_norm.weight", "ln_f.weight", false);
        add("output_norm.bias", "ln_f.bias", false);
        if (!config.tieWordEmbeddings) {
            add("output.weight", "lm_head.weight", false); // nn.Linear: already [out, in]
        }
        for (auto& tensor : plan) {
            const Weight* weight = model.weight(tensor.canonicalName);
            if (weight == nullptr || weight->shape.empty() || weight->shape.size() > 2) {
                return fail(ErrorCode::Shape,
                    model.folder().filename().string() + ": tensor 'transformer." + tensor.canonicalName
                        + "': missing or not 1-D/2-D, cannot export GPT-2 to GGUF");
            }
            const auto& shape = weight->shape;
            if (shape.size() == 1) {
                tensor.dims = { static_cast<std::uint64_t>(shape[0]) };
            } else if (tensor.transpose) {
                tensor.dims = { static_cast<std::uint64_t>(shape[0]), static_cast<std::uint64_t>(shape[1]) };
            } else {
                tensor.dims = { static_cast<std::uint64_t>(shape[1]), static_cast<std::uint64_t>(shape[0]) };
            }
            tensor.type = shape.size() == 1 ? GgufTensorType::F32 : weightType;
            const bool blockType = tensor.type == GgufTensorType::Q8_0 || tensor.type == GgufTensorType::Q4_0;
            if (blockType && tensor.dims[0] % kGgufBlockElements != 0) {
                tensor.type = GgufTensorType::F16;
                tensor.fellBack = true;
            }
            std::uint64_t elements = 1;
            for (auto dim : tensor.dims) {
                elements *= dim;
            }
            tensor.bytes = dataBytes(tensor.type, elements);
        }
        return plan;
    }

    // The values inference uses, as GGUF rows [dims[1]][dims[0]].
    std::vector<float> ggufRows(const Weight& weight, bool transpose)
    {
        const auto count = static_cast<std::size_t>(weight.elementCount());
        if (!transpose) {
            return { weight.data, weight.data + count };
        }
        const std::int64_t in = weight.shape[0];
        const std::int64_t out = weight.shape[1];
        std::vector<float> rows(count);
        for (std::int64_t i = 0; i < in; ++i) {
            for (std::int64_t o = 0; o < out; ++o) {
                rows[static_cast<std::size_t>(o * in + i)] = weight.data[i * out + o];
            }
        }
        return rows;
    }

    // The recipe's uniform grid for GGUF row `row` (= output feature), input block `block`.
    detail::GgufGridScale gridScaleOf(const CompressedTensor* tensor)
    {
        if (tensor == nullptr || !tensor->quant) {
            return {};
        }
        const QuantParams& params = *tensor->quant;
        const NumberFormat format = params.spec.format;
        if (format != NumberFormat::Int && format != NumberFormat::Ternary && format != NumberFormat::Binary) {
            return {};
        }
        const std::int64_t in = tensor->matrix.inFeatures;
        return [&params, in](std::int64_t row, std::int64_t block) {
            const auto nan = std::numeric_limits<float>::quiet_NaN();
            switch (params.spec.granularity) {
            case QuantGranularity::PerTensor:
                return params.scales.empty() ? nan : params.scales[0];
            case QuantGranularity::PerHead:
                return nan; // heads do not follow GGUF's blocks of 32 inputs: no shared scale to check
            case QuantGranularity::PerChannel:
                return static_cast<std::size_t>(row) < params.scales.size() ? params.scales[row] : nan;
            case QuantGranularity::Group: {
                const std::int64_t group = params.spec.groupSize;
                const std::int64_t first = row * (in / group) + block * kGgufBlockElements / group;
                const std::int64_t last
                    = row * (in / group) + (block * kGgufBlockElements + kGgufBlockElements - 1) / group;
                if (group <= 0 || static_cast<std::size_t>(last) >= params.scales.size()) {
                    return nan;
                }
                for (std::int64_t g = first + 1; g <= last; ++g) {
                    if (params.scales[g] != params.scales[first]) {
                        return nan;
                    }
                }
                return params.scales[first];
            }
            }
            return nan;
        };
    }

    std::string lowerAscii(std::string_view text)
    {
        std::string lower(text);
        std::ranges::transform(
            lower, lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return lower;
    }

    Result<void> checkModel(const Model& model)
    {
        const ModelConfig& config = model.config();
        const std::string where = model.folder().filename().string() + "/config.json";
        if (config.architecture != Architecture::Gpt2) {
            return fail(ErrorCode::Config,
                where + ": model_type: '" + architectureName(config.architecture)
                    + "' cannot be exported to GGUF (GPT-2 only)");
        }
        if (config.activation != Activation::GeluTanh) {
            return fail(ErrorCode::Config,
                where
                    + ": activation_function: llama.cpp's gpt2 graph uses tanh GELU (gelu_new); this model's "
                      "activation cannot be expressed in GGUF");
        }
        return {};
    }

    Metadata buildMetadata(const Model& model, const detail::GgufVocab& vocab, const GgufOptions& options,
        const std::vector<PlannedTensor>& plan)
    {
        const ModelConfig& config = model.config();
        const bool quantized = std::ranges::any_of(plan, [](const PlannedTensor& tensor) {
            return tensor.type == GgufTensorType::Q8_0 || tensor.type == GgufTensorType::Q4_0;
        });
        Metadata kv;
        kv.string("general.architecture", "gpt2");
        kv.string("general.name", options.name.empty() ? model.folder().filename().string() : options.name);
        kv.u32("general.alignment", options.alignment);
        kv.u32("general.file_type", fileType(options.weightType));
        if (quantized) {
            kv.u32("general.quantization_version", kQuantizationVersion);
        }
        // uint32 and float32 as llama.cpp's gguf-py writes them (its loader checks the types).
        kv.u32("gpt2.context_length", static_cast<std::uint32_t>(config.maxPositions));
        kv.u32("gpt2.embedding_length", static_cast<std::uint32_t>(config.hidden));
        kv.u32("gpt2.feed_forward_length", static_cast<std::uint32_t>(config.intermediate));
        kv.u32("gpt2.block_count", static_cast<std::uint32_t>(config.layers));
        kv.u32("gpt2.attention.head_count", static_cast<std::uint32_t>(config.heads));
        kv.f32("gpt2.attention.layer_norm_epsilon", static_cast<float>(config.layerNormEps));
        kv.string("tokenizer.ggml.model", "gpt2");
        kv.string("tokenizer.ggml.pre", "gpt-2"); // the GPT-2 pre-tokenizer regex, as our BpeTokenizer
        kv.strings("tokenizer.ggml.tokens", vocab.tokens);
        kv.i32s("tokenizer.ggml.token_type", vocab.tokenTypes);
        kv.strings("tokenizer.ggml.merges", vocab.merges);
        const std::pair<const char*, std::int32_t> ids[]
            = { { "tokenizer.ggml.bos_token_id", vocab.bos }, { "tokenizer.ggml.eos_token_id", vocab.eos },
                  { "tokenizer.ggml.unknown_token_id", vocab.unk }, { "tokenizer.ggml.padding_token_id", vocab.pad } };
        for (const auto& [key, id] : ids) {
            if (id >= 0) {
                kv.u32(key, static_cast<std::uint32_t>(id));
            }
        }
        return kv;
    }

    std::string tensorInfos(std::vector<PlannedTensor>& plan, std::uint64_t alignment)
    {
        ByteSink sink;
        std::uint64_t offset = 0;
        for (auto& tensor : plan) {
            tensor.offset = offset;
            sink.string(tensor.ggufName);
            sink.u32(static_cast<std::uint32_t>(tensor.dims.size()));
            for (auto dim : tensor.dims) {
                sink.u64(dim);
            }
            sink.u32(static_cast<std::uint32_t>(tensor.type));
            sink.u64(tensor.offset);
            offset = alignUp(offset + tensor.bytes, alignment);
        }
        return sink.bytes();
    }

    std::string percent(double fraction)
    {
        char text[32];
        std::snprintf(text, sizeof text, "%.3g%%", fraction * 100.0);
        return text;
    }

    // Encodes one tensor; records its error against the values inference uses.
    Result<std::vector<std::byte>> encodeTensor(const CompressedModel& model, const PlannedTensor& tensor,
        const GgufOptions& options, const std::string& target, GgufTensorReport& report)
    {
        const Weight& weight = *model.weight(tensor.canonicalName);
        const std::vector<float> rows = ggufRows(weight, tensor.transpose);
        std::vector<std::byte> bytes;
        bytes.reserve(tensor.bytes);
        double relativeError = 0; // worst error / block (or row) max |x|
        if (tensor.type == GgufTensorType::F32) {
            bytes.resize(rows.size() * 4);
            std::memcpy(bytes.data(), rows.data(), bytes.size());
        } else if (tensor.type == GgufTensorType::F16) {
            bytes.resize(rows.size() * 2);
            const std::uint64_t rowLength = tensor.dims[0];
            for (std::size_t start = 0; start < rows.size(); start += rowLength) {
                double rowMax = 0;
                double rowError = 0;
                for (std::size_t i = start; i < start + rowLength; ++i) {
                    const std::uint16_t half = encodeFp16(rows[i]);
                    bytes[2 * i] = static_cast<std::byte>(half & 0xFFu);
                    bytes[2 * i + 1] = static_cast<std::byte>(half >> 8);
                    if (std::isfinite(rows[i])) {
                        rowMax = std::max(rowMax, std::fabs(static_cast<double>(rows[i])));
                        rowError = std::max(rowError, std::fabs(static_cast<double>(rows[i]) - decodeFp16(half)));
                    }
                }
                report.maxAbsError = std::max(report.maxAbsError, rowError);
                relativeError = std::max(relativeError, rowMax > 0 ? rowError / rowMax : 0.0);
            }
        } else {
            if (!std::ranges::all_of(rows, [](float v) { return std::isfinite(v); })) {
                return fail(ErrorCode::Input,
                    target + ": tensor '" + tensor.ggufName + "': non-finite values cannot be stored as "
                        + ggufTensorTypeName(tensor.type));
            }
            const CompressedTensor* compressed = model.compressed(tensor.canonicalName);
            const auto stats = detail::encodeGgufBlocks(
                tensor.type, rows, static_cast<std::int64_t>(tensor.dims[0]), gridScaleOf(compressed), bytes);
            report.maxAbsError = stats.maxAbsError;
            report.blocksOnRecipeGrid = stats.blocksOnGrid;
            report.blocks = stats.blocks;
            relativeError = stats.maxRelativeError;
        }
        // A recipe format no wider than the GGUF type is expected to come through unchanged.
        const CompressedTensor* compressed = model.compressed(tensor.canonicalName);
        if (compressed != nullptr && compressed->quant && compressed->quant->spec.storedBits() <= typeBits(tensor.type)
            && relativeError > kGgufLosslessTolerance && !options.allowLossyRequantization) {
            const QuantSpec& spec = compressed->quant->spec;
            return fail(ErrorCode::Input,
                target + ": tensor '" + compressed->name + "': the recipe's " + numberFormatName(spec.format) + " ("
                    + std::to_string(spec.storedBits()) + " bits) values cannot be held by "
                    + ggufTensorTypeName(tensor.type) + " without change (error up to " + percent(relativeError)
                    + " of a block's largest value); export a wider type or " + "allow lossy requantization");
        }
        return bytes;
    }

} // namespace

Result<GgufTensorType> parseGgufTensorType(std::string_view text)
{
    const std::string lower = lowerAscii(text);
    if (lower == "f32") {
        return GgufTensorType::F32;
    }
    if (lower == "f16") {
        return GgufTensorType::F16;
    }
    if (lower == "q8_0") {
        return GgufTensorType::Q8_0;
    }
    if (lower == "q4_0") {
        return GgufTensorType::Q4_0;
    }
    return fail(ErrorCode::Input, "gguf type '" + std::string(text) + "': expected f32, f16, q8_0 or q4_0");
}

const char* ggufTensorTypeName(GgufTensorType type)
{
    switch (type) {
    case GgufTensorType::F32:
        return "F32";
    case GgufTensorType::F16:
        return "F16";
    case GgufTensorType::Q8_0:
        return "Q8_0";
    case GgufTensorType::Q4_0:
        return "Q4_0";
    }
    return "?";
}

Result<void> writeGguf(const CompressedModel& model, const std::filesystem::path& out, const GgufOptions& options,
    GgufExportReport* report)
{
    const std::string target = out.filename().string();
    if (options.alignment == 0 || options.alignment % 8 != 0) {
        return fail(ErrorCode::Input,
            target + ": general.alignment: " + std::to_string(options.alignment) + " is not a positive multiple of 8");
    }
    std::error_code ec;
    if (std::filesystem::is_directory(out, ec)) {
        return fail(ErrorCode::Io, out.string() + ": is a directory");
    }
    if (!options.overwrite && std::filesystem::exists(out, ec)) {
        return fail(ErrorCode::Io, out.string() + ": exists (overwrite not requested)");
    }
    if (auto ok = checkModel(model); !ok) {
        return ok;
    }
    auto vocab = detail::ggufVocab(model);
    if (!vocab) {
        return std::unexpected(vocab.error());
    }
    auto plan = planTensors(model, options.weightType);
    if (!plan) {
        return std::unexpected(plan.error());
    }
    const Metadata kv = buildMetadata(model, *vocab, options, *plan);
    const std::string infos = tensorInfos(*plan, options.alignment);

    ByteSink header;
    header.raw("GGUF", 4);
    header.u32(kGgufVersion);
    header.u64(plan->size());
    header.u64(kv.count());
    const std::uint64_t headerEnd = header.bytes().size() + kv.bytes().size() + infos.size();
    const std::uint64_t dataStart = alignUp(headerEnd, options.alignment);

    GgufExportReport made;
    const auto write = [&](std::ostream& stream) -> Result<void> {
        const std::string zeros(options.alignment, '\0');
        stream << header.bytes() << kv.bytes() << infos;
        stream.write(zeros.data(), static_cast<std::streamsize>(dataStart - headerEnd));
        std::uint64_t position = 0;
        for (const auto& tensor : *plan) {
            GgufTensorReport entry;
            entry.name = tensor.ggufName;
            entry.sourceName = tensor.canonicalName.starts_with("lm_head.") ? tensor.canonicalName
                                                                            : "transformer." + tensor.canonicalName;
            entry.type = tensor.type;
            entry.dims = tensor.dims;
            entry.offset = tensor.offset;
            entry.bytes = tensor.bytes;
            entry.fellBack = tensor.fellBack;
            auto bytes = encodeTensor(model, tensor, options, target, entry);
            if (!bytes) {
                return std::unexpected(bytes.error());
            }
            OPTISCOPE_CHECK(position == tensor.offset && bytes->size() == tensor.bytes);
            stream.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
            const std::uint64_t next = alignUp(position + tensor.bytes, options.alignment);
            stream.write(zeros.data(), static_cast<std::streamsize>(next - position - tensor.bytes));
            position = next;
            made.tensors.push_back(std::move(entry));
        }
        made.fileBytes = dataStart + position;
        return {};
    };
    if (auto written = writeFileAtomically(out, write); !written) {
        return written;
    }
    if (report != nullptr) {
        *report = std::move(made);
    }
    return {};
}

} // namespace optiscope::core
