// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/model_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace optiscope::core {

namespace {

    using nlohmann::json;

    // No single dimension of a model we can run comes close; the cap keeps a hostile config from
    // asking for terabytes before any tensor is read.
    constexpr std::int64_t kMaxDim = std::int64_t { 1 } << 20;
    constexpr std::int64_t kMaxLayers = 4096;
    // 8 Gi parameters = 32 GiB of float32: more than this machine class can hold.
    constexpr std::int64_t kMaxParameters = std::int64_t { 1 } << 33;

    class Reader {
    public:
        Reader(const json& root, std::string file)
            : m_root(root)
            , m_file(std::move(file))
        {
        }

        std::unexpected<Error> error(const std::string& field, const std::string& what) const
        {
            return fail(ErrorCode::Config, m_file + ": field '" + field + "' " + what);
        }

        // Required positive integer no larger than limit.
        Result<int> dim(const std::string& field, std::int64_t limit = kMaxDim) const
        {
            auto it = m_root.find(field);
            if (it == m_root.end() || it->is_null()) {
                return error(field, "missing");
            }
            return checkDim(field, *it, limit);
        }

        // Optional positive integer; null or absent gives fallback.
        Result<int> dimOr(const std::string& field, int fallback, std::int64_t limit = kMaxDim) const
        {
            auto it = m_root.find(field);
            if (it == m_root.end() || it->is_null()) {
                return fallback;
            }
            return checkDim(field, *it, limit);
        }

        // Optional token id (>= 0) or -1 when absent/null.
        Result<int> tokenId(const std::string& field) const
        {
            auto it = m_root.find(field);
            if (it == m_root.end() || it->is_null()) {
                return -1;
            }
            if (!it->is_number_integer()) {
                return error(field, "must be an integer");
            }
            const auto value = it->get<std::int64_t>();
            if (value < 0 || value >= kMaxDim) {
                return error(field, "out of range: " + std::to_string(value));
            }
            return static_cast<int>(value);
        }

        Result<double> positiveNumberOr(const std::string& field, double fallback) const
        {
            auto it = m_root.find(field);
            if (it == m_root.end() || it->is_null()) {
                return fallback;
            }
            if (!it->is_number()) {
                return error(field, "must be a number");
            }
            const double value = it->get<double>();
            if (!std::isfinite(value) || value <= 0.0 || value > 1.0) {
                return error(field, "must be in (0, 1], got " + it->dump());
            }
            return value;
        }

        Result<std::string> stringOr(const std::string& field, const std::string& fallback) const
        {
            auto it = m_root.find(field);
            if (it == m_root.end() || it->is_null()) {
                return fallback;
            }
            if (!it->is_string()) {
                return error(field, "must be a string");
            }
            return it->get<std::string>();
        }

        const json& root() const { return m_root; }

    private:
        Result<int> checkDim(const std::string& field, const json& value, std::int64_t limit) const
        {
            if (!value.is_number_integer()) {
                return error(field, "must be an integer, got " + value.dump());
            }
            const auto number = value.get<std::int64_t>();
            if (number <= 0) {
                return error(field, "must be positive, got " + std::to_string(number));
            }
            if (number > limit) {
                return error(field, "is " + std::to_string(number) + ", above the limit " + std::to_string(limit));
            }
            return static_cast<int>(number);
        }

        const json& m_root;
        std::string m_file;
    };

    Result<Activation> parseActivation(const Reader& reader, const std::string& field, const std::string& fallback)
    {
        auto name = reader.stringOr(field, fallback);
        if (!name) {
            return std::unexpected(name.error());
        }
        if (*name == "gelu") {
            return Activation::GeluExact;
        }
        if (*name == "gelu_new" || *name == "gelu_pytorch_tanh") {
            return Activation::GeluTanh;
        }
        if (*name == "relu") {
            return Activation::Relu;
        }
        return reader.error(field, "unsupported activation '" + *name + "'");
    }

    // id2label {"0": "cat", ...} → labels by id; num_labels when id2label is absent.
    Result<void> parseLabels(const Reader& reader, ModelConfig& config)
    {
        const auto& root = reader.root();
        auto it = root.find("id2label");
        if (it != root.end() && !it->is_null()) {
            if (!it->is_object() || it->empty()) {
                return reader.error("id2label", "must be a non-empty object");
            }
            std::map<int, std::string> byId;
            for (const auto& [key, value] : it->items()) {
                std::size_t used = 0;
                int id = -1;
                try {
                    id = std::stoi(key, &used);
                } catch (const std::exception&) {
                    used = 0;
                }
                if (used != key.size() || id < 0 || id >= static_cast<int>(it->size())) {
                    return reader.error(
                        "id2label", "key '" + key + "' is not a label id below " + std::to_string(it->size()));
                }
                if (!value.is_string()) {
                    return reader.error("id2label", "label " + key + " must be a string");
                }
                if (!byId.emplace(id, value.get<std::string>()).second) {
                    return reader.error("id2label", "label id " + std::to_string(id) + " appears twice");
                }
            }
            for (const auto& [id, name] : byId) {
                config.labels.push_back(name);
            }
            config.numLabels = static_cast<int>(config.labels.size());
            auto numLabels = reader.dimOr("num_labels", config.numLabels);
            if (!numLabels) {
                return std::unexpected(numLabels.error());
            }
            if (*numLabels != config.numLabels) {
                return reader.error("num_labels",
                    "is " + std::to_string(*numLabels) + " but id2label has " + std::to_string(config.numLabels)
                        + " entries");
            }
            return {};
        }
        auto numLabels = reader.dimOr("num_labels", 2); // HF's PretrainedConfig default
        if (!numLabels) {
            return std::unexpected(numLabels.error());
        }
        config.numLabels = *numLabels;
        for (int i = 0; i < config.numLabels; ++i) {
            config.labels.push_back("LABEL_" + std::to_string(i));
        }
        return {};
    }

    Result<void> parseGpt2(const Reader& r, ModelConfig& c)
    {
        auto layers = r.dim("n_layer", kMaxLayers);
        auto hidden = r.dim("n_embd");
        auto heads = r.dim("n_head");
        auto positions = r.dim("n_positions");
        auto vocab = r.dim("vocab_size");
        for (const auto* field : { &layers, &hidden, &heads, &positions, &vocab }) {
            if (!*field) {
                return std::unexpected(field->error());
            }
        }
        c.layers = *layers;
        c.hidden = *hidden;
        c.heads = *heads;
        c.maxPositions = *positions;
        c.vocabSize = *vocab;
        if (4ll * c.hidden > kMaxDim) {
            auto it = r.root().find("n_inner");
            if (it == r.root().end() || it->is_null()) {
                return r.error("n_inner",
                    "defaults to 4 × n_embd = " + std::to_string(4ll * c.hidden) + ", above the limit "
                        + std::to_string(kMaxDim));
            }
        }
        auto inner = r.dimOr("n_inner", static_cast<int>(std::min<std::int64_t>(4ll * c.hidden, kMaxDim)));
        auto eps = r.positiveNumberOr("layer_norm_epsilon", 1e-5);
        auto activation = parseActivation(r, "activation_function", "gelu_new");
        auto bos = r.tokenId("bos_token_id");
        auto eos = r.tokenId("eos_token_id");
        auto pad = r.tokenId("pad_token_id");
        if (!inner) {
            return std::unexpected(inner.error());
        }
        if (!eps) {
            return std::unexpected(eps.error());
        }
        if (!activation) {
            return std::unexpected(activation.error());
        }
        for (const auto* id : { &bos, &eos, &pad }) {
            if (!*id) {
                return std::unexpected(id->error());
            }
        }
        c.intermediate = *inner;
        c.layerNormEps = *eps;
        c.activation = *activation;
        c.bosTokenId = *bos;
        c.eosTokenId = *eos;
        c.padTokenId = *pad;
        c.preLayerNorm = true;
        return {};
    }

    // Fields BERT and ViT share (HF's BertConfig / ViTConfig names).
    Result<void> parseEncoderCommon(const Reader& r, ModelConfig& c)
    {
        auto layers = r.dim("num_hidden_layers", kMaxLayers);
        auto hidden = r.dim("hidden_size");
        auto heads = r.dim("num_attention_heads");
        auto inner = r.dim("intermediate_size");
        for (const auto* field : { &layers, &hidden, &heads, &inner }) {
            if (!*field) {
                return std::unexpected(field->error());
            }
        }
        c.layers = *layers;
        c.hidden = *hidden;
        c.heads = *heads;
        c.intermediate = *inner;
        auto eps = r.positiveNumberOr("layer_norm_eps", 1e-12);
        if (!eps) {
            return std::unexpected(eps.error());
        }
        c.layerNormEps = *eps;
        auto activation = parseActivation(r, "hidden_act", "gelu");
        if (!activation) {
            return std::unexpected(activation.error());
        }
        c.activation = *activation;
        return {};
    }

    Result<void> parseBert(const Reader& r, ModelConfig& c)
    {
        if (auto common = parseEncoderCommon(r, c); !common) {
            return common;
        }
        auto vocab = r.dim("vocab_size");
        auto positions = r.dim("max_position_embeddings");
        auto types = r.dimOr("type_vocab_size", 2);
        auto pad = r.tokenId("pad_token_id");
        for (const auto* field : { &vocab, &positions, &types, &pad }) {
            if (!*field) {
                return std::unexpected(field->error());
            }
        }
        c.vocabSize = *vocab;
        c.maxPositions = *positions;
        c.typeVocabSize = *types;
        c.padTokenId = *pad;
        auto embeddingType = r.stringOr("position_embedding_type", "absolute");
        if (!embeddingType) {
            return std::unexpected(embeddingType.error());
        }
        if (*embeddingType != "absolute") {
            return r.error("position_embedding_type", "unsupported value '" + *embeddingType + "'");
        }
        c.preLayerNorm = false;
        return {};
    }

    Result<void> parseVit(const Reader& r, ModelConfig& c)
    {
        if (auto common = parseEncoderCommon(r, c); !common) {
            return common;
        }
        auto image = r.dim("image_size", 1 << 16);
        auto patch = r.dim("patch_size", 1 << 16);
        auto channels = r.dimOr("num_channels", 3, 64);
        for (const auto* field : { &image, &patch, &channels }) {
            if (!*field) {
                return std::unexpected(field->error());
            }
        }
        c.imageSize = *image;
        c.patchSize = *patch;
        c.channels = *channels;
        if (c.imageSize % c.patchSize != 0) {
            return r.error("patch_size",
                std::to_string(c.patchSize) + " does not divide image_size " + std::to_string(c.imageSize));
        }
        const std::int64_t side = c.imageSize / c.patchSize;
        if (side * side + 1 > kMaxDim) {
            return r.error("image_size", "gives " + std::to_string(side * side) + " patches, above the limit");
        }
        c.maxPositions = static_cast<int>(side * side + 1);
        c.vocabSize = 0;
        c.preLayerNorm = true;
        return {};
    }

    struct ClassInfo {
        const char* className;
        Architecture architecture;
        ModelHead head;
    };

    constexpr ClassInfo kClasses[] = {
        { "GPT2LMHeadModel", Architecture::Gpt2, ModelHead::LanguageModel },
        { "GPT2Model", Architecture::Gpt2, ModelHead::None },
        { "BertModel", Architecture::Bert, ModelHead::None },
        { "BertForMaskedLM", Architecture::Bert, ModelHead::MaskedLm },
        { "BertForSequenceClassification", Architecture::Bert, ModelHead::SequenceClassification },
        { "ViTModel", Architecture::Vit, ModelHead::None },
        { "ViTForImageClassification", Architecture::Vit, ModelHead::ImageClassification },
    };

    // Rough float count of everything the architecture stores; guards against configs whose
    // individual fields pass but whose product does not fit in memory.
    std::int64_t estimateParameters(const ModelConfig& c)
    {
        const std::int64_t d = c.hidden;
        const std::int64_t perLayer = 4 * d * d + 2 * d * c.intermediate + 8 * d + c.intermediate;
        std::int64_t total = c.layers * perLayer;
        total += (static_cast<std::int64_t>(c.vocabSize) + c.maxPositions + c.typeVocabSize) * d;
        total += static_cast<std::int64_t>(c.channels) * c.patchSize * c.patchSize * d;
        total += static_cast<std::int64_t>(c.numLabels) * d;
        return total;
    }

} // namespace

const char* architectureName(Architecture architecture)
{
    switch (architecture) {
    case Architecture::Gpt2:
        return "gpt2";
    case Architecture::Bert:
        return "bert";
    case Architecture::Vit:
        return "vit";
    }
    return "unknown";
}

Result<ModelConfig> parseModelConfig(const std::string& text, const std::string& fileNameForErrors)
{
    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error& e) {
        return fail(ErrorCode::Config, fileNameForErrors + ": invalid JSON at byte " + std::to_string(e.byte));
    } catch (const json::exception& e) {
        // Not a parse_error: a number too large for a double (1e400) throws out_of_range 406.
        return fail(ErrorCode::Config, fileNameForErrors + ": invalid JSON: " + e.what());
    }
    if (!root.is_object()) {
        return fail(ErrorCode::Config, fileNameForErrors + ": top level must be an object");
    }
    const Reader reader(root, fileNameForErrors);

    std::string className;
    auto architectures = root.find("architectures");
    if (architectures != root.end() && !architectures->is_null()) {
        if (!architectures->is_array() || architectures->empty() || !(*architectures)[0].is_string()) {
            return reader.error("architectures", "must be a non-empty array of strings");
        }
        className = (*architectures)[0].get<std::string>();
    } else {
        // Configs saved from a bare base model may lack "architectures"; fall back on model_type.
        auto modelType = reader.stringOr("model_type", "");
        if (!modelType) {
            return std::unexpected(modelType.error());
        }
        if (modelType->empty()) {
            return reader.error("architectures", "missing (and no model_type)");
        }
        const std::map<std::string, std::string> baseClass { { "gpt2", "GPT2Model" }, { "bert", "BertModel" },
            { "vit", "ViTModel" } };
        auto it = baseClass.find(*modelType);
        if (it == baseClass.end()) {
            return reader.error("model_type", "unsupported model type '" + *modelType + "'");
        }
        className = it->second;
    }

    const auto* info = std::find_if(
        std::begin(kClasses), std::end(kClasses), [&](const ClassInfo& entry) { return className == entry.className; });
    if (info == std::end(kClasses)) {
        return reader.error("architectures", "unsupported architecture '" + className + "'");
    }

    ModelConfig config;
    config.className = className;
    config.architecture = info->architecture;
    config.head = info->head;

    Result<void> parsed;
    switch (config.architecture) {
    case Architecture::Gpt2:
        parsed = parseGpt2(reader, config);
        break;
    case Architecture::Bert:
        parsed = parseBert(reader, config);
        break;
    case Architecture::Vit:
        parsed = parseVit(reader, config);
        break;
    }
    if (!parsed) {
        return std::unexpected(parsed.error());
    }
    if (auto tie = root.find("tie_word_embeddings"); tie != root.end() && !tie->is_null()) {
        if (!tie->is_boolean()) {
            return reader.error("tie_word_embeddings", "must be true or false");
        }
        config.tieWordEmbeddings = tie->get<bool>();
    }
    if (config.head == ModelHead::SequenceClassification || config.head == ModelHead::ImageClassification) {
        if (auto labels = parseLabels(reader, config); !labels) {
            return std::unexpected(labels.error());
        }
    }

    const char* headsField = config.architecture == Architecture::Gpt2 ? "n_head" : "num_attention_heads";
    if (config.hidden % config.heads != 0) {
        return reader.error(headsField,
            std::to_string(config.heads) + " does not divide the hidden size " + std::to_string(config.hidden));
    }
    if (config.vocabSize > 0) {
        const int vocab = config.vocabSize;
        for (auto [field, id] : { std::pair { "bos_token_id", config.bosTokenId },
                 std::pair { "eos_token_id", config.eosTokenId }, std::pair { "pad_token_id", config.padTokenId } }) {
            if (id >= vocab) {
                return reader.error(
                    field, std::to_string(id) + " is outside the vocabulary of " + std::to_string(vocab));
            }
        }
    }
    const auto parameters = estimateParameters(config);
    if (parameters > kMaxParameters) {
        return fail(ErrorCode::Config,
            fileNameForErrors + ": sizes imply about " + std::to_string(parameters) + " parameters, above the limit "
                + std::to_string(kMaxParameters));
    }
    return config;
}

Result<ModelConfig> loadModelConfig(const std::filesystem::path& configJson)
{
    const std::string name = configJson.filename().string();
    std::ifstream in(configJson, std::ios::binary);
    if (!in) {
        return fail(ErrorCode::Io, name + ": cannot open " + configJson.string());
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        return fail(ErrorCode::Io, name + ": read error");
    }
    return parseModelConfig(buffer.str(), name);
}

} // namespace optiscope::core
