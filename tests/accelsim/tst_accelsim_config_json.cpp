// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Optiscope's JSON array config: every field read and written, round trips, and one-line errors naming the
// file and the key.
#include "optiscope/accelsim/config_json.h"

#include <QTest>

#include <filesystem>

using namespace optiscope::accelsim;

class TestAccelsimConfigJson : public QObject {
    Q_OBJECT
private slots:
    void parsesEveryField()
    {
        const char* text = R"({
          "runName": "edge", "rows": 16, "cols": 8, "dataflow": "os",
          "ifmapSramKiB": 32, "filterSramKiB": 16, "ofmapSramKiB": 8,
          "ifmapOffset": 1, "filterOffset": 2, "ofmapOffset": 3,
          "interfaceBandwidth": "user", "bandwidthBytesPerCycle": [4, 2, 1],
          "clockMhz": 800.5, "ifmapBits": 4, "filterBits": 4, "ofmapBits": 16,
          "scaleSimCompatible": false, "sparseWeights": true,
          "energyPj": { "macInt8": 0.3, "dramPerByte": 100 }
        })";
        auto config = parseArrayConfigJson(text, "edge.json");
        QVERIFY2(config, config ? "" : config.error().message.c_str());
        const ArrayParams& p = config->params();
        QCOMPARE(p.runName, std::string("edge"));
        QCOMPARE(p.rows, 16);
        QCOMPARE(p.cols, 8);
        QCOMPARE(p.dataflow, Dataflow::OutputStationary);
        QCOMPARE(p.ifmapSramKiB, 32);
        QCOMPARE(p.filterSramKiB, 16);
        QCOMPARE(p.ofmapSramKiB, 8);
        QCOMPARE(p.ofmapOffset, 3);
        QCOMPARE(p.bandwidthMode, BandwidthMode::User);
        QCOMPARE(p.bandwidthWordsPerCycle, (std::vector<std::int64_t> { 4, 2, 1 }));
        QCOMPARE(config->dramBytesPerCycle(2), 1);
        QCOMPARE(p.clockMhz, 800.5);
        QCOMPARE(p.ifmapBits, 4);
        QCOMPARE(p.ofmapBits, 16);
        QCOMPARE(p.scaleSimCompatible, false);
        QCOMPARE(p.sparseWeights, true);
        QCOMPARE(p.energy.macInt8Pj, 0.3);
        QCOMPARE(p.energy.dramPjPerByte, 100.0);
        QCOMPARE(p.energy.macInt4Pj, EnergyTable {}.macInt4Pj); // absent keys keep the documented defaults
    }

    void emptyObjectIsTheDefaults()
    {
        auto config = parseArrayConfigJson("{}", "d.json");
        QVERIFY(config);
        QCOMPARE(config->rows(), ArrayParams {}.rows);
        QCOMPARE(config->dataflow(), ArrayParams {}.dataflow);
        QCOMPARE(config->params().bandwidthMode, BandwidthMode::Calc);
        QCOMPARE(config->dramBytesPerCycle(0), 0);
    }

    void roundTrip()
    {
        ArrayParams p;
        p.runName = "rt";
        p.rows = 12;
        p.cols = 20;
        p.dataflow = Dataflow::InputStationary;
        p.bandwidthMode = BandwidthMode::User;
        p.bandwidthWordsPerCycle = { 7 };
        p.clockMhz = 1234.25;
        p.filterBits = 4;
        p.sparseWeights = true;
        p.dualInt4Macs = true;
        p.scaleSimCompatible = false;
        p.energy.sramReadPjPerByte = 1.125;
        auto config = ArrayConfig::create(p);
        QVERIFY(config);
        const std::filesystem::path file = std::filesystem::path(OPTISCOPE_TEST_OUTPUT_DIR) / "accelsim_config.json";
        QVERIFY(writeArrayConfigJson(file, *config));
        auto back = readArrayConfigJson(file);
        QVERIFY2(back, back ? "" : back.error().message.c_str());
        QCOMPARE(formatArrayConfigJson(*back), formatArrayConfigJson(*config));
        const ArrayParams& q = back->params();
        QCOMPARE(q.runName, p.runName);
        QCOMPARE(q.rows, p.rows);
        QCOMPARE(q.cols, p.cols);
        QCOMPARE(q.dataflow, p.dataflow);
        QCOMPARE(q.bandwidthWordsPerCycle, p.bandwidthWordsPerCycle);
        QCOMPARE(q.clockMhz, p.clockMhz);
        QCOMPARE(q.filterBits, 4);
        QCOMPARE(q.sparseWeights, true);
        QCOMPARE(q.dualInt4Macs, true);
        QCOMPARE(q.scaleSimCompatible, false);
        QCOMPARE(q.energy.sramReadPjPerByte, 1.125);
        // Keys appear in the documented order.
        const std::string text = formatArrayConfigJson(*config);
        QVERIFY(text.find("\"runName\"") < text.find("\"rows\""));
        QVERIFY(text.find("\"sparseWeights\"") < text.find("\"energyPj\""));
    }

    void errors_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("not json") << R"({"rows": )"
                                  << "bad.json: not valid JSON";
        QTest::newRow("top level array") << "[1]"
                                         << "bad.json: top level: must be an object";
        QTest::newRow("unknown key") << R"({"rowz": 4})"
                                     << "bad.json: rowz: unknown key";
        QTest::newRow("unknown energy key") << R"({"energyPj": {"mac": 1}})"
                                            << "bad.json: energyPj.mac: unknown key";
        QTest::newRow("string for int") << R"({"rows": "32"})"
                                        << "bad.json: rows: must be an integer";
        QTest::newRow("fraction for int") << R"({"cols": 32.5})"
                                          << "bad.json: cols: must be an integer";
        QTest::newRow("bool") << R"({"sparseWeights": 1})"
                              << "bad.json: sparseWeights: must be true or false";
        QTest::newRow("bits") << R"({"ifmapBits": 0})"
                              << "bad.json: ifmapBits: must be in [1, 32] bits";
        QTest::newRow("dataflow") << R"({"dataflow": "xs"})"
                                  << "bad.json: dataflow: unknown dataflow 'xs'";
        QTest::newRow("mode") << R"({"interfaceBandwidth": "MAX"})"
                              << "bad.json: interfaceBandwidth: 'MAX'";
        QTest::newRow("user without bw") << R"({"interfaceBandwidth": "USER"})"
                                         << "bad.json: bandwidthBytesPerCycle: interfaceBandwidth is USER";
        QTest::newRow("bw not array") << R"({"bandwidthBytesPerCycle": 4})"
                                      << "bad.json: bandwidthBytesPerCycle: must be an array";
        // Range checks are ArrayConfig::create's, which names the .cfg field.
        QTest::newRow("zero rows") << R"({"rows": 0})"
                                   << "bad.json: ArrayHeight: must be in [1,";
        QTest::newRow("negative bw") << R"({"interfaceBandwidth": "USER", "bandwidthBytesPerCycle": [-1]})"
                                     << "bad.json: Bandwidth: must be positive";
    }
    void errors()
    {
        QFETCH(QString, json);
        QFETCH(QString, fragment);
        auto config = parseArrayConfigJson(json.toStdString(), "bad.json");
        QVERIFY(!config);
        const std::string& message = config.error().message;
        QVERIFY2(message.find(fragment.toStdString()) == 0, message.c_str());
        QVERIFY(message.find('\n') == std::string::npos);
    }

    void missingFile()
    {
        auto config = readArrayConfigJson(std::filesystem::path(OPTISCOPE_TEST_OUTPUT_DIR) / "no_such_config.json");
        QVERIFY(!config);
        QCOMPARE(config.error().code, ErrorCode::Io);
    }
};

QTEST_APPLESS_MAIN(TestAccelsimConfigJson)
#include "tst_accelsim_config_json.moc"
