// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Small random checkpoints written by hand for tests that need shapes the fixtures lack.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace optiscope::test {

// misalign: pad the header so the data section starts 2 bytes off a 4-byte boundary.
inline void writeRandomGpt2(
    const std::filesystem::path& folder, int vocab, int embd, int inner, int positions, bool misalign = false)
{
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> specs {
        { "transformer.wte.weight", { vocab, embd } },
        { "transformer.wpe.weight", { positions, embd } },
        { "transformer.h.0.ln_1.weight", { embd } },
        { "transformer.h.0.ln_1.bias", { embd } },
        { "transformer.h.0.attn.c_attn.weight", { embd, 3 * embd } },
        { "transformer.h.0.attn.c_attn.bias", { 3 * embd } },
        { "transformer.h.0.attn.c_proj.weight", { embd, embd } },
        { "transformer.h.0.attn.c_proj.bias", { embd } },
        { "transformer.h.0.ln_2.weight", { embd } },
        { "transformer.h.0.ln_2.bias", { embd } },
        { "transformer.h.0.mlp.c_fc.weight", { embd, inner } },
        { "transformer.h.0.mlp.c_fc.bias", { inner } },
        { "transformer.h.0.mlp.c_proj.weight", { inner, embd } },
        { "transformer.h.0.mlp.c_proj.bias", { embd } },
        { "transformer.ln_f.weight", { embd } },
        { "transformer.ln_f.bias", { embd } },
    };
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 0.2f);
    nlohmann::json header;
    std::string data;
    for (const auto& [name, shape] : specs) {
        std::int64_t count = 1;
        for (auto dim : shape) {
            count *= dim;
        }
        const bool gain = name.find("ln_") != std::string::npos && name.ends_with(".weight");
        std::vector<float> values(static_cast<std::size_t>(count));
        for (auto& value : values) {
            value = normal(rng) + (gain ? 1.0f : 0.0f);
        }
        header[name] = { { "dtype", "F32" }, { "shape", shape },
            { "data_offsets", { data.size(), data.size() + values.size() * sizeof(float) } } };
        data.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8 + (misalign ? 2 : 0), ' ');
    std::ofstream out(folder / "model.safetensors", std::ios::binary);
    const std::uint64_t length = text.size();
    out.write(reinterpret_cast<const char*>(&length), 8);
    out << text << data;
    std::ofstream(folder / "config.json") << nlohmann::json { { "architectures", { "GPT2LMHeadModel" } },
        { "n_layer", 1 }, { "n_embd", embd }, { "n_head", 4 }, { "n_inner", inner }, { "n_positions", positions },
        { "vocab_size", vocab } }.dump();
}

} // namespace optiscope::test
