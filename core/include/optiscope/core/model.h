// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// An immutable loaded model: validated config, float32 weight views (zero-copy for F32
// files, converted once for F16/BF16), and its tokenizer when the folder has one.
#include "optiscope/core/cancel.h"
#include "optiscope/core/model_config.h"
#include "optiscope/core/result.h"
#include "optiscope/core/safetensors.h"
#include "optiscope/core/tokenizer.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace optiscope::core {

struct TokenPruningPolicy;
struct ActivationQuantization;

// Row-major float32 tensor view owned by the Model.
struct Weight {
    std::vector<std::int64_t> shape;
    const float* data = nullptr;
    std::int64_t elementCount() const;
};

// What a weight matrix holds once compressed, as the op trace reports it for the GEMMs it feeds.
struct WeightAnnotation {
    int bits = 32; // stored bits per element (fp32 when uncompressed)
    int nmN = 0; // N:M structure along the input (K) dimension; 0/0 when none
    int nmM = 0;
    double density = 1.0; // fraction of nonzero elements
};

struct TensorInfo {
    std::string name;
    DType storedDType = DType::F32;
    std::vector<std::int64_t> shape;
    std::int64_t bytes = 0; // as stored on disk
};

class Model {
public:
    virtual ~Model() = default;
    virtual const ModelConfig& config() const = 0;
    virtual const std::filesystem::path& folder() const = 0;
    // nullptr when the folder has no tokenizer files (ViT).
    virtual const Tokenizer* tokenizer() const = 0;
    // nullptr if absent. Names as Hugging Face writes them, with or without the class prefix
    // ("transformer.", "bert.", "vit."); tied heads ("lm_head.weight",
    // "cls.predictions.decoder.weight") alias the word embeddings. Only tensors the architecture
    // uses are available.
    virtual const Weight* weight(const std::string& name) const = 0;
    virtual const std::vector<TensorInfo>& tensorInfos() const = 0;
    virtual std::int64_t parameterCount() const = 0;
    // Bit width and sparsity of a weight (any name weight() accepts); dense fp32 unless the model
    // is compressed.
    virtual WeightAnnotation weightAnnotation(const std::string& name) const
    {
        (void)name;
        return {};
    }
    // True when transformer block `layer` was removed (LayerDrop): inference skips it and the
    // hidden state passes through unchanged, as if the block were deleted.
    virtual bool layerSkipped(int layer) const
    {
        (void)layer;
        return false;
    }
    // Token pruning run() applies (a prune_tokens recipe step); nullptr = every layer computes every
    // token. See compression/token_pruning.h.
    virtual const TokenPruningPolicy* tokenPruning() const { return nullptr; }
    // How the input of the linear layer with this weight (any name weight() accepts) is quantized
    // at run time (quantize_activations / llm_int8 steps); nullptr = fp32.
    virtual const ActivationQuantization* activationQuantization(const std::string& weightName) const
    {
        (void)weightName;
        return nullptr;
    }
};

// Loads config.json, the checkpoint and the tokenizer from a Hugging Face folder, checking
// every tensor the architecture needs against the config's shapes.
Result<std::shared_ptr<const Model>> loadModel(const std::filesystem::path& folder, const CancelToken* cancel = nullptr,
    const ProgressCallback& progress = {});

} // namespace optiscope::core
