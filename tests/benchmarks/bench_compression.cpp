// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Recipe apply speed (issue 4's targets: <= 1 s for a full apply, <= 100 ms for a re-apply after
// one slider move). Recipe: Wanda 50 % (or magnitude 50 %) on every linear weight of the blocks,
// then int8 per channel. Full = a fresh RecipeApplier (Wanda's calibration pass included);
// incremental = the same applier after changing only the last step (bits 8 <-> 7), so the
// pruning step comes from the cache. Best of N runs, after one warm-up each.
//
//   bench_compression [--model DIR] [--text FILE] [--runs N] [--saliency wanda|magnitude]
#include "optiscope/core/compression/recipe_applier.h"
#include "optiscope/core/model.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace core = optiscope::core;

struct Options {
    std::filesystem::path model = std::filesystem::path(OPTISCOPE_SAMPLES_DIR) / "tiny-gpt2";
    std::filesystem::path text = std::filesystem::path(OPTISCOPE_FIXTURES_DIR) / "compression" / "eval_text.txt";
    int runs = 5;
    std::string saliency = "wanda";
};

bool parseArgs(int argc, char** argv, Options& options)
{
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool hasValue = i + 1 < argc;
        if (arg == "--model" && hasValue) {
            options.model = argv[++i];
        } else if (arg == "--text" && hasValue) {
            options.text = argv[++i];
        } else if (arg == "--runs" && hasValue) {
            options.runs = std::max(1, std::atoi(argv[++i]));
        } else if (arg == "--saliency" && hasValue) {
            options.saliency = argv[++i];
        } else {
            std::fprintf(stderr,
                "usage: bench_compression [--model DIR] [--text FILE] [--runs N] [--saliency wanda|magnitude]\n");
            return false;
        }
    }
    return options.saliency == "wanda" || options.saliency == "magnitude";
}

core::Recipe recipe(const std::string& saliency, int bits)
{
    const std::string json = R"({"schema": 1, "steps": [
        {"type": "prune", "targets": ["*.attn.c_attn.weight", "*.attn.c_proj.weight", "*.mlp.*.weight"],
         "saliency": ")"
        + saliency + R"(", "ratio": 0.5},
        {"type": "quantize", "targets": ["*.attn.c_attn.weight", "*.attn.c_proj.weight", "*.mlp.*.weight"],
         "bits": )"
        + std::to_string(bits) + R"(, "granularity": "per_channel"}]})";
    auto parsed = core::parseRecipe(json, "bench.json");
    if (!parsed) {
        std::fprintf(stderr, "%s\n", parsed.error().message.c_str());
        std::exit(1);
    }
    return *parsed;
}

double msSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv)
{
    Options options;
    if (!parseArgs(argc, argv, options)) {
        return 2;
    }
    auto model = core::loadModel(options.model);
    if (!model) {
        std::fprintf(stderr, "%s\n", model.error().message.c_str());
        return 1;
    }
    core::CalibrationData calibration;
    if (options.saliency == "wanda") {
        std::ifstream stream(options.text, std::ios::binary);
        std::ostringstream text;
        text << stream.rdbuf();
        if (!(*model)->tokenizer() || text.str().empty()) {
            std::fprintf(stderr, "%s: no tokenizer or no text for Wanda's calibration\n", options.text.c_str());
            return 1;
        }
        calibration.sequences.push_back((*model)->tokenizer()->encode(text.str()));
    }
    const core::Recipe first = recipe(options.saliency, 8), second = recipe(options.saliency, 7);
    double bestFull = 1e300, bestIncremental = 1e300;
    for (int run = 0; run <= options.runs; ++run) { // run 0 is the warm-up
        core::RecipeApplier applier(*model, calibration);
        auto start = std::chrono::steady_clock::now();
        auto full = applier.apply(first);
        const double fullMs = msSince(start);
        start = std::chrono::steady_clock::now();
        auto incremental = applier.apply(second);
        const double incrementalMs = msSince(start);
        if (!full || !incremental || applier.lastReusedSteps() != 1 || applier.lastComputedSteps() != 1) {
            std::fprintf(stderr, "apply failed or the cache was not used\n");
            return 1;
        }
        if (run > 0) {
            bestFull = std::min(bestFull, fullMs);
            bestIncremental = std::min(bestIncremental, incrementalMs);
        }
    }
    const auto& c = (*model)->config();
    std::printf("model %s (%d layers, d=%d), %s 50%% + int8 per channel, %zu calibration tokens, best of %d\n",
        options.model.c_str(), c.layers, c.hidden, options.saliency.c_str(),
        calibration.sequences.empty() ? std::size_t { 0 } : calibration.sequences.front().size(), options.runs);
    std::printf("full_ms=%.2f (target 1000, %.3f of it)\n", bestFull, bestFull / 1000.0);
    std::printf("incremental_ms=%.2f (target 100, %.3f of it; full/incremental %.1fx)\n", bestIncremental,
        bestIncremental / 100.0, bestFull / bestIncremental);
    return 0;
}
