// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/atomic_write.h"
#include "optiscope/core/safetensors.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <bit>
#include <cmath>
#include <cstring>

#include <sys/stat.h>

using namespace optiscope::core;

namespace {

QByteArray littleEndian64(quint64 value)
{
    QByteArray out(8, '\0');
    for (int i = 0; i < 8; ++i) {
        out[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
    }
    return out;
}

// A safetensors file from raw header text: 8-byte length (or a forged one), header, data.
QByteArray safetensorsBytes(const QByteArray& header, int dataBytes, qint64 forgedLength = -1)
{
    const quint64 length = forgedLength >= 0 ? static_cast<quint64>(forgedLength) : static_cast<quint64>(header.size());
    return littleEndian64(length) + header + QByteArray(dataBytes, '\x5a');
}

bool writeBytes(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

QByteArray readBytes(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

template <typename T> std::span<const std::byte> asBytes(const std::vector<T>& values)
{
    return std::as_bytes(std::span<const T>(values));
}

// A view over raw bytes placed at an odd address, so any aligned load in toFloat32 would be
// undefined (and trap under UBSan).
struct UnalignedBuffer {
    std::vector<std::byte> storage;
    TensorView view;

    UnalignedBuffer(DType dtype, const void* data, std::size_t bytes, std::int64_t count)
        : storage(bytes + 1)
    {
        std::memcpy(storage.data() + 1, data, bytes);
        view.dtype = dtype;
        view.shape = { count };
        view.bytes = std::span<const std::byte>(storage.data() + 1, bytes);
    }
};

const QString kIndexName = QStringLiteral("model.safetensors.index.json");
const QString kShardName = QStringLiteral("model-00001-of-00002.safetensors");

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private slots:
    void roundTrip();
    void writerRejectsBadInput();
    void fixturesMatchIndependentHeaderParse();
    void shardedCheckpoint();
    void float16ToFloat32_data();
    void float16ToFloat32();
    void bfloat16ToFloat32_data();
    void bfloat16ToFloat32();
    void unalignedFloat32AndIntegers();
    void badInput_data();
    void badInput();
    void atomicWriteReplaces();
    void atomicWriteFailureKeepsPrevious_data();
    void atomicWriteFailureKeepsPrevious();
    void atomicWriteMissingFolder();
};

void TestSafetensors::roundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::vector<float> f32 { 1.5f, -2.25f, 3.0e-7f, 1.0e30f, -0.0f, 42.0f };
    const std::vector<std::uint16_t> f16 { 0x3C00, 0xC000, 0x0001, 0x7C00 };
    const std::vector<std::uint16_t> bf16 { 0x3F80, 0x4049 };
    const std::vector<std::int8_t> i8 { -128, 0, 127 };
    const std::vector<std::uint8_t> u8 {};
    const std::vector<std::int32_t> i32 { -2147483647 - 1 };
    // Deliberately not in name order: the writer sorts.
    const std::vector<TensorToWrite> tensors {
        { "z.f32", DType::F32, { 2, 3 }, asBytes(f32) },
        { "a.f16", DType::F16, { 4 }, asBytes(f16) },
        { "m.bf16", DType::BF16, { 1, 2 }, asBytes(bf16) },
        { "b.i8", DType::I8, { 3 }, asBytes(i8) },
        { "empty.u8", DType::U8, { 0, 5 }, asBytes(u8) },
        { "scalar.i32", DType::I32, {}, asBytes(i32) },
    };
    const std::map<std::string, std::string> metadata { { "format", "pt" }, { "note", "line1 \"quoted\"" } };
    const auto path = std::filesystem::path(dir.path().toStdString()) / "model.safetensors";
    const auto written = writeSafetensors(path, tensors, metadata);
    QVERIFY2(written, written ? "" : written.error().message.c_str());
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList { "model.safetensors" });

    // Layout, checked on the raw bytes: aligned header, __metadata__ first, data in name order.
    const QByteArray raw = readBytes(QString::fromStdString(path.string()));
    quint64 headerLength = 0;
    std::memcpy(&headerLength, raw.constData(), 8);
    QCOMPARE(headerLength % 8, quint64(0));
    const QByteArray header = raw.mid(8, static_cast<qsizetype>(headerLength));
    QVERIFY(header.startsWith("{\"__metadata__\":"));
    const QJsonObject root = QJsonDocument::fromJson(header).object();
    QCOMPARE(root.size(), 7);
    QCOMPARE(root["a.f16"].toObject()["data_offsets"].toArray(), QJsonArray({ 0, 8 }));
    QCOMPARE(root["b.i8"].toObject()["data_offsets"].toArray(), QJsonArray({ 8, 11 }));
    // a.f16 8 bytes, b.i8 3, empty.u8 0, m.bf16 4, scalar.i32 4: z.f32 starts at 19.
    QCOMPARE(root["z.f32"].toObject()["data_offsets"].toArray(), QJsonArray({ 19, 43 }));
    QCOMPARE(raw.size(), qsizetype(8 + headerLength + 43));

    const auto file = SafetensorsFile::open(path);
    QVERIFY2(file, file ? "" : file.error().message.c_str());
    QCOMPARE(file->metadata(), metadata);
    QCOMPARE(file->tensors().size(), tensors.size());
    for (const auto& expected : tensors) {
        const TensorView* view = file->find(expected.name);
        QVERIFY2(view != nullptr, expected.name.c_str());
        QCOMPARE(view->dtype, expected.dtype);
        QCOMPARE(view->shape, expected.shape);
        QCOMPARE(view->bytes.size(), expected.bytes.size());
        QVERIFY(std::equal(view->bytes.begin(), view->bytes.end(), expected.bytes.begin()));
    }
    QCOMPARE(file->find("empty.u8")->elementCount(), std::int64_t(0));
    QCOMPARE(file->find("scalar.i32")->elementCount(), std::int64_t(1));
    QVERIFY(file->find("missing") == nullptr);
    QCOMPARE(toFloat32(*file->find("z.f32")), f32);

    // The data outlives the SafetensorsFile object through a Checkpoint holding a copy.
    const auto checkpoint = Checkpoint::open(path.parent_path());
    QVERIFY2(checkpoint, checkpoint ? "" : checkpoint.error().message.c_str());
    QCOMPARE(checkpoint->tensors().size(), tensors.size());
    QCOMPARE(toFloat32(*checkpoint->find("b.i8")), (std::vector<float> { -128.0f, 0.0f, 127.0f }));
}

void TestSafetensors::writerRejectsBadInput()
{
    QTemporaryDir dir;
    const std::vector<float> values { 1.0f, 2.0f, 3.0f };
    const auto path = std::filesystem::path(dir.path().toStdString()) / "bad.safetensors";
    const auto mismatch = writeSafetensors(path, { { "w", DType::F32, { 2, 2 }, asBytes(values) } });
    QVERIFY(!mismatch);
    QVERIFY(mismatch.error().message.find("'w'") != std::string::npos);
    const auto duplicate = writeSafetensors(
        path, { { "w", DType::F32, { 3 }, asBytes(values) }, { "w", DType::F32, { 3 }, asBytes(values) } });
    QVERIFY(!duplicate);
    QVERIFY(duplicate.error().message.find("duplicate") != std::string::npos);
    const auto negative = writeSafetensors(path, { { "w", DType::F32, { -3 }, asBytes(values) } });
    QVERIFY(!negative);
    QVERIFY(!std::filesystem::exists(path));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 0);
}

// Every fixture (written by scripts/make_oracle_fixtures.py) against Qt's JSON parser.
void TestSafetensors::fixturesMatchIndependentHeaderParse()
{
    QDir fixtures(QStringLiteral(OPTISCOPE_FIXTURES_DIR));
    int filesChecked = 0;
    for (const QString& folder : fixtures.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QDir sub(fixtures.filePath(folder));
        for (const QString& name : sub.entryList({ "*.safetensors" }, QDir::Files)) {
            const QString filePath = sub.filePath(name);
            const QByteArray raw = readBytes(filePath);
            quint64 headerLength = 0;
            std::memcpy(&headerLength, raw.constData(), 8);
            const QJsonObject root = QJsonDocument::fromJson(raw.mid(8, static_cast<qsizetype>(headerLength))).object();
            const auto file = SafetensorsFile::open(filePath.toStdString());
            QVERIFY2(file, file ? "" : file.error().message.c_str());
            QCOMPARE(qsizetype(file->tensors().size()), root.size() - (root.contains("__metadata__") ? 1 : 0));
            QCOMPARE(file->metadata().at("format"), std::string("pt"));
            const auto* dataStart = reinterpret_cast<const std::byte*>(raw.constData()) + 8 + headerLength;
            for (const TensorView& view : file->tensors()) {
                const QJsonObject entry = root[QString::fromStdString(view.name)].toObject();
                QCOMPARE(QString(dtypeName(view.dtype)), entry["dtype"].toString());
                const QJsonArray shape = entry["shape"].toArray();
                QCOMPARE(qsizetype(view.shape.size()), shape.size());
                for (qsizetype i = 0; i < shape.size(); ++i) {
                    QCOMPARE(view.shape[static_cast<std::size_t>(i)], std::int64_t(shape[i].toInteger()));
                }
                const auto begin = entry["data_offsets"].toArray()[0].toInteger();
                const auto end = entry["data_offsets"].toArray()[1].toInteger();
                QCOMPARE(qint64(view.bytes.size()), end - begin);
                QVERIFY(std::equal(view.bytes.begin(), view.bytes.end(), dataStart + begin));
            }
            ++filesChecked;
        }
    }
    QVERIFY(filesChecked >= 11);
}

void TestSafetensors::shardedCheckpoint()
{
    const QString folder = QStringLiteral(OPTISCOPE_FIXTURES_DIR "/gpt2_sharded");
    const auto checkpoint = Checkpoint::open(folder.toStdString());
    QVERIFY2(checkpoint, checkpoint ? "" : checkpoint.error().message.c_str());
    const QJsonObject weightMap
        = QJsonDocument::fromJson(readBytes(folder + "/" + kIndexName)).object()["weight_map"].toObject();
    QCOMPARE(qsizetype(checkpoint->tensors().size()), weightMap.size());
    // Each tensor must come from the shard the index names: compare with that shard read alone.
    for (auto it = weightMap.begin(); it != weightMap.end(); ++it) {
        const auto shard = SafetensorsFile::open((folder + "/" + it.value().toString()).toStdString());
        QVERIFY(shard);
        const TensorView* expected = shard->find(it.key().toStdString());
        const TensorView* actual = checkpoint->find(it.key().toStdString());
        QVERIFY2(expected && actual, qPrintable(it.key()));
        QCOMPARE(actual->shape, expected->shape);
        QVERIFY(std::equal(actual->bytes.begin(), actual->bytes.end(), expected->bytes.begin(), expected->bytes.end()));
    }
    // The fixture's layer 0 spans both shards.
    QCOMPARE(weightMap["transformer.h.0.mlp.c_proj.bias"].toString(), QString("model-00002-of-00002.safetensors"));
}

void TestSafetensors::float16ToFloat32_data()
{
    QTest::addColumn<quint16>("bits");
    QTest::addColumn<float>("expected");
    // Hand-derived from the binary16 layout: sign | 5-bit exponent (bias 15) | 10-bit mantissa.
    QTest::newRow("one") << quint16(0x3C00) << 1.0f;
    QTest::newRow("minus_two") << quint16(0xC000) << -2.0f;
    QTest::newRow("half") << quint16(0x3800) << 0.5f;
    QTest::newRow("one_third") << quint16(0x3555) << 0.333251953125f; // 1365/4096
    QTest::newRow("max") << quint16(0x7BFF) << 65504.0f;
    QTest::newRow("smallest_normal") << quint16(0x0400) << std::ldexp(1.0f, -14);
    QTest::newRow("smallest_subnormal") << quint16(0x0001) << std::ldexp(1.0f, -24);
    QTest::newRow("largest_subnormal") << quint16(0x03FF) << std::ldexp(1023.0f, -24);
    QTest::newRow("negative_subnormal") << quint16(0x8200) << -std::ldexp(1.0f, -15);
    QTest::newRow("zero") << quint16(0x0000) << 0.0f;
    QTest::newRow("minus_zero") << quint16(0x8000) << -0.0f;
    QTest::newRow("inf") << quint16(0x7C00) << std::numeric_limits<float>::infinity();
    QTest::newRow("minus_inf") << quint16(0xFC00) << -std::numeric_limits<float>::infinity();
    QTest::newRow("nan") << quint16(0x7E00) << std::numeric_limits<float>::quiet_NaN();
    QTest::newRow("signalling_nan") << quint16(0x7C01) << std::numeric_limits<float>::quiet_NaN();
}

void TestSafetensors::float16ToFloat32()
{
    QFETCH(quint16, bits);
    QFETCH(float, expected);
    const std::uint16_t value = bits;
    const UnalignedBuffer buffer(DType::F16, &value, 2, 1);
    const float actual = toFloat32(buffer.view).at(0);
    if (std::isnan(expected)) {
        QVERIFY(std::isnan(actual));
    } else {
        // Widening is exact: compare bit patterns (this also tells -0 from +0).
        QCOMPARE(std::bit_cast<std::uint32_t>(actual), std::bit_cast<std::uint32_t>(expected));
    }
}

void TestSafetensors::bfloat16ToFloat32_data()
{
    QTest::addColumn<quint16>("bits");
    QTest::addColumn<float>("expected");
    QTest::newRow("one") << quint16(0x3F80) << 1.0f;
    QTest::newRow("minus_two") << quint16(0xC000) << -2.0f;
    QTest::newRow("pi_rounded") << quint16(0x4049) << 3.140625f;
    QTest::newRow("subnormal") << quint16(0x0001) << std::ldexp(1.0f, -133);
    QTest::newRow("inf") << quint16(0x7F80) << std::numeric_limits<float>::infinity();
    QTest::newRow("nan") << quint16(0x7FC0) << std::numeric_limits<float>::quiet_NaN();
}

void TestSafetensors::bfloat16ToFloat32()
{
    QFETCH(quint16, bits);
    QFETCH(float, expected);
    const std::uint16_t value = bits;
    const UnalignedBuffer buffer(DType::BF16, &value, 2, 1);
    const float actual = toFloat32(buffer.view).at(0);
    if (std::isnan(expected)) {
        QVERIFY(std::isnan(actual));
    } else {
        QCOMPARE(std::bit_cast<std::uint32_t>(actual), std::bit_cast<std::uint32_t>(expected));
    }
}

void TestSafetensors::unalignedFloat32AndIntegers()
{
    const float f32[3] = { 0.1f, -7.5f, 3.0e38f };
    const UnalignedBuffer floats(DType::F32, f32, sizeof(f32), 3);
    QCOMPARE(toFloat32(floats.view), (std::vector<float> { 0.1f, -7.5f, 3.0e38f }));
    const std::int32_t i32[2] = { -5, 16777216 };
    const UnalignedBuffer ints(DType::I32, i32, sizeof(i32), 2);
    QCOMPARE(toFloat32(ints.view), (std::vector<float> { -5.0f, 16777216.0f }));
    const std::uint8_t u8[2] = { 0, 255 };
    const UnalignedBuffer bytes(DType::U8, u8, sizeof(u8), 2);
    QCOMPARE(toFloat32(bytes.view), (std::vector<float> { 0.0f, 255.0f }));
}

void TestSafetensors::badInput_data()
{
    QTest::addColumn<QByteArray>("file"); // bytes of model.safetensors (or of the shard with an index)
    QTest::addColumn<QByteArray>("index"); // model.safetensors.index.json, empty for none
    QTest::addColumn<QString>("culprit"); // file the message must name
    QTest::addColumn<QString>("field"); // field words the message must contain
    QTest::addColumn<QString>("detail");

    const QString single = QStringLiteral("model.safetensors");
    const QByteArray okEntry = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
    auto header = [](const QByteArray& body) { return "{" + body + "}"; };

    QTest::newRow("truncated_file") << QByteArray("\x05\0\0", 3) << QByteArray() << single << "header length"
                                    << "fewer than 8";
    QTest::newRow("header_length_zero") << safetensorsBytes("", 8, 0) << QByteArray() << single << "header length"
                                        << "is 0";
    QTest::newRow("header_length_beyond_file")
        << safetensorsBytes(QByteArray(92, ' '), 0, 123) << QByteArray() << single << "header length 123"
        << "exceeds file size 100";
    QTest::newRow("header_length_huge") << safetensorsBytes("{}", 0, Q_INT64_C(1) << 40) << QByteArray() << single
                                        << "header length"
                                        << "exceeds the limit";
    QTest::newRow("broken_json") << safetensorsBytes(R"({"a":{"dtype":)", 8) << QByteArray() << single << "header"
                                 << "malformed JSON";
    QTest::newRow("non_object_json") << safetensorsBytes("[1, 2]", 8) << QByteArray() << single << "header"
                                     << "not an object";
    QTest::newRow("entry_not_object") << safetensorsBytes(R"({"a":7})", 8) << QByteArray() << single << "'a'"
                                      << "entry is not an object";
    QTest::newRow("unknown_dtype") << safetensorsBytes(
        header(R"("w.x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]})"), 8)
                                   << QByteArray() << single << "dtype"
                                   << "'w.x'";
    QTest::newRow("missing_dtype") << safetensorsBytes(header(R"("a":{"shape":[2],"data_offsets":[0,8]})"), 8)
                                   << QByteArray() << single << "dtype"
                                   << "missing";
    QTest::newRow("missing_shape") << safetensorsBytes(header(R"("a":{"dtype":"F32","data_offsets":[0,8]})"), 8)
                                   << QByteArray() << single << "shape"
                                   << "missing";
    QTest::newRow("missing_offsets") << safetensorsBytes(header(R"("a":{"dtype":"F32","shape":[2]})"), 8)
                                     << QByteArray() << single << "data_offsets"
                                     << "missing";
    QTest::newRow("shape_bytes_mismatch")
        << safetensorsBytes(header(R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]})"), 16) << QByteArray()
        << single << "data_offsets"
        << "need 16";
    QTest::newRow("offsets_out_of_bounds")
        << safetensorsBytes(header(R"("a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]})"), 8) << QByteArray()
        << single << "data_offsets"
        << "exceeds the data section of 8 bytes";
    QTest::newRow("offsets_reversed") << safetensorsBytes(
        header(R"("a":{"dtype":"U8","shape":[4],"data_offsets":[8,4]})"), 8)
                                      << QByteArray() << single << "data_offsets"
                                      << "begin after end";
    QTest::newRow("offsets_not_pair") << safetensorsBytes(
        header(R"("a":{"dtype":"U8","shape":[4],"data_offsets":[0]})"), 8)
                                      << QByteArray() << single << "data_offsets"
                                      << "[begin, end]";
    QTest::newRow("overlapping_offsets") << safetensorsBytes(
        header(okEntry + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]})"), 12)
                                         << QByteArray() << single << "data_offsets"
                                         << "overlap 'a'";
    QTest::newRow("negative_shape") << safetensorsBytes(
        header(R"("a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]})"), 8)
                                    << QByteArray() << single << "shape[0]"
                                    << "negative";
    QTest::newRow("fractional_shape") << safetensorsBytes(
        header(R"("a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]})"), 8)
                                      << QByteArray() << single << "shape[0]"
                                      << "integer";
    QTest::newRow("shape_product_overflow")
        << safetensorsBytes(header(R"("a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,8]})"), 8)
        << QByteArray() << single << "shape"
        << "overflows int64";
    QTest::newRow("duplicate_tensor_name")
        << safetensorsBytes(header(okEntry + "," + okEntry), 8) << QByteArray() << single << "duplicate tensor name"
        << "'a'";
    QTest::newRow("duplicate_metadata_key")
        << safetensorsBytes(header(R"("__metadata__":{"k":"1","k":"2"},)" + okEntry), 8) << QByteArray() << single
        << "duplicate key"
        << "'k'";
    QTest::newRow("metadata_not_strings") << safetensorsBytes(header(R"("__metadata__":{"format":1},)" + okEntry), 8)
                                          << QByteArray() << single << "__metadata__"
                                          << "not a string";
    QTest::newRow("metadata_not_object") << safetensorsBytes(header(R"("__metadata__":"pt",)" + okEntry), 8)
                                         << QByteArray() << single << "__metadata__"
                                         << "not an object";
    QTest::newRow("newline_in_tensor_name")
        << safetensorsBytes(header(R"("a\nb":{"dtype":"F64","shape":[1],"data_offsets":[0,8]})"), 8) << QByteArray()
        << single << "dtype"
        << "'a\\x0ab'";

    const QByteArray shard = safetensorsBytes(header(okEntry), 8);
    QTest::newRow("index_missing_shard") << shard
                                         << QByteArray(R"({"weight_map":{"a":"model-00002-of-00002.safetensors"}})")
                                         << kIndexName << "weight_map"
                                         << "model-00002-of-00002.safetensors";
    QTest::newRow("index_missing_tensor")
        << shard
        << QByteArray(
               R"({"weight_map":{"a":"model-00001-of-00002.safetensors","zz":"model-00001-of-00002.safetensors"}})")
        << kIndexName << "weight_map"
        << "'zz': not found in shard";
    QTest::newRow("index_shard_outside_folder")
        << shard << QByteArray(R"({"weight_map":{"a":"../model-00001-of-00002.safetensors"}})") << kIndexName
        << "weight_map"
        << "not a file name";
    QTest::newRow("index_without_weight_map") << shard << QByteArray(R"({"metadata":{}})") << kIndexName << "weight_map"
                                              << "missing";
    QTest::newRow("index_broken_json") << shard << QByteArray(R"({"weight_map":)") << kIndexName << "malformed JSON"
                                       << "parse";
    QTest::newRow("index_bad_shard_inside")
        << safetensorsBytes("[]", 0) << QByteArray(R"({"weight_map":{"a":"model-00001-of-00002.safetensors"}})")
        << kShardName << "header"
        << "not an object";
}

void TestSafetensors::badInput()
{
    QFETCH(QByteArray, file);
    QFETCH(QByteArray, index);
    QFETCH(QString, culprit);
    QFETCH(QString, field);
    QFETCH(QString, detail);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::string message;
    if (index.isEmpty()) {
        const QString path = dir.filePath("model.safetensors");
        QVERIFY(writeBytes(path, file));
        const auto opened = SafetensorsFile::open(path.toStdString());
        QVERIFY(!opened);
        message = opened.error().message;
        // Checkpoint::open on the folder must fail the same way.
        const auto checkpoint = Checkpoint::open(dir.path().toStdString());
        QVERIFY(!checkpoint);
        QCOMPARE(checkpoint.error().message, message);
    } else {
        QVERIFY(writeBytes(dir.filePath(kShardName), file));
        QVERIFY(writeBytes(dir.filePath(kIndexName), index));
        const auto checkpoint = Checkpoint::open(dir.path().toStdString());
        QVERIFY(!checkpoint);
        message = checkpoint.error().message;
    }
    const QString text = QString::fromStdString(message);
    QVERIFY2(text.contains(dir.filePath(culprit)), qPrintable(text));
    QVERIFY2(text.contains(field), qPrintable(text));
    QVERIFY2(text.contains(detail), qPrintable(text));
    QVERIFY2(!text.contains('\n'), qPrintable(text));
}

void TestSafetensors::atomicWriteReplaces()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("out.txt");
    QVERIFY(writeBytes(path, "old content that is longer"));
    const auto written = writeFileAtomically(path.toStdString(), std::string_view("new"));
    QVERIFY2(written, written ? "" : written.error().message.c_str());
    QCOMPARE(readBytes(path), QByteArray("new"));

    const std::string first = "chunk one|";
    const std::vector<std::byte> second(100000, std::byte { 'x' });
    const std::span<const std::byte> chunks[] = { std::as_bytes(std::span(first)), second };
    QVERIFY(writeFileAtomically(path.toStdString(), chunks));
    const QByteArray content = readBytes(path);
    QCOMPARE(content.size(), qsizetype(first.size() + second.size()));
    QVERIFY(content.startsWith("chunk one|xxx"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList { "out.txt" });

    // The new file gets the permissions of any plain new file (umask), not mkstemp's 0600.
    const mode_t mask = ::umask(0);
    ::umask(mask);
    struct stat info { };
    QCOMPARE(::stat(path.toLocal8Bit().constData(), &info), 0);
    QCOMPARE(info.st_mode & 0777, 0666 & ~mask);
}

void TestSafetensors::atomicWriteFailureKeepsPrevious_data()
{
    QTest::addColumn<bool>("throws");
    QTest::newRow("writer_returns_error") << false;
    QTest::newRow("writer_throws") << true;
}

void TestSafetensors::atomicWriteFailureKeepsPrevious()
{
    QFETCH(bool, throws);
    QTemporaryDir dir;
    const QString path = dir.filePath("report.json");
    const QByteArray previous = "{\"previous\": true}";
    QVERIFY(writeBytes(path, previous));
    // Write more than the stream buffer so part of it has reached the temporary file.
    const auto result = writeFileAtomically(path.toStdString(), [throws](std::ostream& out) -> Result<void> {
        const std::string half(200000, 'y');
        out << half;
        out.flush();
        if (throws) {
            throw std::runtime_error("disk on fire");
        }
        return fail(ErrorCode::Io, "exporter: layer 3 failed");
    });
    QVERIFY(!result);
    QVERIFY(result.error().message.find(throws ? "disk on fire" : "layer 3 failed") != std::string::npos);
    QCOMPARE(readBytes(path), previous);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList { "report.json" });
}

void TestSafetensors::atomicWriteMissingFolder()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("no/such/folder/out.bin");
    const auto result = writeFileAtomically(path.toStdString(), std::string_view("x"));
    QVERIFY(!result);
    const QString text = QString::fromStdString(result.error().message);
    QVERIFY2(text.contains(path), qPrintable(text));
    QVERIFY(!text.contains('\n'));
}

QTEST_APPLESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
