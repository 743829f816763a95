// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Sweep parameters and the expansion of a recipe template into one recipe per point.
#include "optiscope/core/compression/sweep.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <set>

namespace optiscope::core {

namespace {

    using Json = nlohmann::ordered_json;

    struct PathSegment {
        std::string key;
        bool isIndex = false; // written as [k]: an array index only
    };

    // "steps[0].ratio" → steps, [0], ratio; "steps.0.ratio" → steps, 0, ratio (0 decided on use).
    Result<std::vector<PathSegment>> splitPath(std::string_view path, const std::string& context)
    {
        std::vector<PathSegment> segments;
        std::size_t i = 0;
        const auto bad = [&](const std::string& why) { return fail(ErrorCode::Input, context + ": " + why); };
        if (path.empty()) {
            return bad("empty path");
        }
        while (i < path.size()) {
            if (path[i] == '[') {
                const auto close = path.find(']', i);
                if (close == std::string_view::npos || close == i + 1) {
                    return bad("unclosed or empty '[' at character " + std::to_string(i + 1));
                }
                segments.push_back({ std::string(path.substr(i + 1, close - i - 1)), true });
                i = close + 1;
                if (i < path.size() && path[i] == '.') {
                    ++i;
                    if (i == path.size()) {
                        return bad("path ends with '.'");
                    }
                }
                continue;
            }
            const auto end = path.find_first_of(".[", i);
            const auto key = path.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
            if (key.empty() || key.find(']') != std::string_view::npos) {
                return bad("empty or malformed key at character " + std::to_string(i + 1));
            }
            segments.push_back({ std::string(key), false });
            i = end == std::string_view::npos ? path.size() : end;
            if (i < path.size() && path[i] == '.') {
                ++i;
                if (i == path.size()) {
                    return bad("path ends with '.'");
                }
            }
        }
        return segments;
    }

    std::optional<std::size_t> parseIndex(const std::string& text)
    {
        std::size_t value = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || ptr != text.data() + text.size()) {
            return std::nullopt;
        }
        return value;
    }

    // The node the path names, or an error saying which segment is missing.
    Result<Json*> resolve(Json& root, const std::vector<PathSegment>& segments, const std::string& context)
    {
        Json* node = &root;
        std::string walked;
        for (const auto& segment : segments) {
            const std::string where = walked.empty() ? "the template" : walked;
            const auto index = parseIndex(segment.key);
            if (node->is_array() && index) {
                if (*index >= node->size()) {
                    return fail(ErrorCode::Input,
                        context + ": " + where + " has " + std::to_string(node->size()) + " elements, no ["
                            + segment.key + "]");
                }
                node = &(*node)[*index];
                walked += "[" + segment.key + "]";
                continue;
            }
            if (segment.isIndex || !node->is_object()) {
                return fail(ErrorCode::Input,
                    context + ": " + where + " is " + (node->is_array() ? "an array" : node->type_name())
                        + ", it has no " + (segment.isIndex ? "[" + segment.key + "]" : "field '" + segment.key + "'"));
            }
            const auto found = node->find(segment.key);
            if (found == node->end()) {
                return fail(ErrorCode::Input, context + ": " + where + " has no field '" + segment.key + "'");
            }
            node = &*found;
            walked += (walked.empty() ? "" : ".") + segment.key;
        }
        return node;
    }

    // JSON type category for the "value of the wrong type" check: integers and floats are one.
    std::string typeCategory(const Json& value) { return value.is_number() ? "number" : value.type_name(); }

    // Splits at commas outside quotes and brackets.
    std::vector<std::string> splitTopLevel(std::string_view text)
    {
        std::vector<std::string> items;
        std::string current;
        int depth = 0;
        bool quoted = false;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if (quoted) {
                if (c == '\\' && i + 1 < text.size()) {
                    current += c;
                    current += text[++i];
                    continue;
                }
                quoted = c != '"';
            } else if (c == '"') {
                quoted = true;
            } else if (c == '[' || c == '{') {
                ++depth;
            } else if ((c == ']' || c == '}') && depth > 0) {
                --depth;
            } else if (c == ',' && depth == 0) {
                items.push_back(std::move(current));
                current.clear();
                continue;
            }
            current += c;
        }
        items.push_back(std::move(current));
        return items;
    }

} // namespace

Result<SweepParameter> parseSweepParameter(std::string_view argument)
{
    const std::string context = "--param " + std::string(argument);
    const auto eq = argument.find('=');
    if (eq == std::string_view::npos) {
        return fail(ErrorCode::Input, context + ": expected NAME=v1,v2,...");
    }
    SweepParameter parameter;
    parameter.path = std::string(argument.substr(0, eq));
    if (parameter.path.empty()) {
        return fail(ErrorCode::Input, context + ": empty NAME before '='");
    }
    if (auto ok = splitPath(parameter.path, context); !ok) {
        return std::unexpected(ok.error());
    }
    const auto list = argument.substr(eq + 1);
    if (list.empty()) {
        return fail(ErrorCode::Input, context + ": empty value list");
    }
    for (const std::string& item : splitTopLevel(list)) {
        if (item.empty()) {
            return fail(ErrorCode::Input, context + ": empty value in the list");
        }
        Json value = Json::parse(item, nullptr, false);
        if (value.is_discarded()) {
            value = item;
        }
        parameter.values.push_back(value.dump());
    }
    return parameter;
}

std::string sweepCellOf(std::string_view valueJson)
{
    const Json value = Json::parse(valueJson, nullptr, false);
    return value.is_string() ? value.get<std::string>() : std::string(valueJson);
}

Result<std::vector<SweepPoint>> expandSweep(
    std::string_view templateJson, const std::string& templateName, const std::vector<SweepParameter>& parameters)
{
    Json base = Json::parse(templateJson, nullptr, false);
    if (base.is_discarded() || !base.is_object()) {
        return fail(ErrorCode::Format, templateName + ": not a JSON object (a recipe template)");
    }
    std::vector<std::vector<PathSegment>> paths;
    std::set<const Json*> seen; // "steps[0].ratio" and "steps.0.ratio" are one node
    for (const auto& parameter : parameters) {
        const std::string context = templateName + ": --param " + parameter.path;
        if (parameter.values.empty()) {
            return fail(ErrorCode::Input, context + ": empty value list");
        }
        auto segments = splitPath(parameter.path, context);
        if (!segments) {
            return std::unexpected(segments.error());
        }
        auto node = resolve(base, *segments, context);
        if (!node) {
            return std::unexpected(node.error());
        }
        if (!seen.insert(*node).second) {
            return fail(ErrorCode::Input, context + ": the same path is swept twice");
        }
        for (const auto& valueText : parameter.values) {
            const Json value = Json::parse(valueText, nullptr, false);
            if (!(*node)->is_null() && typeCategory(value) != typeCategory(**node)) {
                return fail(ErrorCode::Input,
                    context + "=" + sweepCellOf(valueText) + ": value is a " + typeCategory(value)
                        + ", the template has a " + typeCategory(**node) + " there");
            }
        }
        paths.push_back(std::move(*segments));
    }
    std::size_t total = 1;
    for (const auto& parameter : parameters) {
        total *= parameter.values.size();
    }
    std::vector<SweepPoint> points;
    points.reserve(total);
    for (std::size_t flat = 0; flat < total; ++flat) {
        Json recipe = base;
        SweepPoint point;
        std::string label;
        std::size_t rest = flat;
        std::vector<std::size_t> choice(parameters.size());
        for (std::size_t p = parameters.size(); p-- > 0;) {
            choice[p] = rest % parameters[p].values.size();
            rest /= parameters[p].values.size();
        }
        for (std::size_t p = 0; p < parameters.size(); ++p) {
            const std::string& valueText = parameters[p].values[choice[p]];
            **resolve(recipe, paths[p], templateName) = Json::parse(valueText);
            point.cells.push_back(sweepCellOf(valueText));
            label += (label.empty() ? "" : ", ") + parameters[p].path + "=" + point.cells.back();
        }
        point.recipeJson = recipe.dump();
        auto parsed = parseRecipe(point.recipeJson, templateName + " (" + label + ")");
        if (!parsed) {
            return std::unexpected(parsed.error());
        }
        point.recipe = std::move(*parsed);
        points.push_back(std::move(point));
    }
    return points;
}

} // namespace optiscope::core
