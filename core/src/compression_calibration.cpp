// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/calibration.h"

#include "inference_ops.h"
#include "model_names.h"

#include <algorithm>
#include <cmath>

namespace optiscope::core {

namespace {

    using detail::RowMatrix;

    void accumulate(const RowMatrix& x, std::vector<double>& norms)
    {
        norms.resize(x.cols(), 0.0);
        for (Eigen::Index t = 0; t < x.rows(); ++t) {
            for (Eigen::Index j = 0; j < x.cols(); ++j) {
                norms[j] += static_cast<double>(x(t, j)) * x(t, j);
            }
        }
    }

    std::string stored(const Model& model, const std::string& canonical)
    {
        const std::string prefixed = detail::hfPrefix(model.config().architecture) + canonical;
        for (const auto& info : model.tensorInfos()) {
            if (info.name == prefixed) {
                return prefixed;
            }
        }
        return canonical;
    }

    Result<void> window(
        const Model& model, std::vector<std::int32_t> ids, ActivationNorms& out, const CancelToken* cancel)
    {
        using detail::requireWeight;
        const ModelConfig& c = model.config();
        auto input = idsInput(model, std::move(ids));
        if (!input) {
            return std::unexpected(input.error());
        }
        CaptureOptions capture;
        capture.hiddenStates = true;
        auto result = run(model, *input, capture, cancel);
        if (!result) {
            return std::unexpected(result.error());
        }
        const int n = result->tokens, d = c.hidden;
        out.tokens += n;
        RowMatrix h(n, d), x(n, d), qkv(n, 3 * d), context(n, d), projected(n, d), inner(n, c.intermediate);
        std::vector<float> probs(static_cast<std::size_t>(c.heads) * n * n);
        detail::OpRecorder recorder(nullptr);
        for (int layer = 0; layer < c.layers; ++layer) {
            h = Eigen::Map<const RowMatrix>(
                result->hiddenStates.data() + static_cast<std::size_t>(layer) * n * d, n, d);
            const std::string p = detail::layerPrefix(c, layer);
            const auto w = [&](const std::string& name) -> const Weight& { return requireWeight(model, p + name); };
            detail::layerNorm(h, w("ln_1.weight"), w("ln_1.bias"), c.layerNormEps, x);
            accumulate(x, out.squaredNorms[stored(model, p + "attn.c_attn.weight")]);
            detail::linear(
                x, w("attn.c_attn.weight"), &w("attn.c_attn.bias"), detail::WeightLayout::InOut, qkv, recorder, {});
            detail::multiHeadAttention(qkv.leftCols(d), qkv.middleCols(d, d), qkv.middleCols(2 * d, d), c.heads,
                detail::AttentionMask { true, 0, nullptr }, probs.data(), context, recorder, layer);
            accumulate(context, out.squaredNorms[stored(model, p + "attn.c_proj.weight")]);
            detail::linear(context, w("attn.c_proj.weight"), &w("attn.c_proj.bias"), detail::WeightLayout::InOut,
                projected, recorder, {});
            h += projected;
            detail::layerNorm(h, w("ln_2.weight"), w("ln_2.bias"), c.layerNormEps, x);
            accumulate(x, out.squaredNorms[stored(model, p + "mlp.c_fc.weight")]);
            detail::linear(
                x, w("mlp.c_fc.weight"), &w("mlp.c_fc.bias"), detail::WeightLayout::InOut, inner, recorder, {});
            detail::applyActivation(c.activation, inner);
            accumulate(inner, out.squaredNorms[stored(model, p + "mlp.c_proj.weight")]);
            detail::linear(inner, w("mlp.c_proj.weight"), &w("mlp.c_proj.bias"), detail::WeightLayout::InOut, projected,
                recorder, {});
            h += projected;
            if (layer + 1 < c.layers) { // the last captured entry is after ln_f
                const Eigen::Map<const RowMatrix> next(
                    result->hiddenStates.data() + static_cast<std::size_t>(layer + 1) * n * d, n, d);
                // A plain loop: Eigen's vectorised maxCoeff trips GCC 12's -Wmaybe-uninitialized.
                for (Eigen::Index i = 0; i < h.size(); ++i) {
                    out.maxRecomputeDiff
                        = std::max(out.maxRecomputeDiff, std::fabs(double(h.data()[i]) - double(next.data()[i])));
                }
            }
        }
        return {};
    }

} // namespace

Result<ActivationNorms> collectActivationNorms(
    const Model& model, const CalibrationData& data, const CancelToken* cancel)
{
    const ModelConfig& c = model.config();
    if (c.architecture != Architecture::Gpt2) {
        return fail(ErrorCode::Input,
            std::string("collectActivationNorms: model: calibration supports GPT-2 only, got ")
                + architectureName(c.architecture));
    }
    ActivationNorms norms;
    const auto windowSize = static_cast<std::size_t>(c.maxPositions);
    for (const auto& sequence : data.sequences) {
        for (std::size_t begin = 0; begin < sequence.size(); begin += windowSize) {
            const std::size_t end = std::min(sequence.size(), begin + windowSize);
            if (auto done = window(model, { sequence.begin() + begin, sequence.begin() + end }, norms, cancel); !done) {
                return std::unexpected(done.error());
            }
        }
    }
    if (norms.tokens == 0) {
        return fail(ErrorCode::Input, "collectActivationNorms: calibration: no tokens");
    }
    return norms;
}

} // namespace optiscope::core
