// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli probe, black box: counts and split sizes against the test's own reading of the
// data file, determinism, the recipe column, and one-line errors for bad input. The probe's
// numbers themselves are checked against PyTorch in tst_text_probe. Needs USE Lite
// (scripts/fetch_use_lite.sh) and the sentiment data (scripts/fetch_sentiment.sh); QSKIPs without.
#include "cli_test_support.h"

#include <QTest>

#include <cmath>

using namespace cli_test;

namespace {

constexpr double kMinInt8Cosine = 0.99; // as tst_text_probe

QString repoPath(const QString& relative) { return QStringLiteral(OPTISCOPE_FIXTURES_DIR "/../../") + relative; }
QString useLiteDir() { return repoPath("third_party_cache/use_lite/package/dist"); }
QString sentimentFile(const QString& name)
{
    return repoPath("third_party_cache/sentiment/package/test/fixtures/") + name;
}

} // namespace

class TestCliProbe : public QObject {
    Q_OBJECT

private:
    QString m_dir;
    QString m_subset; // 241 records of yelp.json (one of them blank), so each run takes seconds
    int m_nonBlank = 0;

private slots:
    void initTestCase()
    {
        if (!QFile::exists(useLiteDir() + "/model.json") || !QFile::exists(sentimentFile("yelp.json"))) {
            QSKIP("USE Lite or sentiment data missing; run scripts/fetch_use_lite.sh and scripts/fetch_sentiment.sh");
        }
        m_dir = QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/cli_probe");
        QDir(m_dir).removeRecursively();
        QVERIFY(QDir().mkpath(m_dir));
        const QJsonArray all = QJsonDocument::fromJson(readAll(sentimentFile("yelp.json"))).array();
        QVERIFY(all.size() > 500);
        QJsonArray subset;
        for (int i = 0; i < 120; ++i) { // both classes: the file lists negatives first
            subset.append(all[i]);
            subset.append(all[all.size() - 2 - i]);
        }
        subset.append(QJsonObject { { "text", "   " }, { "class", QJsonValue() } });
        for (const auto& record : subset) {
            m_nonBlank += record.toObject()["text"].toString().trimmed().isEmpty() ? 0 : 1;
        }
        m_subset = m_dir + "/yelp_subset.json";
        QVERIFY(writeAll(m_subset, QJsonDocument(subset).toJson()));
        QVERIFY(writeAll(m_dir + "/int8.json",
            R"({"schema": 1, "steps": [{"type": "quantize", "targets": ["*"], "bits": 8, "granularity": "per_channel"}]})"));
    }

    void jsonReport()
    {
        const CliRun run
            = runCli({ "probe", useLiteDir(), "--data", m_subset, "--recipe", m_dir + "/int8.json", "--json" });
        QVERIFY2(run.exitCode == 0 && !run.crashed, qPrintable(run.err));
        const QJsonObject out = QJsonDocument::fromJson(run.out.toUtf8()).object();
        const QJsonArray sets = out["sets"].toArray();
        QCOMPARE(sets.size(), 1);
        const QJsonObject set = sets[0].toObject();
        QCOMPARE(set["examples"].toInt(), m_nonBlank);
        QCOMPARE(set["skipped_blank"].toInt(), 1);
        QCOMPARE(set["train"].toInt(), static_cast<int>(std::lround(0.8 * m_nonBlank)));
        QCOMPARE(set["held_out"].toInt(), m_nonBlank - set["train"].toInt());
        const double heldOut = set["base"].toObject()["held_out_accuracy"].toDouble();
        // A whole number of correct held-out sentences.
        const double correct = heldOut * set["held_out"].toInt();
        QVERIFY(std::abs(correct - std::round(correct)) < 1e-9);
        QVERIFY(heldOut > 0.5); // better than chance on balanced classes
        const double cosine = set["compressed"].toObject()["min_embedding_cosine"].toDouble();
        QVERIFY2(cosine >= kMinInt8Cosine && cosine < 1.0, qPrintable(QString::number(cosine)));

        // Deterministic: a second run prints the same bytes.
        const CliRun again
            = runCli({ "probe", useLiteDir(), "--data", m_subset, "--recipe", m_dir + "/int8.json", "--json" });
        QCOMPARE(again.out, run.out);
    }

    void tableReport()
    {
        const CliRun run = runCli({ "probe", useLiteDir(), "--data", m_subset, "--seed", "3" });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY(run.out.contains("(seed 3)"));
        QVERIFY(run.out.contains("yelp_subset.json"));
        QVERIFY(!run.out.contains("recipe_held_out"));
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("error");
        QTest::newRow("no data") << QStringList { "probe", "USE" } << 2 << "--data FILE.json|DIR is required";
        QTest::newRow("bad l2") << QStringList { "probe", "USE", "--data", "x.json", "--l2", "-1" } << 2
                                << "option --l2: '-1' is not a positive number";
        QTest::newRow("bad fraction") << QStringList { "probe", "USE", "--data", "x.json", "--train-fraction", "1" }
                                      << 2 << "option --train-fraction: '1' is not a fraction in (0, 1)";
        QTest::newRow("class 2") << QStringList { "probe", "USE", "--data", "CLASS2" } << 1
                                 << "class2.json: [0].class: 2 is not 0 or 1";
        QTest::newRow("missing data") << QStringList { "probe", "USE", "--data", "nope.json" } << 1
                                      << "nope.json: no such file or folder (--data)";
        QTest::newRow("heads recipe") << QStringList { "probe", "USE", "--data", "SUBSET", "--recipe", "HEADS" } << 1
                                      << "heads.json: steps[0].type: 'prune_heads' is not supported for USE Lite";
        QTest::newRow("not a model") << QStringList { "probe", "SUBSET_DIR", "--data", "SUBSET" } << 1 << "model.json";
    }
    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, error);
        QVERIFY(writeAll(m_dir + "/class2.json", R"([{"text": "fine", "class": 2}])"));
        QVERIFY(
            writeAll(m_dir + "/heads.json", R"({"schema": 1, "steps": [{"type": "prune_heads", "heads": [[0, 1]]}]})"));
        for (QString& arg : args) {
            arg = arg == "USE"        ? useLiteDir()
                : arg == "CLASS2"     ? m_dir + "/class2.json"
                : arg == "SUBSET"     ? m_subset
                : arg == "HEADS"      ? m_dir + "/heads.json"
                : arg == "SUBSET_DIR" ? m_dir
                                      : arg;
        }
        const CliRun run = runCli(args);
        QVERIFY(!run.crashed);
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(run.err.startsWith("optiscope-cli: ") && run.err.contains(error), qPrintable(run.err));
        QCOMPARE(run.err.count('\n'), 1);
        QVERIFY(run.out.isEmpty());
    }
};

QTEST_APPLESS_MAIN(TestCliProbe)
#include "tst_cli_probe.moc"
