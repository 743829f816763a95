// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Black-box tests of `optiscope-cli simulate` and `run --recipe`. Oracles: SCALE-Sim v2's golden
// AlexNet Conv1 case, GEMM MAC counts derived here from the model's config.json, and the 2:4
// pattern's halving of every linear layer's K.
#include "cli_test_support.h"

#include <QTemporaryDir>
#include <QTest>

using namespace cli_test;

namespace {

const QString kSamples = QStringLiteral(OPTISCOPE_SAMPLES_DIR);
const QString kTinyGpt2 = kSamples + "/tiny-gpt2";
const QString kWsCfg = kSamples + "/accel/scalesim_32x32_ws.cfg";
const QString kOsSparseJson = kSamples + "/accel/os_128x128_sparse.json";
const QString kNm24Recipe = kSamples + "/recipes/nm24_int8.json";
const QString kText = QStringLiteral("The quick brown fox jumps over the lazy dog");

// SCALE-Sim v2 prints the utilization with full float precision; the issue quotes 3 decimals.
constexpr double kUtilTolerancePct = 5e-4;

// SCALE-Sim's own alexnet.csv row for Conv1 (trailing comma included).
const QByteArray kAlexNetConv1 = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                                 "Num Filter, Strides,\nConv1, 224, 224, 11, 11, 3, 96, 4,\n";

const QStringList kReports { "COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv",
    "summary.json" };

// tiny-gpt2's shape, read from its config.json by the test.
struct Gpt2Shape {
    qint64 d = 0, layers = 0, heads = 0, vocab = 0;
};

Gpt2Shape readShape()
{
    const QJsonObject config = readJsonObject(kTinyGpt2 + "/config.json");
    return { config["n_embd"].toInteger(), config["n_layer"].toInteger(), config["n_head"].toInteger(),
        config["vocab_size"].toInteger() };
}

// Token count of the text, from `run` (the tokenizer path, not the simulator).
qint64 tokenCount(const QString& text)
{
    const CliRun run = runCli({ "run", kTinyGpt2, "--text", text });
    for (const QString& line : run.out.split('\n')) {
        if (line.startsWith("tokens:")) {
            return line.section(' ', 1, -1, QString::SectionSkipEmpty).section(' ', 0, 0).toLongLong();
        }
    }
    return -1;
}

bool isLinear(const QString& name)
{
    return name.endsWith(".attn.qkv") || name.endsWith(".attn.out") || name.endsWith(".ffn.up")
        || name.endsWith(".ffn.down");
}

} // namespace

class TestCliSimulate : public QObject {
    Q_OBJECT

private slots:
    void alexNetConv1();
    void tinyGpt2Text();
    void tinyGpt2Nm24();
    void tinyGpt2Unstructured();
    void runWithRecipe();
    void runWithCalibratedRecipe();
    void cycleTrace();
    void badInput_data();
    void badInput();
};

void TestCliSimulate::alexNetConv1()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString csv = work.filePath("alexnet_conv1.csv");
    QVERIFY(writeAll(csv, kAlexNetConv1));
    const QString out = work.filePath("out");
    QVERIFY(QDir().mkpath(out)); // an existing folder is written into
    const CliRun run = runCli({ "simulate", "--topology", csv, "--config", kWsCfg, "--out", out });
    QVERIFY2(run.exitCode == 0 && !run.crashed, qPrintable(run.err));
    QVERIFY(run.err.isEmpty());
    QVERIFY2(run.out.contains("Conv1") && run.out.contains("112283"), qPrintable(run.out));
    for (const QString& report : kReports) {
        QVERIFY2(QFileInfo::exists(out + "/" + report), qPrintable(report));
    }
    const QStringList lines = QString::fromUtf8(readAll(out + "/COMPUTE_REPORT.csv")).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    QVERIFY(lines[0].startsWith("LayerID, Total Cycles,"));
    const QStringList fields = lines[1].split(", ");
    QCOMPARE(fields[1].toLongLong(), 112283LL);
    QVERIFY(std::abs(fields[3].toDouble() - 91.683) < kUtilTolerancePct);
    const QStringList access
        = QString::fromUtf8(readAll(out + "/DETAILED_ACCESS_REPORT.csv")).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(access.size(), 2);
    // SCALE-Sim's counts for this case: ifmap reads, filter reads, ofmap writes.
    QVERIFY2(access[1].contains(", 3294225,") && access[1].contains(", 34848,") && access[1].contains(", 3484800,"),
        qPrintable(access[1]));

    const CliRun json = runCli({ "simulate", "--topology", csv, "--config", kWsCfg, "--out", out, "--json" });
    QCOMPARE(json.exitCode, 0);
    const QJsonObject summary = QJsonDocument::fromJson(json.out.toUtf8()).object();
    QCOMPARE(summary["totalCycles"].toInteger(), 112283LL);
    QCOMPARE(summary["totalMacs"].toInteger(), 3025LL * 363 * 96);
    QCOMPARE(summary, readJsonObject(out + "/summary.json"));
}

void TestCliSimulate::tinyGpt2Text()
{
    const Gpt2Shape s = readShape();
    const qint64 t = tokenCount(kText);
    QVERIFY(t > 1);
    QTemporaryDir work;
    const QString out = work.filePath("reports"); // does not exist yet
    const CliRun run = runCli(
        { "simulate", "--model", kTinyGpt2, "--text", kText, "--config", kOsSparseJson, "--out", out, "--json" });
    QVERIFY2(run.exitCode == 0 && !run.crashed, qPrintable(run.err));
    const QJsonObject summary = QJsonDocument::fromJson(run.out.toUtf8()).object();
    QCOMPARE(summary, readJsonObject(out + "/summary.json"));
    // Per block: QKV, output projection, FFN up and down, and QKᵀ and attention·V per head; then the LM head.
    const QJsonArray layers = summary["layers"].toArray();
    QCOMPARE(qint64(layers.size()), s.layers * (4 + 2 * s.heads) + 1);
    const qint64 linearMacs = s.layers * 12 * s.d * s.d * t;
    const qint64 attentionMacs = s.layers * 2 * t * t * s.d;
    const qint64 headMacs = t * s.d * s.vocab;
    QCOMPARE(summary["totalMacs"].toInteger(), linearMacs + attentionMacs + headMacs);
    qint64 performed = 0;
    for (const auto& layer : layers) {
        performed += layer.toObject()["macsPerformed"].toInteger();
        QCOMPARE(layer.toObject()["geometry"].toObject()["nmM"].toInt(), 1); // dense model
    }
    QCOMPARE(performed, summary["totalMacs"].toInteger());
    const QStringList compute = QString::fromUtf8(readAll(out + "/COMPUTE_REPORT.csv")).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(qint64(compute.size()), 1 + qint64(layers.size()));
    QVERIFY(QDir(work.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot).size() == 1);
}

void TestCliSimulate::tinyGpt2Nm24()
{
    const Gpt2Shape s = readShape();
    const qint64 t = tokenCount(kText);
    QTemporaryDir work;
    const QString out = work.filePath("nm24");
    const CliRun run = runCli({ "simulate", "--model", kTinyGpt2, "--recipe", kNm24Recipe, "--text", kText, "--config",
        kOsSparseJson, "--out", out, "--json" });
    QVERIFY2(run.exitCode == 0 && !run.crashed, qPrintable(run.err));
    const QJsonObject summary = QJsonDocument::fromJson(run.out.toUtf8()).object();
    const qint64 linearMacs = s.layers * 12 * s.d * s.d * t;
    const qint64 dense = linearMacs + s.layers * 2 * t * t * s.d + t * s.d * s.vocab;
    QCOMPARE(summary["totalMacs"].toInteger(), dense); // the dense count is unchanged
    qint64 performed = 0;
    int sparseLayers = 0;
    for (const auto& value : summary["layers"].toArray()) {
        const QJsonObject layer = value.toObject();
        const QJsonObject geometry = layer["geometry"].toObject();
        performed += layer["macsPerformed"].toInteger();
        if (isLinear(layer["name"].toString())) {
            ++sparseLayers;
            QCOMPARE(geometry["nmN"].toInt(), 2);
            QCOMPARE(geometry["nmM"].toInt(), 4);
            QCOMPARE(layer["filter"].toObject()["bits"].toInt(), 8);
            QCOMPARE(layer["macsPerformed"].toInteger() * 2, layer["macs"].toInteger());
        } else {
            QCOMPARE(geometry["nmM"].toInt(), 1); // attention products and the (untargeted) tied LM head
            QCOMPARE(layer["macsPerformed"].toInteger(), layer["macs"].toInteger());
        }
    }
    QCOMPARE(qint64(sparseLayers), 4 * s.layers);
    // 2:4 halves K of every linear layer (K = d or 4d, both multiples of 4): half their MACs are skipped.
    QCOMPARE(performed, dense - linearMacs / 2);
}

// 50% magnitude pruning (one threshold per tensor, so exactly half of each weight is zero) on an OS array with
// zero-skipping PEs: the op trace carries every pruned weight's column nonzeros, so each linear layer performs
// half its MACs and runs T = K' = its densest column's nonzeros, between K/2 (the average) and K.
void TestCliSimulate::tinyGpt2Unstructured()
{
    const Gpt2Shape s = readShape();
    QTemporaryDir work;
    const QString config = work.filePath("os_unstructured.json");
    QVERIFY(writeAll(config, R"({"rows": 16, "cols": 16, "dataflow": "os", "unstructuredSparseWeights": true})"));
    const QString dense = work.filePath("os_dense.json");
    QVERIFY(writeAll(dense, R"({"rows": 16, "cols": 16, "dataflow": "os"})"));
    const QString recipe = kSamples + "/recipes/magnitude50.json";
    const auto simulateWith = [&](const QString& cfg, const QString& name) {
        const CliRun run = runCli({ "simulate", "--model", kTinyGpt2, "--recipe", recipe, "--text", kText, "--config",
            cfg, "--out", work.filePath(name), "--json" });
        if (run.exitCode != 0 || run.crashed) {
            qWarning("%s", qPrintable(run.err));
        }
        return QJsonDocument::fromJson(run.out.toUtf8()).object();
    };
    const QJsonObject skipping = simulateWith(config, "u");
    const QJsonObject plain = simulateWith(dense, "d");
    int linear = 0;
    for (const auto& value : skipping["layers"].toArray()) {
        const QJsonObject layer = value.toObject();
        const QJsonObject g = layer["geometry"].toObject();
        if (!isLinear(layer["name"].toString())) {
            QCOMPARE(layer["macsPerformed"].toInteger(), layer["macs"].toInteger());
            continue;
        }
        ++linear;
        const qint64 k = layer["name"].toString().endsWith(".ffn.down") ? 4 * s.d : s.d;
        QVERIFY2(g["unstructured"].toBool(), qPrintable(layer["name"].toString()));
        QCOMPARE(layer["macsPerformed"].toInteger() * 2, layer["macs"].toInteger());
        QVERIFY(g["kCompressed"].toInteger() >= k / 2 && g["kCompressed"].toInteger() < k);
        QCOMPARE(g["t"].toInteger(), g["kCompressed"].toInteger());
        QCOMPARE(layer["metadataBitsPerWeight"].toInt(), 1);
    }
    QCOMPARE(qint64(linear), 4 * s.layers);
    QVERIFY(skipping["totalCycles"].toInteger() < plain["totalCycles"].toInteger());
}

void TestCliSimulate::runWithRecipe()
{
    const CliRun base = runCli({ "run", kTinyGpt2, "--text", kText });
    const CliRun compressed = runCli({ "run", kTinyGpt2, "--text", kText, "--recipe", kNm24Recipe });
    QCOMPARE(base.exitCode, 0);
    QVERIFY2(compressed.exitCode == 0, qPrintable(compressed.err));
    const auto predictions = [](const QString& out) { return out.section("top-5", 1).section("elapsed", 0, 0); };
    QVERIFY(!predictions(base.out).isEmpty());
    QVERIFY2(predictions(base.out) != predictions(compressed.out), qPrintable(compressed.out));
    const CliRun bad = runCli({ "run", kTinyGpt2, "--text", kText, "--recipe", kTinyGpt2 + "/config.json" });
    QCOMPARE(bad.exitCode, 1);
    QVERIFY2(bad.err.count('\n') == 1 && bad.err.contains("config.json"), qPrintable(bad.err));
}

// Data-aware steps (SparseGPT, head ablation) need --calibration-text; without it the recipe fails
// with one line naming the step's field.
void TestCliSimulate::runWithCalibratedRecipe()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString recipe = work.filePath("sparsegpt.json");
    QVERIFY(writeAll(recipe,
        R"({"schema": 1, "steps": [{"type": "prune", "targets": "*.mlp.*.weight", "saliency": "sparsegpt",
            "pattern": "n:m", "n": 2, "m": 4}, {"type": "prune_heads", "saliency": "ablation", "count": 2}]})"));
    const QString calibration = QStringLiteral(OPTISCOPE_FIXTURES_DIR) + "/compression/eval_text.txt";
    const CliRun missing = runCli({ "run", kTinyGpt2, "--text", kText, "--recipe", recipe });
    QCOMPARE(missing.exitCode, 1);
    QCOMPARE(missing.err.trimmed(),
        QStringLiteral("optiscope-cli: sparsegpt.json: steps[0].saliency: 'sparsegpt' needs calibration data, none "
                       "given"));
    const CliRun base = runCli({ "run", kTinyGpt2, "--text", kText });
    const CliRun calibrated
        = runCli({ "run", kTinyGpt2, "--text", kText, "--recipe", recipe, "--calibration-text", calibration });
    QVERIFY2(calibrated.exitCode == 0, qPrintable(calibrated.err));
    const auto predictions = [](const QString& out) { return out.section("top-5", 1).section("elapsed", 0, 0); };
    QVERIFY(!predictions(calibrated.out).isEmpty());
    QVERIFY(predictions(base.out) != predictions(calibrated.out));
    const CliRun unreadable = runCli(
        { "run", kTinyGpt2, "--text", kText, "--recipe", recipe, "--calibration-text", work.filePath("none.txt") });
    QCOMPARE(unreadable.exitCode, 1);
    QVERIFY2(unreadable.err.contains("none.txt: cannot open"), qPrintable(unreadable.err));
    const CliRun noRecipe = runCli({ "run", kTinyGpt2, "--text", kText, "--calibration-text", calibration });
    QCOMPARE(noRecipe.exitCode, 2);
}

// A GEMM small enough to derive by hand: on the 32x32 WS array Sr = K = 20, Sc = N = 40, T = M = 40, so two
// column folds of 2R + C + T - 2 = 134 cycles each: 268 stepped cycles, one trace line per cycle.
void TestCliSimulate::cycleTrace()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString csv = work.filePath("gemm.csv");
    QVERIFY(writeAll(csv, "Layer, M, N, K,\nsmall, 40, 40, 20,\n"));
    const QString out = work.filePath("out");
    const CliRun run = runCli({ "simulate", "--topology", csv, "--gemm", "--config", kWsCfg, "--out", out, "--trace" });
    QVERIFY2(run.exitCode == 0 && !run.crashed, qPrintable(run.err));
    const QStringList lines = QString::fromUtf8(readAll(out + "/CYCLE_TRACE.csv")).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + 2 * 134);
    QVERIFY2(lines[0].startsWith("Cycle, Layer, Fold, Stalled, IFMAP SRAM Reads,"), qPrintable(lines[0]));
    qint64 ifmap = 0, filter = 0, ofmap = 0;
    qint64 dram[3] = {};
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QStringList f = lines[i].split(", ");
        QCOMPARE(f[0].toLongLong(), qint64(i - 1));
        ifmap += f[4].toLongLong();
        filter += f[5].toLongLong();
        ofmap += f[6].toLongLong();
        for (int o = 0; o < 3; ++o) {
            dram[o] += QString(f[7 + o]).remove(',').toLongLong();
        }
    }
    QCOMPARE(filter, 20LL * 40); // every weight read once into the array
    QCOMPARE(ofmap, 40LL * 40); // one row fold: each output written once
    QCOMPARE(dram[1], 20LL * 40); // WS fetches every weight once
    // The binned DRAM series (at most 1000 bins per layer) adds up to the same words.
    const QStringList bins
        = QString::fromUtf8(readAll(out + "/DRAM_BANDWIDTH_TRACE.csv")).split('\n', Qt::SkipEmptyParts);
    QVERIFY2(bins.size() > 1 && bins[0].startsWith("Layer, Layer Name, Start Cycle, Cycles, IFMAP DRAM Reads,"),
        qPrintable(bins.value(0)));
    qint64 binned[3] = {};
    for (qsizetype i = 1; i < bins.size(); ++i) {
        const QStringList f = bins[i].split(", ");
        for (int o = 0; o < 3; ++o) {
            binned[o] += QString(f[4 + o]).remove(',').toLongLong();
        }
    }
    for (int o = 0; o < 3; ++o) {
        QCOMPARE(binned[o], dram[o]);
    }
    const QStringList access
        = QString::fromUtf8(readAll(out + "/DETAILED_ACCESS_REPORT.csv")).split('\n', Qt::SkipEmptyParts);
    QVERIFY2(access[1].contains(QStringLiteral(", %1,").arg(ifmap)), qPrintable(access[1]));
}

void TestCliSimulate::badInput_data()
{
    QTest::addColumn<QStringList>("args"); // %W% = work folder; --out is appended
    QTest::addColumn<QString>("fileWord");
    QTest::addColumn<QString>("fieldWord");
    const QStringList alexnet { "simulate", "--topology", "%W%/alexnet.csv" };
    const QStringList model { "simulate", "--model", kTinyGpt2, "--text", kText };
    QTest::newRow("unknown dataflow") << (alexnet + QStringList { "--config", "%W%/bad_dataflow.cfg" })
                                      << "bad_dataflow.cfg"
                                      << "Dataflow";
    QTest::newRow("zero array height .cfg") << (alexnet + QStringList { "--config", "%W%/zero.cfg" }) << "zero.cfg"
                                            << "ArrayHeight";
    QTest::newRow("zero rows .json") << (alexnet + QStringList { "--config", "%W%/zero.json" }) << "zero.json"
                                     << "got 0";
    QTest::newRow("csv without trailing comma")
        << QStringList { "simulate", "--topology", "%W%/no_comma.csv", "--config", kWsCfg } << "no_comma.csv:2"
        << "trailing comma";
    QTest::newRow("config of unknown kind")
        << (alexnet + QStringList { "--config", "%W%/alexnet.csv" }) << "alexnet.csv"
        << "--config";
    QTest::newRow("recipe ratio out of range")
        << (model + QStringList { "--recipe", "%W%/bad_ratio.json", "--config", kWsCfg }) << "bad_ratio.json"
        << "steps[0].ratio";
    QTest::newRow("recipe target matches nothing")
        << (model + QStringList { "--recipe", "%W%/no_match.json", "--config", kWsCfg }) << "no_match.json"
        << "steps[0].targets[0]";
    QTest::newRow("trace too long")
        << QStringList { "simulate", "--topology", "%W%/big_gemm.csv", "--gemm", "--config", kWsCfg, "--trace" }
        << "--trace"
        << "cycles";
    QTest::newRow("recipe missing") << (model + QStringList { "--recipe", "%W%/missing.json", "--config", kWsCfg })
                                    << "missing.json"
                                    << "open";
}

void TestCliSimulate::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(QString, fileWord);
    QFETCH(QString, fieldWord);
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString w = work.path();
    QString cfg = QString::fromUtf8(readAll(kWsCfg));
    QVERIFY(cfg.contains("Dataflow : ws") && cfg.contains("ArrayHeight:    32"));
    QVERIFY(writeAll(w + "/bad_dataflow.cfg", QString(cfg).replace("Dataflow : ws", "Dataflow : xs").toUtf8()));
    QVERIFY(writeAll(w + "/zero.cfg", QString(cfg).replace("ArrayHeight:    32", "ArrayHeight:    0").toUtf8()));
    QVERIFY(writeAll(w + "/zero.json", R"({"rows": 0, "cols": 32})"));
    QVERIFY(writeAll(w + "/alexnet.csv", kAlexNetConv1));
    QVERIFY(writeAll(w + "/big_gemm.csv", "Layer, M, N, K,\nbig, 5000000, 32, 32,\n"));
    QVERIFY(writeAll(w + "/no_comma.csv", QByteArray(kAlexNetConv1).replace("4,\n", "4\n")));
    QVERIFY(writeAll(w + "/bad_ratio.json",
        R"({"schema": 1, "steps": [{"type": "prune", "targets": "*.mlp.c_fc.weight", "ratio": 1.5}]})"));
    QVERIFY(writeAll(w + "/no_match.json",
        R"({"schema": 1, "steps": [{"type": "prune", "targets": "*.nothing.*", "ratio": 0.5}]})"));
    for (QString& arg : args) {
        arg.replace("%W%", w);
    }
    QVERIFY(QDir().mkpath(w + "/existing"));
    QVERIFY(writeAll(w + "/existing/keep.txt", "keep"));
    const QStringList before = QDir(w).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
    for (const QString& out : { w + "/fresh", w + "/existing" }) {
        const CliRun run = runCli(args + QStringList { "--out", out });
        QVERIFY2(!run.crashed, qPrintable(run.err));
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.isEmpty(), qPrintable(run.out));
        QVERIFY2(run.err.startsWith("optiscope-cli: ") && run.err.count('\n') == 1 && run.err.endsWith('\n'),
            qPrintable(run.err));
        QVERIFY2(run.err.contains(fileWord) && run.err.contains(fieldWord), qPrintable(run.err));
        // Nothing written: no new folder (nor a staging one), the existing folder unchanged.
        QCOMPARE(QDir(w).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), before);
        QCOMPARE(QDir(w + "/existing").entryList(QDir::Files | QDir::Hidden), QStringList { "keep.txt" });
    }
}

QTEST_GUILESS_MAIN(TestCliSimulate)
#include "tst_cli_simulate.moc"
