// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "model_names.h"

namespace optiscope::core::detail {

const char* hfPrefix(Architecture architecture)
{
    switch (architecture) {
    case Architecture::Gpt2:
        return "transformer.";
    case Architecture::Bert:
        return "bert.";
    case Architecture::Vit:
        return "vit.";
    }
    return "";
}

std::string layerPrefix(const ModelConfig& config, int layer)
{
    return (config.architecture == Architecture::Gpt2 ? "h." : "encoder.layer.") + std::to_string(layer) + ".";
}

namespace {

    using Shape = std::vector<std::int64_t>;

    void addLinear(std::vector<TensorSpec>& out, const std::string& name, std::int64_t rows, std::int64_t cols,
        std::int64_t biasSize, bool optional = false)
    {
        out.push_back({ name + ".weight", Shape { rows, cols }, optional, {} });
        out.push_back({ name + ".bias", Shape { biasSize }, optional, {} });
    }

    void addNorm(std::vector<TensorSpec>& out, const std::string& name, std::int64_t d)
    {
        out.push_back({ name + ".weight", Shape { d }, false, {} });
        out.push_back({ name + ".bias", Shape { d }, false, {} });
    }

    // nn.Linear stores weight [out, in].
    void addTorchLinear(std::vector<TensorSpec>& out, const std::string& name, std::int64_t in, std::int64_t outDim,
        bool optional = false)
    {
        addLinear(out, name, outDim, in, outDim, optional);
    }

    void gpt2(const ModelConfig& c, std::vector<TensorSpec>& out)
    {
        const std::int64_t d = c.hidden, inner = c.intermediate;
        out.push_back({ "wte.weight", Shape { c.vocabSize, d }, false, {} });
        out.push_back({ "wpe.weight", Shape { c.maxPositions, d }, false, {} });
        for (int layer = 0; layer < c.layers; ++layer) {
            const std::string p = layerPrefix(c, layer);
            addNorm(out, p + "ln_1", d);
            // HF Conv1D stores weight [in, out].
            addLinear(out, p + "attn.c_attn", d, 3 * d, 3 * d);
            addLinear(out, p + "attn.c_proj", d, d, d);
            addNorm(out, p + "ln_2", d);
            addLinear(out, p + "mlp.c_fc", d, inner, inner);
            addLinear(out, p + "mlp.c_proj", inner, d, d);
        }
        addNorm(out, "ln_f", d);
        if (c.head == ModelHead::LanguageModel) {
            out.push_back(
                { "lm_head.weight", Shape { c.vocabSize, d }, false, c.tieWordEmbeddings ? "wte.weight" : "" });
        }
    }

    void encoderLayers(const ModelConfig& c, std::vector<TensorSpec>& out, const std::string& attention)
    {
        const std::int64_t d = c.hidden, inner = c.intermediate;
        for (int layer = 0; layer < c.layers; ++layer) {
            const std::string p = layerPrefix(c, layer);
            for (const char* part : { "query", "key", "value" }) {
                addTorchLinear(out, p + attention + part, d, d);
            }
            addTorchLinear(out, p + "attention.output.dense", d, d);
            addTorchLinear(out, p + "intermediate.dense", d, inner);
            addTorchLinear(out, p + "output.dense", inner, d);
            if (c.architecture == Architecture::Bert) {
                addNorm(out, p + "attention.output.LayerNorm", d);
                addNorm(out, p + "output.LayerNorm", d);
            } else {
                addNorm(out, p + "layernorm_before", d);
                addNorm(out, p + "layernorm_after", d);
            }
        }
    }

    void bert(const ModelConfig& c, std::vector<TensorSpec>& out)
    {
        const std::int64_t d = c.hidden;
        out.push_back({ "embeddings.word_embeddings.weight", Shape { c.vocabSize, d }, false, {} });
        out.push_back({ "embeddings.position_embeddings.weight", Shape { c.maxPositions, d }, false, {} });
        out.push_back({ "embeddings.token_type_embeddings.weight", Shape { c.typeVocabSize, d }, false, {} });
        addNorm(out, "embeddings.LayerNorm", d);
        encoderLayers(c, out, "attention.self.");
        switch (c.head) {
        case ModelHead::None:
            addTorchLinear(out, "pooler.dense", d, d, true);
            break;
        case ModelHead::SequenceClassification:
            addTorchLinear(out, "pooler.dense", d, d);
            addTorchLinear(out, "classifier", d, c.numLabels);
            break;
        case ModelHead::MaskedLm:
            addTorchLinear(out, "cls.predictions.transform.dense", d, d);
            addNorm(out, "cls.predictions.transform.LayerNorm", d);
            out.push_back({ "cls.predictions.bias", Shape { c.vocabSize }, false, {} });
            out.push_back({ "cls.predictions.decoder.weight", Shape { c.vocabSize, d }, false,
                c.tieWordEmbeddings ? "embeddings.word_embeddings.weight" : "" });
            break;
        default:
            break;
        }
    }

    void vit(const ModelConfig& c, std::vector<TensorSpec>& out)
    {
        const std::int64_t d = c.hidden;
        out.push_back({ "embeddings.cls_token", Shape { 1, 1, d }, false, {} });
        out.push_back({ "embeddings.position_embeddings", Shape { 1, c.maxPositions, d }, false, {} });
        out.push_back({ "embeddings.patch_embeddings.projection.weight",
            Shape { d, c.channels, c.patchSize, c.patchSize }, false, {} });
        out.push_back({ "embeddings.patch_embeddings.projection.bias", Shape { d }, false, {} });
        encoderLayers(c, out, "attention.attention.");
        addNorm(out, "layernorm", d);
        if (c.head == ModelHead::ImageClassification) {
            addTorchLinear(out, "classifier", d, c.numLabels);
        } else {
            addTorchLinear(out, "pooler.dense", d, d, true);
        }
    }

} // namespace

std::vector<TensorSpec> expectedTensors(const ModelConfig& config)
{
    std::vector<TensorSpec> out;
    switch (config.architecture) {
    case Architecture::Gpt2:
        gpt2(config, out);
        break;
    case Architecture::Bert:
        bert(config, out);
        break;
    case Architecture::Vit:
        vit(config, out);
        break;
    }
    return out;
}

} // namespace optiscope::core::detail
