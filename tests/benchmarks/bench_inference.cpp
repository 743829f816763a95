// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// GPT-2-small-shaped forward pass (12 layers, d=768, 12 heads, vocab 50257, 1024 positions,
// random F32 weights) at T=128 on 1 and 2 threads: best of N runs after a warm-up, in ms and
// GFLOP/s (2 × the MACs the op trace recorded). scripts/bench.sh sets the PyTorch numbers beside it.
//
//   bench_inference [--tokens T] [--runs N] [--threads 1,2] [--folder DIR]
#include "optiscope/core/atomic_write.h"
#include "optiscope/core/inference.h"
#include "optiscope/core/model.h"
#include "optiscope/core/safetensors.h"

#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

// Present only when OpenBLAS is linked (OPTISCOPE_USE_BLAS). The engine pins OpenBLAS to one
// thread and parallelises with TBB itself, so this is only used to name the backend.
extern "C" __attribute__((weak)) void openblas_set_num_threads(int);

namespace {

namespace core = optiscope::core;

constexpr int kLayers = 12;
constexpr int kHidden = 768;
constexpr int kHeads = 12;
constexpr int kVocab = 50257;
constexpr int kPositions = 1024;

struct Options {
    int tokens = 128;
    int runs = 5;
    std::vector<int> threads { 1, 2 };
    std::filesystem::path folder = "/tmp/optiscope_bench_gpt2_small";
};

// Deterministic, fast, and good enough for weights: xorshift64* mapped to [-a, a].
class Random {
public:
    explicit Random(std::uint64_t seed)
        : m_state(seed | 1)
    {
    }
    float uniform(float amplitude)
    {
        m_state ^= m_state >> 12;
        m_state ^= m_state << 25;
        m_state ^= m_state >> 27;
        const std::uint64_t bits = m_state * 0x2545F4914F6CDD1Dull;
        return amplitude * (static_cast<float>(bits >> 40) / static_cast<float>(1 << 23) - 1.0f);
    }

private:
    std::uint64_t m_state;
};

std::string configJson()
{
    return R"({
  "activation_function": "gelu_new",
  "architectures": ["GPT2LMHeadModel"],
  "bos_token_id": 50256,
  "eos_token_id": 50256,
  "layer_norm_epsilon": 1e-05,
  "model_type": "gpt2",
  "n_embd": 768,
  "n_head": 12,
  "n_inner": null,
  "n_layer": 12,
  "n_positions": 1024,
  "vocab_size": 50257
}
)";
}

bool writeModel(const std::filesystem::path& folder)
{
    std::filesystem::create_directories(folder);
    struct Spec {
        std::string name;
        std::vector<std::int64_t> shape;
        float amplitude; // 0 → ones (layer-norm gains)
    };
    std::vector<Spec> specs;
    const std::int64_t d = kHidden;
    specs.push_back({ "transformer.wte.weight", { kVocab, d }, 0.035f });
    specs.push_back({ "transformer.wpe.weight", { kPositions, d }, 0.02f });
    for (int layer = 0; layer < kLayers; ++layer) {
        const std::string p = "transformer.h." + std::to_string(layer) + ".";
        specs.push_back({ p + "ln_1.weight", { d }, 0.0f });
        specs.push_back({ p + "ln_1.bias", { d }, 0.01f });
        specs.push_back({ p + "attn.c_attn.weight", { d, 3 * d }, 0.035f });
        specs.push_back({ p + "attn.c_attn.bias", { 3 * d }, 0.01f });
        specs.push_back({ p + "attn.c_proj.weight", { d, d }, 0.035f });
        specs.push_back({ p + "attn.c_proj.bias", { d }, 0.01f });
        specs.push_back({ p + "ln_2.weight", { d }, 0.0f });
        specs.push_back({ p + "ln_2.bias", { d }, 0.01f });
        specs.push_back({ p + "mlp.c_fc.weight", { d, 4 * d }, 0.035f });
        specs.push_back({ p + "mlp.c_fc.bias", { 4 * d }, 0.01f });
        specs.push_back({ p + "mlp.c_proj.weight", { 4 * d, d }, 0.035f });
        specs.push_back({ p + "mlp.c_proj.bias", { d }, 0.01f });
    }
    specs.push_back({ "transformer.ln_f.weight", { d }, 0.0f });
    specs.push_back({ "transformer.ln_f.bias", { d }, 0.01f });

    Random random(20240601);
    std::vector<std::vector<float>> storage;
    std::vector<core::TensorToWrite> tensors;
    storage.reserve(specs.size());
    for (const Spec& spec : specs) {
        std::int64_t count = 1;
        for (std::int64_t dim : spec.shape) {
            count *= dim;
        }
        auto& values = storage.emplace_back(static_cast<std::size_t>(count));
        for (float& value : values) {
            value = spec.amplitude == 0.0f ? 1.0f + random.uniform(0.1f) : random.uniform(spec.amplitude);
        }
        tensors.push_back({ spec.name, core::DType::F32, spec.shape,
            std::as_bytes(std::span<const float>(values.data(), values.size())) });
    }
    auto weights = core::writeSafetensors(folder / "model.safetensors", tensors);
    if (!weights) {
        std::fprintf(stderr, "bench_inference: %s\n", weights.error().message.c_str());
        return false;
    }
    auto config = core::writeFileAtomically(folder / "config.json", configJson());
    if (!config) {
        std::fprintf(stderr, "bench_inference: %s\n", config.error().message.c_str());
        return false;
    }
    return true;
}

// Reuses an earlier run's folder when it loads with the right shape (writing ~500 MB takes a while).
core::Result<std::shared_ptr<const core::Model>> loadOrCreate(const std::filesystem::path& folder)
{
    if (std::filesystem::exists(folder / "model.safetensors")) {
        auto model = core::loadModel(folder);
        if (model && (*model)->config().hidden == kHidden && (*model)->config().layers == kLayers
            && (*model)->config().vocabSize == kVocab) {
            return model;
        }
    }
    std::printf("writing random GPT-2-small checkpoint to %s ...\n", folder.c_str());
    std::fflush(stdout);
    if (!writeModel(folder)) {
        return core::fail(core::ErrorCode::Io, folder.string() + ": cannot write the benchmark model");
    }
    return core::loadModel(folder);
}

bool parseArgs(int argc, char** argv, Options& options)
{
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool hasValue = i + 1 < argc;
        if (arg == "--tokens" && hasValue) {
            options.tokens = std::atoi(argv[++i]);
        } else if (arg == "--runs" && hasValue) {
            options.runs = std::atoi(argv[++i]);
        } else if (arg == "--folder" && hasValue) {
            options.folder = argv[++i];
        } else if (arg == "--threads" && hasValue) {
            options.threads.clear();
            for (const char* p = argv[++i]; *p != '\0';) {
                char* end = nullptr;
                options.threads.push_back(static_cast<int>(std::strtol(p, &end, 10)));
                p = *end == ',' ? end + 1 : end;
                if (end == p && *p != '\0') {
                    return false;
                }
            }
        } else {
            return false;
        }
    }
    return options.tokens > 0 && options.tokens <= kPositions && options.runs > 0
        && !options.threads.empty()
        && std::all_of(options.threads.begin(), options.threads.end(), [](int n) { return n > 0; });
}

} // namespace

int main(int argc, char** argv)
{
    Options options;
    if (!parseArgs(argc, argv, options)) {
        std::fprintf(stderr,
            "usage: bench_inference [--tokens T] [--runs N] [--threads 1,2] [--folder DIR]\n");
        return 2;
    }
    auto model = loadOrCreate(options.folder);
    if (!model) {
        std::fprintf(stderr, "bench_inference: %s\n", model.error().message.c_str());
        return 1;
    }
    std::vector<std::int32_t> ids(static_cast<std::size_t>(options.tokens));
    Random random(7);
    for (auto& id : ids) {
        id = static_cast<std::int32_t>(std::abs(random.uniform(1.0f)) * (kVocab - 1));
    }
    auto input = core::idsInput(**model, ids);
    if (!input) {
        std::fprintf(stderr, "bench_inference: %s\n", input.error().message.c_str());
        return 1;
    }

    // MACs from what inference actually multiplied, not from a formula.
    core::CaptureOptions traced;
    traced.opTrace = true;
    auto tracedRun = core::run(**model, *input, traced);
    if (!tracedRun) {
        std::fprintf(stderr, "bench_inference: %s\n", tracedRun.error().message.c_str());
        return 1;
    }
    const double flops = 2.0 * static_cast<double>(tracedRun->opTrace.totalMacs());
    std::printf("model: GPT-2 small shape (L=%d d=%d H=%d V=%d P=%d), T=%d, %.2f GFLOP per forward (%zu GEMMs)\n",
        kLayers, kHidden, kHeads, kVocab, kPositions, options.tokens, flops * 1e-9, tracedRun->opTrace.ops.size());
    std::printf(
        "gemm backend: %s\n", openblas_set_num_threads != nullptr ? "OpenBLAS sgemm (EIGEN_USE_BLAS)" : "Eigen");

    for (int threads : options.threads) {
        tbb::global_control parallelism(
            tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
        double bestMs = INFINITY;
        for (int i = 0; i <= options.runs; ++i) { // i == 0 is the warm-up
            const auto start = std::chrono::steady_clock::now();
            auto result = core::run(**model, *input);
            const double ms
                = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
            if (!result) {
                std::fprintf(stderr, "bench_inference: %s\n", result.error().message.c_str());
                return 1;
            }
            if (i > 0) {
                bestMs = std::min(bestMs, ms);
            }
        }
        std::printf("optiscope threads=%d blas_threads=%d best_ms=%.1f gflops=%.1f\n", threads,
            openblas_set_num_threads != nullptr ? 1 : 0, bestMs, flops / (bestMs * 1e6));
        std::fflush(stdout);
    }
    return 0;
}
