// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Oracle: tests/fixtures/use_lite/expected.json, written by scripts/use_reference.js with the
// model's own npm runtime (@energetic-ai/embeddings + @energetic-ai/core). The model itself is
// fetched by scripts/fetch_use_lite.sh; tests that need it QSKIP when it is absent.
#include "optiscope/core/sentencepiece_unigram.h"
#include "optiscope/core/tfjs_model.h"
#include "optiscope/core/use_lite_model.h"

#include <QString>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace optiscope::core;
namespace fs = std::filesystem;

using IdList = std::vector<std::int32_t>;
Q_DECLARE_METATYPE(IdList)

namespace QTest {
template <> inline char* toString(const IdList& ids)
{
    QByteArray text = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        text += (i ? ", " : "") + QByteArray::number(ids[i]);
    }
    return qstrdup(text + "]");
}
} // namespace QTest

namespace {

constexpr double kMinCosine = 0.9999; // issue 8 §1 acceptance
constexpr double kMaxNormError = 1e-5; // |‖e‖ − 1| of an L2-normalised fp32 vector
constexpr double kMaxProbRowError = 1e-5; // |Σ_j p_ij − 1| for a softmax row in fp32

// Row tags: the first 40 bytes, cut back to a code-point boundary.
std::string rowTag(const std::string& text)
{
    std::size_t end = std::min<std::size_t>(text.size(), 40);
    while (end < text.size() && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
        --end;
    }
    return text.substr(0, end);
}

fs::path useLiteDir()
{
    if (const char* env = std::getenv("OPTISCOPE_USE_LITE_DIR")) {
        return env;
    }
    return fs::path(OPTISCOPE_FIXTURES_DIR) / ".." / ".." / "third_party_cache" / "use_lite" / "package" / "dist";
}

nlohmann::json loadExpected()
{
    std::ifstream in(fs::path(OPTISCOPE_FIXTURES_DIR) / "use_lite" / "expected.json");
    return nlohmann::json::parse(in);
}

void writeFile(const fs::path& path, const std::string& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

std::string floatBytes(std::initializer_list<float> values)
{
    std::string bytes(values.size() * 4, '\0');
    std::size_t i = 0;
    for (const float v : values) {
        std::memcpy(bytes.data() + 4 * i++, &v, 4);
    }
    return bytes;
}

} // namespace

class TestUseLite : public QObject {
    Q_OBJECT

private:
    std::optional<UseLiteModel> m_model;
    QString m_skipReason;
    nlohmann::json m_expected;
    fs::path m_scratch;

    void requireModel()
    {
        if (!m_model) {
            QSKIP(qPrintable(m_skipReason));
        }
    }

private slots:
    void initTestCase()
    {
        m_expected = loadExpected();
        QVERIFY(m_expected["sentences"].size() >= 12);
        m_scratch = fs::path(OPTISCOPE_TEST_OUTPUT_DIR) / "use_lite";
        fs::create_directories(m_scratch);
        const fs::path dir = useLiteDir();
        if (!fs::exists(dir / "model.json")) {
            m_skipReason = QString::fromStdString("USE Lite model not found at " + dir.string()
                + "; run scripts/fetch_use_lite.sh (or set OPTISCOPE_USE_LITE_DIR)");
            return;
        }
        auto model = UseLiteModel::load(dir);
        QVERIFY2(model.has_value(), model ? "" : model.error().message.c_str());
        m_model = std::move(*model);
    }

    void tokenIds_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<IdList>("expected");
        for (const auto& row : m_expected["sentences"]) {
            const auto text = row["text"].get<std::string>();
            QTest::newRow(rowTag(text).c_str()) << QString::fromStdString(text) << row["ids"].get<IdList>();
        }
    }
    void tokenIds()
    {
        requireModel();
        QFETCH(QString, text);
        QFETCH(IdList, expected);
        QCOMPARE(m_model->tokenizer().encode(text.toStdString()), expected);
    }

    void embedding_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("index");
        int index = 0;
        for (const auto& row : m_expected["sentences"]) {
            const auto text = row["text"].get<std::string>();
            QTest::newRow(rowTag(text).c_str()) << QString::fromStdString(text) << index++;
        }
    }
    void embedding()
    {
        requireModel();
        QFETCH(QString, text);
        QFETCH(int, index);
        const auto& row = m_expected["sentences"][static_cast<std::size_t>(index)];
        // Run on the reference's ids so a tokenizer mismatch (reported by tokenIds) does not
        // hide or excuse a forward-pass difference.
        const auto ids = row["ids"].get<IdList>();
        const auto reference = row["embedding"].get<std::vector<double>>();
        auto result = m_model->embedIds(ids);
        QVERIFY2(result.has_value(), result ? "" : result.error().message.c_str());
        QCOMPARE(static_cast<int>(result->embedding.size()), m_model->embeddingSize());
        QCOMPARE(result->embedding.size(), reference.size());
        double dot = 0, ours = 0, theirs = 0;
        for (std::size_t i = 0; i < reference.size(); ++i) {
            dot += result->embedding[i] * reference[i];
            ours += double(result->embedding[i]) * result->embedding[i];
            theirs += reference[i] * reference[i];
        }
        const double cosine = dot / std::sqrt(ours * theirs);
        qInfo("1 - cosine = %.3g (%d tokens, %d used)", 1.0 - cosine, static_cast<int>(ids.size()), result->usedTokens);
        QVERIFY2(std::abs(std::sqrt(ours) - 1.0) < kMaxNormError, "embedding is not L2-normalised");
        QVERIFY2(cosine >= kMinCosine, qPrintable(QString("cosine %1 < %2").arg(cosine, 0, 'f', 9).arg(kMinCosine)));
        QCOMPARE(result->usedTokens, std::min<int>(static_cast<int>(ids.size()), m_model->maxTokens()));
    }

    void attentionCapture()
    {
        requireModel();
        const auto& longRow = m_expected["sentences"].back();
        auto result = m_model->embed(longRow["text"].get<std::string>(), true);
        QVERIFY(result.has_value());
        QVERIFY(result->tokenIds.size() > 128); // the fixture's long sentence exercises truncation
        QCOMPARE(m_model->maxTokens(), 128);
        QCOMPARE(static_cast<int>(result->attentions.size()), m_model->layerCount());
        for (const auto& layer : result->attentions) {
            QCOMPARE(layer.heads, 4);
            QCOMPARE(layer.tokens, 128);
            QCOMPARE(layer.probs.size(), std::size_t(4) * 128 * 128);
            for (std::size_t row = 0; row < std::size_t(4) * 128; ++row) {
                double sum = 0;
                for (int j = 0; j < 128; ++j) {
                    const float p = layer.probs[row * 128 + j];
                    QVERIFY(p >= 0.0f && p <= 1.0f);
                    sum += p;
                }
                QVERIFY(std::abs(sum - 1.0) < kMaxProbRowError);
            }
        }
        // Capturing must not change the embedding.
        auto plain = m_model->embed(longRow["text"].get<std::string>(), false);
        QVERIFY(plain.has_value() && plain->attentions.empty());
        float maxDiff = 0;
        for (std::size_t i = 0; i < plain->embedding.size(); ++i) {
            maxDiff = std::max(maxDiff, std::abs(plain->embedding[i] - result->embedding[i]));
        }
        qInfo("max diff %g", maxDiff);
        QCOMPARE(plain->embedding, result->embedding);
    }

    void badIds()
    {
        requireModel();
        const IdList ids { 5, 100000 };
        auto result = m_model->embedIds(ids);
        QVERIFY(!result.has_value());
        QCOMPARE(
            QString::fromStdString(result.error().message), QString("input: token 1: id 100000 outside [0, 8002)"));
    }

    // Hand-derived Viterbi on a toy vocabulary (no package needed). Scores: ▁ab = -1 beats
    // ▁a + b = -2 + -1.5; "c" is unknown (id 0, score 0) and two unknowns in a row merge.
    // Piece 0 is U+FFFD as in USE's vocab.json: backtracking steps by its length (1).
    void toyUnigram_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<IdList>("expected");
        QTest::newRow("whole piece") << "ab" << IdList { 6 };
        QTest::newRow("split") << "ab b" << IdList { 6, 9 };
        QTest::newRow("unknown merged") << "abcc" << IdList { 6, 0 };
        QTest::newRow("space piece") << "a  b" << IdList { 7, 10, 9 };
        QTest::newRow("nfkc fullwidth") << "\xef\xbc\xa1" << IdList { 10, 0 }; // fullwidth A → "A", unknown
        QTest::newRow("empty") << "" << IdList {};
        // ▁cd = -4 ties ▁c + d = -2 + -2; the reference's ">=" keeps the later start.
        QTest::newRow("tie goes to later start") << "cd" << IdList { 13, 14 };
    }
    void toyUnigram()
    {
        QFETCH(QString, text);
        QFETCH(IdList, expected);
        std::vector<std::pair<std::string, double>> pieces { { "\xef\xbf\xbd", 0 }, { "<s>", 0 }, { "</s>", 0 },
            { "x1", 0 }, { "x2", 0 }, { "x3", 0 },
            { "\xe2\x96\x81"
              "ab",
                -1.0 },
            { "\xe2\x96\x81"
              "a",
                -2.0 },
            { "a", -2.5 },
            { "\xe2\x96\x81"
              "b",
                -1.5 },
            { "\xe2\x96\x81", -3.0 }, { "b", -1.5 },
            { "\xe2\x96\x81"
              "cd",
                -4.0 },
            { "\xe2\x96\x81"
              "c",
                -2.0 },
            { "d", -2.0 } };
        auto tokenizer = SentencePieceUnigram::fromPieces(pieces, 6, "toy");
        QVERIFY(tokenizer.has_value());
        QCOMPARE(tokenizer->encode(text.toStdString()), expected);
    }

    void badManifest_data()
    {
        QTest::addColumn<QString>("manifest");
        QTest::addColumn<int>("shardBytes"); // -1: no shard file
        QTest::addColumn<QString>("expectedError");
        const QString good
            = R"({"weightsManifest":[{"paths":["s1"],"weights":[{"name":"w","shape":[2],"dtype":"float32"},)"
              R"({"name":"n","shape":[],"dtype":"int32"}]}]})";
        QTest::newRow("valid") << good << 12 << "";
        QTest::newRow("missing shard") << good << -1
                                       << "model.json: weightsManifest[0].paths[0]: shard 's1' not found or unreadable";
        QTest::newRow("shard short") << good << 8
                                     << "model.json: weightsManifest[0]: shards hold 8 bytes but the weights need 12";
        QTest::newRow("shard long") << good << 16
                                    << "model.json: weightsManifest[0].paths[0]: shard 's1' holds 16 bytes, manifest "
                                       "needs 12 more for its weights";
        QTest::newRow("broken json") << QString(R"({"weightsManifest":[)") << 12 << "model.json: not valid JSON: ";
        QTest::newRow("no manifest") << QString(R"({"modelTopology":{}})") << 12
                                     << "model.json: weightsManifest: missing or not an array";
        QTest::newRow("bad dtype")
            << QString(
                   R"({"weightsManifest":[{"paths":["s1"],"weights":[{"name":"w","shape":[3],"dtype":"float16"}]}]})")
            << 12
            << "model.json: weightsManifest[0].weights[0] ('w').dtype: 'float16' is not supported (float32, int32)";
        QTest::newRow("escaping path")
            << QString(R"({"weightsManifest":[{"paths":["../s1"],"weights":[]}]})") << 12
            << "model.json: weightsManifest[0].paths[0]: '../s1' is not a plain relative file name";
    }
    void badManifest()
    {
        QFETCH(QString, manifest);
        QFETCH(int, shardBytes);
        QFETCH(QString, expectedError);
        const fs::path dir = m_scratch / QTest::currentDataTag();
        fs::remove_all(dir);
        fs::create_directories(dir);
        writeFile(dir / "model.json", manifest.toStdString());
        if (shardBytes >= 0) {
            std::string bytes = floatBytes({ 1.5f, -2.25f, 0.0f, 0.0f });
            std::int32_t seven = 7;
            std::memcpy(bytes.data() + 8, &seven, 4);
            writeFile(dir / "s1", bytes.substr(0, static_cast<std::size_t>(shardBytes)));
        }
        auto weights = TfjsWeights::load(dir / "model.json");
        if (expectedError.isEmpty()) {
            QVERIFY2(weights.has_value(), weights ? "" : weights.error().message.c_str());
            auto w = weights->requireFloats("w", { 2 });
            QVERIFY(w.has_value());
            QCOMPARE((*w)[0], 1.5f);
            QCOMPARE((*w)[1], -2.25f);
            QCOMPARE(weights->requireInts("n", 1).value(), std::vector<std::int32_t> { 7 });
            QVERIFY(!weights->requireFloats("w", { 1, 2 }).has_value());
            QCOMPARE(QString::fromStdString(weights->requireFloats("missing", { 1 }).error().message),
                QString("model.json: weightsManifest: weight 'missing' is missing"));
            return;
        }
        QVERIFY(!weights.has_value());
        const QString message = QString::fromStdString(weights.error().message);
        QVERIFY2(!message.contains('\n'), qPrintable(message));
        QVERIFY2(message.startsWith(expectedError), qPrintable(message));
        if (!expectedError.endsWith(": ")) {
            QCOMPARE(message, expectedError);
        }
    }

    void badVocab()
    {
        const fs::path path = m_scratch / "vocab.json";
        writeFile(path, R"([["<unk>", 0], ["a", "high"]])");
        auto tokenizer = SentencePieceUnigram::fromVocabJson(path);
        QVERIFY(!tokenizer.has_value());
        QCOMPARE(
            QString::fromStdString(tokenizer.error().message), QString("vocab.json: [1]: expected [piece, score]"));
    }
};

QTEST_APPLESS_MAIN(TestUseLite)
#include "tst_use_lite.moc"
