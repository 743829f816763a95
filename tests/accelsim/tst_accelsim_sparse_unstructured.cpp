// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Unstructured zero skipping (ArrayParams::unstructuredSparseWeights, simulate.h): hand-derived cycles and
// counts, analytic == stepper over many shapes and densities, and the op trace carrying column counts.
#include "optiscope/accelsim/config_json.h"
#include "optiscope/accelsim/scalesim_io.h"
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/stepper.h"

#include "totals_check.h"

#include <QTest>

#include <numeric>
#include <random>
#include <sstream>

using namespace optiscope::accelsim;

namespace {
ArrayConfig makeConfig(Dataflow df, std::int64_t rows, std::int64_t cols, bool skip = true)
{
    ArrayParams p;
    p.rows = rows;
    p.cols = cols;
    p.dataflow = df;
    p.unstructuredSparseWeights = skip;
    auto config = ArrayConfig::create(p);
    if (!config) {
        qFatal("%s", config.error().message.c_str());
    }
    return *config;
}

Layer sparseLayer(std::int64_t m, std::int64_t n, std::int64_t k, std::vector<std::int64_t> columns)
{
    auto layer = layerFromGemm("u", m, n, k, "test");
    if (!layer) {
        qFatal("%s", layer.error().message.c_str());
    }
    layer->filterColumnNonzeros = std::make_shared<const std::vector<std::int64_t>>(std::move(columns));
    return *layer;
}

LayerStats analyze(const Layer& layer, const ArrayConfig& config)
{
    auto stats = analyzeLayer(layer, config);
    if (!stats) {
        qFatal("%s", stats.error().message.c_str());
    }
    return *stats;
}

// Steps a one-layer workload; returns its totals and the PE-cycles spent in the Mac state.
std::pair<StepperLayerTotals, std::int64_t> step(const Layer& layer, const ArrayConfig& config, bool countMacs)
{
    Workload w;
    w.layers = { layer };
    Stepper stepper = *Stepper::create(w, config);
    std::int64_t macPeCycles = 0;
    if (countMacs) {
        std::vector<PeState> pes;
        for (Stepper walk = stepper; !walk.atEnd(); walk.step()) {
            walk.peStates(pes);
            macPeCycles += std::count(pes.begin(), pes.end(), PeState::Mac);
        }
    }
    return { stepper.runToEnd()->at(0), macPeCycles };
}
} // namespace

class TestAccelsimSparseUnstructured : public QObject {
    Q_OBJECT
private slots:
    void handDerivedWs()
    {
        // WS 4x4, M=5, K=8, N=6, column nonzeros {3,1,0,2,4,2}. Each column is stored as its nonzeros padded to
        // the densest column's 4 (ELLPACK), so Sr = K' = 4, Sc = N = 6, T = M = 5: 1 row fold x 2 column folds
        // of 2R + C + T - 2 = 8 + 4 + 5 - 2 = 15 cycles = 30 stepped (29 reported, SCALE-Sim's -1). Dense K = 8
        // needs 2 row folds: 4 folds = 60 stepped.
        // MACs performed 5 * (3+1+0+2+4+2) = 60; Mac PE-cycles M * N * K' = 120 (padding multiplies zeros).
        // Filter SRAM reads K' * N = 24 words, with a bitmask of K = 8 bits per column per 4 stored weights:
        // 24 / 4 * 8 = 48 bits = 6 bytes. Ifmap: each lane's first row reads the whole A row (K = 8 words) once
        // per fold: 5 * 8 * 1 row fold * 2 column folds = 80. Ofmap: M * N * row folds = 30.
        const Layer layer = sparseLayer(5, 6, 8, { 3, 1, 0, 2, 4, 2 });
        const LayerStats s = analyze(layer, makeConfig(Dataflow::WeightStationary, 4, 4));
        QVERIFY(s.geometry.unstructured);
        QCOMPARE(s.geometry.kCompressed, 4);
        QCOMPARE(s.geometry.folds, 2);
        QCOMPARE(s.geometry.steppedCycles, 30);
        QCOMPARE(s.totalCycles, 29);
        QCOMPARE(s.macsPerformed, 60);
        QCOMPARE(s.filter.sramAccesses, 24);
        QCOMPARE(s.metadataBitsPerWeight, 1);
        QCOMPARE(s.metadataSramBytes, 6);
        QCOMPARE(s.metadataDramBytes, 6);
        QCOMPARE(s.ifmap.sramAccesses, 80);
        QCOMPARE(s.ofmap.sramAccesses, 30);
        const auto [totals, macPeCycles] = step(layer, makeConfig(Dataflow::WeightStationary, 4, 4), true);
        QCOMPARE(macPeCycles, 120);
        QVERIFY2(totals_check::differences(totals, s).isEmpty(), totals_check::differences(totals, s));
        // The plane without zero skipping, and imbalance: one full column makes K' = K, dense again.
        QCOMPARE(analyze(layer, makeConfig(Dataflow::WeightStationary, 4, 4, false)).geometry.steppedCycles, 60);
        const Layer skewed = sparseLayer(5, 6, 8, { 3, 1, 0, 2, 8, 2 });
        const LayerStats dense = analyze(skewed, makeConfig(Dataflow::WeightStationary, 4, 4));
        QVERIFY(!dense.geometry.sparse());
        QCOMPARE(dense.geometry.steppedCycles, 60);
        QCOMPARE(dense.metadataSramBytes, 0);
        QCOMPARE(dense.macsPerformed, 5 * 6 * 8);
    }

    void handDerivedOs()
    {
        // OS 4x4, same layer: Sr = M = 5, Sc = N = 6, T = K' = 4: 2 x 2 folds of R + C + T - 2 = 10 cycles = 40
        // stepped (dense T = 8: 4 folds of 14 = 56). Filter SRAM reads K' * N * row folds = 48, bitmask
        // 48 / 4 * 8 bits = 12 bytes. Ifmap: each lane reads its whole A row at its first step: M * K per
        // column fold = 80.
        const Layer layer = sparseLayer(5, 6, 8, { 3, 1, 0, 2, 4, 2 });
        const ArrayConfig config = makeConfig(Dataflow::OutputStationary, 4, 4);
        const LayerStats s = analyze(layer, config);
        QCOMPARE(s.geometry.steppedCycles, 40);
        QCOMPARE(analyze(layer, makeConfig(Dataflow::OutputStationary, 4, 4, false)).geometry.steppedCycles, 56);
        QCOMPARE(s.filter.sramAccesses, 48);
        QCOMPARE(s.metadataSramBytes, 12);
        QCOMPARE(s.ifmap.sramAccesses, 80);
        const auto [totals, macPeCycles] = step(layer, config, true);
        QCOMPARE(macPeCycles, 5 * 6 * 4);
        QVERIFY2(totals_check::differences(totals, s).isEmpty(), totals_check::differences(totals, s));
        // IS keeps the ifmap stationary and cannot skip weight zeros.
        QVERIFY(!analyze(layer, makeConfig(Dataflow::InputStationary, 4, 4)).geometry.sparse());
    }

    void analyticEqualsStepperOverShapesAndDensities()
    {
        std::mt19937_64 rng(31);
        std::uniform_int_distribution<int> dim(1, 40), side(1, 12), dfPick(0, 2), coin(0, 1), bitsPick(0, 2);
        std::uniform_real_distribution<double> unit(0, 1);
        const double densities[] = { 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0 };
        for (int i = 0; i < 300; ++i) {
            const auto df = Dataflow(dfPick(rng));
            const std::int64_t r = side(rng), c = side(rng), m = dim(rng), n = dim(rng), k = dim(rng);
            const double density = densities[i % 7];
            std::vector<std::int64_t> columns(static_cast<std::size_t>(n));
            for (auto& count : columns) {
                std::binomial_distribution<std::int64_t> nonzeros(k, density);
                count = nonzeros(rng);
            }
            Layer layer = sparseLayer(m, n, k, columns);
            const int bits[] = { 4, 8, 16 };
            layer.filterBits = bits[bitsPick(rng)];
            if (i % 5 == 0) { // N:M on top: the N:M plane, when switched on, takes precedence
                layer.nmN = 1;
                layer.nmM = 2;
            }
            ArrayParams p;
            p.rows = r;
            p.cols = c;
            p.dataflow = df;
            p.unstructuredSparseWeights = true;
            p.sparseWeights = i % 10 == 0;
            p.scaleSimCompatible = coin(rng) == 1;
            if (coin(rng) == 1) {
                p.bandwidthMode = BandwidthMode::User;
                p.bandwidthWordsPerCycle = { 1 + i % 3, 1 + i % 5, 2 };
                p.ifmapSramKiB = p.filterSramKiB = p.ofmapSramKiB = 1; // refetches too
            }
            const ArrayConfig config = *ArrayConfig::create(p);
            const LayerStats analytic = analyze(layer, config);
            const auto [totals, macPeCycles] = step(layer, config, i % 4 == 0);
            const QByteArray where = "case " + QByteArray::number(i) + " df " + QByteArray::number(int(df)) + " R"
                + QByteArray::number(r) + " C" + QByteArray::number(c) + " M" + QByteArray::number(m) + " N"
                + QByteArray::number(n) + " K" + QByteArray::number(k) + " density " + QByteArray::number(density);
            QVERIFY2(totals_check::differences(totals, analytic).isEmpty(),
                where + ": " + totals_check::differences(totals, analytic));
            const std::int64_t nonzeros = std::accumulate(columns.begin(), columns.end(), std::int64_t { 0 });
            const std::int64_t densest = std::max<std::int64_t>(1, *std::max_element(columns.begin(), columns.end()));
            const LayerGeometry& g = analytic.geometry;
            if (df == Dataflow::InputStationary) {
                QVERIFY2(!g.sparse() && analytic.macsPerformed == m * n * k, where);
            } else if (p.sparseWeights && i % 5 == 0) {
                QVERIFY2(!g.unstructured && g.nmM == 2, where);
            } else if (densest < k) {
                QVERIFY2(g.unstructured && g.kCompressed == densest, where);
                QVERIFY2(analytic.macsPerformed == m * nonzeros, where);
                QVERIFY2(analytic.metadataSramBytes == (analytic.filter.sramAccesses / densest * k + 7) / 8, where);
            } else {
                QVERIFY2(!g.sparse() && analytic.macsPerformed == m * n * k, where);
            }
            if (i % 4 == 0) { // PE-cycles in the Mac state: every slot of every mapped column, padding included
                QVERIFY2(macPeCycles == m * n * g.kCompressed, where);
            }
        }
    }

    void configsRoundTrip()
    {
        const ArrayConfig config = makeConfig(Dataflow::OutputStationary, 8, 8);
        auto cfg = parseScaleSimConfig(formatScaleSimConfig(config), "round.cfg");
        QVERIFY(cfg);
        QVERIFY(cfg->params().unstructuredSparseWeights);
        auto json = parseArrayConfigJson(formatArrayConfigJson(config), "round.json");
        QVERIFY(json);
        QVERIFY(json->params().unstructuredSparseWeights);
        // A .cfg without the key (every SCALE-Sim file) reads as dense PEs.
        std::string plain = formatScaleSimConfig(makeConfig(Dataflow::OutputStationary, 8, 8, false));
        std::string withoutKey;
        std::istringstream lines(plain);
        for (std::string line; std::getline(lines, line);) {
            if (line.find("UnstructuredSparseWeights") == std::string::npos) {
                withoutKey += line + "\n";
            }
        }
        auto parsed = parseScaleSimConfig(withoutKey, "plain.cfg");
        QVERIFY2(parsed, parsed ? "" : parsed.error().message.c_str());
        QVERIFY(!parsed->params().unstructuredSparseWeights);
    }

    void opTraceCarriesColumnCounts()
    {
        optiscope::optrace::OpTrace trace;
        optiscope::optrace::MatMulOp op;
        op.name = "layer0.ffn.up";
        op.m = 4;
        op.k = 8;
        op.n = 3;
        op.bDensity = 0.25;
        op.bColumnNonzeros = std::make_shared<const std::vector<std::int64_t>>(std::vector<std::int64_t> { 2, 2, 2 });
        trace.ops.push_back(op);
        auto workload = workloadFromOpTrace(trace, "tiny");
        QVERIFY(workload);
        QVERIFY(workload->layers[0].filterColumnNonzeros);
        QCOMPARE(analyze(workload->layers[0], makeConfig(Dataflow::WeightStationary, 4, 4)).geometry.kCompressed, 2);
        // Counts that do not match N are refused with the op named.
        trace.ops[0].bColumnNonzeros
            = std::make_shared<const std::vector<std::int64_t>>(std::vector<std::int64_t> { 2 });
        auto bad = workloadFromOpTrace(trace, "tiny");
        QVERIFY(!bad);
        QVERIFY(bad.error().message.find("layer0.ffn.up") != std::string::npos);
        QVERIFY(bad.error().message.find("filterColumnNonzeros") != std::string::npos);
        // columnNonzeros counts a row-major K x N matrix by column.
        QCOMPARE(columnNonzeros({ 1, 0, 2, 0, 0, 3 }, 2, 3), (std::vector<std::int64_t> { 1, 0, 2 }));
    }
};

QTEST_APPLESS_MAIN(TestAccelsimSparseUnstructured)
#include "tst_accelsim_sparse_unstructured.moc"
