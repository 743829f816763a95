// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// GCC 12 reports -Wmaybe-uninitialized inside Eigen's AVX-512 double GEMM packing
// (_mm512_undefined_pd, a false positive); the pragma must precede the includes to cover them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "optiscope/core/compression/calibration.h"

#include "inference_ops.h"
#include "model_names.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace optiscope::core {

namespace {

    using detail::RowMatrix;

    // Called with each linear layer's input activations [tokens × inFeatures] of one window.
    using InputVisitor = std::function<void(const std::string& storedWeight, const RowMatrix& x)>;

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

    Result<void> window(const Model& model, std::vector<std::int32_t> ids, const InputVisitor& visit,
        double& maxRecomputeDiff, const CancelToken* cancel)
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
        RowMatrix h(n, d), x(n, d), qkv(n, 3 * d), context(n, d), projected(n, d), inner(n, c.intermediate);
        std::vector<float> probs(static_cast<std::size_t>(c.heads) * n * n);
        detail::OpRecorder recorder(nullptr);
        for (int layer = 0; layer < c.layers; ++layer) {
            h = Eigen::Map<const RowMatrix>(
                result->hiddenStates.data() + static_cast<std::size_t>(layer) * n * d, n, d);
            const std::string p = detail::layerPrefix(c, layer);
            const auto w = [&](const std::string& name) -> const Weight& { return requireWeight(model, p + name); };
            detail::layerNorm(h, w("ln_1.weight"), w("ln_1.bias"), c.layerNormEps, x);
            visit(stored(model, p + "attn.c_attn.weight"), x);
            detail::linear(
                x, w("attn.c_attn.weight"), &w("attn.c_attn.bias"), detail::WeightLayout::InOut, qkv, recorder, {});
            detail::multiHeadAttention(qkv.leftCols(d), qkv.middleCols(d, d), qkv.middleCols(2 * d, d), c.heads,
                detail::AttentionMask { true, 0, nullptr }, probs.data(), context, recorder, layer);
            visit(stored(model, p + "attn.c_proj.weight"), context);
            detail::linear(context, w("attn.c_proj.weight"), &w("attn.c_proj.bias"), detail::WeightLayout::InOut,
                projected, recorder, {});
            h += projected;
            detail::layerNorm(h, w("ln_2.weight"), w("ln_2.bias"), c.layerNormEps, x);
            visit(stored(model, p + "mlp.c_fc.weight"), x);
            detail::linear(
                x, w("mlp.c_fc.weight"), &w("mlp.c_fc.bias"), detail::WeightLayout::InOut, inner, recorder, {});
            detail::applyActivation(c.activation, inner);
            visit(stored(model, p + "mlp.c_proj.weight"), inner);
            detail::linear(inner, w("mlp.c_proj.weight"), &w("mlp.c_proj.bias"), detail::WeightLayout::InOut, projected,
                recorder, {});
            h += projected;
            // The last captured entry is after ln_f; a removed block's output is its input, while its
            // linear inputs are still recomputed (its weights are all masked, so they do not matter).
            if (layer + 1 < c.layers && !model.layerSkipped(layer)) {
                const Eigen::Map<const RowMatrix> next(
                    result->hiddenStates.data() + static_cast<std::size_t>(layer + 1) * n * d, n, d);
                // A plain loop: Eigen's vectorised maxCoeff trips GCC 12's -Wmaybe-uninitialized.
                for (Eigen::Index i = 0; i < h.size(); ++i) {
                    maxRecomputeDiff
                        = std::max(maxRecomputeDiff, std::fabs(double(h.data()[i]) - double(next.data()[i])));
                }
            }
        }
        return {};
    }

    // Runs every window of every sequence (windows of maxPositions tokens) through visit.
    Result<std::int64_t> forEachWindow(const Model& model, const CalibrationData& data, const char* caller,
        const InputVisitor& visit, double& maxRecomputeDiff, const CancelToken* cancel)
    {
        const ModelConfig& c = model.config();
        if (c.architecture != Architecture::Gpt2) {
            return fail(ErrorCode::Input,
                std::string(caller) + ": model: calibration supports GPT-2 only, got "
                    + architectureName(c.architecture));
        }
        std::int64_t tokens = 0;
        const auto windowSize = static_cast<std::size_t>(c.maxPositions);
        for (const auto& sequence : data.sequences) {
            for (std::size_t begin = 0; begin < sequence.size(); begin += windowSize) {
                const std::size_t end = std::min(sequence.size(), begin + windowSize);
                if (auto done = window(
                        model, { sequence.begin() + begin, sequence.begin() + end }, visit, maxRecomputeDiff, cancel);
                    !done) {
                    return std::unexpected(done.error());
                }
                tokens += static_cast<std::int64_t>(end - begin);
            }
        }
        if (tokens == 0) {
            return fail(ErrorCode::Input, std::string(caller) + ": calibration: no tokens");
        }
        return tokens;
    }

} // namespace

Result<ActivationNorms> collectActivationNorms(
    const Model& model, const CalibrationData& data, const CancelToken* cancel)
{
    ActivationNorms norms;
    auto tokens = forEachWindow(
        model, data, "collectActivationNorms",
        [&](const std::string& name, const RowMatrix& x) { accumulate(x, norms.squaredNorms[name]); },
        norms.maxRecomputeDiff, cancel);
    if (!tokens) {
        return std::unexpected(tokens.error());
    }
    norms.tokens = *tokens;
    return norms;
}

Result<std::map<std::string, std::vector<float>>> collectLinearInputs(
    const Model& model, const CalibrationData& data, const std::vector<std::string>& only, const CancelToken* cancel)
{
    std::map<std::string, std::vector<float>> inputs;
    double maxRecomputeDiff = 0;
    auto tokens = forEachWindow(
        model, data, "collectLinearInputs",
        [&](const std::string& name, const RowMatrix& x) {
            if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) {
                return;
            }
            auto& values = inputs[name];
            values.insert(values.end(), x.data(), x.data() + x.size());
        },
        maxRecomputeDiff, cancel);
    if (!tokens) {
        return std::unexpected(tokens.error());
    }
    return inputs;
}

Result<LayerHessians> collectLayerHessians(
    const Model& model, const CalibrationData& data, const std::vector<std::string>& only, const CancelToken* cancel)
{
    LayerHessians out;
    std::map<std::string, Eigen::MatrixXd> sums;
    auto tokens = forEachWindow(
        model, data, "collectLayerHessians",
        [&](const std::string& name, const RowMatrix& x) {
            if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) {
                return;
            }
            auto& sum = sums[name];
            if (sum.size() == 0) {
                sum = Eigen::MatrixXd::Zero(x.cols(), x.cols());
            }
            const Eigen::MatrixXd xd = x.cast<double>();
            sum.selfadjointView<Eigen::Lower>().rankUpdate(xd.transpose());
        },
        out.maxRecomputeDiff, cancel);
    if (!tokens) {
        return std::unexpected(tokens.error());
    }
    out.tokens = *tokens;
    for (auto& [name, sum] : sums) {
        // H = 2/N · XᵀX, the reference implementation's scaling (the mean over tokens keeps the
        // numbers independent of the calibration length; masks and updates do not depend on it).
        const Eigen::MatrixXd full = sum.selfadjointView<Eigen::Lower>();
        auto& h = out.hessians[name];
        h.resize(static_cast<std::size_t>(full.size()));
        Eigen::Map<Eigen::MatrixXd>(h.data(), full.rows(), full.cols()) = full * (2.0 / double(out.tokens));
    }
    return out;
}

} // namespace optiscope::core
