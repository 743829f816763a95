// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Shared types of the command line: parsed options and the one-line failure each command returns.
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
};

// Exactly one workload source: a SCALE-Sim topology (or GEMM) CSV, or a model run on one input.
struct SimulateOptions {
    std::optional<std::string> topology;
    bool gemm = false; // the topology file is a GEMM CSV (Layer, M, N, K,)
    std::optional<std::string> modelDir;
    std::optional<std::string> recipe;
    std::optional<std::string> text;
    std::optional<std::vector<std::int32_t>> inputIds;
    std::string config; // .cfg (SCALE-Sim) or .json (Optiscope)
    std::string outDir;
    bool json = false;
    bool trace = false; // also write CYCLE_TRACE.csv, one line per stepped cycle
};

enum class Command { Help, Version, Info, Run, Simulate };

struct ParsedCommandLine {
    Command command = Command::Help;
    InfoOptions info;
    RunOptions run;
    SimulateOptions simulate;
};

std::expected<ParsedCommandLine, CliFailure> parseCommandLine(const std::vector<std::string>& args);
std::string helpText();

// Checks the folder exists, then loads it; errors name the folder or the file inside it.
std::expected<std::shared_ptr<const core::Model>, CliFailure> loadModelFolder(const std::string& folder);

// The model folder, compressed by the recipe file when one is given (errors name the recipe
// file, step and field).
std::expected<std::shared_ptr<const core::Model>, CliFailure> loadModelFolder(
    const std::string& folder, const std::optional<std::string>& recipeFile);

CliResult runInfo(const InfoOptions& options);
CliResult runRun(const RunOptions& options);
CliResult runSimulate(const SimulateOptions& options);

} // namespace optiscope::cli
