// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Recipe prune / quantize steps on USE Lite's weight matrices. USE Lite is not a Model (no HF
// config), so the CompressedModel machinery does not apply; the weight-only steps reuse the same
// mask and quantizer functions on the matrices under recipe-friendly names.
#include "optiscope/core/compression/pruning.h"
#include "optiscope/core/compression/quantization.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/use_lite_model.h"

#include <algorithm>

namespace optiscope::core {

struct UseLiteModel::MatrixRef {
    std::string name;
    std::span<const float>* data = nullptr; // the model's span, repointed when compressed
    MatrixShape shape;
};

std::vector<UseLiteModel::MatrixRef> UseLiteModel::matrixRefs()
{
    std::vector<MatrixRef> refs;
    // TF kernels are stored [in, out] (y = x·W); the embedding table is [vocab, width] like HF's.
    const auto kernel = [&](std::string name, std::span<const float>& data, std::int64_t in) {
        const auto out = static_cast<std::int64_t>(data.size()) / in;
        refs.push_back({ std::move(name), &data, MatrixShape { out, in, true } });
    };
    refs.push_back({ "embeddings.weight", &m_embeddings,
        MatrixShape { m_embeddingRows, static_cast<std::int64_t>(m_layers[0].inWidth), false } });
    for (int l = 0; l < 2; ++l) {
        Layer& layer = m_layers[l];
        const std::string p = "layer." + std::to_string(l) + ".";
        kernel(p + "attention.qkv.weight", layer.qkvKernel, layer.inWidth);
        kernel(p + "attention.output.weight", layer.outputKernel, layer.inWidth);
        if (!layer.residualKernel.empty()) {
            kernel(p + "residual.weight", layer.residualKernel, layer.inWidth);
        }
        kernel(p + "ffn.fc1.weight", layer.ffnKernel1, layer.width);
        kernel(p + "ffn.fc2.weight", layer.ffnKernel2, layer.ffnWidth);
    }
    kernel("tanh.weight", m_tanhKernel, m_outputWidth);
    return refs;
}

std::vector<std::string> UseLiteModel::matrixNames() const
{
    UseLiteModel copy = *this; // matrixRefs hands out pointers to members, so it is not const
    std::vector<std::string> names;
    for (const auto& ref : copy.matrixRefs()) {
        names.push_back(ref.name);
    }
    return names;
}

namespace {

    const char* stepTypeName(StepType type)
    {
        switch (type) {
        case StepType::Prune:
            return "prune";
        case StepType::Quantize:
            return "quantize";
        case StepType::PruneHeads:
            return "prune_heads";
        case StepType::PruneLayers:
            return "prune_layers";
        case StepType::PruneTokens:
            return "prune_tokens";
        case StepType::QuantizeActivations:
            return "quantize_activations";
        case StepType::LlmInt8:
            return "llm_int8";
        }
        return "?";
    }

    std::string divides(const std::string& where, const char* field, std::int64_t size, const char* dimension,
        std::int64_t extent, const std::string& tensor)
    {
        return where + field + ": " + std::to_string(size) + " does not divide the " + dimension + " dimension "
            + std::to_string(extent) + " of '" + tensor + "'";
    }

    // Nothing is changed when any selected matrix does not fit the step's pattern.
    Result<void> checkShape(
        const RecipeStep& step, const MatrixShape& shape, const std::string& name, const std::string& where)
    {
        const auto in = shape.inFeatures, out = shape.outFeatures;
        if (step.type == StepType::Prune) {
            if (step.pattern == PrunePattern::NM && in % step.m != 0) {
                return fail(ErrorCode::Config, divides(where, "m", step.m, "input", in, name));
            }
            if (step.pattern == PrunePattern::BankBalanced && in % step.bankSize != 0) {
                return fail(ErrorCode::Config, divides(where, "bank_size", step.bankSize, "input", in, name));
            }
            if (step.pattern == PrunePattern::Block && out % step.blockOut != 0) {
                return fail(ErrorCode::Config, divides(where, "block[0]", step.blockOut, "output", out, name));
            }
            if (step.pattern == PrunePattern::Block && in % step.blockIn != 0) {
                return fail(ErrorCode::Config, divides(where, "block[1]", step.blockIn, "input", in, name));
            }
        }
        if (step.type == StepType::Quantize && step.quant.inputBlockSize() > 0
            && in % step.quant.inputBlockSize() != 0) {
            return fail(ErrorCode::Config,
                divides(where, step.quant.format == NumberFormat::Bfp ? "block_size" : "group_size",
                    step.quant.inputBlockSize(), "input", in, name));
        }
        return {};
    }

    Mask magnitudePruneMask(const RecipeStep& step, std::span<const float> values, const MatrixShape& shape)
    {
        switch (step.pattern) {
        case PrunePattern::Unstructured:
            return magnitudeMask(values, step.ratio);
        case PrunePattern::NM:
            return nmMask(values, shape, step.n, step.m);
        case PrunePattern::Block:
            return blockMask(values, shape, step.blockOut, step.blockIn, step.ratio);
        case PrunePattern::OutputChannels:
            return channelMask(values, shape, ChannelAxis::Output, step.ratio);
        case PrunePattern::InputChannels:
            return channelMask(values, shape, ChannelAxis::Input, step.ratio);
        case PrunePattern::BankBalanced:
            return bankBalancedMask(values, shape, step.bankSize, step.ratio);
        }
        return Mask(values.size(), 1);
    }

} // namespace

Result<UseLiteModel> UseLiteModel::compressed(const Recipe& recipe) const
{
    UseLiteModel model = *this;
    auto refs = model.matrixRefs();
    for (std::size_t s = 0; s < recipe.steps.size(); ++s) {
        const RecipeStep& step = recipe.steps[s];
        const std::string where = recipe.fileName + ": steps[" + std::to_string(s) + "].";
        if (step.type != StepType::Prune && step.type != StepType::Quantize) {
            return fail(ErrorCode::Config,
                where + "type: '" + stepTypeName(step.type)
                    + "' is not supported for USE Lite (only prune and quantize steps on weight matrices)");
        }
        if (step.type == StepType::Prune
            && (step.saliency != Saliency::Magnitude || step.scope != PruneScope::PerTensor)) {
            return fail(ErrorCode::Config,
                where
                    + "saliency: USE Lite supports per-tensor magnitude pruning only (no calibration data, no global "
                      "scope)");
        }
        if (step.type == StepType::Quantize && step.quant.granularity == QuantGranularity::PerHead
            && step.quant.format != NumberFormat::Bfp) {
            return fail(ErrorCode::Config, where + "granularity: 'per_head' is not supported for USE Lite");
        }
        const auto hit = [](const std::vector<std::string>& patterns, const std::string& name) {
            return std::any_of(patterns.begin(), patterns.end(), [&](const auto& p) { return globMatch(p, name); });
        };
        for (std::size_t i = 0; i < step.targets.size(); ++i) {
            if (std::none_of(
                    refs.begin(), refs.end(), [&](const MatrixRef& r) { return globMatch(step.targets[i], r.name); })) {
                return fail(ErrorCode::Config,
                    where + "targets[" + std::to_string(i) + "]: '" + step.targets[i]
                        + "' matches no USE Lite weight matrix (see optiscope-cli probe --help for the names)");
            }
        }
        std::vector<MatrixRef*> selected;
        for (auto& ref : refs) {
            if (hit(step.targets, ref.name) && !hit(step.exclude, ref.name)) {
                selected.push_back(&ref);
            }
        }
        if (selected.empty()) {
            return fail(ErrorCode::Config, where + "exclude: removes every matrix the targets select");
        }
        for (const MatrixRef* ref : selected) {
            if (auto ok = checkShape(step, ref->shape, ref->name, where); !ok) {
                return std::unexpected(ok.error());
            }
        }
        for (MatrixRef* ref : selected) {
            const std::span<const float> values = *ref->data;
            std::vector<float> out;
            if (step.type == StepType::Quantize) {
                QuantSpec spec = step.quant;
                spec.seed = tensorSeed(spec.seed, ref->name);
                out = quantizeDequantize(values, ref->shape, spec).values;
                // Earlier pruning stays: every grid here holds 0 exactly, but keep zeros explicit.
                for (std::size_t i = 0; i < out.size(); ++i) {
                    out[i] = values[i] == 0.0f ? 0.0f : out[i];
                }
            } else {
                const Mask mask = magnitudePruneMask(step, values, ref->shape);
                out.assign(values.begin(), values.end());
                for (std::size_t i = 0; i < out.size(); ++i) {
                    out[i] = mask[i] ? out[i] : 0.0f;
                }
            }
            auto owned = std::make_shared<const std::vector<float>>(std::move(out));
            *ref->data = std::span<const float>(*owned);
            model.m_compressedMatrices.push_back(std::move(owned));
        }
    }
    return model;
}

} // namespace optiscope::core
