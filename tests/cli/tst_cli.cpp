// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// optiscope-cli as a user runs it: outputs against the PyTorch fixtures, and every kind of bad
// input gets exit 1 (2 for usage), one stderr line naming the file and the field, no output file.
#include "cli_test_support.h"

#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace cli_test;

namespace {

constexpr double kMaxLogitDiff = 1e-4;
constexpr double kMaxAttentionDiff = 1e-5;

enum class Corruption {
    None,
    TruncateSafetensors,
    HeaderLengthBeyondFile,
    BrokenHeaderJson,
    OffsetsOutOfBounds,
    OverlappingOffsets,
    UnknownDtype,
    ConfigMissingField,
    ConfigShapeMismatch,
    BertVocab,
    WrongSizeImage,
};

// A WordPiece vocabulary for the 100-token bert fixtures: specials as the fixture generator
// uses them (0 [PAD], 2 [CLS], 3 [SEP], 4 [MASK]), then "a".."z" at 5..30.
QByteArray bertVocab()
{
    QByteArray vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (char c = 'a'; c <= 'z'; ++c) {
        vocab += QByteArray(1, c) + "\n";
    }
    for (char c = 'a'; c <= 'z'; ++c) {
        vocab += "##" + QByteArray(1, c) + "\n";
    }
    for (int i = 57; i < 100; ++i) {
        vocab += "word" + QByteArray::number(i) + "\n";
    }
    return vocab;
}

int bertVocabId(char letter) { return 5 + (letter - 'a'); }

bool saveImage(const QString& path, int width, int height, QImage::Format format, QRgb fill)
{
    QImage image(width, height, format);
    image.fill(fill);
    return image.save(path, "PNG");
}

// Rewrites the header of model.safetensors; the data section stays as it was.
bool editHeader(const QString& file, const std::function<void(QJsonObject&)>& edit)
{
    const auto parts = splitSafetensors(readAll(file));
    if (!parts) {
        return false;
    }
    QJsonObject header = QJsonDocument::fromJson(parts->header).object();
    edit(header);
    return writeAll(file, joinSafetensors(QJsonDocument(header).toJson(QJsonDocument::Compact), parts->data));
}

// Two tensors of the same byte size, so pointing one at the other's bytes is only an overlap.
std::pair<QString, QString> sameSizedPair(const QJsonObject& header)
{
    QMap<qint64, QString> bySize;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            continue;
        }
        const QJsonArray offsets = it.value().toObject()["data_offsets"].toArray();
        const qint64 size = offsets[1].toInteger() - offsets[0].toInteger();
        if (bySize.contains(size)) {
            return { bySize[size], it.key() };
        }
        bySize[size] = it.key();
    }
    return {};
}

bool applyCorruption(Corruption corruption, const QString& model, const QString& workDir)
{
    const QString st = model + "/model.safetensors";
    switch (corruption) {
    case Corruption::None:
        return true;
    case Corruption::TruncateSafetensors: {
        const QByteArray bytes = readAll(st);
        return writeAll(st, bytes.left(bytes.size() * 3 / 5));
    }
    case Corruption::HeaderLengthBeyondFile: {
        QByteArray bytes = readAll(st);
        bytes.replace(0, 8, lengthPrefix(static_cast<std::uint64_t>(bytes.size()) + 1000));
        return writeAll(st, bytes);
    }
    case Corruption::BrokenHeaderJson: {
        const auto parts = splitSafetensors(readAll(st));
        if (!parts) {
            return false;
        }
        QByteArray header = parts->header;
        header.replace(0, 12, "{\"oops\": [1,"); // same length, no longer JSON
        return writeAll(st, joinSafetensors(header, parts->data));
    }
    case Corruption::OffsetsOutOfBounds:
        return editHeader(st, [](QJsonObject& header) {
            QString last;
            qint64 lastEnd = -1;
            for (auto it = header.begin(); it != header.end(); ++it) {
                const QJsonArray offsets = it.value().toObject()["data_offsets"].toArray();
                if (it.key() != "__metadata__" && offsets[1].toInteger() > lastEnd) {
                    lastEnd = offsets[1].toInteger();
                    last = it.key();
                }
            }
            QJsonObject tensor = header[last].toObject();
            const QJsonArray offsets = tensor["data_offsets"].toArray();
            const qint64 shift = 64;
            tensor["data_offsets"] = QJsonArray { offsets[0].toInteger() + shift, offsets[1].toInteger() + shift };
            header[last] = tensor;
        });
    case Corruption::OverlappingOffsets:
        return editHeader(st, [](QJsonObject& header) {
            const auto [first, second] = sameSizedPair(header);
            QJsonObject tensor = header[second].toObject();
            tensor["data_offsets"] = header[first].toObject()["data_offsets"];
            header[second] = tensor;
        });
    case Corruption::UnknownDtype:
        return editHeader(st, [](QJsonObject& header) {
            for (auto it = header.begin(); it != header.end(); ++it) {
                if (it.key() != "__metadata__") {
                    QJsonObject tensor = it.value().toObject();
                    tensor["dtype"] = "F99";
                    it.value() = tensor;
                    return;
                }
            }
        });
    case Corruption::ConfigMissingField: {
        QJsonObject config = readJsonObject(model + "/config.json");
        config.remove(config.contains("n_layer") ? "n_layer" : "num_hidden_layers");
        return writeJsonObject(model + "/config.json", config);
    }
    case Corruption::ConfigShapeMismatch: {
        QJsonObject config = readJsonObject(model + "/config.json");
        config["vocab_size"] = config["vocab_size"].toInt() + 1;
        return writeJsonObject(model + "/config.json", config);
    }
    case Corruption::BertVocab:
        return writeAll(model + "/vocab.txt", bertVocab());
    case Corruption::WrongSizeImage: {
        const int size = readJsonObject(model + "/config.json")["image_size"].toInt() + 1;
        return saveImage(workDir + "/wrong_size.png", size, size, QImage::Format_RGB32, qRgb(10, 200, 30));
    }
    }
    return false;
}

struct FixtureCase {
    QJsonObject object;
    QString name;
};

// Cases the CLI can reproduce: no padding and no second segment (it has no mask or type input).
QList<FixtureCase> plainCases(const QString& fixture)
{
    QList<FixtureCase> cases;
    const QJsonArray all = readJsonObject(fixtureDir(fixture) + "/expected.json")["cases"].toArray();
    for (const auto& value : all) {
        const QJsonObject object = value.toObject();
        const auto mask = toDoubles(object["attention_mask"].toArray());
        const auto types = toDoubles(object["token_type_ids"].toArray());
        const bool padded = std::any_of(mask.begin(), mask.end(), [](double m) { return m != 1.0; });
        const bool pair = std::any_of(types.begin(), types.end(), [](double t) { return t != 0.0; });
        if (object.contains("input_ids") && !padded && !pair) {
            cases.append({ object, object["name"].toString() });
        }
    }
    return cases;
}

QString idList(const QJsonArray& ids)
{
    QStringList parts;
    for (const auto& id : ids) {
        parts << QString::number(id.toInt());
    }
    return parts.join(',');
}

double maxAbsDiff(const std::vector<double>& actual, const std::vector<double>& expected)
{
    double worst = 0;
    for (std::size_t i = 0; i < actual.size() && i < expected.size(); ++i) {
        const double diff = std::abs(actual[i] - expected[i]);
        worst = std::isnan(diff) ? INFINITY : std::max(worst, diff);
    }
    return worst;
}

// Compares a dumped {"key": nested arrays} file against the fixture's flat values and shape.
void compareDump(const QString& file, const QString& key, const QJsonObject& expectedCase, const QString& expectedKey,
    double tolerance)
{
    QVERIFY2(QFile::exists(file), qPrintable(file));
    const QJsonObject dumped = readJsonObject(file);
    QVERIFY2(dumped.contains(key), qPrintable(file + " has no " + key));
    std::vector<double> actual;
    std::vector<qsizetype> shape;
    flatten(dumped[key], actual, shape);
    const auto expected = toDoubles(expectedCase[expectedKey].toArray());
    const auto expectedShape = toDoubles(expectedCase[expectedKey + "_shape"].toArray());
    QCOMPARE(shape.size(), expectedShape.size());
    for (std::size_t i = 0; i < shape.size(); ++i) {
        QCOMPARE(double(shape[i]), expectedShape[i]);
    }
    QCOMPARE(actual.size(), expected.size());
    const double diff = maxAbsDiff(actual, expected);
    QVERIFY2(diff <= tolerance, qPrintable(QString("%1: max |diff| %2 > %3").arg(key).arg(diff).arg(tolerance)));
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

private slots:
    void helpAndVersion();
    void info_data();
    void info();
    void infoTable();
    void runDumps_data();
    void runDumps();
    void runImage_data();
    void runImage();
    void runText();
    void generateGreedy();
    void runLlmInt8Outliers();
    void badInput_data();
    void badInput();
};

void TestCli::helpAndVersion()
{
    const CliRun help = runCli({ "--help" });
    QCOMPARE(help.exitCode, 0);
    QVERIFY(help.out.contains("optiscope-cli info MODEL_DIR"));
    QVERIFY(help.out.contains("--dump-attention"));
    QVERIFY(help.err.isEmpty());
    const CliRun version = runCli({ "--version" });
    QCOMPARE(version.exitCode, 0);
    QVERIFY(QRegularExpression("^optiscope-cli \\d+\\.\\d+\\.\\d+\\n$").match(version.out).hasMatch());
}

void TestCli::info_data()
{
    QTest::addColumn<QString>("fixture");
    for (const char* name : { "gpt2", "gpt2_fp16", "gpt2_sharded", "bert", "bert_mlm", "bert_seq_cls", "vit",
             "vit_img_cls", "vit_img_cls_gray28" }) {
        QTest::newRow(name) << QString(name);
    }
}

void TestCli::info()
{
    QFETCH(QString, fixture);
    const QString folder = fixtureDir(fixture);
    const CliRun run = runCli({ "info", folder, "--json" });
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY(run.err.isEmpty());
    QJsonParseError parseError;
    const QJsonObject info = QJsonDocument::fromJson(run.out.toUtf8(), &parseError).object();
    QVERIFY2(parseError.error == QJsonParseError::NoError, qPrintable(parseError.errorString()));

    // Oracle: the fixture's own config.json and safetensors headers, read here.
    const QJsonObject config = readJsonObject(folder + "/config.json");
    const QString type = config["model_type"].toString();
    const auto field = [&config](const char* gpt2Key, const char* otherKey) {
        return config.contains(gpt2Key) ? config[gpt2Key].toInt() : config[otherKey].toInt();
    };
    QCOMPARE(info["architecture"].toString(), type);
    QCOMPARE(info["class_name"].toString(), config["architectures"].toArray().first().toString());
    QCOMPARE(info["layers"].toInt(), field("n_layer", "num_hidden_layers"));
    QCOMPARE(info["heads"].toInt(), field("n_head", "num_attention_heads"));
    const int hidden = field("n_embd", "hidden_size");
    QCOMPARE(info["hidden"].toInt(), hidden);
    const int ffn = type == "gpt2" ? (config["n_inner"].isNull() ? 4 * hidden : config["n_inner"].toInt())
                                   : config["intermediate_size"].toInt();
    QCOMPARE(info["ffn"].toInt(), ffn);
    if (type == "vit") {
        const int patches = config["image_size"].toInt() / config["patch_size"].toInt();
        QCOMPARE(info["positions"].toInt(), patches * patches + 1);
    } else {
        QCOMPARE(info["vocab"].toInt(), config["vocab_size"].toInt());
        QCOMPARE(info["positions"].toInt(), field("n_positions", "max_position_embeddings"));
    }

    const QJsonObject tensors = allTensorHeaders(folder);
    QVERIFY(!tensors.isEmpty());
    const QJsonArray listed = info["tensors"].toArray();
    QCOMPARE(listed.size(), tensors.size());
    qint64 parameters = 0;
    for (const auto& value : listed) {
        const QJsonObject tensor = value.toObject();
        const QString name = tensor["name"].toString();
        QVERIFY2(tensors.contains(name), qPrintable(name));
        const QJsonObject stored = tensors[name].toObject();
        QCOMPARE(tensor["dtype"].toString(), stored["dtype"].toString());
        QCOMPARE(tensor["shape"].toArray(), stored["shape"].toArray());
        const QJsonArray offsets = stored["data_offsets"].toArray();
        QCOMPARE(tensor["bytes"].toInteger(), offsets[1].toInteger() - offsets[0].toInteger());
        qint64 elements = 1;
        for (const auto& dim : stored["shape"].toArray()) {
            elements *= dim.toInteger();
        }
        parameters += elements;
    }
    QCOMPARE(info["parameters"].toInteger(), parameters);
}

void TestCli::infoTable()
{
    const CliRun run = runCli({ "info", fixtureDir("gpt2") });
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QJsonObject tensors = allTensorHeaders(fixtureDir("gpt2"));
    for (const QString& name : tensors.keys()) {
        QVERIFY2(run.out.contains(name), qPrintable(name));
    }
    QVERIFY(run.out.contains(QRegularExpression("layers:\\s+2\\n")));
    QVERIFY(run.out.contains(QRegularExpression("heads:\\s+4\\n")));
    QVERIFY(run.out.contains("GPT2LMHeadModel"));
}

void TestCli::runDumps_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QJsonObject>("expected");
    for (const char* fixture : { "gpt2", "gpt2_fp16", "gpt2_sharded", "bert", "bert_mlm", "bert_seq_cls" }) {
        for (const FixtureCase& c : plainCases(fixture)) {
            QTest::addRow("%s/%s", fixture, qPrintable(c.name)) << QString(fixture) << c.object;
        }
    }
}

void TestCli::runDumps()
{
    QFETCH(QString, fixture);
    QFETCH(QJsonObject, expected);
    QTemporaryDir out;
    QVERIFY(out.isValid());
    const QString logits = out.filePath("logits.json");
    const QString attention = out.filePath("attention.json");
    const CliRun run = runCli({ "run", fixtureDir(fixture), "--input-ids", idList(expected["input_ids"].toArray()),
        "--dump-logits", logits, "--dump-attention", attention });
    QVERIFY2(run.exitCode == 0 && !run.crashed, qPrintable(run.err));
    QVERIFY(run.err.isEmpty());
    QVERIFY(run.out.contains(QRegularExpression("elapsed:\\s+[0-9.]+ ms")));
    compareDump(logits, "logits", expected, "logits", kMaxLogitDiff);
    compareDump(attention, "attentions", expected, "attentions", kMaxAttentionDiff);
    // Nothing but the two requested files (no temp files left from the atomic writes).
    QCOMPARE(QDir(out.path()).entryList(QDir::Files | QDir::Hidden).size(), 2);
}

void TestCli::runImage_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::newRow("vit_img_cls rgb") << "vit_img_cls";
    QTest::newRow("vit_img_cls_gray28 grey") << "vit_img_cls_gray28";
}

void TestCli::runImage()
{
    QFETCH(QString, fixture);
    QTemporaryDir dir;
    const QString model = dir.filePath("model");
    QVERIFY(copyFolder(fixtureDir(fixture), model));
    const QJsonObject config = readJsonObject(model + "/config.json");
    const int channels = config["num_channels"].toInt();
    const int size = config["image_size"].toInt();
    // Mean 0, std 1: a black image becomes all-zero pixels, the fixture's "zeros" case.
    QJsonArray zeros, ones;
    for (int c = 0; c < channels; ++c) {
        zeros.append(0.0);
        ones.append(1.0);
    }
    QVERIFY(writeJsonObject(model + "/preprocessor_config.json",
        QJsonObject { { "image_mean", zeros }, { "image_std", ones }, { "rescale_factor", 1.0 / 255.0 },
            { "do_normalize", true }, { "do_rescale", true },
            { "size", QJsonObject { { "height", size }, { "width", size } } } }));
    const QString image = dir.filePath("black.png");
    QVERIFY(
        saveImage(image, size, size, channels == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB32, qRgb(0, 0, 0)));
    const QString logits = dir.filePath("logits.json");
    const QString attention = dir.filePath("attention.json");
    const CliRun run
        = runCli({ "run", model, "--image", image, "--dump-logits", logits, "--dump-attention", attention });
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY(run.out.contains("predicted label: "));

    QJsonObject zerosCase;
    for (const auto& value : readJsonObject(model + "/expected.json")["cases"].toArray()) {
        if (value.toObject()["name"].toString() == "zeros") {
            zerosCase = value.toObject();
        }
    }
    if (zerosCase.isEmpty()) {
        // No all-zero reference for this fixture: the grey path must still run end to end and
        // name one of the model's labels.
        const QJsonObject labels = config["id2label"].toObject();
        const bool named = std::any_of(labels.begin(), labels.end(), [&run](const QJsonValue& label) {
            return run.out.contains("predicted label: " + label.toString() + "\n");
        });
        QVERIFY2(named, qPrintable(run.out));
        return;
    }
    compareDump(logits, "logits", zerosCase, "logits", kMaxLogitDiff);
    compareDump(attention, "attentions", zerosCase, "attentions", kMaxAttentionDiff);
    // The predicted label is the argmax of the reference logits, by its id2label name.
    const auto expectedLogits = toDoubles(zerosCase["logits"].toArray());
    const auto best = std::max_element(expectedLogits.begin(), expectedLogits.end()) - expectedLogits.begin();
    const QString label = config["id2label"].toObject()[QString::number(best)].toString();
    QVERIFY2(run.out.contains("predicted label: " + label + "\n"), qPrintable(run.out));
}

void TestCli::runText()
{
    QTemporaryDir dir;
    const QString model = dir.filePath("model");
    QVERIFY(copyFolder(fixtureDir("bert_mlm"), model));
    QVERIFY(applyCorruption(Corruption::BertVocab, model, dir.path()));
    const CliRun run = runCli({ "run", model, "--text", "A b" });
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    // WordPiece lower-cases and wraps in [CLS] … [SEP].
    const QString ids = QString("[2 %1 %2 3]").arg(bertVocabId('a')).arg(bertVocabId('b'));
    QVERIFY2(run.out.contains("tokens:   4  " + ids), qPrintable(run.out));
}

// run --recipe with an llm_int8 step prints each layer's outlier columns. Hand oracles: with a tiny
// threshold every input feature is an outlier (the layer's input width: 128 for tiny-gpt2's c_attn,
// attn.c_proj and c_fc, 512 for mlp.c_proj); with a huge one none is.
void TestCli::runLlmInt8Outliers()
{
    QTemporaryDir dir;
    const QString model = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2");
    for (const QString threshold : { QStringLiteral("0.000001"), QStringLiteral("1000000") }) {
        const QString recipe = dir.filePath("int8.json");
        QVERIFY(writeAll(recipe,
            QStringLiteral(R"({"schema": 1, "steps": [{"type": "llm_int8", "targets": "h.*.weight", "threshold": %1}]})")
                .arg(threshold)
                .toUtf8()));
        const CliRun run = runCli({ "run", model, "--text", "Call me Ishmael.", "--recipe", recipe });
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const bool all = threshold.startsWith(QLatin1String("0."));
        for (int layer = 0; layer < 4; ++layer) {
            for (const auto& [weight, width] : { std::pair { "attn.c_attn", 128 }, std::pair { "attn.c_proj", 128 },
                     std::pair { "mlp.c_fc", 128 }, std::pair { "mlp.c_proj", 512 } }) {
                const QString entry = QStringLiteral(" h.%1.%2.weight=%3").arg(layer).arg(weight).arg(all ? width : 0);
                QVERIFY2(run.out.contains(entry), qPrintable(entry + QStringLiteral(" in ") + run.out));
            }
        }
    }
}

void TestCli::generateGreedy()
{
    const QList<FixtureCase> cases = plainCases("gpt2");
    const auto it = std::find_if(cases.begin(), cases.end(), [](const FixtureCase& c) { return c.name == "len5"; });
    QVERIFY(it != cases.end());
    const CliRun run = runCli(
        { "run", fixtureDir("gpt2"), "--input-ids", idList(it->object["input_ids"].toArray()), "--generate", "1" });
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    // Greedy: the first new token is the argmax of the reference logits at the last position.
    const auto logits = toDoubles(it->object["logits"].toArray());
    const int vocab = it->object["logits_shape"].toArray()[1].toInt();
    const auto last = logits.end() - vocab;
    const auto best = std::max_element(last, logits.end()) - last;
    QVERIFY2(run.out.contains(QString("generated 1 token(s): %1\n").arg(best)), qPrintable(run.out));
    // The top-5 list starts with the same token.
    QVERIFY2(run.out.contains(QRegularExpression(QString("1\\. p=[0-9.]+ logit=\\s*[-0-9.]+\\s+#%1 ").arg(best))),
        qPrintable(run.out));

    // Sampling with a seed is reproducible.
    const QStringList sampled { "run", fixtureDir("gpt2"), "--input-ids", "1,2,3", "--generate", "4", "--top-k", "5",
        "--temperature", "0.8", "--seed", "7" };
    const CliRun first = runCli(sampled);
    QVERIFY2(first.exitCode == 0, qPrintable(first.err));
    QVERIFY(first.out.contains("generated 4 token(s):"));
    QCOMPARE(runCli(sampled).out.section("generated", 1), first.out.section("generated", 1));
}

void TestCli::badInput_data()
{
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<int>("corruption");
    QTest::addColumn<QStringList>("args"); // %MODEL%, %OUT% and %WORK% are substituted
    QTest::addColumn<int>("expectedExit");
    QTest::addColumn<QString>("fileWord"); // must appear in the message ("" when no file is involved)
    QTest::addColumn<QStringList>("fieldWords"); // at least one must appear (case-insensitive)

    const QStringList runIds { "run", "%MODEL%", "--input-ids", "1,2,3", "--dump-logits", "%OUT%" };
    const auto row = [](const char* name, const char* fixture, Corruption corruption, const QStringList& args,
                         int exitCode, const char* fileWord, const QStringList& fieldWords) {
        QTest::newRow(name) << QString(fixture) << int(corruption) << args << exitCode << QString(fileWord)
                            << fieldWords;
    };
    row("truncated safetensors", "gpt2", Corruption::TruncateSafetensors, runIds, 1, "model.safetensors",
        { "offset", "size", "truncated", "data" });
    row("header length beyond file", "gpt2", Corruption::HeaderLengthBeyondFile, runIds, 1, "model.safetensors",
        { "header" });
    row("broken header json", "gpt2", Corruption::BrokenHeaderJson, runIds, 1, "model.safetensors",
        { "header", "json" });
    row("offsets out of bounds", "gpt2", Corruption::OffsetsOutOfBounds, runIds, 1, "model.safetensors",
        { "data_offsets", "offset" });
    row("overlapping offsets", "gpt2", Corruption::OverlappingOffsets, runIds, 1, "model.safetensors", { "overlap" });
    row("unknown dtype", "gpt2", Corruption::UnknownDtype, runIds, 1, "model.safetensors", { "dtype" });
    row("info on broken header", "gpt2", Corruption::BrokenHeaderJson, { "info", "%MODEL%", "--json" }, 1,
        "model.safetensors", { "header", "json" });
    row("config missing field", "gpt2", Corruption::ConfigMissingField, runIds, 1, "config.json", { "n_layer" });
    row("bert config missing field", "bert_mlm", Corruption::ConfigMissingField, runIds, 1, "config.json",
        { "num_hidden_layers" });
    row("config disagrees with shapes", "gpt2", Corruption::ConfigShapeMismatch, runIds, 1, "wte.weight", { "shape" });
    row("tokenizer files missing", "gpt2", Corruption::None,
        { "run", "%MODEL%", "--text", "hello", "--dump-logits", "%OUT%" }, 1, "%MODEL%", { "tokenizer" });
    row("empty text", "bert_mlm", Corruption::BertVocab, { "run", "%MODEL%", "--text", "", "--dump-logits", "%OUT%" },
        1, "%MODEL%", { "empty" });
    row("token id beyond vocabulary", "gpt2", Corruption::None,
        { "run", "%MODEL%", "--input-ids", "1,100,2", "--dump-logits", "%OUT%" }, 1, "%MODEL%", { "vocab" });
    row("negative token id", "gpt2", Corruption::None,
        { "run", "%MODEL%", "--input-ids", "1,-1", "--dump-logits", "%OUT%" }, 1, "%MODEL%", { "vocab" });
    QStringList seventeen;
    for (int i = 0; i < 17; ++i) {
        seventeen << QString::number(i);
    }
    row("sequence longer than positions", "gpt2", Corruption::None,
        { "run", "%MODEL%", "--input-ids", seventeen.join(','), "--dump-logits", "%OUT%" }, 1, "%MODEL%",
        { "position" });
    row("image of the wrong size", "vit_img_cls", Corruption::WrongSizeImage,
        { "run", "%MODEL%", "--image", "%WORK%/wrong_size.png", "--dump-logits", "%OUT%" }, 1, "wrong_size.png",
        { "size", "9x9", "width", "height" });
    row("image that is not an image", "vit_img_cls", Corruption::None,
        { "run", "%MODEL%", "--image", "%MODEL%/config.json", "--dump-logits", "%OUT%" }, 1, "config.json",
        { "image" });
    row("text on an image model", "vit_img_cls", Corruption::None,
        { "run", "%MODEL%", "--input-ids", "1", "--dump-logits", "%OUT%" }, 1, "config.json", { "image" });
    row("nonexistent folder", "gpt2", Corruption::None,
        { "run", "%WORK%/no_such_model", "--input-ids", "1", "--dump-logits", "%OUT%" }, 1, "no_such_model",
        { "folder", "exist" });
    row("info on nonexistent folder", "gpt2", Corruption::None, { "info", "%WORK%/no_such_model" }, 1, "no_such_model",
        { "folder", "exist" });
    row("output folder missing", "gpt2", Corruption::None,
        { "run", "%MODEL%", "--input-ids", "1", "--dump-logits", "%WORK%/no_dir/out.json" }, 1, "no_dir", { "folder" });
    row("unknown command", "gpt2", Corruption::None, { "frobnicate", "%MODEL%" }, 2, "", { "frobnicate" });
    row("unknown option", "gpt2", Corruption::None,
        { "run", "%MODEL%", "--input-ids", "1", "--frobnicate", "--dump-logits", "%OUT%" }, 2, "", { "--frobnicate" });
    row("no input given", "gpt2", Corruption::None, { "run", "%MODEL%", "--dump-logits", "%OUT%" }, 2, "",
        { "--input-ids" });
    row("two inputs given", "gpt2", Corruption::None,
        { "run", "%MODEL%", "--input-ids", "1", "--text", "a", "--dump-logits", "%OUT%" }, 2, "", { "--text" });
    row("malformed id list", "gpt2", Corruption::None,
        { "run", "%MODEL%", "--input-ids", "1,x", "--dump-logits", "%OUT%" }, 2, "", { "--input-ids" });
    row("option without value", "gpt2", Corruption::None, { "run", "%MODEL%", "--input-ids" }, 2, "",
        { "--input-ids" });
    row("sampling without generate", "gpt2", Corruption::None,
        { "run", "%MODEL%", "--input-ids", "1", "--top-k", "3", "--dump-logits", "%OUT%" }, 2, "", { "--generate" });
    row("missing command", "gpt2", Corruption::None, {}, 2, "", { "command" });
}

void TestCli::badInput()
{
    QFETCH(QString, fixture);
    QFETCH(int, corruption);
    QFETCH(QStringList, args);
    QFETCH(int, expectedExit);
    QFETCH(QString, fileWord);
    QFETCH(QStringList, fieldWords);

    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString model = work.filePath("model");
    const QString outDir = work.filePath("out");
    QVERIFY(QDir().mkpath(outDir));
    QVERIFY(copyFolder(fixtureDir(fixture), model));
    QVERIFY(applyCorruption(Corruption(corruption), model, work.path()));
    for (QString& arg : args) {
        arg.replace("%MODEL%", model).replace("%OUT%", outDir + "/out.json").replace("%WORK%", work.path());
    }
    fileWord.replace("%MODEL%", model);

    const CliRun run = runCli(args);
    QVERIFY2(!run.crashed, qPrintable(run.err));
    QVERIFY2(run.exitCode >= 1 && run.exitCode <= 127, qPrintable(QString::number(run.exitCode)));
    QCOMPARE(run.exitCode, expectedExit);
    QVERIFY2(run.out.isEmpty(), qPrintable(run.out));
    QVERIFY2(run.err.endsWith('\n') && run.err.count('\n') == 1, qPrintable(run.err));
    QVERIFY2(run.err.startsWith("optiscope-cli: "), qPrintable(run.err));
    if (!fileWord.isEmpty()) {
        QVERIFY2(run.err.contains(fileWord), qPrintable(run.err + " lacks " + fileWord));
    }
    const bool namesField = std::any_of(fieldWords.begin(), fieldWords.end(),
        [&run](const QString& word) { return run.err.contains(word, Qt::CaseInsensitive); });
    QVERIFY2(namesField, qPrintable(run.err + " names none of " + fieldWords.join(", ")));
    // No output file, and no temp file left next to where it would have gone.
    QVERIFY(!QFile::exists(outDir + "/out.json"));
    QCOMPARE(QDir(outDir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
