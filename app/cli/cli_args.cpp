// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "cli_common.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <system_error>
#include <utility>

namespace optiscope::cli {

namespace {

    // Whole-string parse: "12x" or "" is an error, not 12 or 0.
    template <typename T> std::optional<T> parseNumber(std::string_view text)
    {
        T value {};
        const char* end = text.data() + text.size();
        auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (ec != std::errc() || ptr != end || text.empty()) {
            return std::nullopt;
        }
        return value;
    }

    std::optional<std::vector<std::int32_t>> parseIdList(std::string_view text)
    {
        std::vector<std::int32_t> ids;
        while (true) {
            const auto comma = text.find(',');
            const auto item = parseNumber<std::int32_t>(text.substr(0, comma));
            if (!item) {
                return std::nullopt;
            }
            ids.push_back(*item);
            if (comma == std::string_view::npos) {
                return ids;
            }
            text.remove_prefix(comma + 1);
        }
    }

    // Walks "--name value" and "--name=value" forms; positional arguments are collected apart.
    class ArgCursor {
    public:
        explicit ArgCursor(const std::vector<std::string>& args, std::size_t first)
            : m_args(args)
            , m_index(first)
        {
        }

        bool atEnd() const { return m_index >= m_args.size(); }

        // Splits the current argument into name and an inline "=value" if any, and advances.
        std::string next(std::optional<std::string>& inlineValue)
        {
            std::string arg = m_args[m_index++];
            inlineValue.reset();
            if (arg.starts_with("--")) {
                const auto eq = arg.find('=');
                if (eq != std::string::npos) {
                    inlineValue = arg.substr(eq + 1);
                    arg.resize(eq);
                }
            }
            return arg;
        }

        std::expected<std::string, CliFailure> value(const std::string& option, std::optional<std::string>& inlineValue)
        {
            if (inlineValue) {
                return *std::exchange(inlineValue, std::nullopt);
            }
            if (atEnd()) {
                return std::unexpected(CliFailure { kExitUsage, "option " + option + " needs a value (see --help)" });
            }
            return m_args[m_index++];
        }

    private:
        const std::vector<std::string>& m_args;
        std::size_t m_index;
    };

    std::unexpected<CliFailure> badValue(const std::string& option, const std::string& value, const char* expected)
    {
        return usageError("option " + option + ": '" + value + "' is not " + expected);
    }

    std::expected<ParsedCommandLine, CliFailure> parseInfo(const std::vector<std::string>& args)
    {
        ParsedCommandLine parsed;
        parsed.command = Command::Info;
        std::vector<std::string> positional;
        ArgCursor cursor(args, 1);
        while (!cursor.atEnd()) {
            std::optional<std::string> inlineValue;
            const std::string arg = cursor.next(inlineValue);
            if (arg == "--help" || arg == "-h") {
                return ParsedCommandLine { Command::Help, {}, {} };
            } else if (arg == "--json" && !inlineValue) {
                parsed.info.json = true;
            } else if (arg.starts_with("-") && arg != "-") {
                return usageError("info: unknown option '" + arg + "' (see --help)");
            } else {
                positional.push_back(arg);
            }
        }
        if (positional.size() != 1) {
            return usageError(
                "info: expected exactly one MODEL_DIR argument, got " + std::to_string(positional.size()));
        }
        parsed.info.modelDir = positional.front();
        return parsed;
    }

    std::expected<ParsedCommandLine, CliFailure> parseRun(const std::vector<std::string>& args)
    {
        ParsedCommandLine parsed;
        parsed.command = Command::Run;
        RunOptions& run = parsed.run;
        std::vector<std::string> positional;
        bool samplingOptionGiven = false;
        ArgCursor cursor(args, 1);
        while (!cursor.atEnd()) {
            std::optional<std::string> inlineValue;
            const std::string arg = cursor.next(inlineValue);
            if (arg == "--help" || arg == "-h") {
                return ParsedCommandLine { Command::Help, {}, {} };
            }
            const bool takesValue = arg == "--text" || arg == "--input-ids" || arg == "--image"
                || arg == "--dump-logits" || arg == "--dump-attention" || arg == "--generate" || arg == "--top-k"
                || arg == "--temperature" || arg == "--seed";
            if (!takesValue) {
                if (arg.starts_with("-") && arg != "-") {
                    return usageError("run: unknown option '" + arg + "' (see --help)");
                }
                positional.push_back(arg);
                continue;
            }
            auto value = cursor.value(arg, inlineValue);
            if (!value) {
                return std::unexpected(value.error());
            }
            if (arg == "--text") {
                run.text = *value;
            } else if (arg == "--input-ids") {
                run.inputIds = parseIdList(*value);
                if (!run.inputIds) {
                    return badValue(arg, *value, "a comma-separated list of integer token ids");
                }
            } else if (arg == "--image") {
                run.imageFile = *value;
            } else if (arg == "--dump-logits") {
                run.dumpLogits = *value;
            } else if (arg == "--dump-attention") {
                run.dumpAttention = *value;
            } else if (arg == "--generate") {
                run.generateTokens = parseNumber<int>(*value);
                if (!run.generateTokens || *run.generateTokens < 1) {
                    return badValue(arg, *value, "a positive number of tokens");
                }
            } else if (arg == "--top-k") {
                const auto k = parseNumber<int>(*value);
                if (!k || *k < 0) {
                    return badValue(arg, *value, "a non-negative integer");
                }
                run.topK = *k;
                samplingOptionGiven = true;
            } else if (arg == "--temperature") {
                const auto t = parseNumber<float>(*value);
                if (!t || !std::isfinite(*t) || *t <= 0.0f) {
                    return badValue(arg, *value, "a positive number");
                }
                run.temperature = *t;
                samplingOptionGiven = true;
            } else if (arg == "--seed") {
                const auto s = parseNumber<std::uint64_t>(*value);
                if (!s) {
                    return badValue(arg, *value, "a non-negative integer");
                }
                run.seed = *s;
                samplingOptionGiven = true;
            }
        }
        if (positional.size() != 1) {
            return usageError("run: expected exactly one MODEL_DIR argument, got " + std::to_string(positional.size()));
        }
        run.modelDir = positional.front();
        const int inputs = int(run.text.has_value()) + int(run.inputIds.has_value()) + int(run.imageFile.has_value());
        if (inputs != 1) {
            return usageError(
                "run: give exactly one of --text, --input-ids, --image (got " + std::to_string(inputs) + ")");
        }
        if (samplingOptionGiven && !run.generateTokens) {
            return usageError("run: --top-k, --temperature and --seed only apply with --generate");
        }
        if (run.dumpLogits && run.dumpAttention && *run.dumpLogits == *run.dumpAttention) {
            return usageError("run: --dump-logits and --dump-attention name the same file '" + *run.dumpLogits + "'");
        }
        return parsed;
    }

} // namespace

std::expected<ParsedCommandLine, CliFailure> parseCommandLine(const std::vector<std::string>& args)
{
    if (args.empty()) {
        return usageError("missing command (see --help)");
    }
    const std::string& command = args.front();
    if (command == "--help" || command == "-h" || command == "help") {
        if (args.size() > 1 && command != "help") {
            return usageError("--help takes no arguments");
        }
        return ParsedCommandLine { Command::Help, {}, {} };
    }
    if (command == "--version") {
        if (args.size() > 1) {
            return usageError("--version takes no arguments");
        }
        return ParsedCommandLine { Command::Version, {}, {} };
    }
    if (command == "info") {
        return parseInfo(args);
    }
    if (command == "run") {
        return parseRun(args);
    }
    if (command.starts_with("-")) {
        return usageError("unknown option '" + command + "' (see --help)");
    }
    return usageError("unknown command '" + command + "' (see --help)");
}

std::string helpText()
{
    return R"(Usage:
  optiscope-cli info MODEL_DIR [--json]
  optiscope-cli run MODEL_DIR (--text STR | --input-ids 1,2,3 | --image FILE)
                [--dump-logits FILE.json] [--dump-attention FILE.json]
                [--generate N [--top-k K] [--temperature T] [--seed S]]
  optiscope-cli --help | --version

Commands:
  info   Print the architecture, sizes and every tensor (name, dtype, shape, bytes) of a
         Hugging Face model folder (config.json + model.safetensors). --json for JSON.
  run    Run one forward pass and print the tokens, the top-5 next-token predictions (language
         models), the predicted label (classifiers) and the elapsed time.
         --dump-logits writes {"logits": [[...], ...]} (one row per output row).
         --dump-attention writes {"attentions": [layer][head][query][key]}.
         --generate N appends N tokens (GPT-2; greedy unless --top-k K > 0).

Exit status: 0 on success, 1 on bad input (one line on stderr naming the file and the
field; no output file is written), 2 on a malformed command line.
)";
}

} // namespace optiscope::cli
