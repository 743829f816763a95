// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Accelerator half of the corrupt-input corpus (tests/corrupt/cases.json): SCALE-Sim topology/GEMM CSV and
// .cfg files and Optiscope array-config JSON, read through the engine API until optiscope-cli simulate exists. Each
// must be refused with one line naming the file and the field.
#include "optiscope/accelsim/config_json.h"
#include "optiscope/accelsim/scalesim_io.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace optiscope::accelsim;

namespace {

const QString kCorruptDir = QStringLiteral(OPTISCOPE_FIXTURES_DIR "/../corrupt");

QJsonArray allCases()
{
    QFile file(kCorruptDir + "/cases.json");
    return file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll()).object()["cases"].toArray()
                                          : QJsonArray();
}

} // namespace

class TestCorruptAccelsim : public QObject {
    Q_OBJECT

private slots:
    void refused_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("word");
        int rows = 0;
        for (const auto& value : allCases()) {
            const QJsonObject row = value.toObject();
            const QString kind = row["engine"].toString();
            if (kind == "topology_csv" || kind == "gemm_csv" || kind == "scalesim_cfg" || kind == "array_json") {
                QTest::newRow(qPrintable(row["case"].toString()))
                    << kind << row["file"].toString() << row["word"].toString();
                ++rows;
            }
        }
        QVERIFY(rows > 0);
    }

    void refused()
    {
        QFETCH(QString, kind);
        QFETCH(QString, file);
        QFETCH(QString, word);
        const std::filesystem::path path = (kCorruptDir + "/" + file).toStdString();
        std::string message;
        if (kind == "topology_csv") {
            const auto result = readTopologyCsv(path);
            QVERIFY(!result);
            message = result.error().message;
        } else if (kind == "gemm_csv") {
            const auto result = readGemmCsv(path);
            QVERIFY(!result);
            message = result.error().message;
        } else if (kind == "array_json") {
            const auto result = readArrayConfigJson(path);
            QVERIFY(!result);
            message = result.error().message;
        } else {
            const auto result = readScaleSimConfig(path);
            QVERIFY(!result);
            message = result.error().message;
        }
        const QString text = QString::fromStdString(message);
        QVERIFY2(!text.contains('\n'), qPrintable(text));
        QVERIFY2(text.contains(QFileInfo(file).fileName()), qPrintable(text));
        QVERIFY2(text.contains(word), qPrintable(text));
    }

    void fuzzRegressionsReplay()
    {
        // Inputs the fuzzers once crashed on (tests/corrupt/fuzz_regressions/, prefix = parser). Under the
        // sanitizer build these replay the original defect; here they must parse to a value or an error.
        const QDir dir(kCorruptDir + "/fuzz_regressions");
        int replayed = 0;
        for (const QFileInfo& entry : dir.entryInfoList(QDir::Files)) {
            QFile file(entry.absoluteFilePath());
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray bytes = file.readAll();
            const std::string_view text(bytes.constData(), static_cast<std::size_t>(bytes.size()));
            const QString name = entry.fileName();
            if (name.startsWith("cfg_")) {
                (void)parseScaleSimConfig(text, "array.cfg");
                (void)parseArrayConfigJson(text, "array.json");
            } else if (name.startsWith("scalesim_csv_")) {
                (void)parseTopologyCsv(text, "topology.csv");
                (void)parseGemmCsv(text, "gemm.csv");
            } else {
                continue;
            }
            ++replayed;
        }
        QVERIFY(replayed > 0);
    }

    void depthwiseChannelsBounded()
    {
        // fuzz_scalesim_csv: a DP layer with 2^32 channels expanded into 2^32 layers (a hang, then out of memory).
        const auto workload = readTopologyCsv(
            (kCorruptDir + "/fuzz_regressions/scalesim_csv_depthwise_channels_hang.csv").toStdString());
        QVERIFY(!workload);
        QVERIFY2(workload.error().message.find("Channels") != std::string::npos
                && workload.error().message.find("4294967296") != std::string::npos,
            workload.error().message.c_str());
    }

    void hugeSramRefusedBeforeOverflow()
    {
        QFile file(kCorruptDir + "/fuzz_regressions/cfg_sram_kib_overflow.cfg");
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        const auto config = parseScaleSimConfig(std::string_view(bytes.constData(), bytes.size()), "array.cfg");
        QVERIFY(!config);
        // Refused by the range check itself, not by an overflowed word count happening to look too small.
        QVERIFY2(config.error().message.find("IfmapSramSzkB") != std::string::npos
                && config.error().message.find("got 9223372036854775807") != std::string::npos,
            config.error().message.c_str());
    }
};

QTEST_APPLESS_MAIN(TestCorruptAccelsim)
#include "tst_corrupt_accelsim.moc"
