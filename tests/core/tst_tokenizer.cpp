// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Oracles: GPT-2 ids from OpenAI's encoder ported to JS (npm gpt-3-encoder, run by
// scripts/tokenizer_reference.js); BERT ids from an independent Python transcription of
// Google's tokenization.py (scripts/wordpiece_reference.py). Both committed as fixtures.
#include "optiscope/core/bpe_tokenizer.h"
#include "optiscope/core/tokenizer.h"
#include "optiscope/core/wordpiece_tokenizer.h"

#include <QString>
#include <QTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace optiscope::core;
namespace fs = std::filesystem;

using IdList = std::vector<std::int32_t>;
using FileList = std::vector<std::pair<std::string, std::string>>;
Q_DECLARE_METATYPE(IdList)
Q_DECLARE_METATYPE(FileList)
Q_DECLARE_METATYPE(std::string)

namespace QTest {
// Readable QCOMPARE failures for the two std types compared here.
template <> inline char* toString(const IdList& ids)
{
    QByteArray text = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        text += (i ? ", " : "") + QByteArray::number(ids[i]);
    }
    return qstrdup(text + "]");
}
template <> inline char* toString(const std::string& text)
{
    return toString(QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size())));
}
} // namespace QTest

namespace {

const fs::path kFixtures = fs::path(OPTISCOPE_FIXTURES_DIR) / "tokenizers";
const fs::path kOutput = fs::path(OPTISCOPE_TEST_OUTPUT_DIR) / "tst_tokenizer";

nlohmann::json readJson(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return nlohmann::json::parse(in);
}

void writeFile(const fs::path& path, const std::string& text)
{
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

std::string fromHex(const std::string& hex)
{
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return bytes;
}

QByteArray rowName(const std::string& text, std::size_t index)
{
    QString shown = QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size())).left(40);
    shown.replace(QLatin1Char('\n'), QLatin1String("\\n")).replace(QLatin1Char('\t'), QLatin1String("\\t"));
    return QByteArray::number(static_cast<qulonglong>(index)) + ": " + shown.toUtf8();
}

bool isValidUtf8ByQt(const std::string& bytes)
{
    const QString decoded = QString::fromUtf8(bytes.data(), static_cast<qsizetype>(bytes.size()));
    return decoded.toUtf8() == QByteArray(bytes.data(), static_cast<qsizetype>(bytes.size()));
}

// GPT-2 byte-level alphabet, written out here independently of the code under test.
std::string byteChar(int b)
{
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    int cp = b;
    if (!printable) {
        int n = 0;
        for (int k = 0; k < b; ++k) {
            const bool p = (k >= '!' && k <= '~') || (k >= 0xA1 && k <= 0xAC) || (k >= 0xAE && k <= 0xFF);
            n += p ? 0 : 1;
        }
        cp = 256 + n;
    }
    return QString(QChar(cp)).toUtf8().toStdString();
}

// A byte-complete toy vocab: the 256 byte tokens get ids 0..255, extras follow.
nlohmann::json toyVocab(const std::vector<std::string>& extras)
{
    nlohmann::json vocab = nlohmann::json::object();
    for (int b = 0; b < 256; ++b) {
        vocab[byteChar(b)] = b;
    }
    for (std::size_t i = 0; i < extras.size(); ++i) {
        vocab[extras[i]] = 256 + static_cast<int>(i);
    }
    return vocab;
}

std::unique_ptr<Tokenizer> mustLoad(Result<std::unique_ptr<Tokenizer>> loaded)
{
    if (!loaded) {
        qFatal("tokenizer failed to load: %s", loaded.error().message.c_str());
    }
    return std::move(*loaded);
}

} // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<Tokenizer> m_gpt2;
    std::unique_ptr<Tokenizer> m_gpt2Json;
    std::unique_ptr<Tokenizer> m_bertUncased;
    std::unique_ptr<Tokenizer> m_bertCased;
    nlohmann::json m_gpt2Expected;

    void addRows(const nlohmann::json& rows, const char* key, bool skipEndOfText = false)
    {
        QTest::addColumn<std::string>("text");
        QTest::addColumn<IdList>("expected");
        std::size_t index = 0;
        for (const auto& row : rows) {
            const std::string text
                = row.contains("hex") ? fromHex(row["hex"].get<std::string>()) : row[key].get<std::string>();
            if (skipEndOfText && text.find("<|endoftext|>") != std::string::npos) {
                ++index;
                continue;
            }
            QTest::newRow(rowName(row.contains("hex") ? row["hex"].get<std::string>() : text, index++).constData())
                << text << row["ids"].get<IdList>();
        }
    }

private slots:
    void initTestCase()
    {
        m_gpt2 = mustLoad(loadTokenizer(kFixtures / "gpt2"));
        m_gpt2Json = mustLoad(loadTokenizer(kFixtures / "gpt2_json"));
        m_bertUncased = mustLoad(loadTokenizer(kFixtures / "bert_uncased"));
        m_bertCased = mustLoad(loadTokenizer(kFixtures / "bert_cased"));
        m_gpt2Expected = readJson(kFixtures / "gpt2" / "expected.json");
        fs::create_directories(kOutput);
    }

    void gpt2MatchesReference_data() { addRows(m_gpt2Expected["texts"], "text"); }
    void gpt2MatchesReference()
    {
        QFETCH(std::string, text);
        QFETCH(IdList, expected);
        const IdList ids = m_gpt2->encode(text);
        QCOMPARE(ids, expected);
        QCOMPARE(m_gpt2->decode(ids), text);
    }

    // Same vocab and merges through tokenizer.json; "<|endoftext|>" rows differ on purpose
    // (added token there) and are checked in gpt2JsonAddedTokens.
    void gpt2JsonMatchesReference_data() { addRows(m_gpt2Expected["texts"], "text", true); }
    void gpt2JsonMatchesReference()
    {
        QFETCH(std::string, text);
        QFETCH(IdList, expected);
        QCOMPARE(m_gpt2Json->encode(text), expected);
    }

    void gpt2JsonAddedTokens_data() { addRows(m_gpt2Expected["addedTokens"], "text"); }
    void gpt2JsonAddedTokens()
    {
        QFETCH(std::string, text);
        QFETCH(IdList, expected);
        const IdList ids = m_gpt2Json->encode(text);
        QCOMPARE(ids, expected);
        QCOMPARE(m_gpt2Json->decode(ids), text);
    }

    // Invalid UTF-8: U+FFFD per maximal ill-formed subpart, the same as node's TextDecoder.
    void gpt2InvalidUtf8_data()
    {
        QTest::addColumn<std::string>("bytes");
        QTest::addColumn<std::string>("replaced");
        QTest::addColumn<IdList>("expected");
        for (const auto& row : m_gpt2Expected["invalidUtf8"]) {
            const std::string hex = row["hex"].get<std::string>();
            QTest::newRow(hex.c_str()) << fromHex(hex) << row["replaced"].get<std::string>()
                                       << row["ids"].get<IdList>();
        }
    }
    void gpt2InvalidUtf8()
    {
        QFETCH(std::string, bytes);
        QFETCH(std::string, replaced);
        QFETCH(IdList, expected);
        const IdList ids = m_gpt2->encode(bytes);
        QCOMPARE(ids, expected);
        QCOMPARE(m_gpt2->decode(ids), replaced);
    }

    void gpt2SpecialTokensAndLabels()
    {
        const nlohmann::json vocab = readJson(kFixtures / "gpt2" / "vocab.json");
        const std::int32_t eot = vocab.at("<|endoftext|>").get<std::int32_t>();
        QCOMPARE(m_gpt2->vocabSize(), static_cast<std::int32_t>(vocab.size()));
        QCOMPARE(m_gpt2->specialTokens().eos, eot);
        QCOMPARE(m_gpt2Json->specialTokens().bos, eot);
        QCOMPARE(m_gpt2->tokenLabel(vocab.at("\u0120the").get<std::int32_t>()), std::string(" the"));
        QCOMPARE(m_gpt2->tokenLabel(vocab.at("\u010a").get<std::int32_t>()), std::string("\u21b5"));
        QCOMPARE(m_gpt2->tokenLabel(vocab.at("\u0109").get<std::int32_t>()), std::string("\u21e5"));
        // "ð" is the byte 0xF0 alone: half a character, shown as an escape.
        QCOMPARE(m_gpt2->tokenLabel(vocab.at("\u00f0").get<std::int32_t>()), std::string("\\xF0"));
        QCOMPARE(m_gpt2->tokenLabel(vocab.at("\u00c3\u00a9").get<std::int32_t>()), std::string("\u00e9"));
        QCOMPARE(m_gpt2->tokenLabel(-1), std::string("<invalid id -1>"));
        QCOMPARE(m_gpt2->decode({ eot }), std::string("<|endoftext|>"));
    }

    // Hand-derived: "abc abx" → "abc" | " abx"; merges a+b (rank 0), ab+c (rank 1) give
    // [abc] and [Ġ, ab, x]. Both merge notations of tokenizer.json must agree.
    void bpeToyTokenizerJson_data()
    {
        QTest::addColumn<bool>("pairNotation");
        QTest::addColumn<bool>("addPrefixSpace");
        QTest::addColumn<IdList>("expected");
        // ids: bytes 0..255, then ab = 256, abc = 257; byte 'x' = 0x78, Ġ = byte 0x20.
        QTest::newRow("strings") << false << false << IdList { 257, 0x20, 256, 0x78 };
        QTest::newRow("pairs") << true << false << IdList { 257, 0x20, 256, 0x78 };
        QTest::newRow("prefix space") << true << true << IdList { 0x20, 257, 0x20, 256, 0x78 };
    }
    void bpeToyTokenizerJson()
    {
        QFETCH(bool, pairNotation);
        QFETCH(bool, addPrefixSpace);
        QFETCH(IdList, expected);
        nlohmann::json root;
        root["model"] = { { "type", "BPE" }, { "vocab", toyVocab({ "ab", "abc" }) } };
        root["model"]["merges"] = pairNotation ? nlohmann::json::array({ { "a", "b" }, { "ab", "c" } })
                                               : nlohmann::json::array({ "a b", "ab c" });
        root["pre_tokenizer"] = { { "type", "ByteLevel" }, { "add_prefix_space", addPrefixSpace } };
        const fs::path file = kOutput / "toy" / "tokenizer.json";
        writeFile(file, root.dump());
        auto tok = mustLoad(loadTokenizerJson(file));
        QCOMPARE(tok->encode("abc abx"), expected);
    }

    void bertMatchesReference_data()
    {
        QTest::addColumn<bool>("lowerCase");
        QTest::addColumn<std::string>("text");
        QTest::addColumn<IdList>("expected");
        for (const bool lower : { true, false }) {
            const nlohmann::json expected
                = readJson(kFixtures / (lower ? "bert_uncased" : "bert_cased") / "expected.json");
            std::size_t index = 0;
            for (const char* key : { "texts", "invalidUtf8" }) {
                for (const auto& row : expected[key]) {
                    const bool bad = row.contains("hex");
                    const std::string text
                        = bad ? fromHex(row["hex"].get<std::string>()) : row["text"].get<std::string>();
                    const QByteArray name = QByteArray(lower ? "uncased " : "cased ")
                        + rowName(bad ? "hex " + row["hex"].get<std::string>() : text, index++);
                    QTest::newRow(name.constData()) << lower << text << row["ids"].get<IdList>();
                }
            }
        }
    }
    void bertMatchesReference()
    {
        QFETCH(bool, lowerCase);
        QFETCH(std::string, text);
        QFETCH(IdList, expected);
        const Tokenizer& tok = lowerCase ? *m_bertUncased : *m_bertCased;
        QCOMPARE(tok.encode(text), expected);
    }

    void bertOptionsAndSpecials()
    {
        const auto* uncased = dynamic_cast<const WordPieceTokenizer*>(m_bertUncased.get());
        const auto* cased = dynamic_cast<const WordPieceTokenizer*>(m_bertCased.get());
        QVERIFY(uncased && cased);
        QVERIFY(uncased->options().doLowerCase);
        QVERIFY(!cased->options().doLowerCase);
        // scripts/wordpiece_reference.py writes [PAD] [UNK] [CLS] [SEP] [MASK] first.
        const SpecialTokens& s = m_bertUncased->specialTokens();
        QCOMPARE((IdList { s.pad, s.unk, s.cls, s.sep, s.mask }), (IdList { 0, 1, 2, 3, 4 }));
        QCOMPARE(
            m_bertUncased->decode(m_bertUncased->encode("The quick brown fox.")), std::string("the quick brown fox ."));
        QCOMPARE(m_bertUncased->tokenLabel(1), std::string("[UNK]"));
    }

    // The same vocab through a tokenizer.json with a BertNormalizer gives the same ids.
    void bertTokenizerJson()
    {
        nlohmann::json vocab = nlohmann::json::object();
        std::ifstream in(kFixtures / "bert_uncased" / "vocab.txt");
        std::string line;
        for (int id = 0; std::getline(in, line); ++id) {
            vocab[line] = id;
        }
        nlohmann::json root;
        root["normalizer"] = { { "type", "BertNormalizer" }, { "lowercase", true }, { "clean_text", true },
            { "handle_chinese_chars", true }, { "strip_accents", nullptr } };
        root["model"] = { { "type", "WordPiece" }, { "unk_token", "[UNK]" }, { "continuing_subword_prefix", "##" },
            { "max_input_chars_per_word", 100 }, { "vocab", vocab } };
        const fs::path file = kOutput / "bert_json" / "tokenizer.json";
        writeFile(file, root.dump());
        auto tok = mustLoad(loadTokenizer(file.parent_path()));
        const nlohmann::json expected = readJson(kFixtures / "bert_uncased" / "expected.json");
        for (const auto& row : expected["texts"]) {
            QCOMPARE(tok->encode(row["text"].get<std::string>()), row["ids"].get<IdList>());
        }
    }

    void badFiles_data()
    {
        QTest::addColumn<FileList>("files");
        QTest::addColumn<QString>("expectedError");
        using Files = FileList;
        const std::string vocab = toyVocab({ "ab" }).dump();
        QTest::newRow("empty folder") << Files {}
                                      << "no tokenizer files (tokenizer.json, vocab.json + merges.txt, vocab.txt)";
        QTest::newRow("merges.txt missing") << Files { { "vocab.json", vocab } } << "no tokenizer files";
        QTest::newRow("broken vocab.json") << Files { { "vocab.json", "{\"a\": 1," }, { "merges.txt", "" } }
                                           << "vocab.json: invalid JSON: parse error at line 1";
        QTest::newRow("empty vocab.json")
            << Files { { "vocab.json", "{}" }, { "merges.txt", "" } } << "vocab.json: vocab is empty";
        QTest::newRow("id not integer") << Files { { "vocab.json", "{\"a\": \"1\"}" }, { "merges.txt", "" } }
                                        << "vocab.json: token 'a': id is not a non-negative integer";
        QTest::newRow("duplicate id") << Files { { "vocab.json", "{\"a\": 3, \"b\": 3}" }, { "merges.txt", "" } }
                                      << "vocab.json: duplicate id 3 for 'a' and 'b'";
        QTest::newRow("byte token missing")
            << Files { { "vocab.json", "{\"a\": 0}" }, { "merges.txt", "" } } << "vocab.json: byte-level token";
        QTest::newRow("merge token missing")
            << Files { { "vocab.json", vocab }, { "merges.txt", "#version: 0.2\na b\nab q\n" } }
            << "merges.txt: line 3 ('ab q'): 'abq' not in vocab";
        QTest::newRow("merge line malformed")
            << Files { { "vocab.json", vocab }, { "merges.txt", "#version: 0.2\na b\nabc\n" } }
            << "merges.txt: line 3: expected two tokens";
        QTest::newRow("vocab.txt empty") << Files { { "vocab.txt", "" } } << "vocab.txt: vocab is empty";
        QTest::newRow("vocab.txt without [UNK]")
            << Files { { "vocab.txt", "[PAD]\nhello\n" } } << "vocab.txt: unk token '[UNK]' not in vocab";
        QTest::newRow("tokenizer_config type")
            << Files { { "vocab.txt", "[UNK]\n" }, { "tokenizer_config.json", "{\"do_lower_case\": \"yes\"}" } }
            << "tokenizer_config.json: do_lower_case: expected true or false";
        QTest::newRow("tokenizer.json no model")
            << Files { { "tokenizer.json", "{\"version\": \"1.0\"}" } } << "tokenizer.json: model: missing";
        QTest::newRow("tokenizer.json Unigram")
            << Files { { "tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}" } }
            << "tokenizer.json: model.type: 'Unigram' not supported";
        QTest::newRow("tokenizer.json bad merge") << Files { { "tokenizer.json",
            "{\"pre_tokenizer\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": \"BPE\", \"vocab\": " + vocab
                + ", \"merges\": [\"a b\", 7]}}" } }
                                                  << "tokenizer.json: model.merges[1]: expected";
        QTest::newRow("tokenizer.json merge token missing")
            << Files { { "tokenizer.json",
                   "{\"pre_tokenizer\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": \"BPE\", \"vocab\": " + vocab
                       + ", \"merges\": [[\"a\", \"b\"], [\"ab\", \"zz\"]]}}" } }
            << "tokenizer.json: model.merges[1] ('ab zz'): 'zz' not in vocab";
        QTest::newRow("tokenizer.json truncated")
            << Files { { "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {" } }
            << "tokenizer.json: invalid JSON";
        QTest::newRow("wordpiece duplicate id") << Files {
            { "tokenizer.json", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0, \"a\": 0}}}" }
        } << "tokenizer.json: model.vocab: duplicate id 0";
    }
    void badFiles()
    {
        QFETCH(FileList, files);
        QFETCH(QString, expectedError);
        const fs::path folder = kOutput / ("bad_" + std::string(QTest::currentDataTag()).substr(0, 20));
        fs::remove_all(folder);
        fs::create_directories(folder);
        for (const auto& [name, content] : files) {
            writeFile(folder / name, content);
        }
        const auto loaded = loadTokenizer(folder);
        QVERIFY(!loaded);
        const QString message = QString::fromStdString(loaded.error().message);
        QVERIFY2(message.contains(expectedError), qPrintable(message));
        QVERIFY(!message.contains(QLatin1Char('\n')));
    }

    // Random bytes: no crash, and the GPT-2 round trip is valid UTF-8 that keeps every valid part.
    void invalidUtf8NeverCrashes()
    {
        std::uint64_t state = 0x9E3779B97F4A7C15ull;
        for (int trial = 0; trial < 300; ++trial) {
            std::string bytes;
            const int length = trial % 40;
            for (int i = 0; i < length; ++i) {
                state = state * 6364136223846793005ull + 1442695040888963407ull;
                const auto r = static_cast<unsigned char>(state >> 56);
                bytes.push_back(static_cast<char>(trial % 3 == 0 ? (r | 0x80) : r));
            }
            const std::string decoded = m_gpt2->decode(m_gpt2->encode(bytes));
            QVERIFY(isValidUtf8ByQt(decoded));
            if (isValidUtf8ByQt(bytes)) {
                QCOMPARE(decoded, bytes);
            }
            const IdList bert = m_bertUncased->encode(bytes);
            for (std::int32_t id : bert) {
                QVERIFY(id >= 0 && id < m_bertUncased->vocabSize());
            }
        }
    }

    // encode() is const and shares the merge cache: two threads must agree with one.
    void concurrentEncode()
    {
        std::string text;
        for (const auto& row : m_gpt2Expected["texts"]) {
            text += row["text"].get<std::string>();
        }
        const IdList single = m_gpt2Json->encode(text);
        IdList a;
        IdList b;
        std::thread t1([&] { a = m_gpt2Json->encode(text); });
        std::thread t2([&] { b = m_gpt2Json->encode(text); });
        t1.join();
        t2.join();
        QCOMPARE(a, single);
        QCOMPARE(b, single);
    }
};

QTEST_APPLESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
