// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// ArrayConfig validation, SCALE-Sim .cfg / topology CSV / GEMM CSV reading and writing, op trace -> workload.
#include "optiscope/accelsim/scalesim_io.h"

#include <QTest>

#include <filesystem>

using namespace optiscope::accelsim;

namespace {
// The shape of SCALE-Sim's configs/scale.cfg.
constexpr const char* kScaleCfg = "[general]\n"
                                  "run_name = scale_example_run_32x32_os\n"
                                  "\n"
                                  "[architecture_presets]\n"
                                  "ArrayHeight:    32\n"
                                  "ArrayWidth:     32\n"
                                  "IfmapSramSzkB:    64\n"
                                  "FilterSramSzkB:   64\n"
                                  "OfmapSramSzkB:    64\n"
                                  "IfmapOffset:    0\n"
                                  "FilterOffset:   10000000\n"
                                  "OfmapOffset:    20000000\n"
                                  "Bandwidth : 10\n"
                                  "Dataflow : os\n"
                                  "MemoryBanks: 1\n"
                                  "\n"
                                  "[run_presets]\n"
                                  "InterfaceBandwidth: CALC\n";

constexpr const char* kTopoHeader
    = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

std::filesystem::path outputDir()
{
    std::filesystem::path dir = std::filesystem::path(OPTISCOPE_TEST_OUTPUT_DIR) / "accelsim_io";
    std::filesystem::create_directories(dir);
    return dir;
}
} // namespace

class TestAccelsimIo : public QObject {
    Q_OBJECT
private slots:
    void arrayConfigRejects_data()
    {
        QTest::addColumn<qint64>("rows");
        QTest::addColumn<qint64>("cols");
        QTest::addColumn<qint64>("ifmapKiB");
        QTest::addColumn<int>("bits");
        QTest::addColumn<QString>("field");
        QTest::newRow("zero rows") << 0LL << 32LL << 64LL << 8 << "ArrayHeight";
        QTest::newRow("negative cols") << 32LL << -4LL << 64LL << 8 << "ArrayWidth";
        QTest::newRow("zero sram") << 32LL << 32LL << 0LL << 8 << "IfmapSramSzkB";
        // 1 KiB of int8 = 512 words per half, fewer than one 1024-wide row of operands.
        QTest::newRow("sram below one row") << 1024LL << 1024LL << 1LL << 8 << "IfmapSramSzkB";
        QTest::newRow("zero bits") << 32LL << 32LL << 64LL << 0 << "IfmapBits";
    }
    void arrayConfigRejects()
    {
        QFETCH(qint64, rows);
        QFETCH(qint64, cols);
        QFETCH(qint64, ifmapKiB);
        QFETCH(int, bits);
        QFETCH(QString, field);
        ArrayParams p;
        p.rows = rows;
        p.cols = cols;
        p.ifmapSramKiB = ifmapKiB;
        p.filterSramKiB = p.ofmapSramKiB = 4096;
        p.ifmapBits = bits;
        auto config = ArrayConfig::create(p, "my.cfg");
        QVERIFY(!config);
        QCOMPARE(config.error().code, ErrorCode::Config);
        QVERIFY2(contains(config.error().message, "my.cfg: "), config.error().message.c_str());
        QVERIFY2(contains(config.error().message, field.toStdString().c_str()), config.error().message.c_str());
        QVERIFY(!contains(config.error().message, "\n"));
    }

    void arrayConfigSramHoldsOneRowExactly()
    {
        // 1 KiB int8 = 1024 words = 512 per half: a 512-wide array just fits, 513 does not.
        ArrayParams p;
        p.rows = p.cols = 512;
        p.ifmapSramKiB = p.filterSramKiB = p.ofmapSramKiB = 1;
        QVERIFY(ArrayConfig::create(p));
        p.cols = 513;
        QVERIFY(!ArrayConfig::create(p));
        // int4 packs two per byte: the same SRAM now holds 1024 words per half.
        p.cols = 1024;
        p.ifmapBits = p.filterBits = p.ofmapBits = 4;
        QVERIFY(ArrayConfig::create(p));
    }

    void parseScaleSimCfg()
    {
        auto config = parseScaleSimConfig(kScaleCfg, "scale.cfg");
        QVERIFY2(config, config ? "" : config.error().message.c_str());
        const ArrayParams& p = config->params();
        QCOMPARE(p.runName, std::string("scale_example_run_32x32_os"));
        QCOMPARE(p.rows, 32);
        QCOMPARE(p.cols, 32);
        QCOMPARE(p.ifmapSramKiB, 64);
        QCOMPARE(p.filterOffset, 10000000);
        QCOMPARE(p.ofmapOffset, 20000000);
        QCOMPARE(p.dataflow, Dataflow::OutputStationary);
        QCOMPARE(p.bandwidthMode, BandwidthMode::Calc);
        QCOMPARE(p.bandwidthWordsPerCycle, std::vector<std::int64_t> { 10 });
    }

    void cfgErrors_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown dataflow") << "Dataflow : os"
                                          << "Dataflow : xs"
                                          << "scale.cfg:14: [architecture_presets] Dataflow: unknown dataflow 'xs'";
        QTest::newRow("non-numeric height")
            << "ArrayHeight:    32"
            << "ArrayHeight: 3x2"
            << "scale.cfg:5: [architecture_presets] ArrayHeight: '3x2' is not an integer";
        QTest::newRow("missing width") << "ArrayWidth:     32\n"
                                       << ""
                                       << "scale.cfg: [architecture_presets] ArrayWidth: missing";
        QTest::newRow("zero height") << "ArrayHeight:    32"
                                     << "ArrayHeight: 0"
                                     << "scale.cfg: ArrayHeight: must be in";
        QTest::newRow("bad bandwidth mode")
            << "InterfaceBandwidth: CALC"
            << "InterfaceBandwidth: FAST"
            << "scale.cfg:18: [run_presets] InterfaceBandwidth: 'FAST' is neither USER nor CALC";
        QTest::newRow("user without bandwidth") << "InterfaceBandwidth: CALC"
                                                << "InterfaceBandwidth: USER"
                                                << "";
    }
    void cfgErrors()
    {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, expected);
        std::string text = kScaleCfg;
        const std::size_t at = text.find(from.toStdString());
        QVERIFY(at != std::string::npos);
        text.replace(at, from.size(), to.toStdString());
        auto config = parseScaleSimConfig(text, "scale.cfg");
        if (expected.isEmpty()) {
            QVERIFY(config); // USER mode with Bandwidth = 10 present is valid
            QCOMPARE(config->params().bandwidthMode, BandwidthMode::User);
            return;
        }
        QVERIFY(!config);
        QVERIFY2(contains(config.error().message, expected.toStdString().c_str()), config.error().message.c_str());
    }

    void cfgRoundTrip()
    {
        ArrayParams p;
        p.runName = "trip";
        p.rows = 12;
        p.cols = 20;
        p.dataflow = Dataflow::InputStationary;
        p.ifmapSramKiB = 7;
        p.filterSramKiB = 9;
        p.ofmapSramKiB = 11;
        p.ifmapOffset = 5;
        p.bandwidthMode = BandwidthMode::User;
        p.bandwidthWordsPerCycle = { 4, 8 };
        p.filterBits = 4;
        p.scaleSimCompatible = false;
        p.sparseWeights = true;
        p.dualInt4Macs = true;
        auto config = ArrayConfig::create(p);
        QVERIFY(config);
        const std::filesystem::path path = outputDir() / "trip.cfg";
        QVERIFY(writeScaleSimConfig(path, *config));
        auto back = readScaleSimConfig(path);
        QVERIFY2(back, back ? "" : back.error().message.c_str());
        const ArrayParams& q = back->params();
        QCOMPARE(q.runName, p.runName);
        QCOMPARE(q.rows, p.rows);
        QCOMPARE(q.cols, p.cols);
        QCOMPARE(q.dataflow, p.dataflow);
        QCOMPARE(q.ifmapSramKiB, p.ifmapSramKiB);
        QCOMPARE(q.filterSramKiB, p.filterSramKiB);
        QCOMPARE(q.ofmapSramKiB, p.ofmapSramKiB);
        QCOMPARE(q.ifmapOffset, p.ifmapOffset);
        QCOMPARE(q.bandwidthMode, p.bandwidthMode);
        QCOMPARE(q.bandwidthWordsPerCycle, p.bandwidthWordsPerCycle);
        QCOMPARE(q.filterBits, 4);
        QCOMPARE(q.scaleSimCompatible, false);
        QCOMPARE(q.sparseWeights, true);
        QCOMPARE(q.dualInt4Macs, true);
    }

    void topologyAlexNet()
    {
        const std::string text = std::string(kTopoHeader)
            + "Conv1, 224, 224, 11, 11, 3, 96, 4,\n"
              "Conv2, 31, 31, 5, 5, 96, 256, 1,\r\n"
              "\n"
              "Conv3, 15, 15, 3, 3, 256, 384, 1, 2,\n";
        auto w = parseTopologyCsv(text, "alexnet.csv");
        QVERIFY2(w, w ? "" : w.error().message.c_str());
        QCOMPARE(w->layers.size(), std::size_t { 3 });
        // im2col: M = ofmap pixels, K = filter h*w*channels, N = filters.
        QCOMPARE(w->layers[1].name, std::string("Conv2"));
        QCOMPARE(w->layers[1].m, 27 * 27);
        QCOMPARE(w->layers[1].k, 5 * 5 * 96);
        QCOMPARE(w->layers[1].n, 256);
        // Stride 1 x 2: ofmap 13 x ceil((15-3+2)/2) = 13 x 7.
        QCOMPARE(w->layers[2].m, 13 * 7);
        QCOMPARE(w->layers[2].conv->strideWidth, 2);
    }

    void topologyErrors_data()
    {
        QTest::addColumn<QString>("row");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no trailing comma") << "Conv1, 224, 224, 11, 11, 3, 96, 4"
                                           << "net.csv:3: row must end with a trailing comma";
        QTest::newRow("non-numeric") << "Conv1, 224, 224, 11, 11, three, 96, 4,"
                                     << "net.csv:3: Channels: 'three' is not an integer";
        QTest::newRow("filter too tall") << "Conv1, 8, 224, 11, 11, 3, 96, 4,"
                                         << "net.csv:3: Filter Height: 11 is larger than IFMAP Height 8";
        QTest::newRow("filter too wide") << "Conv1, 224, 8, 3, 11, 3, 96, 4,"
                                         << "net.csv:3: Filter Width: 11 is larger than IFMAP Width 8";
        QTest::newRow("zero filters") << "Conv1, 224, 224, 11, 11, 3, 0, 4,"
                                      << "net.csv:3: Num Filter: must be in";
        QTest::newRow("too few fields") << "Conv1, 224, 224, 11,"
                                        << "net.csv:3: expected 8 or 9 fields";
    }
    void topologyErrors()
    {
        QFETCH(QString, row);
        QFETCH(QString, expected);
        const std::string text = std::string(kTopoHeader) + "Ok, 8, 8, 3, 3, 1, 1, 1,\n" + row.toStdString() + "\n";
        auto w = parseTopologyCsv(text, "net.csv");
        QVERIFY(!w);
        QVERIFY2(contains(w.error().message, expected.toStdString().c_str()), w.error().message.c_str());
    }

    void topologyDepthwise()
    {
        // SCALE-Sim splits a depthwise layer into one single-channel layer per channel.
        auto w = parseTopologyCsv(std::string(kTopoHeader) + "DP1, 10, 10, 3, 3, 4, 1, 1,\n", "mobilenet.csv");
        QVERIFY(w);
        QCOMPARE(w->layers.size(), std::size_t { 4 });
        QCOMPARE(w->layers[3].name, std::string("DP1Channel_3"));
        QCOMPARE(w->layers[3].k, 9);
        QCOMPARE(w->layers[3].m, 64);
    }

    void topologyRoundTrip()
    {
        auto w = parseTopologyCsv(
            std::string(kTopoHeader) + "A, 20, 18, 3, 5, 7, 9, 2, 3,\nB, 9, 9, 9, 9, 1, 2, 1,\n", "in.csv");
        QVERIFY(w);
        const std::filesystem::path path = outputDir() / "topo.csv";
        QVERIFY(writeFileAtomically(path, formatTopologyCsv(*w)));
        auto back = readTopologyCsv(path);
        QVERIFY2(back, back ? "" : back.error().message.c_str());
        QCOMPARE(back->layers.size(), w->layers.size());
        for (std::size_t i = 0; i < w->layers.size(); ++i) {
            QCOMPARE(back->layers[i].name, w->layers[i].name);
            QCOMPARE(back->layers[i].m, w->layers[i].m);
            QCOMPARE(back->layers[i].n, w->layers[i].n);
            QCOMPARE(back->layers[i].k, w->layers[i].k);
        }
    }

    void gemmCsv()
    {
        auto w = parseGemmCsv("Layer, M, N, K,\nqkv, 128, 2304, 768,\nffn_down, 128, 768, 3072,\n", "bert.csv");
        QVERIFY(w);
        QCOMPARE(w->layers.size(), std::size_t { 2 });
        QCOMPARE(w->layers[0].m, 128);
        QCOMPARE(w->layers[0].n, 2304);
        QCOMPARE(w->layers[0].k, 768);
        // GEMM written as a topology keeps M, N, K (SCALE-Sim's M, K, 1, K, 1, N, 1, 1 form).
        auto asTopo = parseTopologyCsv(formatTopologyCsv(*w), "t.csv");
        QVERIFY(asTopo);
        QCOMPARE(asTopo->layers[1].m, 128);
        QCOMPARE(asTopo->layers[1].n, 768);
        QCOMPARE(asTopo->layers[1].k, 3072);
        auto back = parseGemmCsv(formatGemmCsv(*w), "g.csv");
        QVERIFY(back);
        QCOMPARE(back->layers[1].name, std::string("ffn_down"));
        QCOMPARE(back->layers[1].k, 3072);

        auto noComma = parseGemmCsv("Layer, M, N, K,\nqkv, 128, 2304, 768\n", "bert.csv");
        QVERIFY(!noComma);
        QVERIFY(contains(noComma.error().message, "bert.csv:2: row must end with a trailing comma"));
        auto bad = parseGemmCsv("Layer, M, N, K,\nqkv, 128, 23o4, 768,\n", "bert.csv");
        QVERIFY(!bad);
        QVERIFY2(contains(bad.error().message, "bert.csv:2: N: '23o4' is not an integer"), bad.error().message.c_str());
        auto zero = parseGemmCsv("Layer, M, N, K,\nqkv, 0, 1, 1,\n", "bert.csv");
        QVERIFY(!zero);
        QVERIFY(contains(zero.error().message, "bert.csv:2: M:"));
    }

    void atomicWriteLeavesNothingOnFailure()
    {
        const std::filesystem::path dir = outputDir() / "no_such_dir";
        std::filesystem::remove_all(dir);
        auto written = writeFileAtomically(dir / "x.csv", "data");
        QVERIFY(!written);
        QCOMPARE(written.error().code, ErrorCode::Io);
        QVERIFY(!std::filesystem::exists(dir));
        const std::filesystem::path ok = outputDir() / "atomic.txt";
        QVERIFY(writeFileAtomically(ok, "first"));
        QVERIFY(writeFileAtomically(ok, "second"));
        QCOMPARE(*readTextFile(ok), std::string("second"));
        for (const auto& entry : std::filesystem::directory_iterator(outputDir())) {
            QVERIFY2(
                entry.path().filename().string().find(".tmp-") == std::string::npos, entry.path().string().c_str());
        }
    }

    void workloadFromTrace()
    {
        optiscope::optrace::OpTrace trace;
        optiscope::optrace::MatMulOp q;
        q.name = "layer0.attn.q";
        q.m = 100; // tokens kept after pruning
        q.k = 768;
        q.n = 640; // heads pruned
        q.aBits = 8;
        q.bBits = 4;
        q.nmN = 2;
        q.nmM = 4;
        q.bDensity = 0.5;
        trace.ops.push_back(q);
        auto w = workloadFromOpTrace(trace, "bert");
        QVERIFY(w);
        QCOMPARE(w->layers.size(), std::size_t { 1 });
        const Layer& l = w->layers[0];
        QCOMPARE(l.name, q.name);
        QCOMPARE(l.m, 100);
        QCOMPARE(l.k, 768);
        QCOMPARE(l.n, 640);
        QCOMPARE(l.ifmapBits, 8);
        QCOMPARE(l.filterBits, 4);
        QCOMPARE(l.nmN, 2);
        QCOMPARE(l.filterDensity, 0.5);
        trace.ops[0].k = 0;
        auto bad = workloadFromOpTrace(trace, "bert");
        QVERIFY(!bad);
        QVERIFY2(contains(bad.error().message, "bert: op 0 'layer0.attn.q': K:"), bad.error().message.c_str());
    }
};

QTEST_APPLESS_MAIN(TestAccelsimIo)
#include "tst_accelsim_io.moc"
