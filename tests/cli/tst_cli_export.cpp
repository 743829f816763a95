// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Black-box tests of `optiscope-cli export`. Oracles: `run --recipe` on the original folder (the
// exported hf folder must give the same logits), the test's own reading of the exported
// safetensors (2:4 zeros in place, at most 255 int8 levels per output feature), `simulate` on the
// same model and text (the SCALE-Sim GEMM list has its layers), and the error contract.
#include "cli_test_support.h"

#include <QDirIterator>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <set>

using namespace cli_test;

namespace {

const QString kSamples = QStringLiteral(OPTISCOPE_SAMPLES_DIR);
const QString kTinyGpt2 = kSamples + "/tiny-gpt2";
const QString kWsCfg = kSamples + "/accel/scalesim_32x32_ws.cfg";
const QString kNm24Recipe = kSamples + "/recipes/nm24_int8.json";
const QString kText = QStringLiteral("The quick brown fox jumps over the lazy dog");

// The export holds the values inference used; only run-to-run summation order may differ.
constexpr double kMaxRoundTripLogitDiff = 1e-5;

std::vector<double> dumpedLogits(const QString& file)
{
    std::vector<double> values;
    std::vector<qsizetype> shape;
    flatten(readJsonObject(file)["logits"], values, shape);
    return values;
}

// Leftover hidden staging files or folders in dir.
QStringList hiddenEntries(const QString& dir)
{
    return QDir(dir)
        .entryList(QDir::Hidden | QDir::AllEntries | QDir::NoDotAndDotDot)
        .filter(QRegularExpression("^\\."));
}

} // namespace

class TestCliExport : public QObject {
    Q_OBJECT

private slots:
    void huggingFaceRoundTrip();
    void compactFile();
    void scaleSim();
    void gguf();
    void badInput_data();
    void badInput();
};

void TestCliExport::huggingFaceRoundTrip()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString out = work.filePath("hf");
    const CliRun exported = runCli({ "export", kTinyGpt2, "--recipe", kNm24Recipe, "--format", "hf", "--out", out });
    QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
    const CliRun fromExport = runCli({ "run", out, "--text", kText, "--dump-logits", work.filePath("a.json") });
    const CliRun inMemory = runCli(
        { "run", kTinyGpt2, "--recipe", kNm24Recipe, "--text", kText, "--dump-logits", work.filePath("b.json") });
    QVERIFY2(fromExport.exitCode == 0 && inMemory.exitCode == 0, qPrintable(fromExport.err + inMemory.err));
    const auto a = dumpedLogits(work.filePath("a.json")), b = dumpedLogits(work.filePath("b.json"));
    QVERIFY(!a.empty());
    QCOMPARE(a.size(), b.size());
    double maxDiff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        maxDiff = std::max(maxDiff, std::fabs(a[i] - b[i]));
    }
    qInfo("hf export vs run --recipe: max |dlogit| %.3g over %zu logits", maxDiff, a.size());
    QVERIFY(maxDiff <= kMaxRoundTripLogitDiff);

    // The weights as the file holds them: c_fc is [in 128, out 512] float32; along the input of every
    // output feature, each group of 4 has at least 2 zeros, and int8 leaves at most 255 levels.
    const auto parts = splitSafetensors(readAll(out + "/model.safetensors"));
    QVERIFY(parts);
    const QJsonObject header = QJsonDocument::fromJson(parts->header).object();
    const QJsonObject fc = header["transformer.h.1.mlp.c_fc.weight"].toObject();
    QCOMPARE(fc["dtype"].toString(), QStringLiteral("F32"));
    const qint64 in = fc["shape"].toArray()[0].toInteger(), outFeatures = fc["shape"].toArray()[1].toInteger();
    const qint64 begin = fc["data_offsets"].toArray()[0].toInteger();
    std::vector<float> w(static_cast<std::size_t>(in * outFeatures));
    std::memcpy(w.data(), parts->data.constData() + begin, w.size() * sizeof(float));
    for (qint64 o = 0; o < outFeatures; ++o) {
        std::set<float> levels;
        for (qint64 g = 0; g < in; g += 4) {
            int zeros = 0;
            for (qint64 j = 0; j < 4; ++j) {
                const float v = w[static_cast<std::size_t>((g + j) * outFeatures + o)];
                zeros += v == 0.0f;
                levels.insert(v);
            }
            QVERIFY(zeros >= 2);
        }
        QVERIFY(levels.size() <= 255);
    }
    QVERIFY(!header.contains("lm_head.weight")); // tied to wte as in the base checkpoint
    QCOMPARE(readAll(out + "/config.json"), readAll(kTinyGpt2 + "/config.json"));
    QCOMPARE(readAll(out + "/vocab.json"), readAll(kTinyGpt2 + "/vocab.json"));
}

void TestCliExport::compactFile()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString out = work.filePath("model.compact.safetensors");
    const CliRun exported
        = runCli({ "export", kTinyGpt2, "--recipe", kNm24Recipe, "--format", "compact", "--out", out });
    QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
    qInfo("%s", qPrintable(exported.out.trimmed()));
    const auto parts = splitSafetensors(readAll(out));
    QVERIFY(parts);
    const QJsonObject header = QJsonDocument::fromJson(parts->header).object();
    const QJsonObject metadata = header["__metadata__"].toObject();
    QCOMPARE(metadata["format"].toString(), QStringLiteral("optiscope-compact"));
    QCOMPARE(metadata["schema_version"].toString(), QStringLiteral("1"));
    const QJsonObject tensors = QJsonDocument::fromJson(metadata["tensors"].toString().toUtf8()).object();
    QCOMPARE(tensors.size(), 16); // 4 linear weights × 4 layers
    const QJsonObject fc = tensors["transformer.h.0.mlp.c_fc.weight"].toObject();
    QCOMPARE(fc["encoding"].toString(), QStringLiteral("nm"));
    QCOMPARE(fc["bits"].toInt(), 8);
    // 2:4 of [512 out × 128 in]: 2 int8 codes and 2 two-bit indices per group, one scale per output.
    const QJsonObject codes = header["transformer.h.0.mlp.c_fc.weight.codes"].toObject();
    QCOMPARE(codes["dtype"].toString(), QStringLiteral("I8"));
    QCOMPARE(codes["shape"].toArray()[0].toInteger(), 512 * 128 / 2);
    QCOMPARE(header["transformer.h.0.mlp.c_fc.weight.nm_indices"].toObject()["shape"].toArray()[0].toInteger(),
        512 * 128 / 2 * 2 / 8);
    QCOMPARE(header["transformer.h.0.mlp.c_fc.weight.scales"].toObject()["shape"].toArray()[0].toInteger(), 512);
    QVERIFY(header.contains("transformer.wte.weight")); // unchanged tensors as in the base
    QVERIFY(!header.contains("transformer.h.0.mlp.c_fc.weight"));
}

void TestCliExport::scaleSim()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString out = work.filePath("study");
    const CliRun exported = runCli({ "export", kTinyGpt2, "--recipe", kNm24Recipe, "--format", "scalesim", "--text",
        kText, "--config", kWsCfg, "--out", out });
    QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
    const CliRun simulated = runCli({ "simulate", "--model", kTinyGpt2, "--recipe", kNm24Recipe, "--text", kText,
        "--config", kWsCfg, "--out", work.filePath("sim") });
    QVERIFY2(simulated.exitCode == 0, qPrintable(simulated.err));
    const QStringList gemms = QString::fromUtf8(readAll(out + "/gemm_topology.csv")).trimmed().split('\n');
    const QStringList report
        = QString::fromUtf8(readAll(work.filePath("sim/COMPUTE_REPORT.csv"))).trimmed().split('\n');
    QVERIFY(gemms.size() > 10);
    QCOMPARE(gemms.size(), report.size()); // a header line each, then one line per GEMM
    QVERIFY(gemms[0].startsWith("Layer, M, N, K"));
    QCOMPARE(readAll(out + "/scale.cfg").contains("ArrayHeight = 32"), true);
    QVERIFY(hiddenEntries(work.path()).isEmpty());
}

// The file's header as the GGUF spec lays it out (magic, version 3, tensor count), and Q8_0 at
// about a third of F32: the full check of the contents is tst_gguf's independent reader.
void TestCliExport::gguf()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    qint64 sizes[2] = {};
    const char* types[2] = { "gguf:f16", "gguf:q8_0" };
    for (int i = 0; i < 2; ++i) {
        const QString out = work.filePath(QString("m%1.gguf").arg(i));
        const CliRun run = runCli({ "export", kTinyGpt2, "--recipe", kNm24Recipe, "--format", types[i], "--out", out });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY2(run.out.contains("GGUF v3"), qPrintable(run.out));
        const QByteArray bytes = readAll(out);
        QVERIFY(bytes.size() > 24);
        QCOMPARE(bytes.left(4), QByteArray("GGUF"));
        std::uint32_t version = 0;
        std::memcpy(&version, bytes.constData() + 4, 4);
        QCOMPARE(version, 3u);
        sizes[i] = bytes.size();
    }
    qInfo("tiny-gpt2 GGUF: f16 %lld bytes, q8_0 %lld bytes", sizes[0], sizes[1]);
    // Q8_0 is 34 bytes per 32 weights vs 64 for F16; norms and biases stay F32.
    QVERIFY(sizes[1] < sizes[0] * 0.6);
    QVERIFY(hiddenEntries(work.path()).isEmpty());
}

void TestCliExport::badInput_data()
{
    QTest::addColumn<QStringList>("args"); // OUT and WORK are replaced by paths in the work folder
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message"); // substring of the one stderr line
    QTest::addColumn<bool>("outExists"); // OUT is created (as a file) before the run
    const QStringList model { "export", kTinyGpt2 };
    QTest::newRow("existing target") << (model + QStringList { "--format", "compact", "--out", "OUT" }) << 1
                                     << "--out: already exists (pass --overwrite" << true;
    QTest::newRow("existing target, hf") << (model + QStringList { "--format", "hf", "--out", "OUT" }) << 1
                                         << "--out: already exists" << true;
    QTest::newRow("not writable") << (model
        + QStringList { "--format", "compact", "--out", "/proc/optiscope-export.safetensors" })
                                  << 1 << "/proc/optiscope-export.safetensors" << false;
    QTest::newRow("missing parent") << (model + QStringList { "--format", "hf", "--out", "WORK/no/such/dir" }) << 1
                                    << "parent folder" << false;
    QTest::newRow("incompatible recipe") << (model
        + QStringList { "--recipe", "WORK/g48.json", "--format", "compact", "--out", "OUT" })
                                         << 1 << "g48.json: steps[0].group_size: 48 does not divide" << false;
    QTest::newRow("bad recipe field") << (model
        + QStringList { "--recipe", "WORK/bad.json", "--format", "hf", "--out", "OUT" })
                                      << 1 << "bad.json: steps[0].bits" << false;
    QTest::newRow("ternary to q4_0") << (model
        + QStringList { "--recipe", "WORK/ternary.json", "--format", "gguf:q4_0", "--out", "OUT" })
                                     << 1 << "cannot be held by Q4_0" << false;
    QTest::newRow("unknown gguf type") << (model + QStringList { "--format", "gguf:q2_k", "--out", "OUT" }) << 2
                                       << "--format" << false;
    QTest::newRow("scalesim without config")
        << (model + QStringList { "--format", "scalesim", "--text", "hi", "--out", "OUT" }) << 2 << "--config" << false;
    QTest::newRow("text without scalesim")
        << (model + QStringList { "--format", "hf", "--text", "hi", "--out", "OUT" }) << 2 << "--text" << false;
}

void TestCliExport::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    QFETCH(bool, outExists);
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString out = work.filePath("out");
    QVERIFY(writeAll(work.filePath("g48.json"),
        R"({"schema": 1, "steps": [{"type": "quantize", "targets": ["*.mlp.c_fc.weight"], "bits": 4, "granularity": "group", "group_size": 48}]})"));
    QVERIFY(writeAll(work.filePath("bad.json"),
        R"({"schema": 1, "steps": [{"type": "quantize", "targets": ["*.mlp.c_fc.weight"], "bits": 99}]})"));
    QVERIFY(writeAll(work.filePath("ternary.json"),
        R"({"schema": 1, "steps": [{"type": "quantize", "targets": ["*.mlp.c_fc.weight"], "format": "ternary", "granularity": "group", "group_size": 16}]})"));
    if (outExists) {
        QVERIFY(writeAll(out, "keep"));
    }
    for (QString& arg : args) {
        arg = arg == "OUT" ? out : arg.replace("WORK", work.path());
    }
    const CliRun run = runCli(args);
    QVERIFY(!run.crashed);
    QCOMPARE(run.exitCode, exitCode);
    QVERIFY2(run.err.count('\n') == 1 && run.err.contains(message), qPrintable(run.err));
    QVERIFY(run.out.isEmpty());
    if (outExists) {
        QCOMPARE(readAll(out), QByteArray("keep"));
    } else {
        QVERIFY(!QFileInfo::exists(out));
    }
    QVERIFY2(hiddenEntries(work.path()).isEmpty(), qPrintable(hiddenEntries(work.path()).join(' ')));
    QVERIFY(!QFileInfo::exists("/proc/optiscope-export.safetensors"));
}

QTEST_APPLESS_MAIN(TestCliExport)
#include "tst_cli_export.moc"
