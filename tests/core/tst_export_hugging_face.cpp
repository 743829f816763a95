// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Hugging Face folder export: a model compressed with N:M pruning, int4 group quantization and head
// removal, exported and loaded back with loadModel, gives the logits of the compressed model in
// memory (GPT-2 sample, BERT and ViT fixtures); the folder keeps the base's tensor names (tied head
// stays tied), config and tokenizer files; existing targets and missing folders are refused whole.
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/export/hugging_face.h"
#include "optiscope/core/inference.h"

#include <QTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace optiscope::core;

namespace {

namespace fs = std::filesystem;

// The export holds the very values inference used, so only run-to-run summation order can differ.
constexpr double kMaxRoundTripLogitDiff = 1e-5;

const fs::path kOutput = fs::path(OPTISCOPE_TEST_OUTPUT_DIR) / "export_hf";

std::string readFile(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::shared_ptr<const CompressedModel> compress(const std::shared_ptr<const Model>& base, const std::string& json)
{
    auto recipe = parseRecipe(json, "recipe.json");
    if (!recipe) {
        qFatal("%s", recipe.error().message.c_str());
    }
    auto model = applyRecipe(base, *recipe);
    if (!model) {
        qFatal("%s", model.error().message.c_str());
    }
    return *model;
}

RunInput inputFor(const Model& model)
{
    const ModelConfig& c = model.config();
    RunInput input;
    if (c.architecture == Architecture::Vit) {
        const std::size_t count = static_cast<std::size_t>(c.channels) * c.imageSize * c.imageSize;
        for (std::size_t i = 0; i < count; ++i) {
            input.pixels.push_back(static_cast<float>(std::sin(0.37 * double(i))));
        }
    } else {
        input.tokenIds = { 3, 17, 42, 7, 11, 29, 5, 2 };
    }
    return input;
}

} // namespace

class TestExportHuggingFace : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        fs::remove_all(kOutput);
        fs::create_directories(kOutput);
    }

    void roundTrip_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("recipe");
        const QString gpt2Linear
            = R"(["*.attn.c_attn.weight", "*.attn.c_proj.weight", "*.mlp.c_fc.weight", "*.mlp.c_proj.weight"])";
        const QString encoderLinear
            = R"(["*.attention.*.weight", "*.intermediate.dense.weight", "*.output.dense.weight"])";
        const QString steps = R"({"schema": 1, "steps": [
            {"type": "prune", "targets": %1, "pattern": "n:m", "n": 2, "m": 4},
            {"type": "quantize", "targets": %1, "bits": 4, "granularity": "group", "group_size": %2},
            {"type": "prune_heads", "heads": [[0, 1], [1, 3]]}]})";
        QTest::newRow("tiny-gpt2") << QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2")
                                   << steps.arg(gpt2Linear).arg(32);
        QTest::newRow("bert") << QStringLiteral(OPTISCOPE_FIXTURES_DIR "/bert") << steps.arg(encoderLinear).arg(16);
        QTest::newRow("vit") << QStringLiteral(OPTISCOPE_FIXTURES_DIR "/vit") << steps.arg(encoderLinear).arg(16);
        // A float16 checkpoint (unchanged tensors stay F16) and a sharded one (written as one file).
        QTest::newRow("gpt2_fp16") << QStringLiteral(OPTISCOPE_FIXTURES_DIR "/gpt2_fp16")
                                   << steps.arg(gpt2Linear).arg(32);
        QTest::newRow("gpt2_sharded") << QStringLiteral(OPTISCOPE_FIXTURES_DIR "/gpt2_sharded")
                                      << steps.arg(gpt2Linear).arg(32);
    }

    void roundTrip()
    {
        QFETCH(QString, folder);
        QFETCH(QString, recipe);
        auto base = loadModel(folder.toStdString());
        QVERIFY2(base, base ? "" : base.error().message.c_str());
        const auto compressed = compress(*base, recipe.toStdString());
        QVERIFY(compressed->compressedTensors().size() >= 8);
        const fs::path out = kOutput / QTest::currentDataTag();
        auto exported = exportHuggingFace(*compressed, out);
        QVERIFY2(exported, exported ? "" : exported.error().message.c_str());
        auto loaded = loadModel(out);
        QVERIFY2(loaded, loaded ? "" : loaded.error().message.c_str());

        const RunInput input = inputFor(**base);
        auto expected = run(*compressed, input);
        auto actual = run(**loaded, input);
        auto baseline = run(**base, input);
        QVERIFY(expected && actual && baseline);
        QCOMPARE(actual->logits.size(), expected->logits.size());
        double maxDiff = 0, maxBaseDiff = 0;
        for (std::size_t i = 0; i < expected->logits.size(); ++i) {
            maxDiff = std::max(maxDiff, std::fabs(double(actual->logits[i]) - expected->logits[i]));
            maxBaseDiff = std::max(maxBaseDiff, std::fabs(double(baseline->logits[i]) - expected->logits[i]));
        }
        qInfo("%s: max |dlogit| export vs in memory %.3g (vs uncompressed base %.3g), %zu logits",
            QTest::currentDataTag(), maxDiff, maxBaseDiff, expected->logits.size());
        QVERIFY(maxDiff <= kMaxRoundTripLogitDiff);
        QVERIFY(maxBaseDiff > 100 * kMaxRoundTripLogitDiff); // the recipe did change the model

        // Same stored tensors (a tied head is not added), config copied byte for byte.
        std::vector<std::string> baseNames, exportNames;
        for (const auto& info : (*base)->tensorInfos()) {
            baseNames.push_back(info.name);
        }
        for (const auto& info : (*loaded)->tensorInfos()) {
            exportNames.push_back(info.name);
        }
        QCOMPARE(exportNames, baseNames);
        QCOMPARE(readFile(out / "config.json"), readFile(fs::path(folder.toStdString()) / "config.json"));
        for (const char* name : { "vocab.json", "merges.txt", "tokenizer_config.json" }) {
            QCOMPARE(fs::exists(out / name), fs::exists(fs::path(folder.toStdString()) / name));
        }
        // Head (0, 1) is zeros in the exported weights.
        const ModelConfig& c = (*base)->config();
        const std::string proj = c.architecture == Architecture::Gpt2 ? "h.0.attn.c_proj.weight"
            : c.architecture == Architecture::Bert                    ? "encoder.layer.0.attention.output.dense.weight"
                                                                      : "encoder.layer.0.attention.output.dense.weight";
        const Weight* w = (*loaded)->weight(proj);
        QVERIFY(w);
        const std::int64_t dh = c.hidden / c.heads;
        for (std::int64_t j = dh; j < 2 * dh; ++j) { // input features of head 1
            for (std::int64_t o = 0; o < c.hidden; ++o) {
                const std::int64_t offset = c.architecture == Architecture::Gpt2 ? j * c.hidden + o : o * c.hidden + j;
                QCOMPARE(w->data[offset], 0.0f);
            }
        }
    }

    // prune_layers: the removed blocks are deleted and the rest renumbered; the export, read by
    // loadModel as a smaller model, runs like the compressed model that skips the blocks.
    void layerDropRoundTrip_data()
    {
        QTest::addColumn<QString>("folder");
        QTest::addColumn<QString>("layerKey");
        QTest::newRow("tiny-gpt2") << QStringLiteral(OPTISCOPE_SAMPLES_DIR "/tiny-gpt2") << "n_layer";
        QTest::newRow("bert") << QStringLiteral(OPTISCOPE_FIXTURES_DIR "/bert") << "num_hidden_layers";
        QTest::newRow("vit") << QStringLiteral(OPTISCOPE_FIXTURES_DIR "/vit") << "num_hidden_layers";
    }

    void layerDropRoundTrip()
    {
        QFETCH(QString, folder);
        QFETCH(QString, layerKey);
        auto base = loadModel(folder.toStdString());
        QVERIFY(base);
        const int layers = (*base)->config().layers;
        const auto compressed = compress(*base,
            R"({"schema": 1, "steps": [{"type": "prune_layers", "layers": [0]},
                {"type": "quantize", "targets": ["*.weight"], "exclude": ["*embeddings*", "*wte*", "*wpe*"], "bits": 8}]})");
        const fs::path out = kOutput / (std::string("drop-") + QTest::currentDataTag());
        auto exported = exportHuggingFace(*compressed, out);
        QVERIFY2(exported, exported ? "" : exported.error().message.c_str());
        auto loaded = loadModel(out);
        QVERIFY2(loaded, loaded ? "" : loaded.error().message.c_str());
        QCOMPARE((*loaded)->config().layers, layers - 1);
        std::string layerEntry(1, '"'); // appended piecewise: GCC 12 warns (-Wrestrict) on "x" + string
        layerEntry += layerKey.toStdString();
        layerEntry += "\": " + std::to_string(layers - 1);
        QVERIFY(readFile(out / "config.json").find(layerEntry) != std::string::npos);
        const RunInput input = inputFor(**base);
        auto expected = run(*compressed, input);
        auto actual = run(**loaded, input);
        QVERIFY(expected && actual);
        QCOMPARE(actual->logits.size(), expected->logits.size());
        double maxDiff = 0;
        for (std::size_t i = 0; i < expected->logits.size(); ++i) {
            maxDiff = std::max(maxDiff, std::fabs(double(actual->logits[i]) - expected->logits[i]));
        }
        qInfo("%s, block 0 removed: max |dlogit| export vs in memory %.3g", QTest::currentDataTag(), maxDiff);
        QVERIFY(maxDiff <= kMaxRoundTripLogitDiff);
        // The renumbered last block holds what the base's last block held, quantized.
        const std::string last = (*base)->config().architecture == Architecture::Gpt2
            ? "h." + std::to_string(layers - 1) + ".attn.c_attn.weight"
            : "encoder.layer." + std::to_string(layers - 1) + ".attention.output.dense.weight";
        std::string renamed = last;
        renamed.replace(renamed.find(std::to_string(layers - 1)), 1, std::to_string(layers - 2));
        const CompressedTensor* original = compressed->compressed(last);
        const Weight* moved = (*loaded)->weight(renamed);
        QVERIFY(original && moved);
        QCOMPARE(moved->elementCount(), static_cast<std::int64_t>(original->values.size()));
        QVERIFY(std::equal(original->values.begin(), original->values.end(), moved->data));
    }

    void existingFolderAndBadParent()
    {
        auto base = loadModel(fs::path(OPTISCOPE_FIXTURES_DIR) / "gpt2");
        QVERIFY(base);
        const auto model = compress(
            *base, R"({"schema": 1, "steps": [{"type": "quantize", "targets": ["*.mlp.c_fc.weight"], "bits": 8}]})");
        const fs::path out = kOutput / "existing";
        fs::create_directories(out);
        {
            std::ofstream(out / "marker.txt") << "old";
        }
        auto refused = exportHuggingFace(*model, out);
        QVERIFY(!refused);
        QVERIFY(refused.error().message.find("existing") != std::string::npos);
        QVERIFY(fs::exists(out / "marker.txt"));
        QVERIFY(exportHuggingFace(*model, out, { .overwrite = true }));
        QVERIFY(!fs::exists(out / "marker.txt"));
        QVERIFY(loadModel(out));
        auto missing = exportHuggingFace(*model, kOutput / "missing-parent" / "x");
        QVERIFY(!missing);
        QVERIFY(missing.error().message.find("missing-parent") != std::string::npos);
        // No staging folder is left behind.
        for (const auto& entry : fs::directory_iterator(kOutput)) {
            QVERIFY2(entry.path().filename().string().front() != '.', entry.path().c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestExportHuggingFace)
#include "tst_export_hugging_face.moc"
