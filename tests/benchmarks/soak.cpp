// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Soak (issue 7 §5): applies N random valid recipes (magnitude / N:M / block pruning, head pruning,
// int and float quantization formats, token pruning) to samples/tiny-gpt2, and for each one runs
// inference with the op trace, simulates the trace on a 32x32 weight-stationary array and evaluates
// perplexity / KL / top-1 on the evaluation text. Checks, and prints:
//   - resident memory (/proc/self/statm) after warm-up vs its peak afterwards: growth < 5 %;
//   - every 10th iteration replays an earlier recipe: logits, metrics and cycles bit-identical.
// Exit code 0 when both hold. Not a ctest test (minutes long); see README (Reliability).
//
//   soak [--iterations N] [--warmup W] [--seed S] [--model DIR] [--text FILE] [--array CFG]
#include "optiscope/accelsim/scalesim_io.h"
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/workload.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/inference.h"
#include "optiscope/core/model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace core = optiscope::core;
namespace accelsim = optiscope::accelsim;

constexpr double kMaxRssGrowth = 0.05;
constexpr int kReplayEvery = 10;
constexpr int kPrintEvery = 25;

struct Options {
    int iterations = 1000;
    int warmup = 100; // glibc arenas of the TBB worker threads reach their size within ~100 iterations
    unsigned seed = 1;
    std::string model = OPTISCOPE_SAMPLES_DIR "/tiny-gpt2";
    std::string text = OPTISCOPE_FIXTURES_DIR "/compression/eval_text.txt";
    std::string array = OPTISCOPE_SAMPLES_DIR "/accel/scalesim_32x32_ws.cfg";
};

std::int64_t residentBytes()
{
    std::ifstream statm("/proc/self/statm");
    std::int64_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * ::sysconf(_SC_PAGESIZE);
}

template <typename T>
T pick(std::mt19937& random, std::initializer_list<T> choices)
{
    return choices.begin()[std::uniform_int_distribution<std::size_t>(0, choices.size() - 1)(random)];
}

double uniform(std::mt19937& random, double low, double high)
{
    // Two decimals, so the recipe text shows exactly what was applied.
    return std::round(std::uniform_real_distribution<double>(low, high)(random) * 100) / 100;
}

// tiny-gpt2: d = 128, 4 heads, 4 layers; block matrices are [out 384|128|512] x [in 128|512], so
// N:M groups, blocks and quantization groups below divide every selected dimension.
std::string pruneStep(std::mt19937& random)
{
    const std::string targets = pick(random, { "transformer.h.*.weight", "*.mlp.*.weight", "*.attn.*.weight" });
    std::ostringstream step;
    step << R"({"type": "prune", "targets": ")" << targets << "\", ";
    switch (std::uniform_int_distribution<int>(0, 3)(random)) {
    case 0:
        step << R"("pattern": "unstructured", "ratio": )" << uniform(random, 0.05, 0.9);
        break;
    case 1: {
        const int m = pick(random, { 4, 8, 16 });
        step << R"("pattern": "n:m", "n": )" << std::uniform_int_distribution<int>(1, m - 1)(random)
             << R"(, "m": )" << m;
        break;
    }
    case 2: {
        const int side = pick(random, { 4, 8, 16, 32 });
        step << R"("pattern": "block", "block": [)" << side << ", " << side << R"(], "ratio": )"
             << uniform(random, 0.05, 0.8);
        break;
    }
    default:
        step << R"("pattern": "unstructured", "scope": "global", "ratio": )" << uniform(random, 0.05, 0.9);
    }
    step << "}";
    return step.str();
}

std::string headStep(std::mt19937& random)
{
    std::ostringstream step;
    step << R"({"type": "prune_heads", "heads": [)";
    const int count = std::uniform_int_distribution<int>(1, 4)(random);
    for (int i = 0; i < count; ++i) {
        step << (i ? ", " : "") << "[" << std::uniform_int_distribution<int>(0, 3)(random) << ", "
             << std::uniform_int_distribution<int>(0, 3)(random) << "]";
    }
    step << "]}";
    return step.str();
}

std::string quantizeStep(std::mt19937& random)
{
    std::ostringstream step;
    step << R"({"type": "quantize", "targets": "transformer.h.*.weight", )";
    const std::string format
        = pick(random, { "int", "int", "int", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "tf32", "ternary", "binary", "bfp" });
    step << R"("format": ")" << format << "\"";
    if (format == "int") {
        step << R"(, "bits": )" << std::uniform_int_distribution<int>(2, 8)(random) << R"(, "symmetric": )"
             << pick(random, { "true", "false" });
    }
    if (format == "int" || format == "ternary" || format == "binary") {
        const std::string granularity = pick(random, { "per_tensor", "per_channel", "group" });
        step << R"(, "granularity": ")" << granularity << "\"";
        if (granularity == "group") {
            step << R"(, "group_size": )" << pick(random, { 16, 32, 64 });
        }
    }
    if (format == "bfp") {
        step << R"(, "block_size": )" << pick(random, { 8, 16, 32 }) << R"(, "mantissa_bits": )"
             << std::uniform_int_distribution<int>(2, 7)(random);
    }
    step << "}";
    return step.str();
}

std::string tokenStep(std::mt19937& random)
{
    std::ostringstream step;
    step << R"({"type": "prune_tokens", "start_layer": )" << std::uniform_int_distribution<int>(1, 3)(random);
    if (std::uniform_int_distribution<int>(0, 1)(random) == 0) {
        step << R"(, "method": "cascade", "keep_ratio": )" << uniform(random, 0.3, 1.0);
    } else {
        step << R"(, "method": "threshold", "threshold": )" << uniform(random, 0.0, 0.05);
    }
    step << "}";
    return step.str();
}

// 1 to 4 steps: pruning before quantization (always valid; the reverse is too, except SparseGPT).
std::string randomRecipe(std::mt19937& random)
{
    std::vector<std::string> steps;
    const auto chance = [&](double p) { return std::bernoulli_distribution(p)(random); };
    if (chance(0.6)) {
        steps.push_back(pruneStep(random));
    }
    if (chance(0.25)) {
        steps.push_back(headStep(random));
    }
    if (chance(0.6)) {
        steps.push_back(quantizeStep(random));
    }
    if (chance(0.3)) {
        steps.push_back(tokenStep(random));
    }
    if (steps.empty()) {
        steps.push_back(pruneStep(random));
    }
    std::string json = R"({"schema": 1, "steps": [)";
    for (std::size_t i = 0; i < steps.size(); ++i) {
        json += (i ? ", " : "") + steps[i];
    }
    return json + "]}";
}

// Everything one iteration produced that must be bit-identical for an equal recipe.
// The logits are kept as a hash: storing them whole for every distinct recipe would itself grow memory.
struct Fingerprint {
    std::uint64_t logitsHash = 0; // FNV-1a over the float bytes
    double perplexity = 0, kl = 0, top1 = 0;
    std::int64_t nonzeros = 0, cycles = 0, macsPerformed = 0;
    bool operator==(const Fingerprint&) const = default;
};

struct Totals {
    double applyMs = 0, runMs = 0, simulateMs = 0, evaluateMs = 0;
};

template <typename T>
T orDie(core::Result<T> result, const std::string& what)
{
    if (!result) {
        std::fprintf(stderr, "soak: %s: %s\n", what.c_str(), result.error().message.c_str());
        std::exit(1);
    }
    return std::move(*result);
}

double msSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

Fingerprint iterate(const std::shared_ptr<const core::Model>& base, const std::string& recipeJson,
    const core::RunInput& input, const std::vector<std::int32_t>& evalTokens, const accelsim::ArrayConfig& array,
    Totals& totals)
{
    auto start = std::chrono::steady_clock::now();
    const auto recipe = orDie(core::parseRecipe(recipeJson, "soak recipe"), recipeJson);
    const auto model = orDie(core::applyRecipe(base, recipe), "apply " + recipeJson);
    totals.applyMs += msSince(start);

    start = std::chrono::steady_clock::now();
    core::CaptureOptions capture;
    capture.opTrace = true;
    capture.attention = true;
    auto run = orDie(core::run(*model, input, capture), "run " + recipeJson);
    totals.runMs += msSince(start);

    start = std::chrono::steady_clock::now();
    auto workload = accelsim::workloadFromOpTrace(run.opTrace, "soak");
    if (!workload) {
        std::fprintf(stderr, "soak: workload: %s\n", workload.error().message.c_str());
        std::exit(1);
    }
    auto simulated = accelsim::simulate(*workload, array);
    if (!simulated) {
        std::fprintf(stderr, "soak: simulate: %s\n", simulated.error().message.c_str());
        std::exit(1);
    }
    totals.simulateMs += msSince(start);

    start = std::chrono::steady_clock::now();
    const auto metrics = orDie(core::evaluateCompression(*model, evalTokens), "evaluate " + recipeJson);
    totals.evaluateMs += msSince(start);

    Fingerprint print;
    print.logitsHash = 14695981039346656037ull;
    const auto* bytes = reinterpret_cast<const unsigned char*>(run.logits.data());
    for (std::size_t i = 0; i < run.logits.size() * sizeof(float); ++i) {
        print.logitsHash = (print.logitsHash ^ bytes[i]) * 1099511628211ull;
    }
    print.perplexity = metrics.compressedPerplexity;
    print.kl = metrics.klMean;
    print.top1 = metrics.top1Agreement;
    print.nonzeros = metrics.nonzeros;
    print.cycles = simulated->totalCycles();
    for (const auto& layer : simulated->layers) {
        print.macsPerformed += layer.macsPerformed;
    }
    return print;
}

Options parseOptions(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (!value) {
            std::fprintf(stderr, "soak: option %s needs a value\n", arg.c_str());
            std::exit(2);
        }
        ++i;
        if (arg == "--iterations") {
            options.iterations = std::atoi(value);
        } else if (arg == "--warmup") {
            options.warmup = std::atoi(value);
        } else if (arg == "--seed") {
            options.seed = static_cast<unsigned>(std::strtoul(value, nullptr, 10));
        } else if (arg == "--model") {
            options.model = value;
        } else if (arg == "--text") {
            options.text = value;
        } else if (arg == "--array") {
            options.array = value;
        } else {
            std::fprintf(stderr, "soak: unknown option %s\n", arg.c_str());
            std::exit(2);
        }
    }
    if (options.iterations < 1 || options.warmup < 0 || options.warmup >= options.iterations) {
        std::fprintf(stderr, "soak: need 0 <= --warmup < --iterations\n");
        std::exit(2);
    }
    return options;
}

} // namespace

int main(int argc, char** argv)
{
    const Options options = parseOptions(argc, argv);
    const auto base = orDie(core::loadModel(options.model), options.model);
    std::ifstream textFile(options.text, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(textFile)), {});
    const auto input = orDie(core::textInput(*base, "Call me Ishmael. Some years ago, never mind how long precisely"),
        "input text");
    const auto evalTokens = base->tokenizer()->encode(text);
    auto array = accelsim::readScaleSimConfig(options.array);
    if (!array) {
        std::fprintf(stderr, "soak: %s\n", array.error().message.c_str());
        return 1;
    }

    std::mt19937 random(options.seed);
    std::vector<std::string> recipes;
    std::map<std::string, Fingerprint> seen;
    Totals totals;
    int replays = 0, mismatches = 0;
    std::int64_t rssWarm = 0, rssPeakAfterWarmup = 0, rssStart = residentBytes();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < options.iterations; ++i) {
        const bool replay = i > 0 && i % kReplayEvery == 0;
        const std::string recipe = replay
            ? recipes[std::uniform_int_distribution<std::size_t>(0, recipes.size() - 1)(random)]
            : randomRecipe(random);
        const Fingerprint print = iterate(base, recipe, input, evalTokens, *array, totals);
        if (const auto found = seen.find(recipe); found != seen.end()) {
            ++replays;
            if (!(found->second == print)) {
                ++mismatches;
                std::fprintf(stderr, "soak: iteration %d: results differ from an earlier run of %s\n", i, recipe.c_str());
            }
        } else {
            seen.emplace(recipe, print);
            recipes.push_back(recipe);
        }
        const std::int64_t rss = residentBytes();
        if (i + 1 == options.warmup || (options.warmup == 0 && i == 0)) {
            rssWarm = rss;
        } else if (i + 1 > options.warmup) {
            rssPeakAfterWarmup = std::max(rssPeakAfterWarmup, rss);
        }
        if ((i + 1) % kPrintEvery == 0 || i + 1 == options.iterations) {
            std::printf("iteration %5d  rss %7.1f MiB  %.1f s\n", i + 1, rss / 1048576.0, msSince(start) / 1000);
            std::fflush(stdout);
        }
    }
    const std::int64_t rssEnd = residentBytes();
    rssPeakAfterWarmup = std::max(rssPeakAfterWarmup, rssWarm);
    const double growth = static_cast<double>(rssPeakAfterWarmup - rssWarm) / static_cast<double>(rssWarm);
    const double seconds = msSince(start) / 1000;
    std::printf("\nsoak: %d iterations (%zu distinct recipes, %d replays), seed %u, %.1f s (%.1f ms per iteration)\n",
        options.iterations, recipes.size(), replays, options.seed, seconds, 1000 * seconds / options.iterations);
    std::printf("time per iteration: apply %.1f ms, run %.1f ms, simulate %.1f ms, evaluate %.1f ms\n",
        totals.applyMs / options.iterations, totals.runMs / options.iterations, totals.simulateMs / options.iterations,
        totals.evaluateMs / options.iterations);
    std::printf("resident memory: start %.1f MiB, after %d warm-up iterations %.1f MiB, peak after %.1f MiB, "
                "end %.1f MiB: growth %+.2f %% (limit %.0f %%)\n",
        rssStart / 1048576.0, options.warmup, rssWarm / 1048576.0, rssPeakAfterWarmup / 1048576.0,
        rssEnd / 1048576.0, 100 * growth, 100 * kMaxRssGrowth);
    std::printf("determinism: %d of %d replays bit-identical (logits, perplexity, KL, top-1, nonzeros, cycles)\n",
        replays - mismatches, replays);
    const bool ok = growth < kMaxRssGrowth && mismatches == 0 && replays > 0;
    std::printf("%s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
