// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Demo operand values (attachDemoOperands): deterministic, sparse where the layer says its weights are.
#include "optiscope/accelsim/workload.h"

#include <algorithm>

namespace optiscope::accelsim {
namespace {

    // splitmix64: the same sequence on every platform, unlike the standard distributions.
    struct DemoRandom {
        std::uint64_t state;
        std::uint64_t next()
        {
            std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            return z ^ (z >> 31);
        }
        // Uniform in [-1, 1), never exactly 0 so the sparsity is the mask's alone.
        float value()
        {
            const double unit = static_cast<double>(next() >> 11) * 0x1.0p-53;
            const auto v = static_cast<float>(2.0 * unit - 1.0);
            return v == 0.0f ? 0.5f : v;
        }
        std::int64_t below(std::int64_t n) { return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n)); }
    };

    // Keeps at most `keep` randomly chosen nonzeros among rows [first, end) of column `col`, zeroes the others.
    void keepRandom(std::vector<float>& b, std::int64_t n, std::int64_t col, std::int64_t first, std::int64_t end,
        std::int64_t keep, DemoRandom& random)
    {
        std::vector<std::int64_t> rows;
        for (std::int64_t row = first; row < end; ++row) {
            if (b[static_cast<std::size_t>(row * n + col)] != 0.0f) {
                rows.push_back(row);
            }
        }
        for (std::size_t i = 0; i + 1 < rows.size(); ++i) { // Fisher-Yates
            std::swap(rows[i], rows[i + static_cast<std::size_t>(random.below(std::int64_t(rows.size() - i)))]);
        }
        for (std::size_t i = static_cast<std::size_t>(std::max<std::int64_t>(keep, 0)); i < rows.size(); ++i) {
            b[static_cast<std::size_t>(rows[i] * n + col)] = 0.0f;
        }
    }

} // namespace

std::size_t attachDemoOperands(Workload& workload, std::uint64_t seed, std::int64_t maxValues)
{
    std::size_t attached = 0;
    DemoRandom random { seed };
    for (Layer& layer : workload.layers) {
        if (layer.operands || layer.k > maxValues || layer.m > maxValues / layer.k || layer.n > maxValues / layer.k
            || layer.m * layer.k + layer.k * layer.n > maxValues) {
            continue;
        }
        auto data = std::make_shared<GemmOperands>();
        data->a.resize(static_cast<std::size_t>(layer.m * layer.k));
        data->b.resize(static_cast<std::size_t>(layer.k * layer.n));
        std::ranges::generate(data->a, [&] { return random.value(); });
        std::ranges::generate(data->b, [&] { return random.value(); });
        const auto* counts = layer.filterColumnNonzeros.get();
        const bool nm = layer.nmN > 0 && layer.nmM > 0 && layer.nmN < layer.nmM;
        for (std::int64_t col = 0; col < layer.n; ++col) {
            if (nm) {
                for (std::int64_t first = 0; first < layer.k; first += layer.nmM) {
                    keepRandom(data->b, layer.n, col, first, std::min(first + layer.nmM, layer.k), layer.nmN, random);
                }
            }
            if (counts && static_cast<std::int64_t>(counts->size()) == layer.n) {
                keepRandom(data->b, layer.n, col, 0, layer.k, (*counts)[static_cast<std::size_t>(col)], random);
            }
        }
        layer.operands = std::move(data);
        ++attached;
    }
    return attached;
}

} // namespace optiscope::accelsim
