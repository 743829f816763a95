// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Simulator speed on one BERT-base encoder layer at sequence length 128 (30 GEMMs: Q, K, V, QK^T and
// attention*V per head for 12 heads, output projection, FFN up and down): analytic layers per second for each
// dataflow on 32x32 and 128x128, and stepper cycles per second with and without the per-cycle PE grid.
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/stepper.h"

#include <chrono>
#include <cstdio>

using namespace optiscope::accelsim;

namespace {
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

Workload bertBaseLayer()
{
    constexpr std::int64_t kSeq = 128, kHidden = 768, kHeads = 12, kHeadDim = 64, kFfn = 3072;
    Workload w;
    w.name = "bert-base layer, seq 128";
    auto add = [&](std::string name, std::int64_t m, std::int64_t n, std::int64_t k) {
        w.layers.push_back(*layerFromGemm(std::move(name), m, n, k, "bench"));
    };
    for (const char* proj : { "q", "k", "v" }) {
        add(std::string("attn.") + proj, kSeq, kHidden, kHidden);
    }
    for (std::int64_t h = 0; h < kHeads; ++h) {
        add("attn.scores.head" + std::to_string(h), kSeq, kSeq, kHeadDim);
        add("attn.context.head" + std::to_string(h), kSeq, kHeadDim, kSeq);
    }
    add("attn.out", kSeq, kHidden, kHidden);
    add("ffn.up", kSeq, kFfn, kHidden);
    add("ffn.down", kSeq, kHidden, kFfn);
    return w;
}

ArrayConfig makeConfig(std::int64_t side, Dataflow df)
{
    ArrayParams p;
    p.rows = p.cols = side;
    p.dataflow = df;
    p.ifmapSramKiB = p.filterSramKiB = p.ofmapSramKiB = 512;
    return *ArrayConfig::create(p);
}
} // namespace

int main()
{
    const Workload bert = bertBaseLayer();
    std::printf("%s: %zu GEMMs\n", bert.name.c_str(), bert.layers.size());
    volatile std::int64_t sink = 0;
    for (std::int64_t side : { 32, 128 }) {
        for (Dataflow df : { Dataflow::OutputStationary, Dataflow::WeightStationary, Dataflow::InputStationary }) {
            const ArrayConfig config = makeConfig(side, df);
            constexpr int kRepeats = 20000;
            const auto start = Clock::now();
            std::int64_t cycles = 0;
            for (int i = 0; i < kRepeats; ++i) {
                cycles = simulate(bert, config)->totalCycles();
                sink = sink + cycles;
            }
            const double s = secondsSince(start);
            std::printf("analytic %3lldx%-3lld %s: %.3g GEMM layers/s, whole BERT layer in %.2f us (%lld cycles)\n",
                static_cast<long long>(side), static_cast<long long>(side), dataflowName(df).data(),
                kRepeats * static_cast<double>(bert.layers.size()) / s, 1e6 * s / kRepeats,
                static_cast<long long>(cycles));
        }
    }
    for (std::int64_t side : { 32, 128 }) {
        const ArrayConfig config = makeConfig(side, Dataflow::WeightStationary);
        Stepper stepper = *Stepper::create(bert, config);
        // Traffic only: what runToEnd does.
        auto start = Clock::now();
        auto totals = stepper.runToEnd();
        double s = secondsSince(start);
        std::printf("stepper  %3lldx%-3lld ws: %.3g cycles/s counting SRAM traffic (%lld cycles in %.3f s)\n",
            static_cast<long long>(side), static_cast<long long>(side), static_cast<double>(stepper.totalCycles()) / s,
            static_cast<long long>(stepper.totalCycles()), s);
        sink = sink + static_cast<std::int64_t>(totals->size());
        // With the whole PE grid every cycle, as the views consume it.
        std::vector<PeState> pes;
        stepper.seek(0);
        constexpr std::int64_t kGridCycles = 20000;
        start = Clock::now();
        std::int64_t macs = 0;
        for (std::int64_t i = 0; i < kGridCycles && !stepper.atEnd(); ++i, stepper.step()) {
            const CycleState state = stepper.state();
            stepper.peStates(pes);
            macs += state.ifmapSramReads;
            for (PeState p : pes) {
                macs += p == PeState::Mac;
            }
        }
        s = secondsSince(start);
        sink = sink + macs;
        std::printf("stepper  %3lldx%-3lld ws: %.3g cycles/s with the %lld-PE state grid\n",
            static_cast<long long>(side), static_cast<long long>(side), kGridCycles / s,
            static_cast<long long>(side * side));
    }
    return sink == 42 ? 1 : 0;
}
