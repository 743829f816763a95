// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Engine-side half of the corrupt-input corpus (tests/corrupt/cases.json): inputs whose CLI command does
// not exist yet (recipes) go through the engine API; every file in tests/corrupt/fuzz_regressions/ is
// replayed through the parser its name prefix names, which must return an error or a value, never crash.
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/model.h"
#include "optiscope/core/model_config.h"
#include "optiscope/core/safetensors.h"
#include "optiscope/core/sentencepiece_unigram.h"
#include "optiscope/core/tfjs_model.h"
#include "optiscope/core/tokenizer.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <limits>

using namespace optiscope::core;

namespace {

const QString kCorruptDir = QStringLiteral(OPTISCOPE_FIXTURES_DIR "/../corrupt");

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QJsonArray engineCases(const QString& kind)
{
    QJsonArray rows;
    const QJsonObject manifest = QJsonDocument::fromJson(readAll(kCorruptDir + "/cases.json")).object();
    for (const auto& value : manifest["cases"].toArray()) {
        if (value.toObject()["engine"].toString() == kind) {
            rows.append(value);
        }
    }
    return rows;
}

// Copies the gpt2 fixture and sets one float32 weight to value; offsets from the test's own header reading.
bool copyWithPoisonedWeight(const QString& to, const QString& tensor, float value)
{
    const QString from = QStringLiteral(OPTISCOPE_FIXTURES_DIR "/gpt2");
    QDir().mkpath(to);
    if (!QFile::copy(from + "/config.json", to + "/config.json")) {
        return false;
    }
    QByteArray bytes = readAll(from + "/model.safetensors");
    quint64 length = 0;
    std::memcpy(&length, bytes.constData(), sizeof length); // little-endian host
    const QJsonObject entry
        = QJsonDocument::fromJson(bytes.mid(8, static_cast<qsizetype>(length))).object()[tensor].toObject();
    const qsizetype begin = entry["data_offsets"].toArray()[0].toInteger();
    if (entry.isEmpty() || entry["dtype"].toString() != "F32") {
        return false;
    }
    std::memcpy(bytes.data() + 8 + length + begin, &value, sizeof value);
    QFile out(to + "/model.safetensors");
    return out.open(QIODevice::WriteOnly) && out.write(bytes) == bytes.size();
}

} // namespace

class TestCorruptEngine : public QObject {
    Q_OBJECT

private slots:
    void recipeRefused_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("word");
        const QJsonArray rows = engineCases("recipe");
        QVERIFY(!rows.isEmpty());
        for (const auto& value : rows) {
            const QJsonObject row = value.toObject();
            QTest::newRow(qPrintable(row["case"].toString())) << row["file"].toString() << row["word"].toString();
        }
    }

    void recipeRefused()
    {
        QFETCH(QString, file);
        QFETCH(QString, word);
        const auto recipe = loadRecipe((kCorruptDir + "/" + file).toStdString());
        QVERIFY(!recipe);
        const QString message = QString::fromStdString(recipe.error().message);
        QVERIFY2(!message.contains('\n'), qPrintable(message));
        QVERIFY2(message.contains(QFileInfo(file).fileName()), qPrintable(message));
        QVERIFY2(message.contains(word), qPrintable(message));
    }

    void nonFiniteWeightRefused_data()
    {
        QTest::addColumn<QString>("tensor");
        QTest::addColumn<float>("value");
        QTest::addColumn<QString>("what");
        QTest::newRow("nan") << "transformer.wte.weight" << std::numeric_limits<float>::quiet_NaN() << "NaN";
        QTest::newRow("+inf") << "transformer.h.1.attn.c_proj.weight" << std::numeric_limits<float>::infinity()
                              << "infinite";
        QTest::newRow("-inf") << "transformer.ln_f.bias" << -std::numeric_limits<float>::infinity() << "infinite";
    }

    void nonFiniteWeightRefused()
    {
        QFETCH(QString, tensor);
        QFETCH(float, value);
        QFETCH(QString, what);
        QTemporaryDir work(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/corrupt-engine-XXXXXX"));
        QVERIFY(work.isValid());
        QVERIFY(copyWithPoisonedWeight(work.path(), tensor, value));
        const auto model = loadModel(work.path().toStdString());
        QVERIFY(!model);
        const QString message = QString::fromStdString(model.error().message);
        QVERIFY2(message.contains("model.safetensors") && message.contains("'" + tensor + "'") && message.contains(what)
                && message.contains("element 0"),
            qPrintable(message));
    }

    void finiteFixtureStillLoads()
    {
        // The finiteness check must not refuse a healthy model (guards against an inverted condition).
        QVERIFY(loadModel(OPTISCOPE_FIXTURES_DIR "/gpt2").has_value());
    }

    void sparseTokenIdRefusedBeforeAllocating()
    {
        // fuzz_tokenizer_json: one id of 65536323 among ~300 tokens made the dense id table take 2 GB.
        const auto tokenizer
            = loadTokenizerJson((kCorruptDir + "/fuzz_regressions/tokenizer_json_sparse_id_alloc.json").toStdString());
        QVERIFY(!tokenizer);
        const QString message = QString::fromStdString(tokenizer.error().message);
        QVERIFY2(message.contains("tokenizer_json_sparse_id_alloc.json") && message.contains("65536323"),
            qPrintable(message));
    }

    // fuzz_tfjs_manifest: a shape of 429496722 x 4 floats beside a 64-byte shard was allocated
    // (6.4 GiB) before the shard sizes were compared.
    void tfjsShapeRefusedBeforeAllocating()
    {
        QTemporaryDir dir;
        QVERIFY(QFile::copy(kCorruptDir + "/fuzz_regressions/tfjs_manifest_shape_exceeds_shards.json",
            dir.filePath("model.json")));
        QFile shard(dir.filePath("group1-shard1of1.bin"));
        QVERIFY(shard.open(QIODevice::WriteOnly));
        shard.write(QByteArray(64, '\0'));
        shard.close();
        const auto weights = TfjsWeights::load(dir.filePath("model.json").toStdString());
        QVERIFY(!weights);
        const QString message = QString::fromStdString(weights.error().message);
        // (429496722 * 4 + 4 + 2 + 1) elements * 4 bytes
        QVERIFY2(message.contains("model.json: weightsManifest[0]: shards hold 64 bytes but the weights need 6871947580"),
            qPrintable(message));
    }

    // fuzz_sentencepiece_vocab: an empty piece 0 (the unknown id) made encode() loop forever.
    void emptyUnknownPieceStillEncodes()
    {
        const auto vocab = SentencePieceUnigram::fromVocabJson(
            (kCorruptDir + "/fuzz_regressions/sentencepiece_vocab_empty_unknown_piece.json").toStdString());
        QVERIFY(vocab);
        // "▁d,": "▁" is no piece of this vocab (unknown, id 0), "d" is id 7, "," id 8.
        QCOMPARE(vocab->encode("d,"), (std::vector<std::int32_t> { 0, 7, 8 }));
    }

    void fuzzRegressionsReplay()
    {
        // File name prefix selects the parser, as tests/fuzz names its targets: safetensors_, config_, recipe_,
        // tokenizer_json_. Only "no crash, no exception" is asserted: a regression input may be valid.
        const QDir dir(kCorruptDir + "/fuzz_regressions");
        int replayed = 0;
        for (const QFileInfo& entry : dir.entryInfoList(QDir::Files)) {
            const std::string path = entry.absoluteFilePath().toStdString();
            const QByteArray bytes = readAll(entry.absoluteFilePath());
            const std::string text(bytes.constData(), static_cast<std::size_t>(bytes.size()));
            const QString name = entry.fileName();
            if (name.startsWith("safetensors_")) {
                (void)SafetensorsFile::open(path);
            } else if (name.startsWith("config_")) {
                (void)parseModelConfig(text, name.toStdString());
            } else if (name.startsWith("recipe_")) {
                (void)parseRecipe(text, name.toStdString());
            } else if (name.startsWith("tokenizer_json_")) {
                (void)loadTokenizerJson(path);
            } else if (name.startsWith("tfjs_manifest_")) {
                (void)TfjsWeights::load(path);
            } else if (name.startsWith("sentencepiece_vocab_")) {
                if (auto vocab = SentencePieceUnigram::fromVocabJson(path)) {
                    (void)vocab->encode("Hello world");
                }
            } else {
                continue;
            }
            ++replayed;
        }
        qInfo("replayed %d fuzz regression inputs", replayed);
    }
};

QTEST_APPLESS_MAIN(TestCorruptEngine)
#include "tst_corrupt_engine.moc"
