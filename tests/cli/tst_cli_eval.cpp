// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli eval, black box, against the training scripts' own PyTorch numbers: the tiny-gpt2
// sample's held-out perplexity (train_metrics.json, samples/train_tiny_gpt2.py evaluate_nll) and
// the tiny-vit sample's test accuracy (reference.json: PyTorch predictions on test images 0-499 and
// the full-test-set accuracy). Also: --recipe rows, --limit, and one-line errors for bad input.
// Needs Moby-Dick (scripts/fetch_moby_dick.sh) and dataset-fashion-mnist; QSKIPs without.
#include "cli_test_support.h"

#include <QJsonArray>
#include <QTest>

#include <cmath>

using namespace cli_test;

namespace {

const QString kGpt2 = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kVit = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-vit");
const QString kMobyDick = QStringLiteral(OPTISCOPE_FIXTURES_DIR "/../../third_party_cache/moby_dick/package/data/data.txt");
const QString kFashionMnist = QStringLiteral("/usr/share/datasets/fashion-mnist");
// train_metrics.json rounds the NLL to 4 decimals; fp32 (ours) vs fp32 (PyTorch) adds ~1e-6.
constexpr double kNllTolerance = 5e-5 + 1e-5;

QJsonObject evalJson(const QStringList& args)
{
    const CliRun run = runCli(QStringList { "eval" } + args + QStringList { "--json" }, 300000);
    if (run.exitCode != 0 || run.crashed) {
        qWarning("%s", qPrintable(run.err));
        return {};
    }
    return QJsonDocument::fromJson(run.out.toUtf8()).object();
}

} // namespace

class TestCliEval : public QObject {
    Q_OBJECT

private:
    QString m_dir;

private slots:
    void initTestCase()
    {
        m_dir = QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/cli_eval");
        QDir(m_dir).removeRecursively();
        QVERIFY(QDir().mkpath(m_dir));
    }

    void gpt2HeldOutPerplexityMatchesTrainingScript()
    {
        if (!QFile::exists(kMobyDick)) {
            QSKIP("Moby-Dick missing; run scripts/fetch_moby_dick.sh");
        }
        const QJsonObject metrics = readJsonObject(kGpt2 + "/train_metrics.json");
        const QJsonObject out = evalJson({ kGpt2, "--task", "perplexity", "--data", "moby-dick" });
        QCOMPARE(out["metric"].toString(), QStringLiteral("perplexity"));
        // Same split and windows as evaluate_nll: the same tokens are predicted.
        QCOMPARE(out["samples"].toInteger(), metrics["held_out_predicted_tokens"].toInteger());
        const double nll = out["result"].toObject()["mean_nll"].toDouble();
        QVERIFY2(std::abs(nll - metrics["held_out_nll"].toDouble()) <= kNllTolerance, qPrintable(QString::number(nll, 'g', 10)));
        QCOMPARE(out["result"].toObject()["value"].toDouble(), std::exp(nll));
        // Deterministic: a second run prints the same bits.
        const QJsonObject again = evalJson({ kGpt2 });
        QCOMPARE(again["result"].toObject()["value"].toDouble(), out["result"].toObject()["value"].toDouble());
    }

    void vitAccuracyMatchesPyTorchPredictions()
    {
        if (!QFile::exists(kFashionMnist + "/t10k-labels-idx1-ubyte.gz")) {
            QSKIP("dataset-fashion-mnist not installed");
        }
        const QJsonObject reference = readJsonObject(kVit + "/reference.json");
        const QJsonObject subset = reference["subset"].toObject();
        const QJsonObject first = evalJson({ kVit, "--data", "fashion-mnist", "--limit", "500" });
        QCOMPARE(first["samples"].toInteger(), subset["first"].toInteger());
        QCOMPARE(first["result"].toObject()["correct"].toInteger(), subset["correct"].toInteger());
        const QJsonObject all = evalJson({ kVit });
        QCOMPARE(all["samples"].toInteger(), 10000);
        QCOMPARE(all["result"].toObject()["value"].toDouble(), reference["test_accuracy"].toDouble());
    }

    void recipeAddsCompressedRowAndDivergence()
    {
        if (!QFile::exists(kFashionMnist + "/t10k-labels-idx1-ubyte.gz")) {
            QSKIP("dataset-fashion-mnist not installed");
        }
        QVERIFY(writeAll(m_dir + "/int4.json",
            R"({"schema": 1, "steps": [{"type": "quantize", "targets": ["*"], "bits": 4, "granularity": "per_tensor"}]})"));
        const QJsonObject base = evalJson({ kVit, "--limit", "300" });
        const QJsonObject out = evalJson({ kVit, "--limit", "300", "--recipe", m_dir + "/int4.json" });
        // The baseline row is the plain model's number; the compressed model differs from it.
        QCOMPARE(out["baseline"].toObject()["value"].toDouble(), base["result"].toObject()["value"].toDouble());
        QVERIFY(out["kl_mean"].toDouble() > 0);
        const double agreement = out["top1_agreement"].toDouble();
        QVERIFY(agreement > 0.5 && agreement < 1.0);
    }

    void textFileIsScoredWhole()
    {
        // 3 windows: 129 + 129 + 2 tokens -> 128 + 128 + 1 predictions... whatever the text's token count
        // n is, every token but the first is predicted once.
        const QString text = QStringLiteral(OPTISCOPE_FIXTURES_DIR "/compression/eval_text.txt");
        const QJsonObject out = evalJson({ kGpt2, "--data", text });
        const qint64 samples = out["samples"].toInteger();
        QVERIFY(samples > 128);
        QCOMPARE(out["windows"].toInteger(), (samples + 127) / 128);
        const QJsonObject limited = evalJson({ kGpt2, "--data", text, "--limit", "1" });
        QCOMPARE(limited["samples"].toInteger(), 128);
    }

    void badInputIsOneLine_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        QTest::newRow("task does not fit") << QStringList { kGpt2, "--task", "accuracy" } << "does not fit";
        QTest::newRow("unknown task") << QStringList { kGpt2, "--task", "bleu" } << "perplexity or accuracy";
        QTest::newRow("missing data") << QStringList { kGpt2, "--data", m_dir + "/nothing.txt" } << "nothing.txt";
        QTest::newRow("text for a classifier") << QStringList { kVit, "--data", kGpt2 + "/merges.txt" } << "labelled images";
        QTest::newRow("not a model") << QStringList { m_dir } << "config.json";
        QTest::newRow("bad limit") << QStringList { kGpt2, "--limit", "0" } << "--limit";
    }

    void badInputIsOneLine()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        const CliRun run = runCli(QStringList { "eval" } + args);
        QVERIFY(!run.crashed);
        QVERIFY2(run.exitCode == 1 || run.exitCode == 2, qPrintable(run.err));
        QCOMPARE(run.err.count('\n'), 1);
        QVERIFY2(run.err.contains(expected), qPrintable(run.err));
    }

    void truncatedIdxNamesTheFile()
    {
        // A label file whose header promises more labels than it holds.
        QDir().mkpath(m_dir + "/idx");
        QByteArray images;
        for (int v : { 0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28 }) {
            images.append(char(v));
        }
        images.append(QByteArray(28 * 28, '\0'));
        QVERIFY(writeAll(m_dir + "/idx/t10k-images-idx3-ubyte", images));
        QByteArray labels;
        for (int v : { 0, 0, 8, 1, 0, 0, 0, 2, 3 }) {
            labels.append(char(v));
        }
        QVERIFY(writeAll(m_dir + "/idx/t10k-labels-idx1-ubyte", labels));
        const CliRun run = runCli({ "eval", kVit, "--data", m_dir + "/idx" });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("t10k-labels-idx1-ubyte: data: 1 bytes, the header says 2"), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestCliEval)
#include "tst_cli_eval.moc"
