// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/scalesim_io.h"

#include "text_util.h"

#include <algorithm>
#include <array>
#include <map>
#include <tuple>
#include <vector>

namespace optiscope::accelsim {
namespace {

    struct IniValue {
        std::string value;
        int line = 0;
    };
    // section (lower case) -> key (lower case) -> value
    using Ini = std::map<std::string, std::map<std::string, IniValue>>;

    Result<Ini> parseIni(std::string_view text, std::string_view source)
    {
        Ini ini;
        std::string section;
        int lineNo = 0;
        for (std::string_view raw : splitLines(text)) {
            ++lineNo;
            const std::string_view line = trim(raw);
            if (line.empty() || line.front() == '#' || line.front() == ';') {
                continue;
            }
            if (line.front() == '[') {
                if (line.back() != ']') {
                    return fail(ErrorCode::Format, formatText("{}:{}: section header: missing ']'", source, lineNo));
                }
                section = toLower(trim(line.substr(1, line.size() - 2)));
                ini[section];
                continue;
            }
            const std::size_t eq = line.find_first_of("=:");
            if (eq == std::string_view::npos) {
                return fail(ErrorCode::Format, formatText("{}:{}: '{}': expected 'key = value'", source, lineNo, line));
            }
            if (section.empty()) {
                return fail(ErrorCode::Format,
                    formatText("{}:{}: {}: key outside any [section]", source, lineNo, trim(line.substr(0, eq))));
            }
            ini[section][toLower(trim(line.substr(0, eq)))]
                = IniValue { std::string(trim(line.substr(eq + 1))), lineNo };
        }
        return ini;
    }

    class IniReader {
    public:
        IniReader(const Ini& ini, std::string_view source)
            : m_ini(ini)
            , m_source(source)
        {
        }
        const IniValue* find(std::string_view section, std::string_view key) const
        {
            auto s = m_ini.find(toLower(section));
            if (s == m_ini.end()) {
                return nullptr;
            }
            auto k = s->second.find(toLower(key));
            return k == s->second.end() ? nullptr : &k->second;
        }
        Result<std::int64_t> integer(
            std::string_view section, std::string_view key, std::optional<std::int64_t> fallback) const
        {
            const IniValue* v = find(section, key);
            if (!v) {
                if (fallback) {
                    return *fallback;
                }
                return fail(ErrorCode::Config, formatText("{}: [{}] {}: missing", m_source, section, key));
            }
            auto parsed = parseInt(v->value);
            if (!parsed) {
                return fail(ErrorCode::Config,
                    formatText("{}:{}: [{}] {}: '{}' is not an integer", m_source, v->line, section, key, v->value));
            }
            return *parsed;
        }
        Result<std::string> text(
            std::string_view section, std::string_view key, std::optional<std::string> fallback) const
        {
            const IniValue* v = find(section, key);
            if (!v) {
                if (fallback) {
                    return *fallback;
                }
                return fail(ErrorCode::Config, formatText("{}: [{}] {}: missing", m_source, section, key));
            }
            return v->value;
        }
        std::string where(std::string_view section, std::string_view key) const
        {
            const IniValue* v = find(section, key);
            return v ? formatText("{}:{}: [{}] {}", m_source, v->line, section, key)
                     : formatText("{}: [{}] {}", m_source, section, key);
        }

    private:
        const Ini& m_ini;
        std::string_view m_source;
    };

    // Splits a CSV row that must end in a comma (SCALE-Sim drops the field after the last comma).
    Result<std::vector<std::string_view>> splitRow(std::string_view line, std::string_view source, int lineNo)
    {
        if (line.back() != ',') {
            return fail(ErrorCode::Format,
                formatText("{}:{}: row must end with a trailing comma (SCALE-Sim format)", source, lineNo));
        }
        std::vector<std::string_view> fields;
        std::size_t start = 0;
        while (start < line.size()) {
            const std::size_t comma = line.find(',', start);
            fields.push_back(trim(line.substr(start, comma - start)));
            start = comma + 1;
        }
        return fields;
    }

    std::string cleanName(std::string_view name)
    {
        std::string out(name);
        std::ranges::replace(out, ',', ';');
        return out;
    }

} // namespace

Result<ArrayConfig> parseScaleSimConfig(std::string_view text, std::string_view source)
{
    auto ini = parseIni(text, source);
    if (!ini) {
        return std::unexpected(ini.error());
    }
    const IniReader r(*ini, source);
    ArrayParams p;
    constexpr std::string_view arch = "architecture_presets";
    auto name = r.text("general", "run_name", p.runName);
    auto rows = r.integer(arch, "ArrayHeight", std::nullopt);
    auto cols = r.integer(arch, "ArrayWidth", std::nullopt);
    auto ifmapKiB = r.integer(arch, "IfmapSramSzkB", std::nullopt);
    auto filterKiB = r.integer(arch, "FilterSramSzkB", std::nullopt);
    auto ofmapKiB = r.integer(arch, "OfmapSramSzkB", std::nullopt);
    auto ifmapOffset = r.integer(arch, "IfmapOffset", p.ifmapOffset);
    auto filterOffset = r.integer(arch, "FilterOffset", p.filterOffset);
    auto ofmapOffset = r.integer(arch, "OfmapOffset", p.ofmapOffset);
    auto dataflow = r.text(arch, "Dataflow", std::nullopt);
    auto mode = r.text("run_presets", "InterfaceBandwidth", "CALC");
    for (const Error* e :
        { name ? nullptr : &name.error(), rows ? nullptr : &rows.error(), cols ? nullptr : &cols.error(),
            ifmapKiB ? nullptr : &ifmapKiB.error(), filterKiB ? nullptr : &filterKiB.error(),
            ofmapKiB ? nullptr : &ofmapKiB.error(), ifmapOffset ? nullptr : &ifmapOffset.error(),
            filterOffset ? nullptr : &filterOffset.error(), ofmapOffset ? nullptr : &ofmapOffset.error(),
            dataflow ? nullptr : &dataflow.error(), mode ? nullptr : &mode.error() }) {
        if (e) {
            return std::unexpected(*e);
        }
    }
    p.runName = *name;
    p.rows = *rows;
    p.cols = *cols;
    p.ifmapSramKiB = *ifmapKiB;
    p.filterSramKiB = *filterKiB;
    p.ofmapSramKiB = *ofmapKiB;
    p.ifmapOffset = *ifmapOffset;
    p.filterOffset = *filterOffset;
    p.ofmapOffset = *ofmapOffset;
    auto df = parseDataflow(*dataflow);
    if (!df) {
        return fail(ErrorCode::Config,
            formatText("{}: unknown dataflow '{}' (expected os, ws or is)", r.where(arch, "Dataflow"), *dataflow));
    }
    p.dataflow = *df;
    const std::string modeUpper = toUpper(*mode);
    if (modeUpper == "USER") {
        p.bandwidthMode = BandwidthMode::User;
    } else if (modeUpper != "CALC") {
        return fail(ErrorCode::Config,
            formatText("{}: '{}' is neither USER nor CALC", r.where("run_presets", "InterfaceBandwidth"), *mode));
    }
    if (const IniValue* bw = r.find(arch, "Bandwidth"); bw && !trim(bw->value).empty()) {
        for (std::string_view item : splitOn(bw->value, ',')) {
            auto v = parseInt(trim(item));
            if (!v) {
                return fail(ErrorCode::Config,
                    formatText("{}: '{}' is not an integer", r.where(arch, "Bandwidth"), trim(item)));
            }
            p.bandwidthWordsPerCycle.push_back(*v);
        }
    }
    // Optiscope's own keys; SCALE-Sim's configparser ignores the section.
    constexpr std::string_view ours = "optiscope";
    for (auto [key, field] : { std::pair<std::string_view, int*> { "IfmapBits", &p.ifmapBits },
             { "FilterBits", &p.filterBits }, { "OfmapBits", &p.ofmapBits } }) {
        auto v = r.integer(ours, key, *field);
        if (!v) {
            return std::unexpected(v.error());
        }
        *field = static_cast<int>(std::clamp<std::int64_t>(*v, -1, 1024));
    }
    for (auto [key, field, fallback] :
        { std::tuple<std::string_view, bool*, int> { "ScaleSimCompatible", &p.scaleSimCompatible, 1 },
            { "SparseWeights", &p.sparseWeights, 0 }, { "UnstructuredSparseWeights", &p.unstructuredSparseWeights, 0 },
            { "DualInt4Macs", &p.dualInt4Macs, 0 } }) {
        auto v = r.integer(ours, key, fallback);
        if (!v) {
            return std::unexpected(v.error());
        }
        *field = *v != 0;
    }
    if (const IniValue* clock = r.find(ours, "ClockMhz")) {
        auto v = parseDouble(clock->value);
        if (!v) {
            return fail(
                ErrorCode::Config, formatText("{}: '{}' is not a number", r.where(ours, "ClockMhz"), clock->value));
        }
        p.clockMhz = *v;
    }
    return ArrayConfig::create(std::move(p), source);
}

Result<ArrayConfig> readScaleSimConfig(const std::filesystem::path& path)
{
    auto text = readTextFile(path);
    if (!text) {
        return std::unexpected(text.error());
    }
    return parseScaleSimConfig(*text, path.filename().string());
}

std::string formatScaleSimConfig(const ArrayConfig& config)
{
    const ArrayParams& p = config.params();
    std::string bandwidth;
    for (std::size_t i = 0; i < p.bandwidthWordsPerCycle.size(); ++i) {
        if (i > 0) {
            bandwidth += ',';
        }
        bandwidth += std::to_string(p.bandwidthWordsPerCycle[i]);
    }
    std::string out;
    out += formatText("[general]\nrun_name = {}\n\n", p.runName);
    out += "[architecture_presets]\n";
    out += formatText("ArrayHeight = {}\nArrayWidth = {}\n", p.rows, p.cols);
    out += formatText("IfmapSramSzkB = {}\nFilterSramSzkB = {}\nOfmapSramSzkB = {}\n", p.ifmapSramKiB, p.filterSramKiB,
        p.ofmapSramKiB);
    out += formatText(
        "IfmapOffset = {}\nFilterOffset = {}\nOfmapOffset = {}\n", p.ifmapOffset, p.filterOffset, p.ofmapOffset);
    out += formatText("Bandwidth = {}\nDataflow = {}\n\n", bandwidth, dataflowName(p.dataflow));
    out += formatText(
        "[run_presets]\nInterfaceBandwidth = {}\n\n", p.bandwidthMode == BandwidthMode::User ? "USER" : "CALC");
    out += formatText("[optiscope]\nIfmapBits = {}\nFilterBits = {}\nOfmapBits = {}\nClockMhz = {}\n"
                      "ScaleSimCompatible = {}\nSparseWeights = {}\nUnstructuredSparseWeights = {}\nDualInt4Macs = {}\n",
        p.ifmapBits, p.filterBits, p.ofmapBits, p.clockMhz, p.scaleSimCompatible ? 1 : 0, p.sparseWeights ? 1 : 0,
        p.unstructuredSparseWeights ? 1 : 0, p.dualInt4Macs ? 1 : 0);
    return out;
}

Result<void> writeScaleSimConfig(const std::filesystem::path& path, const ArrayConfig& config)
{
    return writeFileAtomically(path, formatScaleSimConfig(config));
}

Result<Workload> parseTopologyCsv(std::string_view text, std::string_view source)
{
    static constexpr std::array<std::string_view, 8> kFields { "IFMAP Height", "IFMAP Width", "Filter Height",
        "Filter Width", "Channels", "Num Filter", "Stride Height", "Stride Width" };
    Workload workload;
    workload.name = std::string(source);
    int lineNo = 0;
    bool header = true;
    for (std::string_view raw : splitLines(text)) {
        ++lineNo;
        const std::string_view line = trim(raw);
        if (header) {
            header = false;
            continue;
        }
        if (line.empty()) {
            continue;
        }
        auto fields = splitRow(line, source, lineNo);
        if (!fields) {
            return std::unexpected(fields.error());
        }
        if (fields->size() < 8 || fields->size() > 9) {
            return fail(ErrorCode::Format,
                formatText("{}:{}: expected 8 or 9 fields (name, 6 sizes, 1 or 2 strides), got {}", source, lineNo,
                    fields->size()));
        }
        std::array<std::int64_t, 8> v {};
        for (std::size_t i = 1; i < fields->size(); ++i) {
            auto parsed = parseInt((*fields)[i]);
            if (!parsed) {
                return fail(ErrorCode::Format,
                    formatText("{}:{}: {}: '{}' is not an integer", source, lineNo, kFields[i - 1], (*fields)[i]));
            }
            v[i - 1] = *parsed;
        }
        if (fields->size() == 8) {
            v[7] = v[6]; // one stride for both directions, as SCALE-Sim
        }
        const ConvShape conv { v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] };
        const std::string where = formatText("{}:{}", source, lineNo);
        const std::string name((*fields)[0]);
        if (name.find("DP") != std::string::npos) {
            // Depthwise: SCALE-Sim runs one single-channel layer per channel, so the channel count is a layer
            // count and must be bounded before the loop (2^32 channels was a hang and an unbounded allocation).
            constexpr std::int64_t kMaxDepthwiseChannels = 1 << 16;
            if (conv.channels > kMaxDepthwiseChannels) {
                return fail(ErrorCode::Format,
                    formatText("{}: Channels: depthwise layer '{}' has {} channels, above the limit {}", where, name,
                        conv.channels, kMaxDepthwiseChannels));
            }
            ConvShape one = conv;
            one.channels = 1;
            for (std::int64_t ch = 0; ch < conv.channels; ++ch) {
                auto layer = layerFromConv(formatText("{}Channel_{}", name, ch), one, where);
                if (!layer) {
                    return std::unexpected(layer.error());
                }
                workload.layers.push_back(std::move(*layer));
            }
            continue;
        }
        auto layer = layerFromConv(name, conv, where);
        if (!layer) {
            return std::unexpected(layer.error());
        }
        workload.layers.push_back(std::move(*layer));
    }
    if (header) {
        return fail(ErrorCode::Format, formatText("{}: header: file is empty", source));
    }
    return workload;
}

Result<Workload> readTopologyCsv(const std::filesystem::path& path)
{
    auto text = readTextFile(path);
    if (!text) {
        return std::unexpected(text.error());
    }
    return parseTopologyCsv(*text, path.filename().string());
}

std::string formatTopologyCsv(const Workload& workload)
{
    std::string out = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                      "Stride Height, Stride Width,\n";
    for (const Layer& layer : workload.layers) {
        const ConvShape c = layer.conv.value_or(ConvShape { layer.m, layer.k, 1, layer.k, 1, layer.n, 1, 1 });
        out += formatText("{}, {}, {}, {}, {}, {}, {}, {}, {},\n", cleanName(layer.name), c.ifmapHeight, c.ifmapWidth,
            c.filterHeight, c.filterWidth, c.channels, c.numFilters, c.strideHeight, c.strideWidth);
    }
    return out;
}

Result<Workload> parseGemmCsv(std::string_view text, std::string_view source)
{
    static constexpr std::array<std::string_view, 3> kFields { "M", "N", "K" };
    Workload workload;
    workload.name = std::string(source);
    int lineNo = 0;
    bool header = true;
    for (std::string_view raw : splitLines(text)) {
        ++lineNo;
        const std::string_view line = trim(raw);
        if (header) {
            header = false;
            continue;
        }
        if (line.empty()) {
            continue;
        }
        auto fields = splitRow(line, source, lineNo);
        if (!fields) {
            return std::unexpected(fields.error());
        }
        if (fields->size() != 4) {
            return fail(ErrorCode::Format,
                formatText("{}:{}: expected 4 fields (Layer, M, N, K), got {}", source, lineNo, fields->size()));
        }
        std::array<std::int64_t, 3> v {};
        for (std::size_t i = 0; i < 3; ++i) {
            auto parsed = parseInt((*fields)[i + 1]);
            if (!parsed) {
                return fail(ErrorCode::Format,
                    formatText("{}:{}: {}: '{}' is not an integer", source, lineNo, kFields[i], (*fields)[i + 1]));
            }
            v[i] = *parsed;
        }
        auto layer = layerFromGemm(std::string((*fields)[0]), v[0], v[1], v[2], formatText("{}:{}", source, lineNo));
        if (!layer) {
            return std::unexpected(layer.error());
        }
        workload.layers.push_back(std::move(*layer));
    }
    if (header) {
        return fail(ErrorCode::Format, formatText("{}: header: file is empty", source));
    }
    return workload;
}

Result<Workload> readGemmCsv(const std::filesystem::path& path)
{
    auto text = readTextFile(path);
    if (!text) {
        return std::unexpected(text.error());
    }
    return parseGemmCsv(*text, path.filename().string());
}

std::string formatGemmCsv(const Workload& workload)
{
    std::string out = "Layer, M, N, K,\n";
    for (const Layer& layer : workload.layers) {
        out += formatText("{}, {}, {}, {},\n", cleanName(layer.name), layer.m, layer.n, layer.k);
    }
    return out;
}

} // namespace optiscope::accelsim
