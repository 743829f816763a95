// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Operand values moving through the array (Stepper::peOperands) against a plain triple-loop GEMM: the products
// the PEs perform over all stepped cycles rebuild C exactly, the partial sums leaving each fold add up to C, and
// moving operands shift one PE per cycle.
#include "optiscope/accelsim/stepper.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace optiscope::accelsim;

namespace {
// Float products summed in double: the only error is float rounding of psum (2^-24 relative to the sum of
// |products|), so 1e-5 of that scale is loose enough and still catches any missing or doubled product.
constexpr double kRelTolerance = 1e-5;

ArrayConfig makeConfig(Dataflow df, std::int64_t rows, std::int64_t cols, bool sparse = false,
    bool unstructured = false, bool userBandwidth = false)
{
    ArrayParams p;
    if (userBandwidth) { // DRAM stalls before folds: the operand values must skip them
        p.bandwidthMode = BandwidthMode::User;
        p.bandwidthWordsPerCycle = { 1 };
    }
    p.rows = rows;
    p.cols = cols;
    p.dataflow = df;
    p.sparseWeights = sparse;
    p.unstructuredSparseWeights = unstructured;
    auto config = ArrayConfig::create(p);
    if (!config) {
        qFatal("%s", config.error().message.c_str());
    }
    return *config;
}

struct Gemm {
    std::int64_t m, n, k;
    std::vector<float> a, b;
    std::vector<double> c, scale; // exact C and sum of |a*b| per element
};

// The reference: a plain triple loop in double.
void exactC(Gemm& g)
{
    g.c.assign(std::size_t(g.m * g.n), 0);
    g.scale.assign(std::size_t(g.m * g.n), 0);
    for (std::int64_t i = 0; i < g.m; ++i) {
        for (std::int64_t j = 0; j < g.n; ++j) {
            for (std::int64_t x = 0; x < g.k; ++x) {
                const double p = double(g.a[std::size_t(i * g.k + x)]) * double(g.b[std::size_t(x * g.n + j)]);
                g.c[std::size_t(i * g.n + j)] += p;
                g.scale[std::size_t(i * g.n + j)] += std::abs(p);
            }
        }
    }
}

Gemm randomGemm(std::mt19937_64& rng, std::int64_t m, std::int64_t n, std::int64_t k, double zeroFraction = 0)
{
    std::uniform_real_distribution<float> value(-1.0f, 1.0f);
    std::uniform_real_distribution<double> unit(0, 1);
    Gemm g { m, n, k, std::vector<float>(std::size_t(m * k)), std::vector<float>(std::size_t(k * n)), {}, {} };
    for (float& x : g.a) {
        x = value(rng);
    }
    for (float& x : g.b) {
        x = unit(rng) < zeroFraction ? 0.0f : value(rng);
    }
    exactC(g);
    return g;
}

Layer layerOf(const Gemm& g)
{
    auto layer = layerFromGemm("g", g.m, g.n, g.k, "test");
    if (!layer || !attachOperands(*layer, g.a, g.b)) {
        qFatal("bad layer");
    }
    return *layer;
}

Stepper stepperOf(const Layer& layer, const ArrayConfig& config)
{
    Workload w;
    w.layers = { layer };
    auto stepper = Stepper::create(std::move(w), config);
    if (!stepper) {
        qFatal("%s", stepper.error().message.c_str());
    }
    return *stepper;
}

bool close(double got, double want, double scale) { return std::abs(got - want) <= kRelTolerance * (scale + 1e-30); }

// Steps the whole layer and checks everything the operand values promise; returns "" or what failed.
QByteArray checkFlow(Stepper stepper, const Gemm& g, Dataflow df)
{
    const std::int64_t cols = stepper.config().cols();
    std::vector<double> fromProducts(g.c.size(), 0), fromPsums(g.c.size(), 0);
    std::vector<PeOperands> now, before;
    std::vector<PeState> states;
    std::int64_t previousFold = -1;
    const bool dense = !stepper.geometry(0).sparse();
    for (; !stepper.atEnd(); stepper.step()) {
        const CycleState s = stepper.state();
        stepper.peStates(states);
        stepper.peOperands(now);
        const bool sameFold = s.fold == previousFold;
        for (std::int64_t r = 0; r < stepper.config().rows(); ++r) {
            for (std::int64_t c = 0; c < cols; ++c) {
                const PeOperands& o = now[std::size_t(r * cols + c)];
                if (states[std::size_t(r * cols + c)] != PeState::Mac) {
                    continue;
                }
                if (!o.hasPsum || o.m < 0 || o.n < 0) {
                    return "Mac PE without psum at cycle " + QByteArray::number(s.cycle);
                }
                const std::size_t out = std::size_t(o.m * g.n + o.n);
                fromProducts[out] += o.product();
                // A fold's partial sum leaves WS / IS at its last used row; OS holds the sum after its last step.
                const bool leaves = df == Dataflow::OutputStationary ? s.foldCycle - r - c == stepper.geometry(0).t - 1
                                                                     : r == s.rowsUsed - 1;
                if (leaves) {
                    fromPsums[out] += o.psum;
                }
                if (!sameFold) {
                    continue;
                }
                // Systolic shift: the moving operand at (r, c) was at (r, c-1) one cycle earlier. On a sparse
                // plane each column selects its own activation from the lane, so only dense layers are checked.
                const PeOperands& left = before[std::size_t(r * cols + std::max<std::int64_t>(c - 1, 0))];
                const bool movesA = df != Dataflow::InputStationary;
                if (dense && c > 0
                    && (movesA ? (!left.hasA || left.a != o.a || left.k != o.k || left.m != o.m)
                               : (!left.hasB || left.b != o.b || left.n != o.n))) {
                    return "no shift into (" + QByteArray::number(r) + "," + QByteArray::number(c) + ") at cycle "
                        + QByteArray::number(s.cycle);
                }
                if (dense && df == Dataflow::OutputStationary && r > 0) {
                    const PeOperands& up = before[std::size_t((r - 1) * cols + c)];
                    if (!up.hasB || up.b != o.b || up.k != o.k) {
                        return "B did not move down into (" + QByteArray::number(r) + "," + QByteArray::number(c)
                            + ") at cycle " + QByteArray::number(s.cycle);
                    }
                }
                // Partial sums: WS / IS pass them down, OS keeps them.
                const PeOperands& from = df == Dataflow::OutputStationary ? before[std::size_t(r * cols + c)]
                    : r > 0                                               ? before[std::size_t((r - 1) * cols + c)]
                                                                          : PeOperands {};
                const bool first = df == Dataflow::OutputStationary ? s.foldCycle == r + c : r == 0;
                const double expected = (first ? 0.0 : double(from.psum)) + o.product();
                if (!close(o.psum, expected, g.scale[out] + 1)) {
                    return "psum does not accumulate at (" + QByteArray::number(r) + "," + QByteArray::number(c)
                        + ") cycle " + QByteArray::number(s.cycle);
                }
            }
        }
        before = now;
        previousFold = s.fold;
    }
    for (std::size_t i = 0; i < g.c.size(); ++i) {
        if (!close(fromProducts[i], g.c[i], g.scale[i])) {
            return "C from products differs at " + QByteArray::number(qulonglong(i)) + ": "
                + QByteArray::number(fromProducts[i]) + " vs " + QByteArray::number(g.c[i]);
        }
        if (!close(fromPsums[i], g.c[i], g.scale[i])) {
            return "C from psums differs at " + QByteArray::number(qulonglong(i)) + ": "
                + QByteArray::number(fromPsums[i]) + " vs " + QByteArray::number(g.c[i]);
        }
    }
    return {};
}
} // namespace

class TestAccelsimOperands : public QObject {
    Q_OBJECT
private slots:
    void denseGemmsRebuildC()
    {
        std::mt19937_64 rng(21);
        std::uniform_int_distribution<int> dim(1, 11), side(1, 5), dfPick(0, 2);
        for (int i = 0; i < 90; ++i) {
            const auto df = Dataflow(dfPick(rng));
            const std::int64_t r = side(rng), c = side(rng), m = dim(rng), n = dim(rng), k = dim(rng);
            const Gemm g = randomGemm(rng, m, n, k);
            const QByteArray where = "df " + QByteArray::number(int(df)) + " R" + QByteArray::number(r) + " C"
                + QByteArray::number(c) + " M" + QByteArray::number(m) + " N" + QByteArray::number(n) + " K"
                + QByteArray::number(k) + ": ";
            const QByteArray failure
                = checkFlow(stepperOf(layerOf(g), makeConfig(df, r, c, false, false, i % 3 == 0)), g, df);
            QVERIFY2(failure.isEmpty(), where + failure);
        }
    }

    void sparsePlanesSkipZerosAndStillRebuildC()
    {
        // 2:4 weights on an N:M plane, and unstructured weights on a zero-skipping plane: the slots hold only
        // nonzeros, so the products of the stepped PEs still add up to C (the zeros contribute nothing).
        std::mt19937_64 rng(23);
        for (const Dataflow df : { Dataflow::OutputStationary, Dataflow::WeightStationary }) {
            for (int i = 0; i < 12; ++i) {
                Gemm g = randomGemm(rng, 3 + i % 4, 2 + i % 5, 4 * (1 + i % 3) + i % 2);
                // Keep at most 2 of every 4 along K in each column.
                for (std::int64_t col = 0; col < g.n; ++col) {
                    for (std::int64_t x = 0; x < g.k; ++x) {
                        if (x % 4 >= 2) {
                            g.b[std::size_t(x * g.n + col)] = 0.0f;
                        }
                    }
                }
                exactC(g); // for the pruned B
                Layer nm = layerOf(g);
                nm.nmN = 2;
                nm.nmM = 4;
                Stepper nmStepper = stepperOf(nm, makeConfig(df, 3, 3, true));
                QVERIFY(nmStepper.geometry(0).sparse());
                QVERIFY2(checkFlow(nmStepper, g, df).isEmpty(), checkFlow(nmStepper, g, df));

                Gemm u = randomGemm(rng, 2 + i % 3, 3 + i % 4, 5 + i, 0.6);
                Layer layer = layerOf(u);
                layer.filterColumnNonzeros
                    = std::make_shared<const std::vector<std::int64_t>>(columnNonzeros(u.b, u.k, u.n));
                Stepper unstructured = stepperOf(layer, makeConfig(df, 4, 2, false, true));
                QVERIFY2(checkFlow(unstructured, u, df).isEmpty(), checkFlow(unstructured, u, df));
            }
        }
    }

    void handDerivedWsValues()
    {
        // WS 2x2, A = [[1,2],[3,4]] (M=2, K=2), B = [[5,6],[7,8]] (K=2, N=2); C = [[19,22],[43,50]].
        // Preload cycles 0-1 (row 1 first), then PE(r, c) multiplies A[m][r] * B[r][c] at cycle 2 + r + c + m.
        Layer layer = *layerFromGemm("hand", 2, 2, 2, "test");
        QVERIFY(attachOperands(layer, { 1, 2, 3, 4 }, { 5, 6, 7, 8 }));
        Stepper s = stepperOf(layer, makeConfig(Dataflow::WeightStationary, 2, 2));
        s.seek(0);
        QVERIFY(s.hasOperands());
        QVERIFY(s.peOperands(1, 0).hasB); // row 1 loads at cycle R-1-1 = 0
        QCOMPARE(s.peOperands(1, 0).b, 7.0f);
        QVERIFY(!s.peOperands(0, 0).hasB); // row 0 loads at cycle 1
        s.seek(4); // PE(1,1): m = 4 - 2 - 1 - 1 = 0 -> A[0][1] * B[1][1] = 2*8, psum 1*6 + 2*8 = 22
        PeOperands o = s.peOperands(1, 1);
        QCOMPARE(o.a, 2.0f);
        QCOMPARE(o.b, 8.0f);
        QCOMPARE(o.psum, 22.0f);
        QCOMPARE(o.m, 0);
        QCOMPARE(o.n, 1);
        o = s.peOperands(1, 0); // m = 1: A[1][1] * B[1][0] = 4*7, psum 3*5 + 28 = 43
        QCOMPARE(o.a, 4.0f);
        QCOMPARE(o.psum, 43.0f);
    }

    void demoOperandsFitTheSparsePlanes()
    {
        // attachDemoOperands: data shaped like each layer's sparsity, so N:M and zero-skipping planes accept it,
        // and the products still rebuild C; layers above the size limit stay without.
        Workload w;
        w.layers = { *layerFromGemm("nm", 3, 5, 10, "test"), *layerFromGemm("u", 4, 3, 7, "test"),
            *layerFromGemm("big", 100, 100, 100, "test") };
        w.layers[0].nmN = 1;
        w.layers[0].nmM = 4;
        w.layers[1].filterColumnNonzeros
            = std::make_shared<const std::vector<std::int64_t>>(std::vector<std::int64_t> { 2, 0, 5 });
        QCOMPARE(attachDemoOperands(w, 7, 1000), std::size_t { 2 });
        QVERIFY(!w.layers[2].operands);
        QCOMPARE(columnNonzeros(w.layers[1].operands->b, 7, 3), (std::vector<std::int64_t> { 2, 0, 5 }));
        const std::vector<std::int64_t> nmCounts = columnNonzeros(w.layers[0].operands->b, 10, 5);
        QVERIFY(std::ranges::all_of(nmCounts, [](std::int64_t c) { return c == 3; })); // groups of 4, 4, 2
        Workload copy = w;
        QCOMPARE(attachDemoOperands(copy, 7, 1000), std::size_t { 0 }); // already attached
        w.layers.pop_back();
        for (const Dataflow df : { Dataflow::OutputStationary, Dataflow::WeightStationary }) {
            ArrayParams p;
            p.rows = 3;
            p.cols = 2;
            p.dataflow = df;
            p.sparseWeights = p.unstructuredSparseWeights = true;
            auto stepper = Stepper::create(w, *ArrayConfig::create(p));
            QVERIFY2(stepper, stepper ? "" : stepper.error().message.c_str());
            QVERIFY(stepper->geometry(0).sparse() && stepper->geometry(1).unstructured);
        }
        Gemm g { 4, 3, 7, w.layers[1].operands->a, w.layers[1].operands->b, {}, {} };
        exactC(g);
        const QByteArray failure
            = checkFlow(stepperOf(w.layers[1], makeConfig(Dataflow::WeightStationary, 3, 2, false, true)), g,
                Dataflow::WeightStationary);
        QVERIFY2(failure.isEmpty(), failure);
    }

    void refusesMismatchedData()
    {
        Layer layer = *layerFromGemm("bad", 3, 4, 5, "test");
        auto wrongA = attachOperands(layer, std::vector<float>(14), std::vector<float>(20));
        QVERIFY(!wrongA);
        QCOMPARE(wrongA.error().code, ErrorCode::Input);
        QVERIFY(wrongA.error().message.find("operands a") != std::string::npos);
        QVERIFY(!attachOperands(layer, std::vector<float>(15), std::vector<float>(21)));
        QVERIFY(!layer.operands);
        // Set directly (bypassing attachOperands): the stepper checks again.
        layer.operands = std::make_shared<const GemmOperands>(GemmOperands { std::vector<float>(15), {} });
        Workload w;
        w.layers = { layer };
        QVERIFY(!Stepper::create(w, makeConfig(Dataflow::OutputStationary, 2, 2)));
        // Data that breaks the N:M pattern the plane relies on is refused, not silently dropped.
        Layer nm = *layerFromGemm("nm", 1, 1, 4, "test");
        QVERIFY(attachOperands(nm, { 1, 1, 1, 1 }, { 1, 1, 1, 0 }));
        nm.nmN = 2;
        nm.nmM = 4;
        w.layers = { nm };
        auto refused = Stepper::create(w, makeConfig(Dataflow::WeightStationary, 2, 2, true));
        QVERIFY(!refused);
        QVERIFY(refused.error().message.find("column 0") != std::string::npos);
        // Without data nothing is shown.
        w.layers = { *layerFromGemm("plain", 2, 2, 2, "test") };
        Stepper plain = *Stepper::create(w, makeConfig(Dataflow::OutputStationary, 2, 2));
        QVERIFY(!plain.hasOperands());
        QVERIFY(!plain.peOperands(0, 0).hasA);
    }
};

QTEST_APPLESS_MAIN(TestAccelsimOperands)
#include "tst_accelsim_operands.moc"
