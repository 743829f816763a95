// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/recipe.h"
#include "quant_spec_json.h"

#include <array>
#include <optional>
#include <utility>

namespace optiscope::core {

using nlohmann::json;

namespace detail {

    namespace {

        // Every field some format reads; one present but not read by the chosen format is an error
        // naming the format, rather than "unknown field".
        constexpr std::array kQuantFields { "format", "bits", "symmetric", "granularity", "group_size", "rounding",
            "seed", "clip", "percentile", "block_size", "mantissa_bits", "sigma" };

        constexpr std::array<std::pair<const char*, NumberFormat>, 10> kFormats { {
            { "int", NumberFormat::Int },
            { "fp16", NumberFormat::Fp16 },
            { "bf16", NumberFormat::Bf16 },
            { "fp8_e4m3", NumberFormat::Fp8E4M3 },
            { "fp8_e5m2", NumberFormat::Fp8E5M2 },
            { "tf32", NumberFormat::Tf32 },
            { "ternary", NumberFormat::Ternary },
            { "binary", NumberFormat::Binary },
            { "bfp", NumberFormat::Bfp },
            { "gobo", NumberFormat::Gobo },
        } };

        Result<void> readGranularity(FieldReader& reader, QuantSpec& q, json& key)
        {
            auto granularity
                = reader.choice("granularity", { "per_tensor", "per_channel", "group", "per_head" }, "per_tensor");
            if (!granularity) {
                return std::unexpected(granularity.error());
            }
            q.granularity = *granularity == "per_tensor" ? QuantGranularity::PerTensor
                : *granularity == "per_channel"          ? QuantGranularity::PerChannel
                : *granularity == "per_head"             ? QuantGranularity::PerHead
                                                         : QuantGranularity::Group;
            key["granularity"] = *granularity;
            if (q.granularity == QuantGranularity::Group) {
                auto group = reader.integer("group_size", std::nullopt, 1, 1 << 20);
                if (!group) {
                    return std::unexpected(group.error());
                }
                q.groupSize = static_cast<int>(*group);
                key["group_size"] = q.groupSize;
            }
            return {};
        }

        Result<void> readInt(FieldReader& reader, QuantSpec& q, json& key)
        {
            auto bits = reader.integer("bits", std::nullopt, 2, 16);
            if (!bits) {
                return std::unexpected(bits.error());
            }
            q.bits = static_cast<int>(*bits);
            const json* symmetric = reader.find("symmetric");
            if (symmetric && !symmetric->is_boolean()) {
                return reader.error("symmetric", "expected true or false, got " + symmetric->dump());
            }
            q.symmetric = symmetric ? symmetric->get<bool>() : true;
            key["bits"] = q.bits;
            key["symmetric"] = q.symmetric;
            if (auto granularity = readGranularity(reader, q, key); !granularity) {
                return granularity;
            }
            auto rounding = reader.choice("rounding", { "nearest", "stochastic" }, "nearest");
            if (!rounding) {
                return std::unexpected(rounding.error());
            }
            q.rounding = *rounding == "stochastic" ? QuantRounding::Stochastic : QuantRounding::Nearest;
            key["rounding"] = *rounding;
            if (q.rounding == QuantRounding::Stochastic) {
                auto seed = reader.integer("seed", 0, 0, (1ll << 53));
                if (!seed) {
                    return std::unexpected(seed.error());
                }
                q.seed = static_cast<std::uint64_t>(*seed);
                key["seed"] = q.seed;
            }
            auto clip = reader.choice("clip", { "minmax", "percentile", "mse" }, "minmax");
            if (!clip) {
                return std::unexpected(clip.error());
            }
            q.clip = *clip == "percentile" ? QuantClip::Percentile
                : *clip == "mse"           ? QuantClip::Mse
                                           : QuantClip::MinMax;
            key["clip"] = *clip;
            if (q.clip == QuantClip::Percentile) {
                const json* percentile = reader.find("percentile");
                if (!percentile) {
                    return reader.error("percentile", "missing (clip 'percentile' needs it, e.g. 99.9)");
                }
                if (!percentile->is_number() || !(percentile->get<double>() >= 50.0)
                    || !(percentile->get<double>() <= 100.0)) {
                    return reader.error("percentile", "must be a number in [50, 100], got " + percentile->dump());
                }
                q.percentile = percentile->get<double>();
                key["percentile"] = q.percentile;
            }
            return {};
        }

    } // namespace

    Result<void> readQuantFields(const json& object, std::set<std::string>& used,
        const std::function<std::string(const std::string&)>& where, QuantSpec& spec, json& key)
    {
        FieldReader reader { object, used, where };
        auto format = reader.choice(
            "format", { "int", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "tf32", "ternary", "binary", "bfp", "gobo" },
            "int");
        if (!format) {
            return std::unexpected(format.error());
        }
        key["format"] = *format;
        QuantSpec& q = spec;
        for (const auto& [name, value] : kFormats) {
            if (*format == name) {
                q.format = value;
            }
        }
        Result<void> body;
        if (q.format == NumberFormat::Int) {
            body = readInt(reader, q, key);
        } else if (q.format == NumberFormat::Ternary || q.format == NumberFormat::Binary) {
            body = readGranularity(reader, q, key);
        } else if (q.format == NumberFormat::Bfp) {
            auto block = reader.integer("block_size", 16, 2, 1024);
            auto mantissa = block ? reader.integer("mantissa_bits", 3, 1, 23) : Result<long long>(0);
            if (!block || !mantissa) {
                return std::unexpected(!block ? block.error() : mantissa.error());
            }
            q.blockSize = static_cast<int>(*block);
            q.mantissaBits = static_cast<int>(*mantissa);
            key["block_size"] = q.blockSize;
            key["mantissa_bits"] = q.mantissaBits;
        } else if (q.format == NumberFormat::Gobo) {
            auto bits = reader.integer("bits", std::nullopt, 2, 8);
            if (!bits) {
                return std::unexpected(bits.error());
            }
            q.bits = static_cast<int>(*bits);
            key["bits"] = q.bits;
            if (const json* sigma = reader.find("sigma")) {
                if (!sigma->is_number() || !(sigma->get<double>() > 0.0) || !(sigma->get<double>() <= 100.0)) {
                    return reader.error("sigma", "must be a number in (0, 100], got " + sigma->dump());
                }
                q.goboSigma = sigma->get<double>();
            }
            key["sigma"] = q.goboSigma;
        }
        if (!body) {
            return body;
        }
        for (const char* field : kQuantFields) {
            if (object.contains(field) && !used.contains(field)) {
                const std::string f = field;
                const std::string needs = f == "seed" ? "; it needs rounding 'stochastic'"
                    : f == "percentile"               ? "; it needs clip 'percentile'"
                    : f == "group_size"               ? "; it needs granularity 'group'"
                                                      : "";
                return reader.error(field, "does not apply to format '" + *format + "' as given" + needs);
            }
        }
        return {};
    }

} // namespace detail

Result<QuantSpec> parseQuantSpec(std::string_view text, const std::string& source)
{
    json object;
    try {
        object = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
        return fail(ErrorCode::Format, source + ": invalid JSON: " + e.what());
    }
    if (!object.is_object()) {
        return fail(ErrorCode::Config, source + ": expected a JSON object such as {\"bits\": 8}");
    }
    std::set<std::string> used;
    QuantSpec spec;
    json key;
    const auto where = [&](const std::string& field) { return source + ": " + field; };
    if (auto read = detail::readQuantFields(object, used, where, spec, key); !read) {
        return std::unexpected(read.error());
    }
    for (const auto& [name, unused] : object.items()) {
        if (!used.contains(name)) {
            return fail(ErrorCode::Config, where(name) + ": unknown field");
        }
    }
    return spec;
}

} // namespace optiscope::core
