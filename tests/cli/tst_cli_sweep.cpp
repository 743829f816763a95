// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Black-box tests of `optiscope-cli sweep` and `optiscope-cli compress`. Oracles, all outside the
// engine: the metrics of each sweep row recomputed here from `run --recipe --dump-logits` of that
// row's recipe and of the base model; MACs from GPT-2's GEMM shapes (config.json); parameters,
// nonzeros and sparse bytes read from the safetensors files `compress` writes for the same recipe.
#include "cli_test_support.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace cli_test;

namespace {

const QString kTinyGpt2 = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
const QString kEvalText = QStringLiteral(OPTISCOPE_FIXTURES_DIR "/compression/eval_text.txt");
const QString kLinear
    = R"(["*.attn.c_attn.weight", "*.attn.c_proj.weight", "*.mlp.c_fc.weight", "*.mlp.c_proj.weight"])";
const QString kTemplate = R"({"schema": 1, "name": "prune then quantize", "steps": [
  {"type": "prune", "targets": %1, "ratio": 0.5},
  {"type": "quantize", "targets": %1, "bits": 8, "granularity": "per_channel"}]})";

// Logits differ between two processes only by GEMM summation order (see tst_cli_export).
constexpr double kPerplexityRelTol = 1e-5;
constexpr double kKlAbsTol = 1e-6;
// A near-tie argmax may flip between the two runs: at most one position.
constexpr int kTop1FlipsAllowed = 1;
// Unstructured pruning keeps round((1 - ratio)·elements) within one element per tensor; each kept
// element of a weight costs one MAC per token.
constexpr int kKeptSlackPerTensor = 1;

QString writeText(const QString& path, const QString& text)
{
    writeAll(path, text.toUtf8());
    return path;
}

std::vector<double> dumpedLogits(const QString& file)
{
    std::vector<double> values;
    std::vector<qsizetype> shape;
    flatten(readJsonObject(file)["logits"], values, shape);
    return values;
}

struct Reference {
    double basePerplexity = 0, perplexity = 0, kl = 0;
    int agree = 0, positions = 0, predicted = 0;
};

// The metrics of evaluateCompression for one window, from two logit dumps and the token ids.
Reference referenceMetrics(
    const std::vector<double>& base, const std::vector<double>& compressed, const std::vector<int>& ids, int vocab)
{
    Reference ref;
    double nllBase = 0, nll = 0;
    const auto logSoftmax = [vocab](const double* row) {
        const double max = *std::max_element(row, row + vocab);
        double sum = 0;
        for (int i = 0; i < vocab; ++i) {
            sum += std::exp(row[i] - max);
        }
        std::vector<double> out(vocab);
        for (int i = 0; i < vocab; ++i) {
            out[i] = row[i] - max - std::log(sum);
        }
        return out;
    };
    for (std::size_t t = 0; t < ids.size(); ++t) {
        const double* rb = base.data() + t * vocab;
        const double* rc = compressed.data() + t * vocab;
        const auto lb = logSoftmax(rb), lc = logSoftmax(rc);
        for (int i = 0; i < vocab; ++i) {
            ref.kl += std::exp(lb[i]) * (lb[i] - lc[i]);
        }
        ref.agree += (std::max_element(rb, rb + vocab) - rb) == (std::max_element(rc, rc + vocab) - rc);
        ++ref.positions;
        if (t + 1 < ids.size()) {
            nllBase -= lb[ids[t + 1]];
            nll -= lc[ids[t + 1]];
            ++ref.predicted;
        }
    }
    ref.basePerplexity = std::exp(nllBase / ref.predicted);
    ref.perplexity = std::exp(nll / ref.predicted);
    ref.kl /= ref.positions;
    return ref;
}

// RFC 4180 reader of the test's own (the engine's is under test).
QList<QStringList> readCsv(const QString& path)
{
    const QString text = QString::fromUtf8(readAll(path));
    QList<QStringList> rows;
    QStringList row;
    QString cell;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                cell += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cell += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row << std::exchange(cell, QString());
        } else if (c == '\n') {
            row << std::exchange(cell, QString());
            rows << std::exchange(row, QStringList());
        } else {
            cell += c;
        }
    }
    return rows;
}

// Every tensor of a safetensors file as doubles (F32 only; the sample stores nothing else).
QMap<QString, std::vector<float>> readF32Tensors(const QString& file)
{
    QMap<QString, std::vector<float>> tensors;
    const auto parts = splitSafetensors(readAll(file));
    if (!parts) {
        return tensors;
    }
    const QJsonObject header = QJsonDocument::fromJson(parts->header).object();
    for (auto it = header.begin(); it != header.end(); ++it) {
        const QJsonObject entry = it.value().toObject();
        if (it.key() == "__metadata__" || entry["dtype"].toString() != "F32") {
            continue;
        }
        const auto offsets = entry["data_offsets"].toArray();
        const qsizetype begin = offsets[0].toInteger(), end = offsets[1].toInteger();
        std::vector<float> values(static_cast<std::size_t>((end - begin) / 4));
        std::memcpy(values.data(), parts->data.constData() + begin, static_cast<std::size_t>(end - begin));
        tensors[it.key()] = std::move(values);
    }
    return tensors;
}

} // namespace

class TestCliSweep : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_text; // < n_positions tokens, so one evaluation window equals one `run`

    QString path(const QString& name) const { return m_dir.filePath(name); }
    QString writeTemplate() const { return writeText(path("template.json"), kTemplate.arg(kLinear)); }

    CliRun sweep(const QStringList& params, const QString& out)
    {
        QStringList args { "sweep", kTinyGpt2, "--recipe-template", writeTemplate(), "--text-file",
            writeText(path("text.txt"), m_text), "--out", out, "--threads", "2" };
        for (const QString& p : params) {
            args << "--param" << p;
        }
        return runCli(args);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_text = QString::fromUtf8(readAll(kEvalText)).left(300);
        QVERIFY(m_text.size() == 300);
    }

    // Every row of a 2×2 sweep equals the metrics recomputed from `run` logits of its recipe.
    void rowsEqualIndividualRuns()
    {
        const QString csv = path("grid.csv");
        const CliRun run = sweep({ "steps[0].ratio=0.3,0.6", "steps.1.bits=8,4" }, csv);
        QVERIFY2(run.exitCode == 0 && !run.crashed, qPrintable(run.err));
        QVERIFY(run.out.contains("4 rows (4 computed, 0 resumed)"));
        const QList<QStringList> rows = readCsv(csv);
        QCOMPARE(rows.size(), 5);
        const QStringList& header = rows[0];
        QCOMPARE(header.mid(0, 3), (QStringList { "param:steps[0].ratio", "param:steps.1.bits", "perplexity" }));
        QCOMPARE(header.last(), QStringLiteral("recipe"));
        const auto col = [&header](const char* name) { return header.indexOf(QString::fromLatin1(name)); };

        const CliRun baseRun = runCli({ "run", kTinyGpt2, "--text", m_text, "--dump-logits", path("base.json") });
        QVERIFY2(baseRun.exitCode == 0, qPrintable(baseRun.err));
        const std::vector<double> baseLogits = dumpedLogits(path("base.json"));
        QStringList idText = QRegularExpression(R"(\[([0-9 ]+)\])").match(baseRun.out).captured(1).split(' ');
        std::vector<int> ids;
        for (const QString& id : idText) {
            ids.push_back(id.toInt());
        }
        const QJsonObject config = readJsonObject(kTinyGpt2 + "/config.json");
        const int vocab = config["vocab_size"].toInt(), layers = config["n_layer"].toInt();
        const std::int64_t width = config["n_embd"].toInt(), tokens = static_cast<std::int64_t>(ids.size());
        QVERIFY(tokens > 10 && tokens < config["n_positions"].toInt());
        QCOMPARE(baseLogits.size(), ids.size() * vocab);

        const QStringList expectedPoints { "0.3/8", "0.3/4", "0.6/8", "0.6/4" }; // first parameter slowest
        for (int r = 1; r < rows.size(); ++r) {
            const QStringList& row = rows[r];
            QCOMPARE(row.size(), header.size());
            QCOMPARE(row[0] + "/" + row[1], expectedPoints[r - 1]);
            const QJsonObject recipe = QJsonDocument::fromJson(row.last().toUtf8()).object();
            const QJsonArray steps = recipe["steps"].toArray();
            QCOMPARE(steps[0].toObject()["ratio"].toDouble(), row[0].toDouble());
            QCOMPARE(steps[1].toObject()["bits"].toInt(), row[1].toInt());
            QCOMPARE(recipe["name"].toString(), QStringLiteral("prune then quantize"));

            const QString recipeFile = writeText(path(QStringLiteral("row%1.json").arg(r)), row.last());
            const QString logitsFile = path(QStringLiteral("row%1_logits.json").arg(r));
            const CliRun single
                = runCli({ "run", kTinyGpt2, "--text", m_text, "--recipe", recipeFile, "--dump-logits", logitsFile });
            QVERIFY2(single.exitCode == 0, qPrintable(single.err));
            const Reference ref = referenceMetrics(baseLogits, dumpedLogits(logitsFile), ids, vocab);
            QVERIFY(std::fabs(row[col("perplexity")].toDouble() / ref.perplexity - 1) < kPerplexityRelTol);
            QVERIFY(std::fabs(row[col("base_perplexity")].toDouble() / ref.basePerplexity - 1) < kPerplexityRelTol);
            QVERIFY(std::fabs(row[col("kl_mean")].toDouble() - ref.kl) < kKlAbsTol);
            QVERIFY(std::fabs(row[col("top1_agreement")].toDouble() * ref.positions - ref.agree) <= kTop1FlipsAllowed);
            QCOMPARE(row[col("tokens_predicted")].toInt(), ref.predicted);

            // MACs: per block qkv 3C², proj C², fc 4C², proj 4C² per token, scores and context
            // T·C each per token; the tied LM head C·V per token.
            const double weightMacs = 12.0 * tokens * width * width * layers;
            const double denseMacs = weightMacs + 2.0 * tokens * tokens * width * layers + 1.0 * tokens * width * vocab;
            QCOMPARE(row[col("macs_dense")].toDouble(), denseMacs);
            const double kept = 1 - row[0].toDouble();
            QVERIFY(std::fabs(row[col("macs_effective")].toDouble() - (denseMacs - weightMacs * (1 - kept)))
                <= 4.0 * layers * kKeptSlackPerTensor * tokens);

            // The same recipe through `compress`: its files are the size and value oracles.
            const QString folder = path(QStringLiteral("compressed%1").arg(r));
            const CliRun compress = runCli({ "compress", kTinyGpt2, "--recipe", recipeFile, "--out", folder });
            QVERIFY2(compress.exitCode == 0, qPrintable(compress.err));
            const auto weights = readF32Tensors(folder + "/model.safetensors");
            std::int64_t parameters = 0, nonzeros = 0;
            for (const auto& values : weights) {
                parameters += static_cast<std::int64_t>(values.size());
                nonzeros += std::count_if(values.begin(), values.end(), [](float v) { return v != 0.0f; });
            }
            QCOMPARE(row[col("parameters")].toLongLong(), parameters);
            QCOMPARE(row[col("nonzeros")].toLongLong(), nonzeros);
            const auto compact = splitSafetensors(readAll(folder + "/compact.safetensors"));
            QVERIFY(compact);
            QCOMPARE(row[col("bytes_sparse")].toLongLong(), static_cast<qint64>(compact->data.size()));
            QCOMPARE(row[col("base_bytes")].toLongLong(),
                QFileInfo(kTinyGpt2 + "/model.safetensors").size() - 8
                    - static_cast<qint64>(splitSafetensors(readAll(kTinyGpt2 + "/model.safetensors"))->header.size()));
        }
        // Harder compression, more damage: 4-bit rows have a higher KL than their 8-bit neighbours.
        QVERIFY(rows[2][col("kl_mean")].toDouble() > rows[1][col("kl_mean")].toDouble());
        QVERIFY(rows[4][col("kl_mean")].toDouble() > rows[3][col("kl_mean")].toDouble());
    }

    // A rerun with one more value computes only the new points; the old rows stay byte for byte
    // (their `seconds` cell would differ if they had been recomputed).
    void resumeSkipsComputedRows()
    {
        const QString csv = path("resume.csv");
        const CliRun first = sweep({ "steps[0].ratio=0.2,0.4" }, csv);
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QVERIFY(first.out.contains("2 rows (2 computed, 0 resumed)"));
        const QByteArray before = readAll(csv);
        const CliRun second = sweep({ "steps[0].ratio=0.2,0.4,0.6" }, csv);
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        QVERIFY2(second.out.contains("3 rows (1 computed, 2 resumed)"), qPrintable(second.out));
        const QByteArray after = readAll(csv);
        QVERIFY(after.startsWith(before));
        QCOMPARE(readCsv(csv).size(), 4);
        QCOMPARE(readCsv(csv).last().first(), QStringLiteral("0.6"));
        const CliRun third = sweep({ "steps[0].ratio=0.6,0.4" }, csv);
        QVERIFY(third.out.contains("0 computed, 2 resumed"));
        QCOMPARE(readAll(csv), after);
        // Other parameter columns: refused, the file untouched.
        const CliRun other = sweep({ "steps[1].bits=8" }, csv);
        QCOMPARE(other.exitCode, 1);
        QVERIFY(other.err.contains("resume.csv: --out: header differs"));
        QCOMPARE(readAll(csv), after);
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("params");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown_path") << QStringList { "steps[0].sparsity=0.5" }
                                      << "template.json: --param steps[0].sparsity: steps[0] has no field 'sparsity'";
        QTest::newRow("index_out_of_range")
            << QStringList { "steps.2.bits=4" } << "template.json: --param steps.2.bits: steps has 2 elements, no [2]";
        QTest::newRow("wrong_type") << QStringList { "steps[1].bits=8,four" }
                                    << "template.json: --param steps[1].bits=four: value is a string, the template has "
                                       "a number there";
        QTest::newRow("empty_list") << QStringList { "steps[0].ratio=" }
                                    << "template.json: --param steps[0].ratio=: empty value list";
        QTest::newRow("no_equals") << QStringList { "steps[0].ratio" }
                                   << "template.json: --param steps[0].ratio: expected NAME=v1,v2,...";
        QTest::newRow("invalid_value") << QStringList { "steps[0].ratio=0.5,1.5" }
                                       << "template.json (steps[0].ratio=1.5): steps[0].ratio: must be in [0, 1)";
        QTest::newRow("same_path_twice") << QStringList { "steps[0].ratio=0.5", "steps.0.ratio=0.3" }
                                         << "template.json: --param steps.0.ratio: the same path is swept twice";
        QTest::newRow("matches_nothing") << QStringList { R"(steps[1].targets=["*.nothing"])" }
                                         << "steps[1].targets[0]: '*.nothing' matches no weight matrix";
    }

    void badInput()
    {
        QFETCH(QStringList, params);
        QFETCH(QString, message);
        const QString csv = path("bad.csv");
        const CliRun run = sweep(params, csv);
        QCOMPARE(run.exitCode, 1);
        QVERIFY(!run.crashed);
        QVERIFY2(run.err.contains(message), qPrintable(run.err));
        QCOMPARE(run.err.count('\n'), 1);
        QVERIFY(!QFile::exists(csv));
    }

    // compress: the recipe copied byte for byte, both exports in one folder, --overwrite honoured.
    void compressFolderLayout()
    {
        const QString recipe = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/recipes/nm24_int8.json");
        const QString folder = path("nm24");
        const CliRun run = runCli({ "compress", kTinyGpt2, "--recipe", recipe, "--out", folder });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(readAll(folder + "/recipe.json"), readAll(recipe));
        QCOMPARE(readAll(folder + "/config.json"), readAll(kTinyGpt2 + "/config.json"));
        const QJsonObject compactMeta
            = QJsonDocument::fromJson(splitSafetensors(readAll(folder + "/compact.safetensors"))->header)
                  .object()["__metadata__"]
                  .toObject();
        QCOMPARE(compactMeta["format"].toString(), QStringLiteral("optiscope-compact"));
        const QJsonObject described = QJsonDocument::fromJson(compactMeta["tensors"].toString().toUtf8()).object();
        QCOMPARE(described.size(), 4 * readJsonObject(kTinyGpt2 + "/config.json")["n_layer"].toInt());
        const auto weights = readF32Tensors(folder + "/model.safetensors");
        for (auto it = described.begin(); it != described.end(); ++it) {
            QCOMPARE(it.value().toObject()["encoding"].toString(), QStringLiteral("nm"));
            // 2:4 along the input: at most 2 nonzeros in every group of 4 inputs of an output.
            const std::vector<float>& w = weights[it.key()];
            const int out = it.value().toObject()["out"].toInt(), in = it.value().toObject()["in"].toInt();
            const bool inputMajor = it.value().toObject()["input_major"].toBool();
            QCOMPARE(w.size(), static_cast<std::size_t>(out) * in);
            for (int o = 0; o < out; ++o) {
                for (int g = 0; g < in; g += 4) {
                    int nonzero = 0;
                    for (int i = g; i < g + 4; ++i) {
                        nonzero += w[inputMajor ? static_cast<std::size_t>(i) * out + o
                                                : static_cast<std::size_t>(o) * in + i]
                            != 0.0f;
                    }
                    QVERIFY(nonzero <= 2);
                }
            }
        }
        const CliRun again = runCli({ "compress", kTinyGpt2, "--recipe", recipe, "--out", folder });
        QCOMPARE(again.exitCode, 1);
        QVERIFY(again.err.contains("nm24: --out: already exists (pass --overwrite to replace it)"));
        const CliRun overwrite
            = runCli({ "compress", kTinyGpt2, "--recipe", kEvalText, "--out", folder, "--overwrite" });
        QCOMPARE(overwrite.exitCode, 1); // not a recipe: the folder is kept as it was
        QVERIFY(overwrite.err.contains("eval_text.txt"));
        QCOMPARE(readAll(folder + "/recipe.json"), readAll(recipe));
        const QStringList leftovers = QDir(m_dir.path())
                                          .entryList(QDir::Hidden | QDir::AllEntries | QDir::NoDotAndDotDot)
                                          .filter(QRegularExpression("^\\."));
        QVERIFY2(leftovers.isEmpty(), qPrintable(leftovers.join(' ')));
    }
};

QTEST_APPLESS_MAIN(TestCliSweep)
#include "tst_cli_sweep.moc"
