// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "cli_common.h"

#include "optiscope/accelsim/config_json.h"
#include "optiscope/accelsim/reports.h"
#include "optiscope/accelsim/scalesim_io.h"
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/stepper.h"
#include "optiscope/accelsim/trace.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/inference.h"
#include "optiscope/core/stale_temporaries.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>

#include <unistd.h>

namespace optiscope::cli {

namespace {

    namespace fs = std::filesystem;

    std::unexpected<CliFailure> simError(const accelsim::Error& error) { return inputError(error.message); }

} // namespace

std::expected<accelsim::ArrayConfig, CliFailure> loadArrayConfig(const std::string& file)
{
    const std::string extension = fs::path(file).extension().string();
    auto config = extension == ".cfg" ? accelsim::readScaleSimConfig(file)
        : extension == ".json"        ? accelsim::readArrayConfigJson(file)
                                      : accelsim::Result<accelsim::ArrayConfig>(accelsim::fail(
                                          accelsim::ErrorCode::Input, file + ": --config: expected a .cfg or .json file"));
    if (!config) {
        return simError(config.error());
    }
    return std::move(*config);
}

// The op trace of one forward pass, as a workload named after the model folder (export uses it too).
std::expected<accelsim::Workload, CliFailure> modelWorkload(const SimulateOptions& options)
{
    auto model = loadModelFolder(*options.modelDir, options.recipe, options.calibrationText);
    if (!model) {
        return std::unexpected(model.error());
    }
    auto input
        = options.text ? core::textInput(**model, *options.text) : core::idsInput(**model, *options.inputIds);
    if (!input) {
        return inputError(*options.modelDir + ": " + input.error().message);
    }
    core::CaptureOptions capture;
    capture.opTrace = true;
    auto run = core::run(**model, *input, capture);
    if (!run) {
        return engineError(run.error());
    }
    auto workload = accelsim::workloadFromOpTrace(run->opTrace, fs::path(*options.modelDir).filename().string());
    if (!workload) {
        return simError(workload.error());
    }
    return std::move(*workload);
}

namespace {

    std::expected<accelsim::Workload, CliFailure> topologyWorkload(const SimulateOptions& options)
    {
        auto workload
            = options.gemm ? accelsim::readGemmCsv(*options.topology) : accelsim::readTopologyCsv(*options.topology);
        if (!workload) {
            return simError(workload.error());
        }
        return std::move(*workload);
    }

    // Checked before any work so a bad --out fails fast and leaves nothing behind.
    CliResult checkOutDir(const fs::path& out)
    {
        std::error_code ec;
        if (fs::exists(out, ec) && !fs::is_directory(out, ec)) {
            return inputError(out.string() + ": --out: exists and is not a folder");
        }
        const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
        if (!fs::is_directory(parent, ec)) {
            return inputError(out.string() + ": --out: parent folder " + parent.string() + " does not exist");
        }
        return {};
    }

    // Lines of CYCLE_TRACE.csv we write at most (about 40 bytes each: 160 MiB).
    constexpr std::int64_t kMaxTraceCycles = std::int64_t { 1 } << 22;

    // The stepper for --trace, made (and its length checked) before anything is written.
    std::expected<std::optional<accelsim::Stepper>, CliFailure> traceStepper(
        const SimulateOptions& options, const accelsim::Workload& workload, const accelsim::ArrayConfig& config)
    {
        if (!options.trace) {
            return std::optional<accelsim::Stepper> {};
        }
        auto stepper = accelsim::Stepper::create(workload, config);
        if (!stepper) {
            return simError(stepper.error());
        }
        if (stepper->totalCycles() > kMaxTraceCycles) {
            return inputError(options.outDir + ": --trace: the run has " + std::to_string(stepper->totalCycles())
                + " cycles, more than the " + std::to_string(kMaxTraceCycles)
                + " a per-cycle trace is written for; simulate a smaller workload or drop --trace");
        }
        return std::optional<accelsim::Stepper>(std::move(*stepper));
    }

    CliResult writeOutputs(const accelsim::SimulationResult& result, const accelsim::Stepper* trace, const fs::path& dir)
    {
        if (auto ok = accelsim::writeReports(result, dir); !ok) {
            return simError(ok.error());
        }
        if (trace) {
            if (auto ok = accelsim::writeCycleTrace(*trace, dir / "CYCLE_TRACE.csv", kMaxTraceCycles); !ok) {
                return simError(ok.error());
            }
            // DRAM words per operand over time, at most 1000 bins per layer (accelsim/trace.h).
            if (auto ok = accelsim::writeDramBandwidthTrace(*trace, dir / "DRAM_BANDWIDTH_TRACE.csv", 1000, kMaxTraceCycles);
                !ok) {
                return simError(ok.error());
            }
        }
        return {};
    }

    // An existing folder gets each report replaced atomically; a new one appears whole: the
    // reports go to a hidden sibling that is renamed into place.
    CliResult writeOutDir(const accelsim::SimulationResult& result, const accelsim::Stepper* trace, const fs::path& out)
    {
        std::error_code ec;
        const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
        core::removeStaleTemporaries(parent); // staging folders of runs killed before their rename
        if (fs::is_directory(out, ec)) {
            core::removeStaleTemporaries(out); // report temporaries of runs killed mid-write
            return writeOutputs(result, trace, out);
        }
        std::string stagingName = out.filename().string();
        stagingName.insert(0, 1, '.');
        stagingName += ".tmp-";
        stagingName += std::to_string(static_cast<long>(::getpid()));
        const fs::path staging = parent / stagingName;
        fs::remove_all(staging, ec);
        if (!fs::create_directory(staging, ec)) {
            return inputError(out.string() + ": --out: cannot create folder: " + ec.message());
        }
        if (auto ok = writeOutputs(result, trace, staging); !ok) {
            fs::remove_all(staging, ec);
            return ok;
        }
        fs::rename(staging, out, ec);
        if (ec) {
            const std::string reason = ec.message();
            fs::remove_all(staging, ec);
            return inputError(out.string() + ": --out: cannot create folder: " + reason);
        }
        return {};
    }

    void printTable(std::ostream& out, const accelsim::Workload& workload, const accelsim::SimulationResult& result,
        const accelsim::ArrayConfig& config)
    {
        char line[256];
        std::snprintf(line, sizeof line, "array %lldx%lld %s, %zu layers\n", static_cast<long long>(config.rows()),
            static_cast<long long>(config.cols()), std::string(accelsim::dataflowName(config.dataflow())).c_str(),
            result.layers.size());
        out << line;
        std::snprintf(line, sizeof line, "%-28s %8s %8s %8s %12s %8s %14s %14s\n", "layer", "M", "K", "N", "cycles",
            "util%", "MACs", "MACs done");
        out << line;
        std::int64_t performed = 0;
        for (std::size_t i = 0; i < result.layers.size(); ++i) {
            const auto& l = result.layers[i];
            const auto& w = workload.layers[i];
            performed += l.macsPerformed;
            std::snprintf(line, sizeof line, "%-28s %8lld %8lld %8lld %12lld %8.3f %14lld %14lld\n", l.name.c_str(),
                static_cast<long long>(w.m), static_cast<long long>(w.k), static_cast<long long>(w.n),
                static_cast<long long>(l.totalCycles), l.overallUtilPct, static_cast<long long>(l.macs),
                static_cast<long long>(l.macsPerformed));
            out << line;
        }
        std::snprintf(line, sizeof line, "total: %lld cycles, %lld MACs (%lld performed), %.3f uJ\n",
            static_cast<long long>(result.totalCycles()), static_cast<long long>(result.totalMacs()),
            static_cast<long long>(performed), result.totalEnergyPj() * 1e-6);
        out << line;
    }

} // namespace

std::expected<std::shared_ptr<const core::Model>, CliFailure> loadModelFolder(const std::string& folder,
    const std::optional<std::string>& recipeFile, const std::optional<std::string>& calibrationFile)
{
    // The recipe is parsed before the (slower) model load so a malformed file fails fast.
    std::optional<core::Recipe> recipe;
    if (recipeFile) {
        auto parsed = core::loadRecipe(*recipeFile);
        if (!parsed) {
            return engineError(parsed.error());
        }
        recipe = std::move(*parsed);
    }
    auto model = loadModelFolder(folder);
    if (!model || !recipe) {
        return model;
    }
    core::CalibrationData calibration;
    if (calibrationFile) {
        std::ifstream stream(*calibrationFile, std::ios::binary);
        if (!stream || !(*model)->tokenizer()) {
            return std::unexpected(CliFailure { kExitBadInput,
                *calibrationFile + (stream ? ": the model has no tokenizer to read it" : ": cannot open") });
        }
        std::ostringstream text;
        text << stream.rdbuf();
        calibration.sequences.push_back((*model)->tokenizer()->encode(text.str()));
    }
    auto compressed = core::applyRecipe(*model, *recipe, &calibration);
    if (!compressed) {
        return engineError(compressed.error());
    }
    return std::shared_ptr<const core::Model>(std::move(*compressed));
}

CliResult runSimulate(const SimulateOptions& options)
{
    const fs::path out(options.outDir);
    if (auto ok = checkOutDir(out); !ok) {
        return ok;
    }
    auto config = loadArrayConfig(options.config);
    if (!config) {
        return std::unexpected(config.error());
    }
    auto workload = options.topology ? topologyWorkload(options) : modelWorkload(options);
    if (!workload) {
        return std::unexpected(workload.error());
    }
    auto result = accelsim::simulate(*workload, *config);
    if (!result) {
        return simError(result.error());
    }
    auto trace = traceStepper(options, *workload, *config);
    if (!trace) {
        return std::unexpected(trace.error());
    }
    std::ostringstream text;
    if (options.json) {
        text << accelsim::formatJsonSummary(*result);
    } else {
        printTable(text, *workload, *result, *config);
    }
    if (auto ok = writeOutDir(*result, *trace ? &**trace : nullptr, out); !ok) {
        return ok;
    }
    std::cout << text.str() << std::flush;
    return {};
}

} // namespace optiscope::cli
