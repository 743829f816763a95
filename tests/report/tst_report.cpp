// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli report on a fixture session (samples/tiny-gpt2 with samples/recipes/nm24_int8.json).
// Oracles: the engine's API called here (metrics, sizes), the CLI's own simulate and sensitivity
// commands (cycles, energy, per-layer perplexity), and poppler's pdftoppm for the PDF.
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/inference.h"
#include "optiscope/core/model.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

#include <cmath>

namespace {

// Same code path, but TBB may sum windows and layers in another order than the report's run.
constexpr double kMetricRelTol = 1e-9;
// A rendered page with text, tables and charts has far more ink than this; a blank page has none.
constexpr double kMinInkFraction = 0.01;

const QString kSamples = QStringLiteral(OPTISCOPE_SAMPLES_DIR);
const QString kText = QStringLiteral("Call me Ishmael. Some years ago, never mind how long precisely, having little or no "
                                     "money in my purse, and nothing particular to interest me on shore, I thought I "
                                     "would sail about a little and see the watery part of the world.");

struct Run {
    int exitCode = -1;
    QString out, err;
    qint64 ms = 0;
};

Run runProgram(const QString& program, const QStringList& args)
{
    QProcess process;
    QElapsedTimer timer;
    timer.start();
    process.start(program, args);
    Run run;
    if (!process.waitForFinished(300000)) {
        process.kill();
        process.waitForFinished();
    }
    run.ms = timer.elapsed();
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

Run cli(const QStringList& args) { return runProgram(QStringLiteral(OPTISCOPE_CLI_PATH), args); }

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

// The exact value the report keeps beside a shown number: data-key="KEY" data-value="V".
std::optional<double> reportValue(const QString& html, const QString& key)
{
    const QRegularExpression pattern(
        QStringLiteral("data-key=\"%1\" data-value=\"([^\"]*)\"").arg(QRegularExpression::escape(key)));
    const auto match = pattern.match(html);
    bool ok = false;
    const double value = match.hasMatch() ? match.captured(1).toDouble(&ok) : 0.0;
    return ok ? std::optional<double>(value) : std::nullopt;
}

bool closeRel(double a, double b, double tol) { return std::abs(a - b) <= tol * std::max(1.0, std::abs(b)); }

} // namespace

class TestReport : public QObject {
    Q_OBJECT

private:
    QString m_dir;
    QString m_session;
    QString m_html;
    QString m_pdf;
    QString m_htmlText;

    QString path(const QString& name) const { return m_dir + QLatin1Char('/') + name; }

    QByteArray sessionJson(const QString& modelFolder) const
    {
        const QJsonObject recipe = QJsonDocument::fromJson(readAll(kSamples + "/recipes/nm24_int8.json")).object();
        const QJsonObject accelerator = QJsonDocument::fromJson(readAll(kSamples + "/accel/os_128x128_sparse.json")).object();
        const QJsonObject session {
            { "optiscope_session", 1 }, { "model", modelFolder },
            { "input", QJsonObject { { "text", kText }, { "token_ids", false } } },
            { "recipe", QJsonObject { { "history", QJsonArray { QJsonArray {}, recipe.value("steps") } }, { "index", 1 } } },
            { "accelerator", accelerator },
            { "view",
                QJsonObject { { "layer", 1 }, { "head", 2 }, { "attention", "current" }, { "unit_scale", false },
                    { "tensor", "transformer.h.1.mlp.c_fc.weight" } } },
        };
        return QJsonDocument(session).toJson();
    }

private slots:
    void initTestCase()
    {
        m_dir = QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/tst_report");
        QDir(m_dir).removeRecursively();
        QVERIFY(QDir().mkpath(m_dir));
        m_session = path("study.optiscope");
        QVERIFY(writeFile(m_session, sessionJson(kSamples + "/tiny-gpt2")));
        QVERIFY(writeFile(path("input.txt"), kText.toUtf8()));
        m_html = path("report.html");
        m_pdf = path("report.pdf");
        const Run run = cli({ "report", m_session, "--out", m_html, "--pdf", m_pdf });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QVERIFY(run.err.isEmpty());
        qInfo("report (HTML + PDF) on tiny-gpt2: %lld ms wall, CLI says: %s", run.ms, qPrintable(run.out.trimmed()));
        m_htmlText = QString::fromUtf8(readAll(m_html));
        QVERIFY(!m_htmlText.isEmpty());
    }

    void everySectionIsPresent()
    {
        for (const char* title : { "Model card", "Recipe", "Baseline vs compressed", "Per-layer sparsity and bit width",
                 "Per-layer sensitivity", "Accuracy vs size", "Attention before and after", "Sparsity patterns", "Accelerator", "Reproduce",
                 "Software versions" }) {
            QVERIFY2(m_htmlText.contains(QStringLiteral(">%1</h2>").arg(QLatin1String(title))), title);
        }
        // The model card's training data, the survey section per step, figures, versions and commands.
        QVERIFY(m_htmlText.contains("Moby-Dick"));
        QVERIFY(m_htmlText.contains("Prune: N:M") && m_htmlText.contains("Quantize: integer"));
        QVERIFY(m_htmlText.contains(QString::fromUtf8("survey \u00a7V, semi-structured pruning")));
        QVERIFY(m_htmlText.contains(QString::fromUtf8("survey \u00a7VI, quantization")));
        QVERIFY2(m_htmlText.count("<svg") >= 3 + 3 + 4 + 1, "charts, heatmaps, mask thumbnails");
        QVERIFY(m_htmlText.contains("Layer 1, head 2"));
        QVERIFY(m_htmlText.contains(QStringLiteral("<th>Qt</th><td>%1").arg(QLatin1String(qVersion()))));
        QVERIFY(m_htmlText.contains("optiscope-cli simulate --model"));
        QVERIFY(m_htmlText.contains("optiscope-cli sensitivity"));
    }

    void htmlHasNoExternalReference()
    {
        static const QRegularExpression external(
            QStringLiteral("(src|href)\\s*=\\s*[\"']?\\s*(https?:|//|file:)|url\\(\\s*[\"']?\\s*(https?:|//)|@import|<link\\b|<script\\b[^>]*\\bsrc"),
            QRegularExpression::CaseInsensitiveOption);
        const auto match = external.match(m_htmlText);
        QVERIFY2(!match.hasMatch(), qPrintable(match.captured(0)));
        // Inline images are data: URIs, never files beside the report.
        static const QRegularExpression image(QStringLiteral("(src|href)\\s*=\\s*\"(?!data:)[^\"]+\""));
        const auto other = image.match(m_htmlText);
        QVERIFY2(!other.hasMatch(), qPrintable(other.captured(0)));
    }

    void metricsEqualTheEngine()
    {
        auto base = optiscope::core::loadModel((kSamples + "/tiny-gpt2").toStdString());
        QVERIFY(base);
        auto recipe = optiscope::core::loadRecipe((kSamples + "/recipes/nm24_int8.json").toStdString());
        QVERIFY(recipe);
        auto compressed = optiscope::core::applyRecipe(*base, *recipe);
        QVERIFY(compressed);
        auto input = optiscope::core::textInput(**base, kText.toStdString());
        QVERIFY(input);
        const optiscope::core::CompressedModel identity(*base);
        auto baseline = optiscope::core::evaluateCompression(identity, input->tokenIds);
        auto current = optiscope::core::evaluateCompression(**compressed, input->tokenIds);
        QVERIFY(baseline && current);
        const auto check = [this](const QString& key, double expected, double tol) {
            const auto value = reportValue(m_htmlText, key);
            QVERIFY2(value, qPrintable(key));
            QVERIFY2(closeRel(*value, expected, tol), qPrintable(QStringLiteral("%1: report %2, engine %3").arg(key).arg(*value, 0, 'g', 17).arg(expected, 0, 'g', 17)));
        };
        check("baseline_perplexity", baseline->compressedPerplexity, kMetricRelTol);
        check("compressed_perplexity", current->compressedPerplexity, kMetricRelTol);
        check("compressed_kl_mean", current->klMean, kMetricRelTol);
        check("compressed_top1_agreement", current->top1Agreement, 0);
        check("compressed_parameters", double(current->parameters), 0);
        check("compressed_nonzeros", double(current->nonzeros), 0);
        check("compressed_bytes_dense", double(current->bytesDense), 0);
        check("compressed_bytes_sparse", double(current->bytesSparse), 0);
        check("baseline_bytes_dense", double(baseline->bytesDense), 0);
        check("compressed_macs_dense", double(current->macsDense), 0);
        check("parameters", double((*base)->parameterCount()), 0);
        // 2:4 on the linear weights: half of every pruned matrix is gone, stored as 8 bits.
        check("sparsity:transformer.h.1.mlp.c_fc.weight", 0.5, 0);
        check("bits:transformer.h.1.mlp.c_fc.weight", 8.0, 0);
        QVERIFY(current->compressedPerplexity != baseline->compressedPerplexity); // the recipe did something
    }

    void cyclesEqualTheSimulateCommand()
    {
        const Run sim = cli({ "simulate", "--model", kSamples + "/tiny-gpt2", "--recipe", kSamples + "/recipes/nm24_int8.json",
            "--text", kText, "--config", kSamples + "/accel/os_128x128_sparse.json", "--out", path("sim"), "--json" });
        QVERIFY2(sim.exitCode == 0, qPrintable(sim.err));
        const QJsonObject summary = QJsonDocument::fromJson(sim.out.toUtf8()).object();
        const QJsonArray layers = summary.value("layers").toArray();
        QVERIFY(layers.size() > 10);
        QCOMPARE(reportValue(m_htmlText, "total_cycles").value_or(-1), summary.value("totalCycles").toDouble());
        QVERIFY(closeRel(reportValue(m_htmlText, "total_energy_pj").value_or(-1), summary.value("totalEnergyPj").toDouble(), 1e-12));
        for (int i = 0; i < layers.size(); ++i) {
            QCOMPARE(reportValue(m_htmlText, QStringLiteral("cycles:%1").arg(i)).value_or(-1),
                layers[i].toObject().value("totalCycles").toDouble());
        }
        QVERIFY(!reportValue(m_htmlText, QStringLiteral("cycles:%1").arg(layers.size())));
    }

    void sensitivityEqualsTheSensitivityCommand()
    {
        const Run scan = cli({ "sensitivity", kSamples + "/tiny-gpt2", "--quant", R"({"bits":8,"granularity":"per_channel"})",
            "--text-file", path("input.txt"), "--json" });
        QVERIFY2(scan.exitCode == 0, qPrintable(scan.err));
        const QJsonArray layers = QJsonDocument::fromJson(scan.out.toUtf8()).object().value("layers").toArray();
        QCOMPARE(layers.size(), 4);
        for (const QJsonValue& layer : layers) {
            const int index = layer.toObject().value("layer").toInt();
            const auto value = reportValue(m_htmlText, QStringLiteral("sensitivity_perplexity:%1").arg(index));
            QVERIFY(value);
            QVERIFY(closeRel(*value, layer.toObject().value("perplexity").toDouble(), kMetricRelTol));
        }
    }

    void pdfRendersPageOne()
    {
        const QString pdftoppm = QStandardPaths::findExecutable(QStringLiteral("pdftoppm"));
        if (pdftoppm.isEmpty()) {
            QFAIL("pdftoppm not found: install poppler-utils (scripts/setup.sh)");
        }
        QVERIFY(readAll(m_pdf).startsWith("%PDF-"));
        const Run render = runProgram(pdftoppm, { "-r", "72", "-f", "1", "-l", "1", "-png", "-singlefile", m_pdf, path("report-page1") });
        QVERIFY2(render.exitCode == 0, qPrintable(render.err));
        QImage page(path("report-page1.png"));
        QVERIFY(!page.isNull());
        qint64 ink = 0;
        for (int y = 0; y < page.height(); ++y) {
            for (int x = 0; x < page.width(); ++x) {
                ink += qGray(page.pixel(x, y)) < 200 ? 1 : 0;
            }
        }
        const double fraction = double(ink) / (double(page.width()) * page.height());
        qInfo("PDF page 1: %dx%d px, %.2f %% ink, saved as %s", page.width(), page.height(), 100 * fraction,
            qPrintable(path("report-page1.png")));
        QVERIFY2(fraction > kMinInkFraction, qPrintable(QString::number(fraction)));
    }

    // --sweep: the results table's points, with the Pareto front in (bytes, perplexity) computed by
    // hand for this fixture: C (2500 B, 78) is beaten by B (2000 B, 75); A, B and D are optimal.
    void sweepSection()
    {
        QVERIFY(m_htmlText.contains(">Accuracy vs size</h2>"));
        QVERIFY(m_htmlText.contains("No sweep")); // the report without --sweep says how to get one
        const QString csv = path("sweep.csv");
        QVERIFY(writeFile(csv,
            "param:steps[0].ratio,perplexity,base_perplexity,bytes_sparse,macs_effective,recipe\n"
            "0.7,80,71.5,1000,100,{}\n0.5,75,71.5,2000,200,{}\n0.4,78,71.5,2500,250,{}\n0.3,74,71.5,3000,300,{}\n"));
        const QString html = path("report-sweep.html");
        const Run run = cli({ "report", m_session, "--sweep", csv, "--out", html });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QString text = QString::fromUtf8(readAll(html));
        const double perplexities[] = { 80, 75, 78, 74 };
        const double front[] = { 1, 1, 0, 1 };
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(reportValue(text, QStringLiteral("sweep_perplexity:%1").arg(i)).value_or(-1), perplexities[i]);
            QCOMPARE(reportValue(text, QStringLiteral("sweep_front:%1").arg(i)).value_or(-1), front[i]);
        }
        QVERIFY(text.contains("steps[0].ratio=0.4"));
        QVERIFY(text.contains("Perplexity vs compressed size"));
    }

    void badInput_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("mentions"); // the file or field the one-line error names
        QTest::newRow("missing session file") << "missing" << 1 << "nowhere.optiscope";
        QTest::newRow("session names a missing model folder") << "no-model" << 1 << "model";
        QTest::newRow("existing --out without --overwrite") << "exists" << 1 << "--overwrite";
        QTest::newRow("--out in a missing folder") << "no-parent" << 1 << "--out";
        QTest::newRow("--out not writable") << "unwritable" << 1 << "/proc/optiscope-report.html";
        QTest::newRow("recipe without --model") << "recipe-no-model" << 2 << "--model";
        QTest::newRow("sweep file without its columns") << "bad-sweep" << 1 << "bytes_sparse";
    }

    void badInput()
    {
        QFETCH(QString, kind);
        QFETCH(int, exitCode);
        QFETCH(QString, mentions);
        const QString dir = path("bad-" + kind);
        QDir(dir).removeRecursively();
        QVERIFY(QDir().mkpath(dir));
        QString session = m_session, out = dir + "/report.html";
        QStringList extra;
        if (kind == "missing") {
            session = dir + "/nowhere.optiscope";
        } else if (kind == "no-model") {
            session = dir + "/study.optiscope";
            QVERIFY(writeFile(session, sessionJson(dir + "/no-such-model")));
        } else if (kind == "exists") {
            QVERIFY(writeFile(out, "keep me"));
        } else if (kind == "no-parent") {
            out = dir + "/missing/report.html";
        } else if (kind == "unwritable") {
            out = "/proc/optiscope-report.html";
        } else if (kind == "recipe-no-model") {
            session = kSamples + "/recipes/nm24_int8.json";
        } else if (kind == "bad-sweep") {
            QVERIFY(writeFile(dir + "/sweep.csv", "param:x,perplexity\n1,2\n"));
            extra << "--sweep" << dir + "/sweep.csv";
        }
        const Run run = cli(QStringList { "report", session, "--out", out, "--pdf", dir + "/report.pdf" } + extra);
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(run.err.startsWith("optiscope-cli: ") && run.err.count('\n') == 1, qPrintable(run.err));
        QVERIFY2(run.err.contains(mentions), qPrintable(run.err));
        QVERIFY(run.out.isEmpty());
        // Nothing written or left behind: only the files the row itself made.
        QStringList left = QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot);
        left.removeAll("study.optiscope");
        left.removeAll("sweep.csv");
        if (kind == "exists") {
            QCOMPARE(readAll(out), QByteArray("keep me"));
            left.removeAll("report.html");
        }
        QVERIFY2(left.isEmpty(), qPrintable(left.join(' ')));
        QVERIFY(!QFileInfo::exists("/proc/optiscope-report.html"));
    }
};

QTEST_APPLESS_MAIN(TestReport)
#include "tst_report.moc"
