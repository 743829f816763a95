// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "model_names.h"
#include "optiscope/core/check.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe_applier.h"
#include "prune_steps.h"
#include "token_pruning_step.h"

#include <tbb/parallel_for.h>

#include <cmath>
#include <map>

namespace optiscope::core {

namespace {

    struct Target {
        std::string name;
        MatrixShape matrix;
        const Weight* current = nullptr; // what earlier steps left (or the base)
        const CompressedTensor* previous = nullptr; // nullptr if no earlier step changed it
        std::span<const float> values() const
        {
            return { current->data, static_cast<std::size_t>(matrix.elementCount()) };
        }
    };

    std::string dimensionError(const std::string& where, const std::string& field, std::int64_t size,
        const char* dimension, std::int64_t extent, const std::string& tensor)
    {
        return where + field + ": " + std::to_string(size) + " does not divide the " + dimension + " dimension "
            + std::to_string(extent) + " of '" + tensor + "'";
    }

    // Divisibility checks, so nothing is applied if any tensor does not fit the pattern.
    std::optional<std::pair<int, bool>> headLayout(const ModelConfig& c, const std::string& name);

    Result<void> checkShapes(
        const RecipeStep& step, const std::vector<Target>& targets, const ModelConfig& config, const std::string& where)
    {
        for (const auto& t : targets) {
            const auto in = t.matrix.inFeatures, out = t.matrix.outFeatures;
            if (step.type == StepType::Prune && step.pattern == PrunePattern::NM && in % step.m != 0) {
                return fail(ErrorCode::Config, dimensionError(where, "m", step.m, "input", in, t.name));
            }
            if (step.type == StepType::Prune && step.pattern == PrunePattern::BankBalanced && in % step.bankSize != 0) {
                return fail(ErrorCode::Config, dimensionError(where, "bank_size", step.bankSize, "input", in, t.name));
            }
            if (step.type == StepType::Prune && step.pattern == PrunePattern::Block) {
                if (out % step.blockOut != 0) {
                    return fail(
                        ErrorCode::Config, dimensionError(where, "block[0]", step.blockOut, "output", out, t.name));
                }
                if (in % step.blockIn != 0) {
                    return fail(
                        ErrorCode::Config, dimensionError(where, "block[1]", step.blockIn, "input", in, t.name));
                }
            }
            if (step.type == StepType::Quantize && step.quant.granularity == QuantGranularity::PerHead
                && step.quant.format != NumberFormat::Bfp && !headLayout(config, t.name)) {
                return fail(ErrorCode::Config,
                    where + "granularity: 'per_head' needs an attention projection (Q, K, V or the output "
                            "projection), not '" + t.name + "'");
            }
            if (step.type == StepType::Quantize && step.quant.inputBlockSize() > 0
                && in % step.quant.inputBlockSize() != 0) {
                const char* field = step.quant.format == NumberFormat::Bfp ? "block_size" : "group_size";
                return fail(ErrorCode::Config,
                    dimensionError(where, field, step.quant.inputBlockSize(), "input", in, t.name));
            }
        }
        return {};
    }

    Mask pruneMask(const RecipeStep& step, const Target& t, const ActivationNorms* norms)
    {
        if (step.saliency == Saliency::Wanda) {
            const auto& squared = norms->squaredNorms.at(t.name);
            OPTISCOPE_CHECK(static_cast<std::int64_t>(squared.size()) == t.matrix.inFeatures);
            std::vector<double> scores(t.matrix.elementCount());
            for (std::int64_t out = 0; out < t.matrix.outFeatures; ++out) {
                for (std::int64_t in = 0; in < t.matrix.inFeatures; ++in) {
                    const auto offset = t.matrix.index(out, in);
                    scores[offset] = std::fabs(double(t.current->data[offset])) * std::sqrt(squared[in]);
                }
            }
            return step.pattern == PrunePattern::NM ? nmScoreMask(scores, t.matrix, step.n, step.m)
                                                    : rowwiseScoreMask(scores, t.matrix, step.ratio);
        }
        switch (step.pattern) {
        case PrunePattern::Unstructured:
            return magnitudeMask(t.values(), step.ratio);
        case PrunePattern::NM:
            return nmMask(t.values(), t.matrix, step.n, step.m);
        case PrunePattern::Block:
            return blockMask(t.values(), t.matrix, step.blockOut, step.blockIn, step.ratio);
        case PrunePattern::OutputChannels:
            return channelMask(t.values(), t.matrix, ChannelAxis::Output, step.ratio);
        case PrunePattern::InputChannels:
            return channelMask(t.values(), t.matrix, ChannelAxis::Input, step.ratio);
        case PrunePattern::BankBalanced:
            return bankBalancedMask(t.values(), t.matrix, step.bankSize, step.ratio);
        }
        OPTISCOPE_CHECK(false);
        return {};
    }

    // nm: the N:M pattern this step's mask has, if any. Masks only combine, so an earlier N:M
    // pattern still holds; the step's own takes precedence.
    std::shared_ptr<const CompressedTensor> pruned(const Target& t, Mask mask, NmPattern nm = {})
    {
        if (nm.m == 0 && t.previous) {
            nm = { t.previous->nmN, t.previous->nmM };
        }
        if (t.previous && !t.previous->mask.empty()) {
            for (std::size_t i = 0; i < mask.size(); ++i) {
                mask[i] &= t.previous->mask[i];
            }
        }
        std::vector<float> values(t.values().begin(), t.values().end());
        for (std::size_t i = 0; i < values.size(); ++i) {
            values[i] = mask[i] ? values[i] : 0.0f;
        }
        std::optional<QuantParams> quant = t.previous ? t.previous->quant : std::nullopt;
        return makeCompressedTensor(t.name, t.matrix, t.current->shape, std::move(values), std::move(mask), quant, nm);
    }

    // Per-head quantization of an attention projection: heads split the output features of Q, K and V
    // (GPT-2's fused c_attn holds 3 · heads of them) and the input features of the output projection.
    // nullopt for every other tensor.
    std::optional<std::pair<int, bool>> headLayout(const ModelConfig& c, const std::string& name)
    {
        const bool gpt2 = c.architecture == Architecture::Gpt2;
        for (const char* qkv : { "attn.c_attn.weight", "attention.self.query.weight", "attention.self.key.weight",
                 "attention.self.value.weight", "attention.attention.query.weight", "attention.attention.key.weight",
                 "attention.attention.value.weight" }) {
            if (name.ends_with(qkv) && gpt2 == std::string_view(qkv).starts_with("attn.")) {
                return std::pair { c.headDim(), false };
            }
        }
        const char* output = gpt2 ? "attn.c_proj.weight" : "attention.output.dense.weight";
        if (name.ends_with(output)) {
            return std::pair { c.headDim(), true };
        }
        return std::nullopt;
    }

    // GOBO on the kept weights only: pruned zeros are stored by the mask, so they take part neither
    // in the Gaussian fit nor in the clustering.
    QuantizedTensor goboKept(std::span<const float> values, const Mask& mask, const QuantSpec& spec)
    {
        std::vector<float> kept;
        std::vector<std::int64_t> offsets;
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (mask[i]) {
                kept.push_back(values[i]);
                offsets.push_back(static_cast<std::int64_t>(i));
            }
        }
        GoboClustering gobo = goboCluster(kept, spec.bits, spec.goboSigma);
        QuantizedTensor q;
        q.params.spec = spec;
        q.values.assign(values.size(), 0.0f);
        for (std::size_t j = 0; j < kept.size(); ++j) {
            q.values[offsets[j]] = gobo.values[j];
        }
        q.params.codebook = std::move(gobo.centroids);
        for (auto j : gobo.outlierOffsets) {
            q.params.outlierOffsets.push_back(offsets[j]);
        }
        return q;
    }

    std::shared_ptr<const CompressedTensor> quantized(const RecipeStep& step, const Target& t, const ModelConfig& c)
    {
        QuantSpec spec = step.quant;
        if (spec.granularity == QuantGranularity::PerHead && spec.format != NumberFormat::Bfp) {
            const auto layout = headLayout(c, t.name);
            OPTISCOPE_CHECK(layout.has_value()); // checkShapes refused the others
            spec.headSize = layout->first;
            spec.headAlongInput = layout->second;
        }
        spec.seed = tensorSeed(spec.seed, t.name); // stochastic rounding: distinct noise per tensor
        Mask mask = t.previous ? t.previous->mask : Mask {};
        QuantizedTensor q;
        if (spec.format == NumberFormat::Gobo && !mask.empty()) {
            q = goboKept(t.values(), mask, spec);
        } else {
            q = quantizeDequantize(t.values(), t.matrix, spec);
        }
        q.params.spec.seed = step.quant.seed;
        for (std::size_t i = 0; i < mask.size(); ++i) {
            q.values[i] = mask[i] ? q.values[i] : 0.0f; // asymmetric grids hold 0 exactly; FP formats too
        }
        const NmPattern nm = t.previous ? NmPattern { t.previous->nmN, t.previous->nmM } : NmPattern {};
        return makeCompressedTensor(
            t.name, t.matrix, t.current->shape, std::move(q.values), std::move(mask), std::move(q.params), nm);
    }

    Target makeTarget(const CompressedModel& model, const std::string& name)
    {
        Target t;
        t.name = name;
        t.current = model.weight(name);
        OPTISCOPE_CHECK(t.current != nullptr);
        auto matrix = matrixShape(model.config(), name, t.current->shape);
        OPTISCOPE_CHECK(matrix.has_value());
        t.matrix = *matrix;
        t.previous = model.compressed(name);
        return t;
    }

    // Removing a head zeroes its Q/K/V output features and the output projection's input features
    // for it. The projection alone already removes the head's contribution exactly (the Q/K/V
    // biases stay, so its attention becomes uniform, but nothing reads its context); the Q/K/V
    // columns are masked so the pruned work is visible to the op trace and the simulator.
    Result<std::shared_ptr<const CompressedModel>> applyHeads(
        const std::shared_ptr<const CompressedModel>& current, const RecipeStep& step, const std::string& where)
    {
        const ModelConfig& c = current->config();
        std::map<int, std::vector<int>> byLayer;
        for (std::size_t i = 0; i < step.heads.size(); ++i) {
            const auto [layer, head] = step.heads[i];
            if (layer >= c.layers) {
                return fail(ErrorCode::Config,
                    where + "heads[" + std::to_string(i) + "]: layer " + std::to_string(layer)
                        + " out of range, the model has " + std::to_string(c.layers) + " layers");
            }
            if (head >= c.heads) {
                return fail(ErrorCode::Config,
                    where + "heads[" + std::to_string(i) + "]: head " + std::to_string(head)
                        + " out of range, the model has " + std::to_string(c.heads) + " heads per layer");
            }
            byLayer[layer].push_back(head);
        }
        const std::int64_t dh = c.headDim(), d = c.hidden;
        std::vector<std::shared_ptr<const CompressedTensor>> changed;
        for (const auto& [layer, heads] : byLayer) {
            const std::string p = detail::layerPrefix(c, layer);
            // (projection, offsets of the head's slices among its output features)
            std::vector<std::pair<std::string, std::vector<std::int64_t>>> qkv;
            std::string output;
            if (c.architecture == Architecture::Gpt2) {
                qkv.push_back({ p + "attn.c_attn.weight", { 0, d, 2 * d } });
                output = p + "attn.c_proj.weight";
            } else {
                const std::string a
                    = p + (c.architecture == Architecture::Bert ? "attention.self." : "attention.attention.");
                for (const char* part : { "query", "key", "value" }) {
                    qkv.push_back({ a + part + ".weight", { 0 } });
                }
                output = p + "attention.output.dense.weight";
            }
            for (const auto& [canonical, offsets] : qkv) {
                const Target t = makeTarget(*current, current->storedName(canonical));
                Mask mask(t.matrix.elementCount(), 1);
                for (int head : heads) {
                    for (auto offset : offsets) {
                        for (std::int64_t j = 0; j < dh; ++j) {
                            for (std::int64_t in = 0; in < t.matrix.inFeatures; ++in) {
                                mask[t.matrix.index(offset + head * dh + j, in)] = 0;
                            }
                        }
                    }
                }
                changed.push_back(pruned(t, std::move(mask)));
            }
            const Target t = makeTarget(*current, current->storedName(output));
            Mask mask(t.matrix.elementCount(), 1);
            for (int head : heads) {
                for (std::int64_t j = 0; j < dh; ++j) {
                    for (std::int64_t out = 0; out < t.matrix.outFeatures; ++out) {
                        mask[t.matrix.index(out, head * dh + j)] = 0;
                    }
                }
            }
            changed.push_back(pruned(t, std::move(mask)));
        }
        return current->with(std::move(changed));
    }

} // namespace

Result<std::shared_ptr<const CompressedModel>> applyStep(const std::shared_ptr<const CompressedModel>& current,
    const RecipeStep& step, const std::string& file, std::size_t stepIndex, const CalibrationData* calibration)
{
    OPTISCOPE_CHECK(current != nullptr);
    const std::string where = file + ": steps[" + std::to_string(stepIndex) + "].";
    if (step.type == StepType::PruneHeads) {
        if (step.headAblation) {
            return detail::pruneHeadsByAblation(current, step, file, stepIndex, calibration);
        }
        return applyHeads(current, step, where);
    }
    if (step.type == StepType::PruneTokens) {
        return detail::setTokenPruning(current, step.tokenPruning, where);
    }
    if (step.type == StepType::PruneLayers) {
        return detail::dropLayers(current, step, where);
    }
    auto names = selectTensors(*current, step, file, stepIndex);
    if (!names) {
        return std::unexpected(names.error());
    }
    std::vector<Target> targets;
    for (const auto& name : *names) {
        targets.push_back(makeTarget(*current, name));
    }
    if (auto shapes = checkShapes(step, targets, current->config(), where); !shapes) {
        return std::unexpected(shapes.error());
    }
    if (step.type == StepType::QuantizeActivations || step.type == StepType::LlmInt8) {
        return detail::applyActivationStep(current, *names, step, where, calibration);
    }
    if (step.type == StepType::Prune && step.saliency == Saliency::SparseGpt) {
        auto changed = detail::sparseGptTensors(*current, *names, step, where, calibration);
        if (!changed) {
            return std::unexpected(changed.error());
        }
        return current->with(std::move(*changed));
    }
    std::optional<ActivationNorms> norms;
    if (step.type == StepType::Prune && step.saliency == Saliency::Wanda) {
        if (!calibration || calibration->sequences.empty()) {
            return fail(ErrorCode::Config, where + "saliency: 'wanda' needs calibration data, none given");
        }
        auto collected = collectActivationNorms(*current, *calibration);
        if (!collected) {
            return fail(collected.error().code, where + "saliency: " + collected.error().message);
        }
        for (const auto& t : targets) {
            if (!collected->squaredNorms.contains(t.name)) {
                return fail(ErrorCode::Config,
                    where + "saliency: no calibration activations for '" + t.name
                        + "' (Wanda covers attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj)");
            }
        }
        norms = std::move(*collected);
    }

    std::vector<std::shared_ptr<const CompressedTensor>> changed(targets.size());
    if (step.type == StepType::Prune && step.pattern == PrunePattern::Unstructured
        && step.scope == PruneScope::Global) {
        std::vector<std::span<const float>> spans;
        for (const auto& t : targets) {
            spans.push_back(t.values());
        }
        auto masks = globalMagnitudeMasks(spans, step.ratio);
        tbb::parallel_for(std::size_t { 0 }, targets.size(),
            [&](std::size_t i) { changed[i] = pruned(targets[i], std::move(masks[i])); });
    } else {
        tbb::parallel_for(std::size_t { 0 }, targets.size(), [&](std::size_t i) {
            changed[i] = step.type == StepType::Prune
                ? pruned(targets[i], pruneMask(step, targets[i], norms ? &*norms : nullptr),
                    step.pattern == PrunePattern::NM ? NmPattern { step.n, step.m } : NmPattern {})
                : quantized(step, targets[i], current->config());
        });
    }
    return current->with(std::move(changed));
}

Result<std::shared_ptr<const CompressedModel>> applyRecipe(
    std::shared_ptr<const Model> base, const Recipe& recipe, const CalibrationData* calibration)
{
    RecipeApplier applier(std::move(base), calibration ? *calibration : CalibrationData {});
    return applier.apply(recipe);
}

RecipeApplier::RecipeApplier(std::shared_ptr<const Model> base, CalibrationData calibration)
    : m_identity(std::make_shared<CompressedModel>(std::move(base)))
    , m_calibration(std::move(calibration))
{
}

Result<std::shared_ptr<const CompressedModel>> RecipeApplier::apply(const Recipe& recipe)
{
    std::size_t reused = 0;
    while (reused < recipe.steps.size() && reused < m_keys.size() && m_keys[reused] == recipe.steps[reused].cacheKey) {
        ++reused;
    }
    // Compute into locals first: on error the cache keeps its previous state.
    std::vector<std::string> keys(m_keys.begin(), m_keys.begin() + static_cast<std::ptrdiff_t>(reused));
    std::vector<std::shared_ptr<const CompressedModel>> results(
        m_results.begin(), m_results.begin() + static_cast<std::ptrdiff_t>(reused));
    for (std::size_t i = reused; i < recipe.steps.size(); ++i) {
        auto next = applyStep(
            results.empty() ? m_identity : results.back(), recipe.steps[i], recipe.fileName, i, &m_calibration);
        if (!next) {
            return std::unexpected(next.error());
        }
        keys.push_back(recipe.steps[i].cacheKey);
        results.push_back(std::move(*next));
    }
    m_keys = std::move(keys);
    m_results = std::move(results);
    m_lastReused = reused;
    m_lastComputed = recipe.steps.size() - reused;
    return m_results.empty() ? m_identity : m_results.back();
}

std::shared_ptr<const CompressedModel> RecipeApplier::undo()
{
    if (!m_keys.empty()) {
        m_keys.pop_back();
        m_results.pop_back();
    }
    return m_results.empty() ? m_identity : m_results.back();
}

} // namespace optiscope::core
