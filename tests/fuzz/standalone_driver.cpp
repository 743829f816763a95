// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// A small coverage-guided mutation fuzzer with libFuzzer's entry point and command-line subset, for compilers
// without libFuzzer: Debian 12's clang 14 cannot compile std::expected from libstdc++ 12, so the targets are
// built with GCC, -fsanitize=address,undefined and -fsanitize-coverage=trace-pc (this file implements the
// trace-pc callback as an edge-hash bitmap). With a real libFuzzer the same targets link without this file.
//
//   fuzz_x [-max_total_time=S] [-runs=N] [-timeout=S] [-max_len=N] [-artifact_prefix=DIR/] [-seed=N]
//          CORPUS_DIR_OR_FILE...
// Without -max_total_time and -runs every file given is run once (regression replay), like libFuzzer.
// New inputs that reach new edges are added to the first corpus directory. A crash, sanitizer report,
// abort or hang writes the input to <artifact_prefix>crash-<hash> or timeout-<hash> first.
#include <sanitizer/common_interface_defs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

constexpr std::size_t kMapSize = 1 << 16;
std::uint8_t g_map[kMapSize];
thread_local std::uintptr_t g_previous = 0;

std::vector<std::uint8_t> g_current; // the input being run, dumped when the process dies
std::string g_artifactPrefix = "./";
std::atomic<std::int64_t> g_runStartMs { 0 };

std::uint64_t fnv1a(const std::vector<std::uint8_t>& bytes)
{
    std::uint64_t hash = 1469598103934665603ull;
    for (std::uint8_t b : bytes) {
        hash = (hash ^ b) * 1099511628211ull;
    }
    return hash;
}

void dumpCurrent(const char* kind)
{
    char name[64];
    std::snprintf(name, sizeof name, "%s-%016llx", kind, static_cast<unsigned long long>(fnv1a(g_current)));
    const std::string path = g_artifactPrefix + name;
    if (std::FILE* file = std::fopen(path.c_str(), "wb")) {
        std::fwrite(g_current.data(), 1, g_current.size(), file);
        std::fclose(file);
    }
    std::fprintf(stderr, "==driver== %s: input (%zu bytes) written to %s\n", kind, g_current.size(), path.c_str());
}

void onDeath() { dumpCurrent("crash"); }

void onSignal(int sig)
{
    dumpCurrent("crash");
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

std::int64_t nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::vector<std::uint8_t> readFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return { std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>() };
}

std::size_t countNewEdges()
{
    static std::vector<std::uint8_t> seen(kMapSize, 0);
    std::size_t fresh = 0;
    for (std::size_t i = 0; i < kMapSize; ++i) {
        if (g_map[i] != 0 && seen[i] == 0) {
            seen[i] = 1;
            ++fresh;
        }
    }
    std::memset(g_map, 0, sizeof g_map);
    return fresh;
}

void runOne(const std::vector<std::uint8_t>& input)
{
    g_current = input;
    g_previous = 0;
    g_runStartMs.store(nowMs());
    // A copy in its own allocation so ASan sees reads past the end.
    std::vector<std::uint8_t> copy(input);
    LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
    g_runStartMs.store(0);
}

const char* const kTokens[] = { "0", "-1", "1", "2", "65536", "4294967296", "9223372036854775807",
    "18446744073709551615", "1e308", "-0", "NaN", "null", "true", "\"\"", "[]", "{}", ",", ":", "\"", "[", "]", "{",
    "}", "\n", "\r\n", " ", "\t", "#", "=", "\xff", "\xc3", "\xe2\x82", "\\u0000", "\\ud800" };

void mutate(std::vector<std::uint8_t>& data, const std::vector<std::vector<std::uint8_t>>& corpus, std::mt19937_64& rng,
    std::size_t maxLen)
{
    auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
    const int rounds = 1 + static_cast<int>(pick(4));
    for (int r = 0; r < rounds; ++r) {
        switch (pick(8)) {
        case 0: // flip a bit
            if (!data.empty()) {
                data[pick(data.size())] ^= static_cast<std::uint8_t>(1u << pick(8));
            }
            break;
        case 1: // random byte
            if (!data.empty()) {
                data[pick(data.size())] = static_cast<std::uint8_t>(rng());
            }
            break;
        case 2: { // insert a token
            const char* token = kTokens[pick(std::size(kTokens))];
            data.insert(
                data.begin() + static_cast<std::ptrdiff_t>(pick(data.size() + 1)), token, token + std::strlen(token));
            break;
        }
        case 3: // erase a range
            if (!data.empty()) {
                const std::size_t at = pick(data.size());
                const std::size_t n = 1 + pick(std::min<std::size_t>(data.size() - at, 64));
                data.erase(
                    data.begin() + static_cast<std::ptrdiff_t>(at), data.begin() + static_cast<std::ptrdiff_t>(at + n));
            }
            break;
        case 4: // duplicate a range
            if (!data.empty()) {
                const std::size_t at = pick(data.size());
                const std::size_t n = 1 + pick(std::min<std::size_t>(data.size() - at, 128));
                const std::vector<std::uint8_t> chunk(
                    data.begin() + static_cast<std::ptrdiff_t>(at), data.begin() + static_cast<std::ptrdiff_t>(at + n));
                data.insert(
                    data.begin() + static_cast<std::ptrdiff_t>(pick(data.size() + 1)), chunk.begin(), chunk.end());
            }
            break;
        case 5: { // splice another corpus entry's tail
            const auto& other = corpus[pick(corpus.size())];
            if (!other.empty()) {
                const std::size_t cut = pick(data.size() + 1);
                const std::size_t from = pick(other.size());
                data.resize(cut);
                data.insert(data.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
            }
            break;
        }
        case 6: // replace a run of digits by a token (lengths, offsets and sizes are where parsers break)
            if (!data.empty()) {
                std::size_t at = pick(data.size());
                while (at < data.size() && (data[at] < '0' || data[at] > '9')) {
                    ++at;
                }
                std::size_t end = at;
                while (end < data.size() && data[end] >= '0' && data[end] <= '9') {
                    ++end;
                }
                const char* token = kTokens[pick(9)];
                data.erase(
                    data.begin() + static_cast<std::ptrdiff_t>(at), data.begin() + static_cast<std::ptrdiff_t>(end));
                data.insert(data.begin() + static_cast<std::ptrdiff_t>(at), token, token + std::strlen(token));
            }
            break;
        default: // truncate
            data.resize(pick(data.size() + 1));
            break;
        }
    }
    if (data.size() > maxLen) {
        data.resize(maxLen);
    }
}

} // namespace

// Edge coverage: hash of this block's address with the previous one's.
extern "C" void __sanitizer_cov_trace_pc()
{
    const auto pc = reinterpret_cast<std::uintptr_t>(__builtin_return_address(0));
    g_map[(pc ^ g_previous) & (kMapSize - 1)] = 1;
    g_previous = pc >> 1;
}

int main(int argc, char** argv)
{
    double maxSeconds = 0;
    long long maxRuns = -1;
    double timeoutSeconds = 10;
    std::size_t maxLen = 4096;
    std::uint64_t seed = static_cast<std::uint64_t>(nowMs());
    std::vector<std::filesystem::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](const char* name) -> const char* {
            const std::size_t n = std::strlen(name);
            return arg.compare(0, n, name) == 0 ? arg.c_str() + n : nullptr;
        };
        if (const char* v = value("-max_total_time=")) {
            maxSeconds = std::atof(v);
        } else if (const char* v = value("-runs=")) {
            maxRuns = std::atoll(v);
        } else if (const char* v = value("-timeout=")) {
            timeoutSeconds = std::atof(v);
        } else if (const char* v = value("-max_len=")) {
            maxLen = static_cast<std::size_t>(std::atoll(v));
        } else if (const char* v = value("-artifact_prefix=")) {
            g_artifactPrefix = v;
        } else if (const char* v = value("-seed=")) {
            seed = static_cast<std::uint64_t>(std::atoll(v));
        } else if (arg.starts_with("-")) {
            std::fprintf(stderr, "==driver== ignoring unknown option %s\n", arg.c_str());
        } else {
            inputs.emplace_back(arg);
        }
    }
    __sanitizer_set_death_callback(onDeath);
    std::signal(SIGABRT, onSignal);
    std::signal(SIGSEGV, onSignal);
    std::signal(SIGFPE, onSignal);
    std::signal(SIGILL, onSignal);

    std::thread([timeoutSeconds] {
        for (;;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            const std::int64_t start = g_runStartMs.load();
            if (start != 0 && nowMs() - start > static_cast<std::int64_t>(timeoutSeconds * 1000)) {
                dumpCurrent("timeout");
                std::_Exit(70);
            }
        }
    }).detach();

    std::vector<std::vector<std::uint8_t>> corpus;
    std::filesystem::path corpusOut;
    for (const auto& input : inputs) {
        std::error_code ec;
        if (std::filesystem::is_directory(input, ec)) {
            if (corpusOut.empty()) {
                corpusOut = input;
            }
            for (const auto& entry : std::filesystem::directory_iterator(input, ec)) {
                if (entry.is_regular_file()) {
                    corpus.push_back(readFile(entry.path()));
                }
            }
        } else {
            corpus.push_back(readFile(input));
        }
    }
    if (corpus.empty()) {
        corpus.emplace_back();
    }
    for (const auto& input : corpus) {
        runOne(input);
        countNewEdges();
    }
    if (maxSeconds <= 0 && maxRuns < 0) {
        std::fprintf(stderr, "==driver== replayed %zu inputs\n", corpus.size());
        return 0;
    }

    std::mt19937_64 rng(seed);
    const std::int64_t deadline = nowMs() + static_cast<std::int64_t>(maxSeconds * 1000);
    long long runs = 0;
    std::size_t added = 0;
    std::int64_t nextReport = nowMs() + 10000;
    while ((maxRuns < 0 || runs < maxRuns) && (maxSeconds <= 0 || nowMs() < deadline)) {
        std::vector<std::uint8_t> input = corpus[static_cast<std::size_t>(rng() % corpus.size())];
        mutate(input, corpus, rng, maxLen);
        runOne(input);
        ++runs;
        if (countNewEdges() > 0) {
            corpus.push_back(input);
            ++added;
            if (!corpusOut.empty()) {
                std::ofstream out(corpusOut / ("cov-" + std::to_string(fnv1a(input))), std::ios::binary);
                out.write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.size()));
            }
        }
        if (nowMs() > nextReport) {
            std::fprintf(stderr, "==driver== %lld runs, corpus %zu (+%zu)\n", runs, corpus.size(), added);
            nextReport = nowMs() + 10000;
        }
    }
    std::fprintf(stderr, "==driver== done: %lld runs, corpus %zu (+%zu new), seed %llu\n", runs, corpus.size(), added,
        static_cast<unsigned long long>(seed));
    return 0;
}
