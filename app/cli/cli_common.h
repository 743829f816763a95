// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Shared types of the command line: parsed options and the one-line failure each command returns.
#include "optiscope/accelsim/array_config.h"
#include "optiscope/accelsim/workload.h"
#include "optiscope/core/atomic_write.h"
#include "optiscope/core/compression/quantization.h"
#include "optiscope/core/model.h"
#include "optiscope/core/result.h"

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
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

// --out checked before any work, so a bad target fails fast and leaves nothing behind: its parent
// must exist; an existing target needs --overwrite and must be a folder iff wantsFolder.
CliResult checkOutTarget(const std::string& out, bool overwrite, bool wantsFolder);

// A folder written whole or not at all (core::writeFolderAtomically), filled by a CLI step whose
// failure comes back as it was (exit code included). Errors name the folder and --out.
inline CliResult writeFolderAtomically(
    const std::filesystem::path& folder, const std::function<CliResult(const std::filesystem::path& staging)>& fill)
{
    std::optional<CliFailure> failure;
    auto written = core::writeFolderAtomically(folder, "--out", [&](const std::filesystem::path& staging) -> core::Result<void> {
        if (auto ok = fill(staging); !ok) {
            failure = ok.error();
            return core::fail(core::ErrorCode::Io, failure->message);
        }
        return {};
    });
    if (failure) {
        return std::unexpected(*failure);
    }
    return written ? CliResult {} : engineError(written.error());
}

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

// The compressed model as one folder: Hugging Face files, compact.safetensors, recipe.json (cli_compress.cpp).
struct CompressOptions {
    std::string modelDir;
    std::string recipe;
    std::optional<std::string> calibrationText;
    std::string outDir;
    bool overwrite = false;
};

// A recipe template evaluated over the product of parameter values (cli_sweep.cpp).
struct SweepOptions {
    std::string modelDir;
    std::string recipeTemplate;
    std::vector<std::string> params; // "NAME=v1,v2,..." as given
    std::string out; // results CSV, resumed when it exists
    std::string textFile;
    std::optional<std::string> calibrationText;
    int threads = 0; // 0: oneTBB's default
};

// A session report (cli_report.cpp): HTML, optionally PDF, from a session or a recipe + model + text.
struct ReportOptions {
    std::string source; // .optiscope session or recipe .json
    std::optional<std::string> modelDir; // recipe only
    std::optional<std::string> text; // recipe only
    std::optional<std::string> config; // overrides the session's array
    std::string out; // .html
    std::optional<std::string> pdf;
    bool overwrite = false;
    bool sensitivity = false; // scan even when the recipe does not quantize
    std::optional<std::string> sweep; // an `optiscope-cli sweep` results CSV: the Pareto section
};

// Held-out accuracy of a linear probe on USE Lite embeddings, base vs --recipe (cli_probe.cpp).
struct ProbeOptions {
    std::string modelDir; // the USE Lite package's dist/ folder
    std::vector<std::string> data; // {text, class} JSON files, or folders of them
    std::optional<std::string> recipe;
    double l2 = 1e-3;
    double trainFraction = 0.8;
    std::uint64_t seed = 20240601;
    bool json = false;
};

struct EvalCommandOptions {
    std::string modelDir;
    std::optional<std::string> task; // perplexity | accuracy; checked against the model
    std::optional<std::string> data; // a data set name or path; the task's default when absent
    std::optional<std::string> recipe;
    std::optional<std::string> calibrationText;
    std::int64_t limit = 0;
    bool json = false;
};

enum class Command { Help, Version, Info, Run, Simulate, Sensitivity, Export, Compress, Sweep, Report, Probe, Eval };

struct ParsedCommandLine {
    Command command = Command::Help;
    InfoOptions info;
    RunOptions run;
    SimulateOptions simulate;
    SensitivityOptions sensitivity;
    ExportOptions exportOptions;
    CompressOptions compress;
    SweepOptions sweep;
    ReportOptions report;
    ProbeOptions probe;
    EvalCommandOptions eval;
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

// In cli_compress.cpp and cli_sweep.cpp; args[0] is the command.
std::expected<ParsedCommandLine, CliFailure> parseCompress(const std::vector<std::string>& args);
std::expected<ParsedCommandLine, CliFailure> parseSweep(const std::vector<std::string>& args);
// In cli_report.cpp; args[0] is "report".
std::expected<ParsedCommandLine, CliFailure> parseReport(const std::vector<std::string>& args);
// In cli_probe.cpp; args[0] is "probe".
std::expected<ParsedCommandLine, CliFailure> parseProbe(const std::vector<std::string>& args);
// In cli_eval.cpp; args[0] is "eval".
std::expected<ParsedCommandLine, CliFailure> parseEval(const std::vector<std::string>& args);

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
CliResult runCompress(const CompressOptions& options);
CliResult runSweep(const SweepOptions& options);
CliResult runReport(const ReportOptions& options);
CliResult runProbe(const ProbeOptions& options);
CliResult runEval(const EvalCommandOptions& options);

// The tokens of a text file, read with the model's tokenizer; errors name the file (cli_sweep.cpp).
std::expected<std::vector<std::int32_t>, CliFailure> readTextTokens(const core::Model& model, const std::string& file);

// In cli_simulate.cpp, shared with export: the array config of a .cfg or .json file, and the
// workload of one forward pass of options.modelDir (compressed by options.recipe) on its input.
std::expected<accelsim::ArrayConfig, CliFailure> loadArrayConfig(const std::string& file);
std::expected<accelsim::Workload, CliFailure> modelWorkload(const SimulateOptions& options);

} // namespace optiscope::cli
