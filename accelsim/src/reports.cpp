// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/reports.h"

#include "optiscope/accelsim/scalesim_io.h"
#include "text_util.h"

#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <cmath>

namespace optiscope::accelsim {
namespace {

    std::string joinRow(std::size_t layerId, const std::vector<std::string>& items)
    {
        std::string line = std::to_string(layerId) + ", ";
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i > 0) {
                line += ", ";
            }
            line += items[i];
        }
        line += ",\n";
        return line;
    }

    // SCALE-Sim: DRAM words / (stop - start + 1).
    double dramBandwidth(const OperandTraffic& t)
    {
        return static_cast<double>(t.dramAccesses) / static_cast<double>(t.dramStopCycle - t.dramStartCycle + 1);
    }

    nlohmann::json operandJson(const OperandTraffic& t)
    {
        return { { "bits", t.bits }, { "sramAccesses", t.sramAccesses }, { "sramStartCycle", t.sramStartCycle },
            { "sramStopCycle", t.sramStopCycle }, { "dramAccesses", t.dramAccesses }, { "sramBytes", t.sramBytes() },
            { "dramBytes", t.dramBytes() }, { "dramStartCycle", t.dramStartCycle },
            { "dramStopCycle", t.dramStopCycle } };
    }

    nlohmann::json operandEnergyJson(const OperandEnergy& e)
    {
        return { { "ifmap", e.ifmapPj }, { "filter", e.filterPj }, { "metadata", e.metadataPj },
            { "ofmap", e.ofmapPj } };
    }

} // namespace

std::string pythonFloat(double value)
{
    if (std::isnan(value)) {
        return "nan";
    }
    if (std::isinf(value)) {
        return value > 0 ? "inf" : "-inf";
    }
    std::array<char, 64> buffer {};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    std::string text(buffer.data(), ec == std::errc {} ? end : buffer.data());
    if (text.find_first_of(".e") == std::string::npos) {
        text += ".0";
    }
    return text;
}

std::string formatComputeReport(const SimulationResult& result)
{
    std::string out = "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,\n";
    for (std::size_t i = 0; i < result.layers.size(); ++i) {
        const LayerStats& l = result.layers[i];
        out += joinRow(i,
            { std::to_string(l.totalCycles), std::to_string(l.stallCycles), pythonFloat(l.overallUtilPct),
                pythonFloat(l.mappingEfficiencyPct), pythonFloat(l.computeUtilPct) });
    }
    return out;
}

std::string formatBandwidthReport(const SimulationResult& result)
{
    std::string out = "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, "
                      "Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n";
    for (std::size_t i = 0; i < result.layers.size(); ++i) {
        const LayerStats& l = result.layers[i];
        const double cycles = static_cast<double>(l.totalCycles);
        out += joinRow(i,
            { pythonFloat(static_cast<double>(l.ifmap.sramAccesses) / cycles),
                pythonFloat(static_cast<double>(l.filter.sramAccesses) / cycles),
                pythonFloat(static_cast<double>(l.ofmapSramWritesReported) / cycles),
                pythonFloat(dramBandwidth(l.ifmap)), pythonFloat(dramBandwidth(l.filter)),
                pythonFloat(dramBandwidth(l.ofmap)) });
    }
    return out;
}

std::string formatDetailedAccessReport(const SimulationResult& result)
{
    std::string out = "LayerID, "
                      "SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, "
                      "SRAM Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, "
                      "SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, "
                      "DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
                      "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, "
                      "DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n";
    for (std::size_t i = 0; i < result.layers.size(); ++i) {
        const LayerStats& l = result.layers[i];
        auto s = [](std::int64_t v) { return std::to_string(v); };
        out += joinRow(i,
            { s(l.ifmap.sramStartCycle), s(l.ifmap.sramStopCycle), s(l.ifmap.sramAccesses), s(l.filter.sramStartCycle),
                s(l.filter.sramStopCycle), s(l.filter.sramAccesses), s(l.ofmap.sramStartCycle),
                s(l.ofmap.sramStopCycle), s(l.ofmapSramWritesReported), s(l.ifmap.dramStartCycle),
                s(l.ifmap.dramStopCycle), s(l.ifmap.dramAccesses), s(l.filter.dramStartCycle),
                s(l.filter.dramStopCycle), s(l.filter.dramAccesses), s(l.ofmap.dramStartCycle),
                s(l.ofmap.dramStopCycle), s(l.ofmap.dramAccesses) });
    }
    return out;
}

std::string formatJsonSummary(const SimulationResult& result)
{
    nlohmann::json layers = nlohmann::json::array();
    for (std::size_t i = 0; i < result.layers.size(); ++i) {
        const LayerStats& l = result.layers[i];
        const LayerGeometry& g = l.geometry;
        layers.push_back({ { "layerId", i }, { "name", l.name }, { "macs", l.macs },
            { "macsPerformed", l.macsPerformed }, { "totalCycles", l.totalCycles }, { "stallCycles", l.stallCycles },
            { "overallUtilPct", l.overallUtilPct }, { "mappingEfficiencyPct", l.mappingEfficiencyPct },
            { "computeUtilPct", l.computeUtilPct },
            { "geometry",
                { { "sr", g.sr }, { "sc", g.sc }, { "t", g.t }, { "rowFolds", g.rowFolds }, { "colFolds", g.colFolds },
                    { "cyclesPerFold", g.cyclesPerFold }, { "computeCycles", g.computeCycles }, { "nmN", g.nmN },
                    { "nmM", g.nmM }, { "kCompressed", g.kCompressed }, { "dualMac", g.dualMac },
                    { "unstructured", g.unstructured } } },
            { "metadataBitsPerWeight", l.metadataBitsPerWeight }, { "metadataSramBytes", l.metadataSramBytes },
            { "metadataDramBytes", l.metadataDramBytes }, { "ifmap", operandJson(l.ifmap) },
            { "filter", operandJson(l.filter) }, { "ofmap", operandJson(l.ofmap) },
            { "ofmapSramWritesReported", l.ofmapSramWritesReported },
            { "energyPj",
                { { "mac", l.energy.macPj }, { "sram", l.energy.sramPj }, { "dram", l.energy.dramPj },
                    { "total", l.energy.totalPj() }, { "sramByOperand", operandEnergyJson(l.energy.sram) },
                    { "dramByOperand", operandEnergyJson(l.energy.dram) } } } });
    }
    const nlohmann::json summary = { { "runName", result.runName },
        { "dataflow", std::string(dataflowName(result.dataflow)) }, { "totalCycles", result.totalCycles() },
        { "totalMacs", result.totalMacs() }, { "totalEnergyPj", result.totalEnergyPj() }, { "layers", layers } };
    return summary.dump(2) + "\n";
}

Result<void> writeReports(const SimulationResult& result, const std::filesystem::path& directory)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(directory, ec)) {
        return fail(ErrorCode::Io, formatText("{}: output directory does not exist", directory.string()));
    }
    // Everything is formatted before the first file is touched.
    const std::array<std::pair<const char*, std::string>, 4> files { {
        { "COMPUTE_REPORT.csv", formatComputeReport(result) },
        { "BANDWIDTH_REPORT.csv", formatBandwidthReport(result) },
        { "DETAILED_ACCESS_REPORT.csv", formatDetailedAccessReport(result) },
        { "summary.json", formatJsonSummary(result) },
    } };
    for (const auto& [name, text] : files) {
        if (auto ok = writeFileAtomically(directory / name, text); !ok) {
            return ok;
        }
    }
    return {};
}

} // namespace optiscope::accelsim
