// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/recipe.h"

#include "quant_spec_json.h"
#include "token_pruning_step.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace optiscope::core {

using nlohmann::json;

bool globMatch(std::string_view pattern, std::string_view name)
{
    // Iterative matcher with one backtrack point: linear in practice, no recursion.
    std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
    while (n < name.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
            ++p;
            ++n;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        ++p;
    }
    return p == pattern.size();
}

namespace {

    // Parsing context: builds one-line messages "<file>: steps[i].field: problem".
    struct StepReader {
        const std::string& file;
        std::size_t index;
        const json& step;
        std::set<std::string> used { "type" };

        std::string where(const std::string& field) const
        {
            return file + ": steps[" + std::to_string(index) + "]." + field;
        }
        std::unexpected<Error> error(const std::string& field, const std::string& problem) const
        {
            return fail(ErrorCode::Config, where(field) + ": " + problem);
        }
        const json* find(const std::string& field)
        {
            used.insert(field);
            auto it = step.find(field);
            return it == step.end() ? nullptr : &*it;
        }

        Result<double> number(const std::string& field, std::optional<double> fallback)
        {
            const json* value = find(field);
            if (!value) {
                if (fallback) {
                    return *fallback;
                }
                return error(field, "missing");
            }
            if (!value->is_number()) {
                return error(field, "expected a number, got " + value->dump());
            }
            return value->get<double>();
        }
        Result<int> integer(const std::string& field, std::optional<int> fallback)
        {
            const json* value = find(field);
            if (!value) {
                if (fallback) {
                    return *fallback;
                }
                return error(field, "missing");
            }
            if (!value->is_number_integer()) {
                return error(field, "expected an integer, got " + value->dump());
            }
            const auto v = value->get<long long>();
            if (v < -1000000 || v > 1000000) {
                return error(field, "out of range: " + value->dump());
            }
            return static_cast<int>(v);
        }
        Result<std::string> choice(
            const std::string& field, const std::vector<std::string>& options, std::optional<std::string> fallback)
        {
            const json* value = find(field);
            if (!value) {
                if (fallback) {
                    return *fallback;
                }
                return error(field, "missing");
            }
            std::string list;
            for (const auto& option : options) {
                list += (list.empty() ? "" : ", ") + option;
                if (value->is_string() && value->get<std::string>() == option) {
                    return option;
                }
            }
            return error(field, value->dump() + " is not one of " + list);
        }
        Result<std::vector<std::string>> patterns(const std::string& field, bool required)
        {
            const json* value = find(field);
            std::vector<std::string> out;
            if (!value) {
                if (required) {
                    return error(field, "missing");
                }
                return out;
            }
            if (value->is_string()) {
                out.push_back(value->get<std::string>());
            } else if (value->is_array()) {
                for (std::size_t i = 0; i < value->size(); ++i) {
                    if (!(*value)[i].is_string() || (*value)[i].get<std::string>().empty()) {
                        return error(field + "[" + std::to_string(i) + "]", "expected a non-empty pattern string");
                    }
                    out.push_back((*value)[i].get<std::string>());
                }
            } else {
                return error(field, "expected a pattern string or an array of them");
            }
            if (required && out.empty()) {
                return error(field, "empty");
            }
            return out;
        }
    };

    Result<double> ratioField(StepReader& reader)
    {
        auto ratio = reader.number("ratio", std::nullopt);
        if (ratio && !(*ratio >= 0.0 && *ratio < 1.0)) {
            return reader.error("ratio", "must be in [0, 1), got " + reader.step["ratio"].dump());
        }
        return ratio;
    }

    Result<void> readSparseGpt(StepReader& reader, RecipeStep& step, json& key)
    {
        auto dampening = reader.number("dampening", 0.01);
        if (!dampening) {
            return std::unexpected(dampening.error());
        }
        if (!(*dampening >= 0.0 && *dampening <= 1.0)) {
            return reader.error("dampening", "must be in [0, 1], got " + reader.step["dampening"].dump());
        }
        auto blockSize = reader.integer("block_size", 128);
        if (!blockSize) {
            return std::unexpected(blockSize.error());
        }
        if (*blockSize < 1 || *blockSize > 65536) {
            return reader.error("block_size", "must be in [1, 65536], got " + std::to_string(*blockSize));
        }
        step.dampening = *dampening;
        step.sparseGptBlockSize = *blockSize;
        key["dampening"] = step.dampening;
        key["block_size"] = step.sparseGptBlockSize;
        return {};
    }

    Result<void> readPrune(StepReader& reader, RecipeStep& step, json& key)
    {
        auto pattern = reader.choice("pattern",
            { "unstructured", "n:m", "block", "output_channels", "input_channels", "bank_balanced" }, "unstructured");
        if (!pattern) {
            return std::unexpected(pattern.error());
        }
        auto saliency = reader.choice("saliency", { "magnitude", "wanda", "sparsegpt" }, "magnitude");
        if (!saliency) {
            return std::unexpected(saliency.error());
        }
        key["pattern"] = *pattern;
        key["saliency"] = *saliency;
        step.saliency = *saliency == "wanda" ? Saliency::Wanda
            : *saliency == "sparsegpt"       ? Saliency::SparseGpt
                                             : Saliency::Magnitude;
        if (step.saliency != Saliency::Magnitude && *pattern != "unstructured" && *pattern != "n:m") {
            return reader.error(
                "saliency", "'" + *saliency + "' works with patterns unstructured and n:m, not " + *pattern);
        }
        if (step.saliency == Saliency::SparseGpt) {
            if (auto fields = readSparseGpt(reader, step, key); !fields) {
                return fields;
            }
        }
        if (*pattern == "n:m") {
            step.pattern = PrunePattern::NM;
            auto n = reader.integer("n", std::nullopt);
            auto m = reader.integer("m", std::nullopt);
            if (!n || !m) {
                return std::unexpected(!n ? n.error() : m.error());
            }
            if (*m < 2 || *m > 1024) {
                return reader.error("m", "must be in [2, 1024], got " + std::to_string(*m));
            }
            if (*n < 1 || *n >= *m) {
                return reader.error(
                    "n", "must satisfy 1 <= n < m (m = " + std::to_string(*m) + "), got " + std::to_string(*n));
            }
            step.n = *n;
            step.m = *m;
            key["n"] = step.n;
            key["m"] = step.m;
            if (step.saliency == Saliency::SparseGpt && step.sparseGptBlockSize % step.m != 0) {
                return reader.error("block_size",
                    "must be a multiple of m = " + std::to_string(step.m) + ", got "
                        + std::to_string(step.sparseGptBlockSize));
            }
            return {};
        }
        auto ratio = ratioField(reader);
        if (!ratio) {
            return std::unexpected(ratio.error());
        }
        step.ratio = *ratio;
        key["ratio"] = step.ratio;
        if (*pattern == "unstructured") {
            auto scope = reader.choice("scope", { "per_tensor", "global" }, "per_tensor");
            if (!scope) {
                return std::unexpected(scope.error());
            }
            step.scope = *scope == "global" ? PruneScope::Global : PruneScope::PerTensor;
            if (step.scope == PruneScope::Global && step.saliency != Saliency::Magnitude) {
                return reader.error("scope",
                    "'global' is not supported with saliency '" + *saliency + "' (it compares within a tensor)");
            }
            key["scope"] = *scope;
        } else if (*pattern == "block") {
            step.pattern = PrunePattern::Block;
            const json* block = reader.find("block");
            if (!block) {
                return reader.error("block", "missing");
            }
            if (!block->is_array() || block->size() != 2 || !(*block)[0].is_number_integer()
                || !(*block)[1].is_number_integer() || (*block)[0].get<long long>() < 1
                || (*block)[1].get<long long>() < 1 || (*block)[0].get<long long>() > 65536
                || (*block)[1].get<long long>() > 65536) {
                return reader.error(
                    "block", "expected [output_rows, input_cols] of positive integers, got " + block->dump());
            }
            step.blockOut = (*block)[0].get<int>();
            step.blockIn = (*block)[1].get<int>();
            key["block"] = { step.blockOut, step.blockIn };
        } else if (*pattern == "bank_balanced") {
            step.pattern = PrunePattern::BankBalanced;
            auto bank = reader.integer("bank_size", std::nullopt);
            if (!bank) {
                return std::unexpected(bank.error());
            }
            if (*bank < 2 || *bank > 65536) {
                return reader.error("bank_size", "must be in [2, 65536], got " + std::to_string(*bank));
            }
            step.bankSize = *bank;
            key["bank_size"] = step.bankSize;
        } else {
            step.pattern = *pattern == "output_channels" ? PrunePattern::OutputChannels : PrunePattern::InputChannels;
        }
        return {};
    }

    Result<void> readQuantize(StepReader& reader, RecipeStep& step, json& key)
    {
        // The fields live in compression_quant_spec.cpp, shared with parseQuantSpec.
        return detail::readQuantFields(
            reader.step, reader.used, [&](const std::string& field) { return reader.where(field); }, step.quant, key);
    }

    // prune_heads {"saliency": "ablation", "count": k} or {..., "ratio": r} (head_importance.h).
    Result<void> readHeadAblation(StepReader& reader, RecipeStep& step, json& key)
    {
        auto saliency = reader.choice("saliency", { "ablation" }, std::nullopt);
        if (!saliency) {
            return std::unexpected(saliency.error());
        }
        if (reader.step.contains("heads")) {
            return reader.error("heads", "not with saliency 'ablation' (it chooses the heads)");
        }
        const bool hasCount = reader.step.contains("count"), hasRatio = reader.step.contains("ratio");
        if (hasCount && hasRatio) {
            return reader.error("ratio", "give count or ratio, not both");
        }
        step.headAblation = true;
        key["saliency"] = *saliency;
        if (hasRatio) {
            auto ratio = ratioField(reader);
            if (!ratio) {
                return std::unexpected(ratio.error());
            }
            step.ratio = *ratio;
            key["ratio"] = step.ratio;
            return {};
        }
        auto count = reader.integer("count", std::nullopt);
        if (!count) {
            return std::unexpected(count.error());
        }
        if (*count < 1) {
            return reader.error("count", "must be at least 1, got " + std::to_string(*count));
        }
        step.headCount = *count;
        key["count"] = step.headCount;
        return {};
    }

    Result<void> readHeads(StepReader& reader, RecipeStep& step, json& key)
    {
        if (reader.step.contains("saliency")) {
            return readHeadAblation(reader, step, key);
        }
        const json* heads = reader.find("heads");
        if (!heads) {
            return reader.error("heads", "missing");
        }
        if (!heads->is_array() || heads->empty()) {
            return reader.error("heads", "expected a non-empty array of [layer, head] pairs");
        }
        for (std::size_t i = 0; i < heads->size(); ++i) {
            const json& pair = (*heads)[i];
            if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer() || !pair[1].is_number_integer()
                || pair[0].get<long long>() < 0 || pair[1].get<long long>() < 0 || pair[0].get<long long>() > 100000
                || pair[1].get<long long>() > 100000) {
                return reader.error("heads[" + std::to_string(i) + "]",
                    "expected [layer, head] of non-negative integers, got " + pair.dump());
            }
            step.heads.emplace_back(pair[0].get<int>(), pair[1].get<int>());
        }
        std::sort(step.heads.begin(), step.heads.end());
        step.heads.erase(std::unique(step.heads.begin(), step.heads.end()), step.heads.end());
        key["heads"] = step.heads;
        return {};
    }

    Result<void> readLayers(StepReader& reader, RecipeStep& step, json& key)
    {
        const json* layers = reader.find("layers");
        if (!layers) {
            return reader.error("layers", "missing");
        }
        if (!layers->is_array() || layers->empty()) {
            return reader.error("layers", "expected a non-empty array of layer indices");
        }
        for (std::size_t i = 0; i < layers->size(); ++i) {
            const json& layer = (*layers)[i];
            if (!layer.is_number_integer() || layer.get<long long>() < 0 || layer.get<long long>() > 100000) {
                return reader.error(
                    "layers[" + std::to_string(i) + "]", "expected a non-negative integer, got " + layer.dump());
            }
            step.layers.push_back(layer.get<int>());
        }
        std::sort(step.layers.begin(), step.layers.end());
        step.layers.erase(std::unique(step.layers.begin(), step.layers.end()), step.layers.end());
        key["layers"] = step.layers;
        return {};
    }

    Result<RecipeStep> readStep(const std::string& file, std::size_t index, const json& value)
    {
        if (!value.is_object()) {
            return fail(ErrorCode::Config, file + ": steps[" + std::to_string(index) + "]: expected an object");
        }
        StepReader reader { file, index, value };
        RecipeStep step;
        json key;
        auto type = reader.choice(
            "type",
            { "prune", "quantize", "prune_heads", "prune_layers", "prune_tokens", "quantize_activations", "llm_int8" },
            std::nullopt);
        if (!type) {
            return std::unexpected(type.error());
        }
        key["type"] = *type;
        reader.find("comment"); // free text, ignored
        if (*type == "prune_heads") {
            step.type = StepType::PruneHeads;
            if (auto heads = readHeads(reader, step, key); !heads) {
                return std::unexpected(heads.error());
            }
        } else if (*type == "prune_tokens") {
            step.type = StepType::PruneTokens;
            auto fields = detail::readTokenPruningFields(
                value, reader.used, [&](const std::string& field) { return reader.where(field); }, step.tokenPruning,
                key);
            if (!fields) {
                return std::unexpected(fields.error());
            }
        } else if (*type == "prune_layers") {
            step.type = StepType::PruneLayers;
            if (auto layers = readLayers(reader, step, key); !layers) {
                return std::unexpected(layers.error());
            }
        } else {
            auto targets = reader.patterns("targets", true);
            if (!targets) {
                return std::unexpected(targets.error());
            }
            auto exclude = reader.patterns("exclude", false);
            if (!exclude) {
                return std::unexpected(exclude.error());
            }
            step.targets = *targets;
            step.exclude = *exclude;
            key["targets"] = step.targets;
            key["exclude"] = step.exclude;
            const auto where = [&](const std::string& field) { return reader.where(field); };
            Result<void> body;
            if (*type == "prune") {
                step.type = StepType::Prune;
                body = readPrune(reader, step, key);
            } else if (*type == "quantize") {
                step.type = StepType::Quantize;
                body = readQuantize(reader, step, key);
            } else if (*type == "quantize_activations") {
                step.type = StepType::QuantizeActivations;
                body = detail::readActivationFields(value, reader.used, where, step.activation, key);
            } else {
                step.type = StepType::LlmInt8;
                body = detail::readLlmInt8Fields(value, reader.used, where, step.outlierThreshold, key);
            }
            if (!body) {
                return std::unexpected(body.error());
            }
        }
        // Unknown keys are errors: a misspelt field must not silently fall back to a default.
        for (const auto& [name, unused] : value.items()) {
            if (!reader.used.contains(name)) {
                return reader.error(name, "unknown field for a '" + *type + "' step");
            }
        }
        step.cacheKey = key.dump();
        return step;
    }

} // namespace

Result<Recipe> parseRecipe(std::string_view text, const std::string& file)
{
    json document;
    try {
        document = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        return fail(ErrorCode::Format, file + ": invalid JSON at byte " + std::to_string(e.byte));
    } catch (const json::exception& e) {
        // Not a parse_error: a number too large for a double (1e400) throws out_of_range 406.
        return fail(ErrorCode::Format, file + ": invalid JSON: " + e.what());
    }
    if (!document.is_object()) {
        return fail(ErrorCode::Config, file + ": expected a JSON object with \"schema\" and \"steps\"");
    }
    auto schema = document.find("schema");
    if (schema == document.end()) {
        return fail(ErrorCode::Config, file + ": schema: missing");
    }
    if (!schema->is_number_integer() || schema->get<long long>() != kRecipeSchemaVersion) {
        return fail(ErrorCode::Config,
            file + ": schema: unsupported version " + schema->dump() + ", expected "
                + std::to_string(kRecipeSchemaVersion));
    }
    for (const auto& [name, unused] : document.items()) {
        if (name != "schema" && name != "steps" && name != "name" && name != "comment") {
            return fail(ErrorCode::Config, file + ": " + name + ": unknown field");
        }
    }
    auto steps = document.find("steps");
    if (steps == document.end() || !steps->is_array()) {
        return fail(ErrorCode::Config, file + ": steps: expected an array");
    }
    Recipe recipe;
    recipe.fileName = file;
    for (std::size_t i = 0; i < steps->size(); ++i) {
        auto step = readStep(file, i, (*steps)[i]);
        if (!step) {
            return std::unexpected(step.error());
        }
        recipe.steps.push_back(std::move(*step));
    }
    return recipe;
}

Result<Recipe> loadRecipe(const std::filesystem::path& path)
{
    std::ifstream stream(path, std::ios::binary);
    if (!stream) {
        return fail(ErrorCode::Io, path.filename().string() + ": cannot open");
    }
    std::ostringstream text;
    text << stream.rdbuf();
    return parseRecipe(text.str(), path.filename().string());
}

} // namespace optiscope::core
