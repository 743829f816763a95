// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/model_config.h"

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

using namespace optiscope::core;

Q_DECLARE_METATYPE(Architecture)
Q_DECLARE_METATYPE(ModelHead)
Q_DECLARE_METATYPE(Activation)

namespace {

const char* const kGpt2 = R"({"architectures": ["GPT2LMHeadModel"], "n_layer": 2, "n_embd": 32, "n_head": 4,
    "n_inner": null, "n_positions": 16, "vocab_size": 100, "layer_norm_epsilon": 1e-5,
    "activation_function": "gelu_new", "eos_token_id": 99, "bos_token_id": 99})";

// Replaces "key": value in the GPT-2 config text (value already JSON), or drops the key.
std::string gpt2With(const std::string& key, const std::string& value)
{
    std::string text = kGpt2;
    const auto at = text.find("\"" + key + "\"");
    Q_ASSERT(at != std::string::npos);
    auto end = text.find_first_of(",}", text.find(':', at));
    if (text[text.find(':', at) + 2] == '[') {
        end = text.find(']', at) + 1;
    }
    if (value.empty()) {
        const auto comma = text.find(',', at);
        return text.erase(at, comma + 1 - at);
    }
    return text.replace(at, end - at, "\"" + key + "\": " + value);
}

} // namespace

class TestModelConfig : public QObject {
    Q_OBJECT

private slots:
    void fixtures_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<Architecture>("architecture");
        QTest::addColumn<ModelHead>("head");
        QTest::addColumn<int>("intermediate");
        QTest::addColumn<int>("vocab");
        QTest::addColumn<int>("positions");
        QTest::addColumn<int>("labels");
        QTest::addColumn<Activation>("activation");
        QTest::addColumn<double>("eps");
        QTest::newRow("gpt2") << "gpt2" << Architecture::Gpt2 << ModelHead::LanguageModel << 128 << 100 << 16 << 0
                              << Activation::GeluTanh << 1e-5;
        QTest::newRow("bert") << "bert" << Architecture::Bert << ModelHead::None << 64 << 100 << 16 << 0
                              << Activation::GeluExact << 1e-12;
        QTest::newRow("bert_mlm") << "bert_mlm" << Architecture::Bert << ModelHead::MaskedLm << 64 << 100 << 16 << 0
                                  << Activation::GeluExact << 1e-12;
        QTest::newRow("bert_seq_cls") << "bert_seq_cls" << Architecture::Bert << ModelHead::SequenceClassification << 64
                                      << 100 << 16 << 3 << Activation::GeluExact << 1e-12;
        QTest::newRow("vit") << "vit" << Architecture::Vit << ModelHead::None << 64 << 0 << 5 << 0
                             << Activation::GeluExact << 1e-12;
        QTest::newRow("vit_img_cls_gray28")
            << "vit_img_cls_gray28" << Architecture::Vit << ModelHead::ImageClassification << 64 << 0 << 17 << 10
            << Activation::GeluExact << 1e-12;
    }

    void fixtures()
    {
        QFETCH(QString, fixture);
        QFETCH(Architecture, architecture);
        QFETCH(ModelHead, head);
        QFETCH(int, intermediate);
        QFETCH(int, vocab);
        QFETCH(int, positions);
        QFETCH(int, labels);
        QFETCH(Activation, activation);
        QFETCH(double, eps);
        auto config
            = loadModelConfig(std::filesystem::path(OPTISCOPE_FIXTURES_DIR) / fixture.toStdString() / "config.json");
        QVERIFY2(config, config ? "" : config.error().message.c_str());
        QCOMPARE(config->architecture, architecture);
        QCOMPARE(config->head, head);
        QCOMPARE(config->layers, 2);
        QCOMPARE(config->hidden, 32);
        QCOMPARE(config->heads, 4);
        QCOMPARE(config->headDim(), 8);
        QCOMPARE(config->intermediate, intermediate);
        QCOMPARE(config->vocabSize, vocab);
        QCOMPARE(config->maxPositions, positions);
        QCOMPARE(config->activation, activation);
        QCOMPARE(config->layerNormEps, eps);
        if (labels > 0) {
            QCOMPARE(config->numLabels, labels);
            QCOMPARE(static_cast<int>(config->labels.size()), labels);
        }
        if (fixture == "vit_img_cls_gray28") {
            QCOMPARE(config->channels, 1);
            QCOMPARE(config->patchSize, 7);
            QCOMPARE(QString::fromStdString(config->labels[9]), QString("Ankle boot"));
        }
        if (fixture == "gpt2") {
            QCOMPARE(config->eosTokenId, 99);
            QVERIFY(config->preLayerNorm);
        }
        if (fixture == "bert") {
            QCOMPARE(config->typeVocabSize, 2);
            QCOMPARE(config->padTokenId, 0);
            QVERIFY(!config->preLayerNorm);
        }
    }

    void good_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<int>("intermediate");
        QTest::addColumn<Activation>("activation");
        QTest::newRow("n_inner null → 4d") << QString(kGpt2) << 128 << Activation::GeluTanh;
        QTest::newRow("n_inner given") << QString::fromStdString(gpt2With("n_inner", "48")) << 48
                                       << Activation::GeluTanh;
        QTest::newRow("relu") << QString::fromStdString(gpt2With("activation_function", "\"relu\"")) << 128
                              << Activation::Relu;
        QTest::newRow("gelu exact") << QString::fromStdString(gpt2With("activation_function", "\"gelu\"")) << 128
                                    << Activation::GeluExact;
        QTest::newRow("eps default") << QString::fromStdString(gpt2With("layer_norm_epsilon", "")) << 128
                                     << Activation::GeluTanh;
    }

    void good()
    {
        QFETCH(QString, json);
        QFETCH(int, intermediate);
        QFETCH(Activation, activation);
        auto config = parseModelConfig(json.toStdString(), "config.json");
        QVERIFY2(config, config ? "" : config.error().message.c_str());
        QCOMPARE(config->intermediate, intermediate);
        QCOMPARE(config->activation, activation);
        QCOMPARE(config->layerNormEps, 1e-5);
    }

    // Each bad config is written to a file and loaded, as a user's folder would be.
    void bad_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("message");
        auto row = [](const char* name, const std::string& json, const char* message) {
            QTest::newRow(name) << QString::fromStdString(json) << QString(message);
        };
        row("n_head missing", gpt2With("n_head", ""), "config.json: field 'n_head' missing");
        row("n_layer string", gpt2With("n_layer", "\"2\""),
            "config.json: field 'n_layer' must be an integer, got \"2\"");
        row("n_embd float", gpt2With("n_embd", "32.5"), "config.json: field 'n_embd' must be an integer, got 32.5");
        row("n_embd zero", gpt2With("n_embd", "0"), "config.json: field 'n_embd' must be positive, got 0");
        row("n_positions negative", gpt2With("n_positions", "-4"),
            "config.json: field 'n_positions' must be positive, got -4");
        row("heads do not divide", gpt2With("n_head", "5"),
            "config.json: field 'n_head' 5 does not divide the hidden size 32");
        row("absurd vocab", gpt2With("vocab_size", "10000000000"),
            "config.json: field 'vocab_size' is 10000000000, above the limit 1048576");
        // d = 65536, inner = 4d, 2 layers: 2 (4d² + 2d·4d + 8d + 4d) + (100 + 16) d
        row("absurd product", gpt2With("n_embd", "65536"),
            "config.json: sizes imply about 103088390144 parameters, above the limit 8589934592");
        row("n_inner default too wide", gpt2With("n_embd", "1048576"),
            "config.json: field 'n_inner' defaults to 4 × n_embd = 4194304, above the limit 1048576");
        row("unknown activation", gpt2With("activation_function", "\"swish\""),
            "config.json: field 'activation_function' unsupported activation 'swish'");
        row("eps not number", gpt2With("layer_norm_epsilon", "\"small\""),
            "config.json: field 'layer_norm_epsilon' must be a number");
        row("eos outside vocab", gpt2With("eos_token_id", "100"),
            "config.json: field 'eos_token_id' 100 is outside the vocabulary of 100");
        row("unknown architecture", gpt2With("architectures", "[\"LlamaForCausalLM\"]"),
            "config.json: field 'architectures' unsupported architecture 'LlamaForCausalLM'");
        row("architectures not array", gpt2With("architectures", "\"GPT2LMHeadModel\""),
            "config.json: field 'architectures' must be a non-empty array of strings");
        row("not json", "{\"n_layer\": ", "config.json: invalid JSON at byte 13");
        row("not object", "[1, 2]", "config.json: top level must be an object");
        row("bert missing intermediate",
            R"({"architectures": ["BertModel"], "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
                "vocab_size": 100, "max_position_embeddings": 16})",
            "config.json: field 'intermediate_size' missing");
        row("bert bad hidden_act",
            R"({"architectures": ["BertModel"], "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
                "intermediate_size": 64, "vocab_size": 100, "max_position_embeddings": 16, "hidden_act": 3})",
            "config.json: field 'hidden_act' must be a string");
        row("vit patch does not divide",
            R"({"architectures": ["ViTModel"], "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
                "intermediate_size": 64, "image_size": 10, "patch_size": 4})",
            "config.json: field 'patch_size' 4 does not divide image_size 10");
        row("vit labels mismatch",
            R"({"architectures": ["ViTForImageClassification"], "hidden_size": 32, "num_hidden_layers": 2,
                "num_attention_heads": 4, "intermediate_size": 64, "image_size": 8, "patch_size": 4,
                "id2label": {"0": "a", "1": "b"}, "num_labels": 3})",
            "config.json: field 'num_labels' is 3 but id2label has 2 entries");
        row("id2label bad key",
            R"({"architectures": ["ViTForImageClassification"], "hidden_size": 32, "num_hidden_layers": 2,
                "num_attention_heads": 4, "intermediate_size": 64, "image_size": 8, "patch_size": 4,
                "id2label": {"0": "a", "x": "b"}})",
            "config.json: field 'id2label' key 'x' is not a label id below 2");
        row("id2label duplicate id",
            R"({"architectures": ["ViTForImageClassification"], "hidden_size": 32, "num_hidden_layers": 2,
                "num_attention_heads": 4, "intermediate_size": 64, "image_size": 8, "patch_size": 4,
                "id2label": {"0": "a", "00": "b"}})",
            "config.json: field 'id2label' label id 0 appears twice");
        row("no architecture", R"({"n_layer": 2})", "config.json: field 'architectures' missing (and no model_type)");
    }

    void bad()
    {
        QFETCH(QString, json);
        QFETCH(QString, message);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto path = std::filesystem::path(dir.path().toStdString()) / "config.json";
        std::ofstream(path) << json.toStdString();
        auto config = loadModelConfig(path);
        QVERIFY(!config);
        QCOMPARE(QString::fromStdString(config.error().message), message);
        QCOMPARE(config.error().code, ErrorCode::Config);
    }

    void missingFile()
    {
        auto config = loadModelConfig("/nonexistent/config.json");
        QVERIFY(!config);
        QCOMPARE(config.error().code, ErrorCode::Io);
        QVERIFY(config.error().message.starts_with("config.json: "));
    }

    void modelTypeFallback()
    {
        auto config = parseModelConfig(R"({"model_type": "vit", "hidden_size": 32, "num_hidden_layers": 1,
            "num_attention_heads": 2, "intermediate_size": 8, "image_size": 4, "patch_size": 2, "num_channels": 1})",
            "config.json");
        QVERIFY2(config, config ? "" : config.error().message.c_str());
        QCOMPARE(QString::fromStdString(config->className), QString("ViTModel"));
        QCOMPARE(config->maxPositions, 5);
        QCOMPARE(QString(architectureName(config->architecture)), QString("vit"));
    }
};

QTEST_APPLESS_MAIN(TestModelConfig)
#include "tst_model_config.moc"
