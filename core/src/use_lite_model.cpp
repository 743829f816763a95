// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/use_lite_model.h"

#include "inference_ops.h"

#include "optiscope/core/check.h"

#include <cmath>
#include <string>

namespace optiscope::core {
namespace {

    using detail::ConstMatrixMap;
    using detail::RowMatrix;

    const std::string kApply = "module_apply_default/Encoder_en/KonaTransformer/";
    const std::string kVars = "module/Encoder_en/KonaTransformer/Encode/";

    std::string variable(int layer, const std::string& suffix)
    {
        return kApply + "Encode/Layer_" + std::to_string(layer) + "/TransformerLayer/" + suffix;
    }

    std::string stackConstant(int layer, const std::string& suffix)
    {
        return kApply + "Encode/TransformerStack/Layer_" + std::to_string(layer) + "/TransformerLayer/" + suffix;
    }

    // out = x · W + b with W stored [in, out] (TF's MatMul / 1×1 Conv2D layout).
    void dense(const RowMatrix& x, std::span<const float> kernel, std::span<const float> bias, RowMatrix& out)
    {
        const auto in = x.cols();
        const auto width = static_cast<Eigen::Index>(bias.size());
        out.resize(x.rows(), width);
        detail::gemm(x, ConstMatrixMap(kernel.data(), in, width), false, out);
        out.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias.data(), width);
    }

    void normalize(
        const RowMatrix& x, std::span<const float> scale, std::span<const float> bias, double eps, RowMatrix& out)
    {
        const auto width = static_cast<std::int64_t>(scale.size());
        const Weight gamma { { width }, scale.data() };
        const Weight beta { { width }, bias.data() };
        out.resize(x.rows(), x.cols());
        detail::layerNorm(x, gamma, beta, eps, out);
    }

} // namespace

Result<UseLiteModel> UseLiteModel::load(const std::filesystem::path& distFolder)
{
    auto weights = TfjsWeights::load(distFolder / "model.json");
    if (!weights) {
        return std::unexpected(weights.error());
    }
    auto tokenizer = SentencePieceUnigram::fromVocabJson(distFolder / "vocab.json");
    if (!tokenizer) {
        return std::unexpected(tokenizer.error());
    }
    UseLiteModel model;
    model.m_weights = std::make_shared<const TfjsWeights>(std::move(*weights));
    model.m_tokenizer = std::move(*tokenizer);
    const TfjsWeights& w = *model.m_weights;
    const std::string file = "model.json";

    // Widths come from the tensors themselves; the constants (heads, scale, eps, max length)
    // from the int32/float32 constants the converter stored beside the weights.
    const TfjsTensor* embeddings = w.find("module/Embeddings_en");
    if (!embeddings || embeddings->shape.size() != 2 || embeddings->dtype != TfjsDType::Float32) {
        return fail(
            ErrorCode::Format, file + ": weightsManifest: 'module/Embeddings_en' missing or not a float32 matrix");
    }
    if (embeddings->shape[0] < static_cast<std::int64_t>(model.m_tokenizer.size())) {
        return fail(ErrorCode::Shape,
            file + ": weightsManifest: 'module/Embeddings_en' has " + std::to_string(embeddings->shape[0])
                + " rows, fewer than the " + std::to_string(model.m_tokenizer.size()) + " pieces of vocab.json");
    }
    const std::int64_t width0 = embeddings->shape[1];
    model.m_embeddings = w.floats(*embeddings);
    model.m_embeddingRows = embeddings->shape[0];

    Result<void> status;
    auto take = [&](std::span<const float>& out, const std::string& name, std::vector<std::int64_t> shape) {
        if (!status) {
            return;
        }
        auto values = w.requireFloats(name, shape);
        if (!values) {
            status = std::unexpected(values.error());
            return;
        }
        out = *values;
    };

    const auto outputKernel0
        = w.find(kVars + "Layer_0/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0");
    if (!outputKernel0 || outputKernel0->shape.size() != 4) {
        return fail(
            ErrorCode::Format, file + ": weightsManifest: layer 0 output_transform_single kernel missing or not 4-d");
    }
    const std::int64_t width1 = outputKernel0->shape[3];
    const std::int64_t widths[2][2] = { { width0, width1 }, { width1, width1 } };

    auto headDim0
        = w.requireInts(stackConstant(0, "MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3"), 1);
    auto heads1
        = w.requireInts(stackConstant(1, "MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2"), 1);
    auto maxLength = w.requireInts(kApply + "ClipToMaxLength/Less/y", 1);
    auto eps = w.requireFloatScalar(stackConstant(1, "FFN/layer_prepostprocess/layer_norm/Cast/x"));
    auto l2Floor = w.requireFloatScalar("module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y");
    for (const auto* error : { headDim0 ? nullptr : &headDim0.error(), heads1 ? nullptr : &heads1.error(),
             maxLength ? nullptr : &maxLength.error(), eps ? nullptr : &eps.error(),
             l2Floor ? nullptr : &l2Floor.error() }) {
        if (error) {
            return std::unexpected(*error);
        }
    }
    if ((*headDim0)[0] <= 0 || width0 % (*headDim0)[0] != 0 || (*heads1)[0] <= 0 || width1 % (*heads1)[0] != 0
        || (*maxLength)[0] <= 0) {
        return fail(
            ErrorCode::Format, file + ": weightsManifest: head sizes or ClipToMaxLength do not divide the widths");
    }
    model.m_maxTokens = (*maxLength)[0];
    model.m_layerNormEps = *eps;
    model.m_l2Floor = *l2Floor;
    const int heads[2] = { static_cast<int>(width0 / (*headDim0)[0]), (*heads1)[0] };

    for (int l = 0; l < 2; ++l) {
        Layer& layer = model.m_layers[l];
        const std::int64_t in = widths[l][0], width = widths[l][1];
        layer.inWidth = static_cast<int>(in);
        layer.width = static_cast<int>(width);
        layer.heads = heads[l];
        // Our attention scales by 1/sqrt(head size); the graph's own factor must agree.
        auto scale = w.requireFloatScalar(stackConstant(l, "MultiheadAttention/mul/y"));
        if (!scale) {
            return std::unexpected(scale.error());
        }
        const double expected = 1.0 / std::sqrt(static_cast<double>(in / heads[l]));
        if (std::abs(*scale - expected) > 1e-6 * expected) {
            return fail(ErrorCode::Format,
                file + ": weightsManifest: layer " + std::to_string(l) + " query scale " + std::to_string(*scale)
                    + " is not 1/sqrt(head size)");
        }
        const std::string mha = "MultiheadAttention/";
        const std::string varMha = kVars + "Layer_" + std::to_string(l) + "/TransformerLayer/" + mha;
        take(layer.attentionNormScale,
            variable(l, "layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"), { in });
        take(layer.attentionNormBias,
            variable(l, "layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"), { in });
        take(layer.qkvKernel, varMha + "qkv_transform_single/kernel/part_0", { 1, 1, in, 3 * in });
        take(layer.qkvBias, variable(l, mha + "qkv_transform_single/bias/ConcatPartitions/concat"), { 3 * in });
        take(layer.outputKernel, varMha + "output_transform_single/kernel/part_0", { 1, 1, in, width });
        take(layer.outputBias, variable(l, mha + "output_transform_single/bias/ConcatPartitions/concat"), { width });
        if (in != width) {
            take(layer.residualKernel, variable(l, "dense/kernel/ConcatPartitions/concat"), { in, width });
            take(layer.residualBias, variable(l, "dense/bias/ConcatPartitions/concat"), { width });
        }
        take(layer.ffnNormScale,
            variable(l, "FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat"), { width });
        take(layer.ffnNormBias,
            variable(l, "FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat"), { width });
        const TfjsTensor* ffn1 = w.find(stackConstant(l, "FFN/conv1/Tensordot/Reshape_1"));
        if (!ffn1 || ffn1->shape.size() != 2) {
            return fail(ErrorCode::Format,
                file + ": weightsManifest: layer " + std::to_string(l) + " FFN conv1 kernel missing or not 2-d");
        }
        const std::int64_t ffnWidth = ffn1->shape[1];
        layer.ffnWidth = static_cast<int>(ffnWidth);
        take(layer.ffnKernel1, stackConstant(l, "FFN/conv1/Tensordot/Reshape_1"), { width, ffnWidth });
        take(layer.ffnBias1, variable(l, "FFN/conv1/bias/ConcatPartitions/concat"), { ffnWidth });
        take(layer.ffnKernel2, stackConstant(l, "FFN/conv2/Tensordot/Reshape_1"), { ffnWidth, width });
        take(layer.ffnBias2, variable(l, "FFN/conv2/bias/ConcatPartitions/concat"), { width });
    }
    take(model.m_inverseTimescales,
        kApply + "Encode/TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", { 1, width0 / 2 });
    take(model.m_tanhKernel, "module/Encoder_en/hidden_layers/tanh_layer_0/weights", { width1, width1 });
    take(model.m_tanhBias, "module/Encoder_en/hidden_layers/tanh_layer_0/bias", { width1 });
    if (!status) {
        return std::unexpected(status.error());
    }
    if (width0 % 2 != 0) {
        return fail(ErrorCode::Format, file + ": weightsManifest: embedding width must be even for the timing signal");
    }
    model.m_outputWidth = static_cast<int>(width1);
    return model;
}

Result<UseLiteResult> UseLiteModel::embed(std::string_view text, bool captureAttention) const
{
    const std::vector<std::int32_t> ids = m_tokenizer.encode(text);
    return embedIds(ids, captureAttention);
}

Result<UseLiteResult> UseLiteModel::embedIds(std::span<const std::int32_t> ids, bool captureAttention) const
{
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] < 0 || ids[i] >= m_embeddingRows) {
            return fail(ErrorCode::Input,
                "input: token " + std::to_string(i) + ": id " + std::to_string(ids[i]) + " outside [0, "
                    + std::to_string(m_embeddingRows) + ")");
        }
    }
    UseLiteResult result;
    result.tokenIds.assign(ids.begin(), ids.end());
    const int tokens = static_cast<int>(std::min<std::size_t>(ids.size(), static_cast<std::size_t>(m_maxTokens)));
    result.usedTokens = tokens;
    const Eigen::Index width0 = m_layers[0].inWidth;
    const Eigen::Index half = width0 / 2;

    // x = E + (E + timing): the graph scatters the embeddings once into the dense sequence and
    // once more after adding the timing signal, then sums the two. Float order kept as in TF.
    RowMatrix x(tokens, width0);
    for (int t = 0; t < tokens; ++t) {
        const float* e = m_embeddings.data() + static_cast<std::size_t>(ids[static_cast<std::size_t>(t)]) * width0;
        for (Eigen::Index k = 0; k < half; ++k) {
            const float angle = static_cast<float>(t) * m_inverseTimescales[static_cast<std::size_t>(k)];
            const float withSin = e[k] + static_cast<float>(std::sin(static_cast<double>(angle)));
            const float withCos = e[k + half] + static_cast<float>(std::cos(static_cast<double>(angle)));
            x(t, k) = e[k] + withSin;
            x(t, k + half) = e[k + half] + withCos;
        }
    }

    detail::OpRecorder recorder(nullptr);
    RowMatrix normed, qkv, context, attention, residual, hidden, ffn;
    for (int l = 0; l < 2; ++l) {
        const Layer& layer = m_layers[l];
        const Eigen::Index in = layer.inWidth;
        normalize(x, layer.attentionNormScale, layer.attentionNormBias, m_layerNormEps, normed);
        dense(normed, layer.qkvKernel, layer.qkvBias, qkv);
        // Aligned so results do not depend on where the heap puts the buffer: Eigen's reductions
        // (the softmax sum) peel to alignment, which changes the float summation order.
        std::vector<float, Eigen::aligned_allocator<float>> probs(
            static_cast<std::size_t>(layer.heads) * tokens * tokens);
        context.resize(tokens, in);
        detail::multiHeadAttention(qkv.leftCols(in), qkv.middleCols(in, in), qkv.rightCols(in), layer.heads, {},
            probs.data(), context, recorder, l);
        dense(context, layer.outputKernel, layer.outputBias, attention);
        if (layer.residualKernel.empty()) {
            hidden = attention + x;
        } else {
            dense(x, layer.residualKernel, layer.residualBias, residual);
            hidden = attention + residual;
        }
        normalize(hidden, layer.ffnNormScale, layer.ffnNormBias, m_layerNormEps, normed);
        dense(normed, layer.ffnKernel1, layer.ffnBias1, ffn);
        ffn = ffn.cwiseMax(0.0f);
        dense(ffn, layer.ffnKernel2, layer.ffnBias2, attention);
        x = attention + hidden;
        if (captureAttention) {
            result.attentions.push_back({ layer.heads, tokens, std::vector<float>(probs.begin(), probs.end()) });
        }
    }

    // Mean over tokens (the graph divides the masked sum by max(length, 1)), tanh layer, L2.
    RowMatrix pooled = RowMatrix::Zero(1, x.cols());
    for (int t = 0; t < tokens; ++t) {
        pooled += x.row(t);
    }
    pooled /= static_cast<float>(std::max(tokens, 1));
    RowMatrix projected;
    dense(pooled, m_tanhKernel, m_tanhBias, projected);
    projected = projected.array().tanh().matrix();
    const float squares = projected.squaredNorm();
    projected *= 1.0f / std::sqrt(std::max(squares, m_l2Floor));
    result.embedding.assign(projected.data(), projected.data() + projected.size());
    OPTISCOPE_CHECK(static_cast<int>(result.embedding.size()) == m_outputWidth);
    return result;
}

} // namespace optiscope::core
