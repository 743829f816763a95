// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/config_json.h"

#include "optiscope/accelsim/scalesim_io.h"
#include "text_util.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>

namespace optiscope::accelsim {
namespace {

    using Json = nlohmann::json;

    Result<void> typeError(std::string_view source, std::string_view key, std::string_view expected, const Json& v)
    {
        return fail(ErrorCode::Config, formatText("{}: {}: must be {}, got {}", source, key, expected, v.dump()));
    }

    // Integers must be JSON integers: 32.5 or "32" are refused rather than rounded or converted.
    Result<void> readInt(std::string_view source, std::string_view key, const Json& v, std::int64_t& out)
    {
        if (!v.is_number_integer()) {
            return typeError(source, key, "an integer", v);
        }
        out = v.get<std::int64_t>();
        return {};
    }

    Result<void> readBits(std::string_view source, std::string_view key, const Json& v, int& out)
    {
        std::int64_t wide = 0;
        if (auto ok = readInt(source, key, v, wide); !ok) {
            return ok;
        }
        if (wide < 1 || wide > 32) {
            return fail(ErrorCode::Config, formatText("{}: {}: must be in [1, 32] bits, got {}", source, key, wide));
        }
        out = static_cast<int>(wide);
        return {};
    }

    Result<void> readDouble(std::string_view source, std::string_view key, const Json& v, double& out)
    {
        if (!v.is_number()) {
            return typeError(source, key, "a number", v);
        }
        out = v.get<double>();
        return {};
    }

    Result<void> readBool(std::string_view source, std::string_view key, const Json& v, bool& out)
    {
        if (!v.is_boolean()) {
            return typeError(source, key, "true or false", v);
        }
        out = v.get<bool>();
        return {};
    }

    Result<void> readString(std::string_view source, std::string_view key, const Json& v, std::string& out)
    {
        if (!v.is_string()) {
            return typeError(source, key, "a string", v);
        }
        out = v.get<std::string>();
        return {};
    }

    using Reader = std::function<Result<void>(std::string_view, std::string_view, const Json&)>;

    Result<void> readObject(std::string_view source, std::string_view prefix, const Json& object,
        const std::map<std::string, Reader>& readers)
    {
        if (!object.is_object()) {
            return typeError(source, prefix.empty() ? "top level" : prefix, "an object", object);
        }
        for (const auto& [key, value] : object.items()) {
            const std::string path = prefix.empty() ? key : std::string(prefix) + "." + key;
            const auto it = readers.find(key);
            if (it == readers.end()) {
                return fail(ErrorCode::Config, formatText("{}: {}: unknown key", source, path));
            }
            if (auto ok = it->second(source, path, value); !ok) {
                return ok;
            }
        }
        return {};
    }

    template <typename T, typename Fn> Reader field(T& target, Fn read)
    {
        return [&target, read](std::string_view source, std::string_view key, const Json& v) {
            return read(source, key, v, target);
        };
    }

} // namespace

Result<ArrayConfig> parseArrayConfigJson(std::string_view text, std::string_view source)
{
    Json root;
    try {
        root = Json::parse(text);
    } catch (const Json::exception& e) {
        // parse_error, or out_of_range 406 for a number too large for a double (1e400). nlohmann's message
        // carries the byte position; keep it on one line.
        return fail(ErrorCode::Format, formatText("{}: not valid JSON: {}", source, e.what()));
    }
    ArrayParams p;
    std::string dataflow(dataflowName(p.dataflow));
    std::string mode = "CALC";
    bool haveBandwidth = false;
    EnergyTable& e = p.energy;
    const std::map<std::string, Reader> energyReaders {
        { "macInt4", field(e.macInt4Pj, readDouble) },
        { "macInt8", field(e.macInt8Pj, readDouble) },
        { "macInt16", field(e.macInt16Pj, readDouble) },
        { "macFp16", field(e.macFp16Pj, readDouble) },
        { "macInt32", field(e.macInt32Pj, readDouble) },
        { "macFp32", field(e.macFp32Pj, readDouble) },
        { "sramReadPerByte", field(e.sramReadPjPerByte, readDouble) },
        { "sramWritePerByte", field(e.sramWritePjPerByte, readDouble) },
        { "dramPerByte", field(e.dramPjPerByte, readDouble) },
    };
    const std::map<std::string, Reader> readers {
        { "runName", field(p.runName, readString) },
        { "rows", field(p.rows, readInt) },
        { "cols", field(p.cols, readInt) },
        { "dataflow", field(dataflow, readString) },
        { "ifmapSramKiB", field(p.ifmapSramKiB, readInt) },
        { "filterSramKiB", field(p.filterSramKiB, readInt) },
        { "ofmapSramKiB", field(p.ofmapSramKiB, readInt) },
        { "ifmapOffset", field(p.ifmapOffset, readInt) },
        { "filterOffset", field(p.filterOffset, readInt) },
        { "ofmapOffset", field(p.ofmapOffset, readInt) },
        { "interfaceBandwidth", field(mode, readString) },
        { "bandwidthBytesPerCycle",
            [&](std::string_view src, std::string_view key, const Json& v) -> Result<void> {
                if (!v.is_array()) {
                    return typeError(src, key, "an array of integers", v);
                }
                haveBandwidth = true;
                p.bandwidthWordsPerCycle.clear();
                for (const Json& item : v) {
                    std::int64_t bw = 0;
                    if (auto ok = readInt(src, key, item, bw); !ok) {
                        return ok;
                    }
                    p.bandwidthWordsPerCycle.push_back(bw);
                }
                return {};
            } },
        { "clockMhz", field(p.clockMhz, readDouble) },
        { "ifmapBits", field(p.ifmapBits, readBits) },
        { "filterBits", field(p.filterBits, readBits) },
        { "ofmapBits", field(p.ofmapBits, readBits) },
        { "scaleSimCompatible", field(p.scaleSimCompatible, readBool) },
        { "sparseWeights", field(p.sparseWeights, readBool) },
        { "unstructuredSparseWeights", field(p.unstructuredSparseWeights, readBool) },
        { "dualInt4Macs", field(p.dualInt4Macs, readBool) },
        { "energyPj",
            [&](std::string_view src, std::string_view key, const Json& v) {
                return readObject(src, key, v, energyReaders);
            } },
    };
    if (auto ok = readObject(source, "", root, readers); !ok) {
        return std::unexpected(ok.error());
    }
    const auto df = parseDataflow(dataflow);
    if (!df) {
        return fail(ErrorCode::Config,
            formatText("{}: dataflow: unknown dataflow '{}' (expected os, ws or is)", source, dataflow));
    }
    p.dataflow = *df;
    const std::string modeUpper = toUpper(mode);
    if (modeUpper == "USER") {
        p.bandwidthMode = BandwidthMode::User;
    } else if (modeUpper != "CALC") {
        return fail(
            ErrorCode::Config, formatText("{}: interfaceBandwidth: '{}' is neither USER nor CALC", source, mode));
    }
    if (p.bandwidthMode == BandwidthMode::User && !haveBandwidth) {
        return fail(ErrorCode::Config,
            formatText("{}: bandwidthBytesPerCycle: interfaceBandwidth is USER but no bandwidth is given", source));
    }
    return ArrayConfig::create(std::move(p), source);
}

Result<ArrayConfig> readArrayConfigJson(const std::filesystem::path& path)
{
    auto text = readTextFile(path);
    if (!text) {
        return std::unexpected(text.error());
    }
    return parseArrayConfigJson(*text, path.string());
}

std::string formatArrayConfigJson(const ArrayConfig& config)
{
    const ArrayParams& p = config.params();
    const EnergyTable& e = p.energy;
    // ordered_json keeps the documented key order, so written files diff cleanly.
    const nlohmann::ordered_json root = {
        { "runName", p.runName },
        { "rows", p.rows },
        { "cols", p.cols },
        { "dataflow", std::string(dataflowName(p.dataflow)) },
        { "ifmapSramKiB", p.ifmapSramKiB },
        { "filterSramKiB", p.filterSramKiB },
        { "ofmapSramKiB", p.ofmapSramKiB },
        { "ifmapOffset", p.ifmapOffset },
        { "filterOffset", p.filterOffset },
        { "ofmapOffset", p.ofmapOffset },
        { "interfaceBandwidth", p.bandwidthMode == BandwidthMode::User ? "USER" : "CALC" },
        { "bandwidthBytesPerCycle", p.bandwidthWordsPerCycle },
        { "clockMhz", p.clockMhz },
        { "ifmapBits", p.ifmapBits },
        { "filterBits", p.filterBits },
        { "ofmapBits", p.ofmapBits },
        { "scaleSimCompatible", p.scaleSimCompatible },
        { "sparseWeights", p.sparseWeights },
        { "unstructuredSparseWeights", p.unstructuredSparseWeights },
        { "dualInt4Macs", p.dualInt4Macs },
        { "energyPj",
            { { "macInt4", e.macInt4Pj }, { "macInt8", e.macInt8Pj }, { "macInt16", e.macInt16Pj },
                { "macFp16", e.macFp16Pj }, { "macInt32", e.macInt32Pj }, { "macFp32", e.macFp32Pj },
                { "sramReadPerByte", e.sramReadPjPerByte }, { "sramWritePerByte", e.sramWritePjPerByte },
                { "dramPerByte", e.dramPjPerByte } } },
    };
    return root.dump(2) + "\n";
}

Result<void> writeArrayConfigJson(const std::filesystem::path& path, const ArrayConfig& config)
{
    return writeFileAtomically(path, formatArrayConfigJson(config));
}

} // namespace optiscope::accelsim
