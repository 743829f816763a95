// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Black-box tests of `optiscope-cli sensitivity`: the layer and tensor lists follow the model's
// config.json (read here), the table and --json agree, more bits do less damage in every layer,
// and bad input gives one line naming the option and field with nothing on stdout.
#include "cli_test_support.h"

#include <QTest>

#include <cmath>

using namespace cli_test;

namespace {

const QString kTinyGpt2 = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kText = QStringLiteral(OPTISCOPE_FIXTURES_DIR "/compression/eval_text.txt");
// The table prints 4 decimals of perplexity and 6 of KL.
constexpr double kTablePerplexityTol = 5e-5;
constexpr double kTableKlTol = 5e-7;

QJsonObject scanJson(const QString& quant)
{
    const CliRun run = runCli({ "sensitivity", kTinyGpt2, "--quant", quant, "--text-file", kText, "--json" });
    if (run.exitCode != 0 || run.crashed) {
        qWarning("%s", qPrintable(run.err));
        return {};
    }
    return QJsonDocument::fromJson(run.out.toUtf8()).object();
}

} // namespace

class TestCliSensitivity : public QObject {
    Q_OBJECT

private slots:
    void jsonFollowsTheModel()
    {
        const QJsonObject config = readJsonObject(kTinyGpt2 + "/config.json");
        const QJsonObject scan = scanJson(R"({"bits": 4, "granularity": "per_channel"})");
        const QJsonArray layers = scan["layers"].toArray();
        QCOMPARE(layers.size(), config["n_layer"].toInt());
        QVERIFY(scan["base_perplexity"].toDouble() > 1);
        QCOMPARE(scan["bits_per_weight"].toDouble(), 4.0);
        QCOMPARE(scan["quant"].toObject()["bits"].toInt(), 4);
        for (int i = 0; i < layers.size(); ++i) {
            const QJsonObject layer = layers[i].toObject();
            QCOMPARE(layer["layer"].toInt(), i);
            const QString p = QStringLiteral("transformer.h.%1.").arg(i);
            QCOMPARE(layer["tensors"].toArray(),
                (QJsonArray { p + "attn.c_attn.weight", p + "attn.c_proj.weight", p + "mlp.c_fc.weight",
                    p + "mlp.c_proj.weight" }));
            QVERIFY(layer["kl_mean"].toDouble() > 0);
            QVERIFY(layer["top1_agreement"].toDouble() > 0 && layer["top1_agreement"].toDouble() <= 1);
            QVERIFY(std::fabs(layer["delta_perplexity"].toDouble()
                        - (layer["perplexity"].toDouble() - scan["base_perplexity"].toDouble()))
                < 1e-9);
        }
    }

    void tableMatchesJson()
    {
        const QString quant = R"({"format": "bfp", "block_size": 16, "mantissa_bits": 3})";
        const QJsonArray layers = scanJson(quant)["layers"].toArray();
        const CliRun run = runCli({ "sensitivity", kTinyGpt2, "--quant", quant, "--text-file", kText });
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains("bfp block 16, 3-bit mantissa (4.5 bits/weight)"));
        int rows = 0;
        for (const QString& line : run.out.split('\n')) {
            const QStringList cells = line.simplified().split(' ');
            bool isRow = false;
            const int layer = cells.value(0).toInt(&isRow);
            if (!isRow || cells.size() != 7) {
                continue;
            }
            const QJsonObject expected = layers[layer].toObject();
            QVERIFY(std::fabs(cells[2].toDouble() - expected["perplexity"].toDouble()) < kTablePerplexityTol);
            QVERIFY(std::fabs(cells[4].toDouble() - expected["kl_mean"].toDouble()) < kTableKlTol);
            ++rows;
        }
        QCOMPARE(rows, layers.size());
    }

    void moreBitsLessDamage()
    {
        const QJsonArray int4 = scanJson(R"({"bits": 4})")["layers"].toArray();
        const QJsonArray int8 = scanJson(R"({"bits": 8})")["layers"].toArray();
        QVERIFY(!int4.isEmpty());
        QCOMPARE(int8.size(), int4.size());
        for (int i = 0; i < int4.size(); ++i) {
            QVERIFY2(int8[i].toObject()["kl_mean"].toDouble() < int4[i].toObject()["kl_mean"].toDouble(),
                qPrintable(QStringLiteral("layer %1").arg(i)));
            QVERIFY(int8[i].toObject()["weight_sqnr_db"].toDouble() > int4[i].toObject()["weight_sqnr_db"].toDouble());
        }
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        const QString t = kText;
        QTest::newRow("unknown_quant_field")
            << QStringList { "sensitivity", kTinyGpt2, "--quant", R"({"bits": 4, "bitz": 3})", "--text-file", t } << 2
            << "optiscope-cli: --quant: bitz: unknown field";
        QTest::newRow("bits_33") << QStringList { "sensitivity", kTinyGpt2, "--quant", R"({"bits": 33})", "--text-file",
            t } << 2 << "optiscope-cli: --quant: bits: must be in [2, 16], got 33";
        QTest::newRow("bad_format") << QStringList { "sensitivity", kTinyGpt2, "--quant", R"({"format": "int3"})",
            "--text-file", t } << 2 << "optiscope-cli: --quant: format: \"int3\" is not one of";
        QTest::newRow("invalid_json") << QStringList { "sensitivity", kTinyGpt2, "--quant", "{bits: 4}", "--text-file",
            t } << 2 << "optiscope-cli: --quant: invalid JSON";
        QTest::newRow("no_text_file") << QStringList { "sensitivity", kTinyGpt2, "--quant", R"({"bits": 4})" } << 2
                                      << "optiscope-cli: sensitivity: --quant and --text-file are required";
        QTest::newRow("missing_text_file")
            << QStringList { "sensitivity", kTinyGpt2, "--quant", R"({"bits": 4})", "--text-file", t + ".missing" } << 1
            << "optiscope-cli: " + t + ".missing: cannot open";
        QTest::newRow("group_not_dividing")
            << QStringList { "sensitivity", kTinyGpt2, "--quant", R"({"bits": 4, "granularity": "group",
                "group_size": 100})",
                   "--text-file", t }
            << 1 << "optiscope-cli: sensitivity: steps[0].group_size: 100 does not divide the input dimension";
        QTest::newRow("no_model") << QStringList { "sensitivity", kTinyGpt2 + "-missing", "--quant", R"({"bits": 4})",
            "--text-file", t } << 1
                                  << "optiscope-cli: " + kTinyGpt2 + "-missing";
    }

    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const CliRun run = runCli(args);
        QVERIFY(!run.crashed);
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(run.err.startsWith(message), qPrintable(run.err));
        QCOMPARE(run.err.count('\n'), 1);
        QVERIFY(run.out.isEmpty());
    }
};

QTEST_APPLESS_MAIN(TestCliSensitivity)
#include "tst_cli_sensitivity.moc"
