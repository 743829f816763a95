// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// quantize_activations and llm_int8 steps: they attach an ActivationQuantization to each selected
// linear weight (llm_int8 also quantizes the weight int8 per output channel).
#include "optiscope/core/check.h"
#include "optiscope/core/compression/number_format.h"
#include "prune_steps.h"
#include "quant_detail.h"

#include <tbb/parallel_for.h>

#include <algorithm>

namespace optiscope::core::detail {

namespace {

    using Activations = std::vector<std::pair<std::string, std::shared_ptr<const ActivationQuantization>>>;

    Result<Activations> quantizeInputs(const CompressedModel& current, const std::vector<std::string>& names,
        const RecipeStep& step, const std::string& where, const CalibrationData* calibration)
    {
        Activations activations;
        const ActivationQuantSpec& a = step.activation;
        std::map<std::string, std::vector<float>> inputs;
        if (a.scaling == ActivationScaling::Static) {
            if (!calibration || calibration->sequences.empty()) {
                return fail(ErrorCode::Config, where + "scaling: 'static' needs calibration data, none given");
            }
            auto collected = collectLinearInputs(current, *calibration, names);
            if (!collected) {
                return fail(collected.error().code, where + "scaling: " + collected.error().message);
            }
            for (const auto& name : names) {
                if (!collected->contains(name)) {
                    return fail(ErrorCode::Config,
                        where + "scaling: no calibration activations for '" + name
                            + "' (static calibration covers attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj)");
                }
            }
            inputs = std::move(*collected);
        }
        for (const auto& name : names) {
            auto quantization = std::make_shared<ActivationQuantization>();
            quantization->spec = a;
            if (a.scaling == ActivationScaling::Static) {
                // The weight quantizer's clipping (min/max, percentile, MSE) over every calibration value.
                QuantSpec spec;
                spec.bits = a.bits;
                spec.symmetric = a.symmetric;
                spec.clip = a.clip;
                spec.percentile = a.percentile;
                const auto& values = inputs.at(name);
                const std::vector<double> group(values.begin(), values.end());
                const IntGrid grid = makeIntGrid(chooseClipRange(group, spec), spec);
                quantization->scale = grid.scale;
                quantization->zeroPoint = static_cast<std::int32_t>(grid.zero);
            }
            activations.emplace_back(name, std::move(quantization));
        }
        return activations;
    }

    struct Int8Layer {
        std::shared_ptr<const CompressedTensor> tensor;
        std::shared_ptr<const ActivationQuantization> activation;
    };

    Int8Layer llmInt8Layer(const CompressedModel& current, const std::string& name, double threshold)
    {
        const Weight* weight = current.weight(name);
        OPTISCOPE_CHECK(weight != nullptr);
        const auto matrix = matrixShape(current.config(), name, weight->shape);
        OPTISCOPE_CHECK(matrix.has_value());
        const CompressedTensor* previous = current.compressed(name);
        const std::span<const float> values(weight->data, static_cast<std::size_t>(weight->elementCount()));
        QuantSpec spec; // int8 symmetric per output channel, as LLM.int8's vector-wise weights
        spec.bits = 8;
        spec.granularity = QuantGranularity::PerChannel;
        QuantizedTensor q = quantizeDequantize(values, *matrix, spec);
        Mask mask = previous ? previous->mask : Mask {};
        for (std::size_t i = 0; i < mask.size(); ++i) {
            q.values[i] = mask[i] ? q.values[i] : 0.0f;
        }
        auto activation = std::make_shared<ActivationQuantization>();
        activation->spec.bits = 8;
        activation->mixedInt8 = true;
        activation->outlierThreshold = threshold;
        activation->outlierWeights.resize(values.size());
        std::transform(values.begin(), values.end(), activation->outlierWeights.begin(), roundToFp16);
        const NmPattern nm = previous ? NmPattern { previous->nmN, previous->nmM } : NmPattern {};
        Int8Layer layer;
        layer.tensor = makeCompressedTensor(
            name, *matrix, weight->shape, std::move(q.values), std::move(mask), std::move(q.params), nm);
        layer.activation = std::move(activation);
        return layer;
    }

} // namespace

Result<std::shared_ptr<const CompressedModel>> applyActivationStep(
    const std::shared_ptr<const CompressedModel>& current, const std::vector<std::string>& names,
    const RecipeStep& step, const std::string& where, const CalibrationData* calibration)
{
    if (step.type == StepType::QuantizeActivations) {
        auto activations = quantizeInputs(*current, names, step, where, calibration);
        if (!activations) {
            return std::unexpected(activations.error());
        }
        return current->withActivationQuantization(std::move(*activations), {});
    }
    OPTISCOPE_CHECK(step.type == StepType::LlmInt8);
    std::vector<Int8Layer> layers(names.size());
    tbb::parallel_for(std::size_t { 0 }, names.size(),
        [&](std::size_t i) { layers[i] = llmInt8Layer(*current, names[i], step.outlierThreshold); });
    Activations activations;
    std::vector<std::shared_ptr<const CompressedTensor>> changed;
    for (std::size_t i = 0; i < names.size(); ++i) {
        activations.emplace_back(names[i], std::move(layers[i].activation));
        changed.push_back(std::move(layers[i].tensor));
    }
    return current->withActivationQuantization(std::move(activations), std::move(changed));
}

} // namespace optiscope::core::detail
