// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Sweep expansion and the results CSV (compression/sweep.h): hand-written expected values.
#include "optiscope/core/compression/sweep.h"

#include <QTest>

using namespace optiscope::core;

class TestSweep : public QObject {
    Q_OBJECT
private slots:
    void parameterValuesSplitOutsideBrackets()
    {
        auto p = parseSweepParameter(R"(steps[0].targets=["a","b,c"],["d"])");
        QVERIFY(p);
        QCOMPARE(p->path, std::string("steps[0].targets"));
        QCOMPARE(p->values, (std::vector<std::string> { R"(["a","b,c"])", R"(["d"])" }));
        auto words = parseSweepParameter("steps.0.saliency=magnitude,\"wanda\"");
        QVERIFY(words);
        QCOMPARE(words->values, (std::vector<std::string> { "\"magnitude\"", "\"wanda\"" }));
        QCOMPARE(sweepCellOf(words->values[0]), std::string("magnitude"));
        QVERIFY(!parseSweepParameter("steps[0].ratio=0.5,,0.6"));
        QVERIFY(!parseSweepParameter("=1"));
        QVERIFY(!parseSweepParameter("steps[0.ratio=1"));
    }

    // Row-major product (first parameter slowest), both path spellings, template key order kept.
    void productOrderAndRecipes()
    {
        const std::string templ = R"({"schema": 1, "steps": [{"type": "quantize", "targets": ["*.weight"], "bits": 8,
            "granularity": "per_tensor"}]})";
        auto points = expandSweep(templ, "t.json",
            { *parseSweepParameter("steps[0].granularity=per_tensor,per_channel"),
                *parseSweepParameter("steps.0.bits=8,4,3") });
        QVERIFY(points);
        QCOMPARE(points->size(), std::size_t(6));
        QCOMPARE((*points)[1].cells, (std::vector<std::string> { "per_tensor", "4" }));
        QCOMPARE((*points)[3].cells, (std::vector<std::string> { "per_channel", "8" }));
        QCOMPARE((*points)[5].recipe.steps[0].quant.bits, 3);
        QCOMPARE((*points)[5].recipeJson,
            std::string(
                R"({"schema":1,"steps":[{"type":"quantize","targets":["*.weight"],"bits":3,"granularity":"per_channel"}]})"));
        auto wrongType = expandSweep(templ, "t.json", { *parseSweepParameter("steps[0].bits=true") });
        QVERIFY(!wrongType);
        QCOMPARE(wrongType.error().message,
            std::string("t.json: --param steps[0].bits=true: value is a boolean, the template has a number there"));
    }

    // Quotes, commas and newlines survive a write and a read; a ragged row names its line.
    void csvRoundTrip()
    {
        const std::vector<std::string> header { "param:x", "recipe" };
        const std::vector<std::string> row { "a,b", "{\"k\": \"v\"}\nline two" };
        const std::string text = formatCsvLine(header) + formatCsvLine(row) + "\r\n";
        QCOMPARE(formatCsvLine(row), std::string("\"a,b\",\"{\"\"k\"\": \"\"v\"\"}\nline two\"\n"));
        auto table = parseCsv(text, "r.csv");
        QVERIFY(table);
        QCOMPARE(table->columns, header);
        QCOMPARE(table->rows.size(), std::size_t(1));
        QCOMPARE(table->rows[0], row);
        QCOMPARE(table->column("recipe"), 1);
        auto ragged = parseCsv("a,b\n1,2\n\n3\n", "r.csv");
        QVERIFY(!ragged);
        QCOMPARE(ragged.error().message, std::string("r.csv: line 4: 1 fields, the header has 2"));
        QVERIFY(!parseCsv("a\n\"open", "r.csv"));
        QVERIFY(!parseCsv("", "r.csv"));
    }
};

QTEST_APPLESS_MAIN(TestSweep)
#include "tst_sweep.moc"
