// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/sensitivity.h"

#include "model_names.h"
#include "optiscope/core/check.h"
#include "optiscope/core/compression/compressed_model.h"

#include <tbb/parallel_for.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>

namespace optiscope::core {

namespace {

    constexpr const char* kErrorSource = "sensitivity";

    // Weight error over every quantized element of the layer (not a mean of per-tensor ratios).
    void addWeightError(const CompressedModel& model, LayerSensitivity& entry)
    {
        double squaredError = 0, power = 0;
        std::int64_t count = 0;
        for (const auto& [name, tensor] : model.compressedTensors()) {
            entry.tensors.push_back(name);
            const Weight* base = model.base()->weight(name);
            OPTISCOPE_CHECK(base != nullptr && base->elementCount() == tensor->matrix.elementCount());
            for (std::int64_t i = 0; i < base->elementCount(); ++i) {
                const double reference = base->data[i];
                const double diff = static_cast<double>(tensor->values[i]) - reference;
                squaredError += diff * diff;
                power += reference * reference;
            }
            count += base->elementCount();
        }
        constexpr double kInf = std::numeric_limits<double>::infinity();
        entry.weightMse = count ? squaredError / static_cast<double>(count) : 0.0;
        entry.weightSqnrDb = squaredError == 0 ? kInf : power == 0 ? -kInf : 10.0 * std::log10(power / squaredError);
    }

    Result<LayerSensitivity> evaluateLayer(const std::shared_ptr<const CompressedModel>& identity, int layer,
        const QuantSpec& spec, const std::vector<std::int32_t>& tokens, const CancelToken* cancel,
        CompressionMetrics& metricsOut)
    {
        if (cancel && cancel->isCancelled()) {
            return fail(ErrorCode::Cancelled, std::string(kErrorSource) + ": cancelled");
        }
        const RecipeStep step = layerQuantizeStep(identity->config(), layer, spec);
        auto model = applyStep(identity, step, kErrorSource, 0);
        if (!model) {
            return std::unexpected(model.error());
        }
        auto metrics = evaluateCompression(**model, tokens, cancel);
        if (!metrics) {
            return std::unexpected(metrics.error());
        }
        LayerSensitivity entry;
        entry.layer = layer;
        entry.perplexity = metrics->compressedPerplexity;
        entry.klMean = metrics->klMean;
        entry.top1Agreement = metrics->top1Agreement;
        addWeightError(**model, entry);
        metricsOut = *metrics;
        return entry;
    }

} // namespace

RecipeStep layerQuantizeStep(const ModelConfig& config, int layer, const QuantSpec& spec)
{
    RecipeStep step;
    step.type = StepType::Quantize;
    step.targets = { detail::layerPrefix(config, layer) + "*" };
    step.quant = spec;
    return step;
}

Result<SensitivityScan> scanLayerSensitivity(const std::shared_ptr<const Model>& base, const QuantSpec& spec,
    const std::vector<std::int32_t>& tokens, const CancelToken* cancel, const ProgressCallback& progress)
{
    OPTISCOPE_CHECK(base != nullptr);
    const int layers = base->config().layers;
    if (layers < 1) {
        return fail(ErrorCode::Input, std::string(kErrorSource) + ": model: has no transformer layers");
    }
    const auto identity = std::make_shared<const CompressedModel>(base);
    std::vector<Result<LayerSensitivity>> results(static_cast<std::size_t>(layers));
    std::vector<CompressionMetrics> metrics(static_cast<std::size_t>(layers));
    std::atomic<int> done { 0 };
    std::mutex progressMutex;
    // One layer per task: each is a full evaluation, far coarser than TBB's overhead.
    tbb::parallel_for(0, layers, [&](int layer) {
        results[layer] = evaluateLayer(identity, layer, spec, tokens, cancel, metrics[layer]);
        const int finished = ++done;
        if (progress) {
            std::lock_guard lock(progressMutex);
            progress(static_cast<double>(finished) / layers);
        }
    });
    if (cancel && cancel->isCancelled()) {
        return fail(ErrorCode::Cancelled, std::string(kErrorSource) + ": cancelled");
    }
    SensitivityScan scan;
    scan.spec = spec;
    for (int layer = 0; layer < layers; ++layer) {
        if (!results[layer]) {
            return std::unexpected(results[layer].error());
        }
        scan.layers.push_back(std::move(*results[layer]));
    }
    scan.basePerplexity = metrics.front().basePerplexity;
    scan.tokensPredicted = metrics.front().tokensPredicted;
    return scan;
}

} // namespace optiscope::core
