// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Shared types of the command line: parsed options and the one-line failure each command returns.
#include "optiscope/accelsim/array_config.h"
#include "optiscope/accelsim/workload.h"
#include "optiscope/core/compression/quantization.h"
#include "optiscope/core/model.h"
#include "optiscope/core/result.h"

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace optiscope::cli {

// Exit codes: bad input (file, model, text, image) is 1, a malformed command line is 2.
inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;

struct CliFailure {
    int exitCode = kExitBadInput;
    std::string message; // one line, without the "optiscope-cli: " prefix
};

using CliResult = std::expected<void, CliFailure>;

inline std::unexpected<CliFailure> usageError(std::string message)
{
    return std::unexpected<CliFailure>(CliFailure { kExitUsage, std::move(message) });
}

inline std::unexpected<CliFailure> inputError(std::string message)
{
    return std::unexpected<CliFailure>(CliFailure { kExitBadInput, std::move(message) });
}

inline std::unexpected<CliFailure> engineError(const core::Error& error) { return inputError(error.message); }

struct InfoOptions {
    std::string modelDir;
    bool json = false;
};

struct RunOptions {
    std::string modelDir;
    std::optional<std::string> text;
    std::optional<std::vector<std::int32_t>> inputIds;
    std::optional<std::string> imageFile;
    std::optional<std::string> dumpLogits;
    std::optional<std::string> dumpAttention;
    std::optional<int> generateTokens;
    int topK = 0;
    float temperature = 1.0f;
    std::uint64_t seed = 0;
    std::optional<std::string> recipe; // run on the model compressed by this recipe
    std::optional<std::string> calibrationText; // text file for calibrated recipe steps (Wanda, SparseGPT, ...)
};

// Exactly one workload source: a SCALE-Sim topology (or GEMM) CSV, or a model run on one input.
struct SimulateOptions {
    std::optional<std::string> topology;
    bool gemm = false; // the topology file is a GEMM CSV (Layer, M, N, K,)
    std::optional<std::string> modelDir;
    std::optional<std::string> recipe;
    std::optional<std::string> calibrationText;
    std::optional<std::string> text;
    std::optional<std::vector<std::int32_t>> inputIds;
    std::string config; // .cfg (SCALE-Sim) or .json (Optiscope)
    std::string outDir;
    bool json = false;
    bool trace = false; // also write CYCLE_TRACE.csv, one line per stepped cycle
};

// Per-layer quantization sensitivity of a language model on a text file.
struct SensitivityOptions {
    std::string modelDir;
    core::QuantSpec quant;
    std::string quantJson; // as given, echoed in --json output
    std::string textFile;
    bool json = false;
};

// A compressed model written for other tools (cli_export.cpp).
enum class ExportFormat { HuggingFace, Compact, ScaleSim, Gguf };
struct ExportOptions {
    std::string modelDir;
    std::optional<std::string> recipe; // none: the base model as is
    ExportFormat format = ExportFormat::HuggingFace;
    std::string ggufType; // Gguf only: "f16" (default), "q8_0", "q4_0"
    std::string out; // folder (hf, scalesim) or file (compact, gguf)
    bool overwrite = false;
    std::optional<std::string> text; // ScaleSim only: the input whose forward pass is the workload
    std::optional<std::string> config; // ScaleSim only: the array (.cfg or .json)
};

enum class Command { Help, Version, Info, Run, Simulate, Sensitivity, Export };

struct ParsedCommandLine {
    Command command = Command::Help;
    InfoOptions info;
    RunOptions run;
    SimulateOptions simulate;
    SensitivityOptions sensitivity;
    ExportOptions exportOptions;
};

// A parse result with only the command set (help, version): no per-command options to list.
inline ParsedCommandLine commandOnly(Command command)
{
    ParsedCommandLine parsed;
    parsed.command = command;
    return parsed;
}

std::expected<ParsedCommandLine, CliFailure> parseCommandLine(const std::vector<std::string>& args);
std::string helpText();
// In cli_sensitivity.cpp; args[0] is "sensitivity".
std::expected<ParsedCommandLine, CliFailure> parseSensitivity(const std::vector<std::string>& args);
// In cli_export.cpp; args[0] is "export".
std::expected<ParsedCommandLine, CliFailure> parseExport(const std::vector<std::string>& args);

// Checks the folder exists, then loads it; errors name the folder or the file inside it.
std::expected<std::shared_ptr<const core::Model>, CliFailure> loadModelFolder(const std::string& folder);

// The model folder, compressed by the recipe file when one is given (errors name the recipe
// file, step and field); calibrated steps use the tokens of calibrationFile.
std::expected<std::shared_ptr<const core::Model>, CliFailure> loadModelFolder(const std::string& folder,
    const std::optional<std::string>& recipeFile, const std::optional<std::string>& calibrationFile = std::nullopt);

CliResult runInfo(const InfoOptions& options);
CliResult runRun(const RunOptions& options);
CliResult runSimulate(const SimulateOptions& options);
CliResult runSensitivity(const SensitivityOptions& options);
CliResult runExport(const ExportOptions& options);

// In cli_simulate.cpp, shared with export: the array config of a .cfg or .json file, and the
// workload of one forward pass of options.modelDir (compressed by options.recipe) on its input.
std::expected<accelsim::ArrayConfig, CliFailure> loadArrayConfig(const std::string& file);
std::expected<accelsim::Workload, CliFailure> modelWorkload(const SimulateOptions& options);

} // namespace optiscope::cli
