// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The fields of quantize_activations and llm_int8 recipe steps (RECIPE_SCHEMA.md).
#include "quant_spec_json.h"

#include <cmath>

namespace optiscope::core::detail {

using nlohmann::json;

Result<void> readActivationFields(const json& object, std::set<std::string>& used,
    const std::function<std::string(const std::string&)>& where, ActivationQuantSpec& spec, json& key)
{
    FieldReader f { object, used, where };
    const json* bits = f.find("bits");
    if (!bits) {
        return f.error("bits", "missing");
    }
    if (!bits->is_number_integer() || bits->get<long long>() < 2 || bits->get<long long>() > 16) {
        return f.error("bits", "must be in [2, 16], got " + bits->dump());
    }
    spec.bits = bits->get<int>();
    const json* symmetric = f.find("symmetric");
    if (symmetric && !symmetric->is_boolean()) {
        return f.error("symmetric", "expected true or false, got " + symmetric->dump());
    }
    spec.symmetric = symmetric ? symmetric->get<bool>() : true;
    auto scaling = f.choice("scaling", { "dynamic", "static" }, "dynamic");
    if (!scaling) {
        return std::unexpected(scaling.error());
    }
    spec.scaling = *scaling == "static" ? ActivationScaling::Static : ActivationScaling::Dynamic;
    const bool isStatic = spec.scaling == ActivationScaling::Static;
    auto granularity = f.choice("granularity", { "per_token", "per_tensor" }, isStatic ? "per_tensor" : "per_token");
    if (!granularity) {
        return std::unexpected(granularity.error());
    }
    spec.granularity = *granularity == "per_token" ? ActivationGranularity::PerToken : ActivationGranularity::PerTensor;
    if (isStatic && spec.granularity == ActivationGranularity::PerToken) {
        return f.error("granularity", "'per_token' needs scaling 'dynamic' (tokens are only known at run time)");
    }
    key["bits"] = spec.bits;
    key["symmetric"] = spec.symmetric;
    key["scaling"] = *scaling;
    key["granularity"] = *granularity;
    if (!isStatic) {
        for (const char* field : { "clip", "percentile" }) {
            if (object.contains(field)) {
                return f.error(field, "needs scaling 'static' (dynamic scales always use min/max)");
            }
        }
        return {};
    }
    auto clip = f.choice("clip", { "minmax", "percentile", "mse" }, "minmax");
    if (!clip) {
        return std::unexpected(clip.error());
    }
    spec.clip = *clip == "percentile" ? QuantClip::Percentile : *clip == "mse" ? QuantClip::Mse : QuantClip::MinMax;
    key["clip"] = *clip;
    const json* percentile = f.find("percentile");
    if (spec.clip == QuantClip::Percentile) {
        if (!percentile) {
            return f.error("percentile", "missing (clip 'percentile' needs it, e.g. 99.9)");
        }
        if (!percentile->is_number() || !(percentile->get<double>() >= 50.0) || !(percentile->get<double>() <= 100.0)) {
            return f.error("percentile", "must be a number in [50, 100], got " + percentile->dump());
        }
        spec.percentile = percentile->get<double>();
        key["percentile"] = spec.percentile;
    } else if (percentile) {
        return f.error("percentile", "needs clip 'percentile'");
    }
    return {};
}

Result<void> readLlmInt8Fields(const json& object, std::set<std::string>& used,
    const std::function<std::string(const std::string&)>& where, double& threshold, json& key)
{
    FieldReader f { object, used, where };
    if (const json* value = f.find("threshold")) {
        if (!value->is_number() || !(value->get<double>() > 0.0) || !std::isfinite(value->get<double>())) {
            return f.error("threshold", "must be a positive number, got " + value->dump());
        }
        threshold = value->get<double>();
    }
    key["threshold"] = threshold;
    return {};
}

} // namespace optiscope::core::detail
