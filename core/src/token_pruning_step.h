// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The prune_tokens recipe step (compression_token_pruning.cpp): its fields, read for the recipe
// parser, and its application to a compressed model.
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/token_pruning.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <set>
#include <string>

namespace optiscope::core::detail {

// Fills policy from the step object; adds every field name it looks at to `used` and the
// normalised fields to key. Errors read "<where(field)>: <problem>".
Result<void> readTokenPruningFields(const nlohmann::json& step, std::set<std::string>& used,
    const std::function<std::string(const std::string&)>& where, TokenPruningPolicy& policy, nlohmann::json& key);

// Checks the policy against the model (start_layer in range, evit on a ViT), then returns the
// model with it set, replacing any earlier policy. `where` is "<file>: steps[i]." .
Result<std::shared_ptr<const CompressedModel>> setTokenPruning(
    const std::shared_ptr<const CompressedModel>& current, const TokenPruningPolicy& policy, const std::string& where);

} // namespace optiscope::core::detail
