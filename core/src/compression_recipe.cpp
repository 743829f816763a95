// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/recipe.h"

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

    Result<void> readPrune(StepReader& reader, RecipeStep& step, json& key)
    {
        auto pattern = reader.choice(
            "pattern", { "unstructured", "n:m", "block", "output_channels", "input_channels" }, "unstructured");
        if (!pattern) {
            return std::unexpected(pattern.error());
        }
        auto saliency = reader.choice("saliency", { "magnitude", "wanda" }, "magnitude");
        if (!saliency) {
            return std::unexpected(saliency.error());
        }
        key["pattern"] = *pattern;
        key["saliency"] = *saliency;
        step.saliency = *saliency == "wanda" ? Saliency::Wanda : Saliency::Magnitude;
        if (step.saliency == Saliency::Wanda && *pattern != "unstructured" && *pattern != "n:m") {
            return reader.error("saliency", "'wanda' works with patterns unstructured and n:m, not " + *pattern);
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
            if (step.scope == PruneScope::Global && step.saliency == Saliency::Wanda) {
                return reader.error(
                    "scope", "'global' is not supported with saliency 'wanda' (it compares per output)");
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
        } else {
            step.pattern = *pattern == "output_channels" ? PrunePattern::OutputChannels : PrunePattern::InputChannels;
        }
        return {};
    }

    Result<void> readQuantize(StepReader& reader, RecipeStep& step, json& key)
    {
        auto format = reader.choice("format", { "int", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2" }, "int");
        if (!format) {
            return std::unexpected(format.error());
        }
        key["format"] = *format;
        QuantSpec& q = step.quant;
        if (*format != "int") {
            q.format = *format == "fp16" ? NumberFormat::Fp16
                : *format == "bf16"      ? NumberFormat::Bf16
                : *format == "fp8_e4m3"  ? NumberFormat::Fp8E4M3
                                         : NumberFormat::Fp8E5M2;
            return {};
        }
        auto bits = reader.integer("bits", std::nullopt);
        if (!bits) {
            return std::unexpected(bits.error());
        }
        if (*bits < 2 || *bits > 16) {
            return reader.error("bits", "must be in [2, 16], got " + std::to_string(*bits));
        }
        q.bits = *bits;
        const json* symmetric = reader.find("symmetric");
        if (symmetric && !symmetric->is_boolean()) {
            return reader.error("symmetric", "expected true or false, got " + symmetric->dump());
        }
        q.symmetric = symmetric ? symmetric->get<bool>() : true;
        auto granularity = reader.choice("granularity", { "per_tensor", "per_channel", "group" }, "per_tensor");
        if (!granularity) {
            return std::unexpected(granularity.error());
        }
        q.granularity = *granularity == "per_tensor" ? QuantGranularity::PerTensor
            : *granularity == "per_channel"          ? QuantGranularity::PerChannel
                                                     : QuantGranularity::Group;
        key["bits"] = q.bits;
        key["symmetric"] = q.symmetric;
        key["granularity"] = *granularity;
        if (q.granularity == QuantGranularity::Group) {
            auto group = reader.integer("group_size", std::nullopt);
            if (!group) {
                return std::unexpected(group.error());
            }
            if (*group < 1) {
                return reader.error("group_size", "must be positive, got " + std::to_string(*group));
            }
            q.groupSize = *group;
            key["group_size"] = q.groupSize;
        }
        return {};
    }

    Result<void> readHeads(StepReader& reader, RecipeStep& step, json& key)
    {
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

    Result<RecipeStep> readStep(const std::string& file, std::size_t index, const json& value)
    {
        if (!value.is_object()) {
            return fail(ErrorCode::Config, file + ": steps[" + std::to_string(index) + "]: expected an object");
        }
        StepReader reader { file, index, value };
        RecipeStep step;
        json key;
        auto type = reader.choice("type", { "prune", "quantize", "prune_heads" }, std::nullopt);
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
            step.type = *type == "prune" ? StepType::Prune : StepType::Quantize;
            auto body = step.type == StepType::Prune ? readPrune(reader, step, key) : readQuantize(reader, step, key);
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
