// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Encode throughput of the GPT-2 BPE (fresh tokenizer = cold merge cache, then warm) and
// BERT WordPiece tokenizers on ~1 MB of text, in MB/s, best of N runs.
//
//   bench_tokenizer [--text FILE] [--runs N]
// Without --text the input is synthetic: the fixture corpus interleaved with pseudo-random
// words (fixed seed), so the merge cache sees a realistic mix of repeated and new words.
#include "optiscope/core/tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace {

// tests/benchmarks/CMakeLists.txt passes no fixture path; the sources sit beside the fixtures.
const std::filesystem::path kFixtures
    = std::filesystem::path(__FILE__).parent_path().parent_path() / "fixtures" / "tokenizers";

std::string syntheticText(std::size_t bytes)
{
    std::ifstream in(kFixtures / "corpus.json");
    const nlohmann::json corpus = nlohmann::json::parse(in);
    std::string text;
    std::uint64_t state = 12345;
    const auto next = [&] {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<std::uint32_t>(state >> 33);
    };
    while (text.size() < bytes) {
        const auto& texts = corpus["texts"];
        text += texts[next() % texts.size()].get<std::string>();
        for (int w = 0; w < 40; ++w) {
            text.push_back(' ');
            const int length = 1 + static_cast<int>(next() % 4 + next() % 6);
            for (int c = 0; c < length; ++c) {
                text.push_back(static_cast<char>('a' + next() % 26));
            }
            const std::uint32_t p = next() % 20;
            text += p == 0 ? "." : p == 1 ? "," : p == 2 ? "\n" : p == 3 ? " 42" : "";
        }
    }
    return text;
}

double mbPerSecond(std::size_t bytes, double seconds) { return static_cast<double>(bytes) / 1e6 / seconds; }

template <typename F> double seconds(F&& f)
{
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv)
{
    std::string text;
    int runs = 5;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--text") == 0 && i + 1 < argc) {
            std::ifstream in(argv[++i], std::ios::binary);
            std::ostringstream buffer;
            buffer << in.rdbuf();
            text = buffer.str();
        } else if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = std::max(1, std::atoi(argv[++i]));
        }
    }
    if (text.empty()) {
        text = syntheticText(1 << 20);
    }
    std::printf("input: %.2f MB\n", static_cast<double>(text.size()) / 1e6);
    for (const char* folder : { "gpt2", "bert_uncased" }) {
        double cold = 1e30;
        double warm = 1e30;
        std::size_t tokens = 0;
        for (int r = 0; r < runs; ++r) {
            auto tok = optiscope::core::loadTokenizer(kFixtures / folder);
            if (!tok) {
                std::fprintf(stderr, "%s\n", tok.error().message.c_str());
                return 1;
            }
            cold = std::min(cold, seconds([&] { tokens = (*tok)->encode(text).size(); }));
            warm = std::min(warm, seconds([&] { tokens = (*tok)->encode(text).size(); }));
        }
        std::printf("%-13s %8zu tokens  cold cache %7.2f MB/s  warm cache %7.2f MB/s\n", folder, tokens,
            mbPerSecond(text.size(), cold), mbPerSecond(text.size(), warm));
    }
    return 0;
}
