// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The tensors each architecture reads, by canonical name (the Hugging Face name without the
// class prefix "transformer.", "bert." or "vit."), with the shape the config implies.
#include "optiscope/core/model_config.h"

#include <cstdint>
#include <string>
#include <vector>

namespace optiscope::core::detail {

struct TensorSpec {
    std::string name;
    std::vector<std::int64_t> shape;
    bool optional = false; // e.g. BertModel's pooler
    std::string tiedTo; // tied LM heads: always an alias of this tensor, stored or not (as HF re-ties)
};

// "transformer.", "bert." or "vit."
const char* hfPrefix(Architecture architecture);

std::vector<TensorSpec> expectedTensors(const ModelConfig& config);

// "h.3." (GPT-2) or "encoder.layer.3." (BERT, ViT)
std::string layerPrefix(const ModelConfig& config, int layer);

} // namespace optiscope::core::detail
