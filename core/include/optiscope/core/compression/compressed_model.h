// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A compressed model: an immutable base model plus, for each changed weight matrix, its mask,
// its quantization parameters and the materialised values (masked, quantize-dequantized). It is
// a Model, so run() and generate() use it unchanged; the base weights are never written.
#include "optiscope/core/compression/activation_quantization.h"
#include "optiscope/core/compression/calibration.h"
#include "optiscope/core/compression/matrix_shape.h"
#include "optiscope/core/compression/pruning.h"
#include "optiscope/core/compression/quantization.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/compression/token_pruning.h"
#include "optiscope/core/model.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace optiscope::core {

// Immutable once made; not copyable because `weight` points into `values`.
struct CompressedTensor {
    std::string name; // as stored in the checkpoint (e.g. "transformer.h.0.attn.c_attn.weight")
    MatrixShape matrix;
    std::vector<float> values; // storage order of the base tensor
    Mask mask; // empty = nothing pruned
    std::optional<QuantParams> quant;
    Weight weight; // view of values, handed to inference
    // N:M structure the mask obeys along the input dimension (an N:M step, possibly pruned further
    // since masks only combine); 0/0 when none.
    int nmN = 0;
    int nmM = 0;

    CompressedTensor() = default;
    CompressedTensor(const CompressedTensor&) = delete;
    CompressedTensor& operator=(const CompressedTensor&) = delete;
};

struct NmPattern {
    int n = 0;
    int m = 0; // 0/0: none
};

std::shared_ptr<const CompressedTensor> makeCompressedTensor(std::string name, const MatrixShape& matrix,
    std::vector<std::int64_t> shape, std::vector<float> values, Mask mask, std::optional<QuantParams> quant,
    NmPattern nm = {});

class CompressedModel final : public Model {
public:
    explicit CompressedModel(std::shared_ptr<const Model> base); // identity: no tensor changed

    const ModelConfig& config() const override { return m_base->config(); }
    const std::filesystem::path& folder() const override { return m_base->folder(); }
    const Tokenizer* tokenizer() const override { return m_base->tokenizer(); }
    const Weight* weight(const std::string& name) const override;
    const std::vector<TensorInfo>& tensorInfos() const override { return m_base->tensorInfos(); }
    std::int64_t parameterCount() const override { return m_base->parameterCount(); }
    // Changed tensors: quantized bits (storedBits), N:M pattern, nonzero fraction of the values
    // inference uses (counted per call: O(elements)); unchanged ones as the base model says.
    WeightAnnotation weightAnnotation(const std::string& name) const override;
    bool layerSkipped(int layer) const override;
    // Removed transformer blocks (prune_layers steps), ascending.
    const std::vector<int>& skippedLayers() const { return m_skippedLayers; }
    // The last prune_tokens step's policy, or the base model's (nullptr when none).
    const TokenPruningPolicy* tokenPruning() const override;
    const ActivationQuantization* activationQuantization(const std::string& weightName) const override;
    // Quantized linear-layer inputs by stored weight name.
    const std::map<std::string, std::shared_ptr<const ActivationQuantization>>& activationQuantizations() const
    {
        return m_activations;
    }

    const std::shared_ptr<const Model>& base() const { return m_base; }
    // Any name weight() accepts (canonical, HF-prefixed, tied alias); nullptr if unchanged.
    const CompressedTensor* compressed(const std::string& name) const;
    // Changed tensors by stored name.
    const std::map<std::string, std::shared_ptr<const CompressedTensor>>& compressedTensors() const
    {
        return m_tensors;
    }
    // Stored name of the tensor a name refers to ("lm_head.weight" → "transformer.wte.weight" when
    // tied); empty if the checkpoint has no such tensor.
    std::string storedName(const std::string& name) const;

    // A copy with some tensors replaced (unchanged ones are shared, not copied).
    std::shared_ptr<const CompressedModel> with(std::vector<std::shared_ptr<const CompressedTensor>> changed) const;
    // As with(), and the given blocks removed too (added to those already removed).
    std::shared_ptr<const CompressedModel> withSkippedLayers(
        const std::vector<int>& layers, std::vector<std::shared_ptr<const CompressedTensor>> changed) const;
    // As with(), and the inputs of the named weights' layers quantized (replacing earlier settings).
    std::shared_ptr<const CompressedModel> withActivationQuantization(
        std::vector<std::pair<std::string, std::shared_ptr<const ActivationQuantization>>> activations,
        std::vector<std::shared_ptr<const CompressedTensor>> changed) const;
    // A copy whose run() prunes tokens by `policy` (replacing any earlier policy; weights shared).
    std::shared_ptr<const CompressedModel> withTokenPruning(const TokenPruningPolicy& policy) const;

private:
    std::shared_ptr<const Model> m_base;
    std::map<std::string, std::shared_ptr<const CompressedTensor>> m_tensors;
    std::map<std::string, std::string> m_aliases; // canonical / tied names → stored name
    std::vector<int> m_skippedLayers;
    std::map<std::string, std::shared_ptr<const ActivationQuantization>> m_activations;
    TokenPruningPolicy m_tokenPruning; // method None: the base model's policy applies
};

// Stored names of the weight matrices (rank ≥ 2) a step selects: matched by a target pattern
// (against the stored name or the canonical one without "transformer."/"bert."/"vit."), and by no
// exclude pattern. Errors name the first target pattern that matches no weight matrix.
Result<std::vector<std::string>> selectTensors(
    const Model& model, const RecipeStep& step, const std::string& file, std::size_t stepIndex);

// Applies one step on top of `current`. Pruning masks are computed from the current values
// (so earlier pruning counts as the least salient) and combined with earlier masks; quantization
// quantizes the current values and keeps pruned elements at zero. Nothing is applied on error.
// Wanda, SparseGPT and head-ablation steps need calibration data (activations of `current`, see
// calibration.h and head_importance.h).
Result<std::shared_ptr<const CompressedModel>> applyStep(const std::shared_ptr<const CompressedModel>& current,
    const RecipeStep& step, const std::string& file, std::size_t stepIndex,
    const CalibrationData* calibration = nullptr);

Result<std::shared_ptr<const CompressedModel>> applyRecipe(
    std::shared_ptr<const Model> base, const Recipe& recipe, const CalibrationData* calibration = nullptr);

struct TensorReport {
    std::string name;
    std::int64_t elements = 0;
    std::int64_t kept = 0; // unpruned by the mask (elements when no mask)
    std::int64_t nonzeros = 0; // values != 0 (quantization can round kept values to 0, too)
    double sparsity = 0; // 1 - kept / elements: what the pruning steps achieved
    int storedBits = 32;
    std::string format; // "fp32", "int", "fp16", ...
    double mse = 0; // vs the base tensor
    double maxAbsError = 0;
    double sqnrDb = 0; // signal-to-quantization-noise ratio vs the base tensor (see QuantErrorStats)
    double bitsPerElement = 32; // QuantParams::bitsPerElement: Bfp exponents, Gobo codebook and outliers
    std::int64_t outliers = 0; // Gobo: elements kept in fp32
    int activationBits = 32; // the layer's input as quantized at run time (quantize_activations, llm_int8)
};

struct CompressionReport {
    std::vector<TensorReport> tensors; // changed tensors, by stored name
    std::int64_t elements = 0; // over the changed tensors
    std::int64_t kept = 0;
    std::int64_t nonzeros = 0;
    double sparsity() const { return elements ? 1.0 - static_cast<double>(kept) / elements : 0.0; }
};

CompressionReport compressionReport(const CompressedModel& model);

} // namespace optiscope::core
