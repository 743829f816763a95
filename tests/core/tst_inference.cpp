// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The fp32 forward passes against PyTorch outputs (tests/fixtures, scripts/make_oracle_fixtures.py).
#include "optiscope/core/inference.h"
#include "optiscope/core/model.h"

#include "random_gpt2.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

using namespace optiscope::core;
namespace fs = std::filesystem;
using optiscope::test::writeRandomGpt2;

namespace {

// The reference runs in float64; our float32 pass must agree to these.
constexpr double kMaxLogitDiff = 1e-4;
constexpr double kMaxAttentionDiff = 1e-5;
constexpr double kMaxHiddenDiff = 1e-4;
// The same float32 computation with and without captures.
constexpr double kMaxCaptureDiff = 1e-5;

const char* const kFixtures[] = { "gpt2", "gpt2_fp16", "gpt2_sharded", "bert", "bert_mlm", "bert_mlm_untied",
    "bert_seq_cls", "vit", "vit_img_cls", "vit_img_cls_gray28" };

fs::path fixtureDir(const std::string& name) { return fs::path(OPTISCOPE_FIXTURES_DIR) / name; }

nlohmann::json readJson(const fs::path& path)
{
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

template <typename T> std::vector<T> values(const nlohmann::json& node) { return node.get<std::vector<T>>(); }

// A one-layer GPT-2 checkpoint with random weights, safetensors written by hand (F32, name order).
} // namespace

class TestInference : public QObject {
    Q_OBJECT

private:
    std::map<std::string, std::shared_ptr<const Model>> m_models;

    std::shared_ptr<const Model> model(const std::string& name)
    {
        auto it = m_models.find(name);
        if (it != m_models.end()) {
            return it->second;
        }
        auto loaded = loadModel(fixtureDir(name));
        if (!loaded) {
            qWarning("%s: %s", name.c_str(), loaded.error().message.c_str());
            return nullptr;
        }
        m_models[name] = *loaded;
        return *loaded;
    }

private slots:
    void matchesPyTorch_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<int>("caseIndex");
        for (const char* name : kFixtures) {
            const auto path = fixtureDir(name) / "expected.json";
            if (!fs::exists(path)) {
                QTest::newRow(name) << QString(name) << -1; // fails below: a fixture went missing
                continue;
            }
            const auto cases = readJson(path)["cases"];
            for (std::size_t i = 0; i < cases.size(); ++i) {
                const std::string row = std::string(name) + "/" + cases[i]["name"].get<std::string>();
                QTest::newRow(row.c_str()) << QString(name) << static_cast<int>(i);
            }
        }
    }

    void matchesPyTorch()
    {
        QFETCH(QString, fixture);
        QFETCH(int, caseIndex);
        QVERIFY2(caseIndex >= 0, "expected.json missing");
        const std::string name = fixture.toStdString();
        auto m = model(name);
        QVERIFY(m);
        const auto expected = readJson(fixtureDir(name) / "expected.json")["cases"][caseIndex];

        RunInput input;
        std::vector<int> realRows; // query rows HF computes for real tokens
        if (expected.contains("pixel_values")) {
            input.pixels = values<float>(expected["pixel_values"]);
        } else {
            input.tokenIds = values<std::int32_t>(expected["input_ids"]);
            for (int bit : values<int>(expected["attention_mask"])) {
                input.attentionMask.push_back(static_cast<std::uint8_t>(bit));
            }
            if (expected.contains("token_type_ids")) {
                input.tokenTypeIds = values<std::int32_t>(expected["token_type_ids"]);
            }
        }
        CaptureOptions capture;
        capture.attention = capture.hiddenStates = capture.opTrace = true;
        auto result = run(*m, input, capture);
        QVERIFY2(result, result ? "" : result.error().message.c_str());

        const int tokens = result->tokens;
        for (int i = 0; i < tokens; ++i) {
            if (input.attentionMask.empty() || input.attentionMask[i]) {
                realRows.push_back(i);
            }
        }
        QVERIFY(!realRows.empty());

        // logits: [T, V] per token (only real rows are meaningful) or [1, labels]
        const auto logitsShape = values<int>(expected["logits_shape"]);
        QCOMPARE(result->logitRows, logitsShape[0]);
        QCOMPARE(result->logitCols, logitsShape[1]);
        const auto logits = values<float>(expected["logits"]);
        QCOMPARE(result->logits.size(), logits.size());
        double maxLogitDiff = 0;
        for (int row = 0; row < result->logitRows; ++row) {
            if (result->logitRows == tokens && !input.attentionMask.empty() && !input.attentionMask[row]) {
                continue;
            }
            for (int col = 0; col < result->logitCols; ++col) {
                const auto index = static_cast<std::size_t>(row) * result->logitCols + col;
                maxLogitDiff = std::max(maxLogitDiff, std::abs(double(result->logits[index]) - logits[index]));
            }
        }
        QVERIFY2(maxLogitDiff <= kMaxLogitDiff, qPrintable(QString("max |Δ logit| = %1").arg(maxLogitDiff)));

        // attentions [L, H, T, T]
        const auto attentionShape = values<int>(expected["attentions_shape"]);
        QCOMPARE(result->layers, attentionShape[0]);
        QCOMPARE(result->heads, attentionShape[1]);
        QCOMPARE(tokens, attentionShape[2]);
        const auto attentions = values<float>(expected["attentions"]);
        QCOMPARE(result->attentions.size(), attentions.size());
        double maxAttentionDiff = 0;
        for (int layer = 0; layer < result->layers; ++layer) {
            for (int head = 0; head < result->heads; ++head) {
                for (int query : realRows) {
                    for (int key = 0; key < tokens; ++key) {
                        const auto index
                            = ((static_cast<std::size_t>(layer) * result->heads + head) * tokens + query) * tokens
                            + key;
                        maxAttentionDiff = std::max(maxAttentionDiff,
                            std::abs(double(result->attention(layer, head, query, key)) - attentions[index]));
                    }
                }
            }
        }
        QVERIFY2(
            maxAttentionDiff <= kMaxAttentionDiff, qPrintable(QString("max |Δ attention| = %1").arg(maxAttentionDiff)));

        // hidden states [L + 1, T, D]
        const auto hiddenShape = values<int>(expected["hidden_shape"]);
        QCOMPARE(result->layers + 1, hiddenShape[0]);
        QCOMPARE(result->hiddenSize, hiddenShape[2]);
        const auto hidden = values<float>(expected["hidden_states"]);
        QCOMPARE(result->hiddenStates.size(), hidden.size());
        double maxHiddenDiff = 0;
        for (int state = 0; state <= result->layers; ++state) {
            for (int row : realRows) {
                for (int i = 0; i < result->hiddenSize; ++i) {
                    const auto index = (static_cast<std::size_t>(state) * tokens + row) * result->hiddenSize + i;
                    maxHiddenDiff
                        = std::max(maxHiddenDiff, std::abs(double(result->hiddenStates[index]) - hidden[index]));
                }
            }
        }
        QVERIFY2(maxHiddenDiff <= kMaxHiddenDiff, qPrintable(QString("max |Δ hidden| = %1").arg(maxHiddenDiff)));
        qInfo("max |Δ| logits %.3g, attention %.3g, hidden %.3g", maxLogitDiff, maxAttentionDiff, maxHiddenDiff);

        if (expected.contains("pooler_output")) {
            const auto pooled = values<float>(expected["pooler_output"]);
            QCOMPARE(result->pooledOutput.size(), pooled.size());
            double maxPooledDiff = 0;
            for (std::size_t i = 0; i < pooled.size(); ++i) {
                maxPooledDiff = std::max(maxPooledDiff, std::abs(double(result->pooledOutput[i]) - pooled[i]));
            }
            QVERIFY2(maxPooledDiff <= kMaxLogitDiff, qPrintable(QString("max |Δ pooled| = %1").arg(maxPooledDiff)));
        }

        // Without captures the logits must not change (beyond summation order: Eigen's vector
        // kernels peel differently for differently aligned scratch buffers).
        auto plain = run(*m, input);
        QVERIFY(plain);
        QVERIFY(plain->attentions.empty() && plain->hiddenStates.empty() && plain->opTrace.ops.empty());
        QCOMPARE(plain->logits.size(), result->logits.size());
        double maxCaptureDiff = 0;
        for (std::size_t i = 0; i < plain->logits.size(); ++i) {
            maxCaptureDiff = std::max(maxCaptureDiff, std::abs(double(plain->logits[i]) - result->logits[i]));
        }
        QVERIFY2(maxCaptureDiff <= kMaxCaptureDiff, qPrintable(QString("max |Δ| = %1").arg(maxCaptureDiff)));
    }

    // MACs of the trace against the products written out by hand for each architecture.
    void opTraceMacs_data()
    {
        QTest::addColumn<QString>("fixture");
        QTest::addColumn<int>("tokens");
        QTest::newRow("gpt2 T=7") << "gpt2" << 7;
        QTest::newRow("bert_mlm T=5") << "bert_mlm" << 5;
        QTest::newRow("bert_seq_cls T=9") << "bert_seq_cls" << 9;
        QTest::newRow("vit_img_cls") << "vit_img_cls" << 0;
        QTest::newRow("vit_img_cls_gray28") << "vit_img_cls_gray28" << 0;
    }

    void opTraceMacs()
    {
        QFETCH(QString, fixture);
        QFETCH(int, tokens);
        auto m = model(fixture.toStdString());
        QVERIFY(m);
        const ModelConfig& c = m->config();
        RunInput input;
        if (c.architecture == Architecture::Vit) {
            input.pixels.assign(static_cast<std::size_t>(c.channels) * c.imageSize * c.imageSize, 0.25f);
        } else {
            for (int i = 0; i < tokens; ++i) {
                input.tokenIds.push_back(5 + i);
            }
        }
        CaptureOptions capture;
        capture.opTrace = true;
        auto result = run(*m, input, capture);
        QVERIFY2(result, result ? "" : result.error().message.c_str());

        const std::int64_t L = c.layers, D = c.hidden, H = c.heads, I = c.intermediate, V = c.vocabSize;
        const std::int64_t T = result->tokens, dh = D / H;
        // per layer: Q, K, V and output projections, scores and context per head, FFN up and down
        const std::int64_t perLayer = 3 * T * D * D + H * (T * dh * T + T * T * dh) + T * D * D + 2 * T * D * I;
        std::int64_t expected = L * perLayer;
        // GPT-2 fuses Q, K and V in one product; BERT and ViT store them apart
        std::int64_t expectedOps = L * (2 * H + (c.architecture == Architecture::Gpt2 ? 4 : 6));
        switch (c.head) {
        case ModelHead::LanguageModel:
            expected += T * D * V; // tied lm_head
            expectedOps += 1;
            break;
        case ModelHead::MaskedLm:
            expected += T * D * D + T * D * V; // transform + decoder
            expectedOps += 2;
            break;
        case ModelHead::SequenceClassification:
            expected += D * D + D * c.numLabels; // pooler + classifier on [CLS]
            expectedOps += 2;
            break;
        case ModelHead::ImageClassification: {
            const std::int64_t patches = T - 1, patchValues = c.channels * c.patchSize * c.patchSize;
            expected += patches * patchValues * D + D * c.numLabels;
            expectedOps += 2;
            break;
        }
        default:
            break;
        }
        QCOMPARE(result->opTrace.totalMacs(), expected);
        QCOMPARE(static_cast<std::int64_t>(result->opTrace.ops.size()), expectedOps);
        for (const auto& op : result->opTrace.ops) {
            QVERIFY(!op.name.empty());
            QVERIFY(op.m > 0 && op.k > 0 && op.n > 0);
        }
        if (c.architecture == Architecture::Gpt2) {
            const auto& first = result->opTrace.ops.front();
            QCOMPARE(QString::fromStdString(first.name), QString("layer0.attn.qkv"));
            QCOMPARE(first.kind, optiscope::optrace::OpKind::QkvProjection);
            QCOMPARE(first.m, T);
            QCOMPARE(first.k, D);
            QCOMPARE(first.n, 3 * D);
            const auto& scores = result->opTrace.ops[3]; // qkv, head0 scores, head0 context, head1 scores
            QCOMPARE(QString::fromStdString(scores.name), QString("layer0.head1.scores"));
            QCOMPARE(scores.kind, optiscope::optrace::OpKind::AttentionScores);
            QCOMPARE(scores.head, 1);
            QCOMPARE(QString::fromStdString(result->opTrace.ops.back().name), QString("lm_head"));
        }
    }

    void largeProductsMatchNaiveLoop()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const fs::path folder = dir.path().toStdString();
        constexpr int kVocab = 5000, kEmbd = 64, kInner = 4096, kPositions = 32, kTokens = 24;
        writeRandomGpt2(folder, kVocab, kEmbd, kInner, kPositions);
        auto loaded = loadModel(folder);
        QVERIFY2(loaded, loaded ? "" : loaded.error().message.c_str());
        const Model& m = **loaded;
        std::vector<std::int32_t> ids;
        for (int i = 0; i < kTokens; ++i) {
            ids.push_back((i * 977) % kVocab);
        }
        CaptureOptions capture;
        capture.hiddenStates = true;
        std::vector<std::vector<float>> logitsByThreads;
        for (int threads : { 1, 2 }) {
            tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
            auto result = run(m, *idsInput(m, ids), capture);
            QVERIFY2(result, result ? "" : result.error().message.c_str());
            const float* wte = m.weight("wte.weight")->data;
            const float* hidden
                = result->hiddenStates.data() + static_cast<std::size_t>(result->layers) * kTokens * kEmbd;
            double maxDiff = 0;
            for (int t = 0; t < kTokens; ++t) {
                for (int v = 0; v < kVocab; ++v) {
                    double sum = 0;
                    for (int d = 0; d < kEmbd; ++d) {
                        sum += double(hidden[t * kEmbd + d]) * wte[static_cast<std::size_t>(v) * kEmbd + d];
                    }
                    maxDiff
                        = std::max(maxDiff, std::abs(sum - result->logits[static_cast<std::size_t>(t) * kVocab + v]));
                }
            }
            QVERIFY2(
                maxDiff <= kMaxLogitDiff, qPrintable(QString("%1 threads: max |Δ| = %2").arg(threads).arg(maxDiff)));
            logitsByThreads.push_back(result->logits);
        }
        double maxThreadDiff = 0;
        for (std::size_t i = 0; i < logitsByThreads[0].size(); ++i) {
            maxThreadDiff = std::max(maxThreadDiff, std::abs(double(logitsByThreads[0][i]) - logitsByThreads[1][i]));
        }
        QVERIFY2(maxThreadDiff <= kMaxCaptureDiff, qPrintable(QString("max |Δ| = %1").arg(maxThreadDiff)));
    }

    // F32 data that is not 4-byte aligned in the mapping is copied, not viewed: same numbers.
    void inputErrors()
    {
        auto gpt2 = model("gpt2");
        QVERIFY(gpt2);
        auto outside = idsInput(*gpt2, { 1, 2, 100, 3 });
        QVERIFY(!outside);
        QCOMPARE(QString::fromStdString(outside.error().message),
            QString("input ids: token id 100 at position 2 is outside the vocabulary of 100"));
        auto negative = idsInput(*gpt2, { -1 });
        QVERIFY(!negative);
        QVERIFY(negative.error().message.find("token id -1 at position 0") != std::string::npos);
        auto tooLong = idsInput(*gpt2, std::vector<std::int32_t>(17, 1));
        QVERIFY(!tooLong);
        QCOMPARE(QString::fromStdString(tooLong.error().message),
            QString("input ids: 17 tokens exceed the model's 16 positions (n_positions)"));
        QVERIFY(!idsInput(*gpt2, {}));
        QVERIFY(idsInput(*gpt2, std::vector<std::int32_t>(16, 99)));

        auto noTokenizer = textInput(*gpt2, "hello");
        QVERIFY(!noTokenizer);
        QCOMPARE(noTokenizer.error().code, ErrorCode::Tokenizer);

        RunInput badMask;
        badMask.tokenIds = { 1, 2, 3 };
        badMask.attentionMask = { 1, 1 };
        auto masked = run(*gpt2, badMask);
        QVERIFY(!masked);
        QVERIFY(masked.error().message.starts_with("attention mask:"));

        auto vit = model("vit");
        QVERIFY(vit);
        RunInput pixels;
        pixels.pixels.assign(10, 0.0f);
        auto image = run(*vit, pixels);
        QVERIFY(!image);
        QCOMPARE(QString::fromStdString(image.error().message), QString("pixels: 10 values, expected 192 (3×8×8)"));
        auto vitIds = idsInput(*vit, { 1, 2 });
        QVERIFY(!vitIds);
        QCOMPARE(
            QString::fromStdString(vitIds.error().message), QString("input ids: ViTModel takes pixels, not tokens"));

        auto bert = model("bert");
        QVERIFY(bert);
        RunInput types;
        types.tokenIds = { 2, 7, 3 };
        types.tokenTypeIds = { 0, 2, 0 };
        auto typed = run(*bert, types);
        QVERIFY(!typed);
        QVERIFY(typed.error().message.find("type 2 at position 1") != std::string::npos);
    }

    // BERT text input: [CLS] words [SEP] through a WordPiece vocabulary written next to the weights.
    void bertTextInput()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const fs::path folder = dir.path().toStdString();
        for (const char* file : { "config.json", "model.safetensors" }) {
            fs::copy_file(fixtureDir("bert_mlm") / file, folder / file);
        }
        {
            std::ofstream vocab(folder / "vocab.txt");
            vocab << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
            for (int i = 5; i < 100; ++i) {
                vocab << "word" << i << "\n";
            }
        }
        auto loaded = loadModel(folder);
        QVERIFY2(loaded, loaded ? "" : loaded.error().message.c_str());
        const Model& m = **loaded;
        QVERIFY(m.tokenizer());
        auto input = textInput(m, "word7 WORD42 word99");
        QVERIFY2(input, input ? "" : input.error().message.c_str());
        QCOMPARE(input->tokenIds, (std::vector<std::int32_t> { 2, 7, 42, 99, 3 }));
        auto empty = textInput(m, "   ");
        QVERIFY(!empty);
        QCOMPARE(QString::fromStdString(empty.error().message), QString("text: empty input"));
        std::string longText;
        for (int i = 0; i < 15; ++i) {
            longText += "word5 ";
        }
        auto tooLong = textInput(m, longText);
        QVERIFY(!tooLong);
        QCOMPARE(QString::fromStdString(tooLong.error().message),
            QString("text: 17 tokens exceed the model's 16 positions (max_position_embeddings)"));
        QVERIFY(run(m, *input));
    }

    // GPT-2 text input: plain BPE ids, no special tokens; reference ids from the JS encoder fixture.
    void gpt2TextInput()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const fs::path folder = dir.path().toStdString();
        const fs::path tokenizers = fs::path(OPTISCOPE_FIXTURES_DIR) / "tokenizers" / "gpt2";
        for (const char* file : { "vocab.json", "merges.txt" }) {
            fs::copy_file(tokenizers / file, folder / file);
        }
        constexpr int kPositions = 12;
        writeRandomGpt2(folder, 50257, 16, 32, kPositions);
        auto loaded = loadModel(folder);
        QVERIFY2(loaded, loaded ? "" : loaded.error().message.c_str());
        const Model& m = **loaded;
        const auto texts = readJson(tokenizers / "expected.json")["texts"];
        int checked = 0;
        for (const auto& row : texts) {
            const auto text = row["text"].get<std::string>();
            const auto ids = values<std::int32_t>(row["ids"]);
            auto input = textInput(m, text);
            if (ids.empty()) {
                QVERIFY(!input);
                QCOMPARE(QString::fromStdString(input.error().message), QString("text: empty input"));
            } else if (static_cast<int>(ids.size()) > kPositions) {
                QVERIFY(!input);
                QVERIFY(input.error().message.find("positions (n_positions)") != std::string::npos);
            } else {
                QVERIFY2(input, input ? "" : input.error().message.c_str());
                QCOMPARE(input->tokenIds, ids);
                QVERIFY(run(m, *input));
                ++checked;
            }
        }
        QVERIFY(checked >= 2);
    }

    void cancelBeforeFirstLayer()
    {
        auto gpt2 = model("gpt2");
        QVERIFY(gpt2);
        CancelToken token;
        token.cancel();
        auto result = run(*gpt2, *idsInput(*gpt2, { 1, 2, 3 }), {}, &token);
        QVERIFY(!result);
        QCOMPARE(result.error().code, ErrorCode::Cancelled);
    }
};

QTEST_APPLESS_MAIN(TestInference)
#include "tst_inference.moc"
