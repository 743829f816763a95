// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/image.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace optiscope::core;

namespace {

// (x * scale - mean) / std in float32 differs from the exact decimal by a few ulps.
constexpr double kMaxPixelDiff = 1e-6;

ModelConfig vitConfig(int imageSize, int channels)
{
    ModelConfig config;
    config.architecture = Architecture::Vit;
    config.imageSize = imageSize;
    config.patchSize = 1;
    config.channels = channels;
    return config;
}

bool writeText(const QString& path, const QByteArray& text)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(text) == text.size();
}

void compareNear(const std::vector<float>& actual, const std::vector<double>& expected)
{
    QCOMPARE(actual.size(), expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
        if (std::abs(actual[i] - expected[i]) > kMaxPixelDiff) {
            QFAIL(qPrintable(QStringLiteral("element %1: %2 vs expected %3").arg(i).arg(actual[i]).arg(expected[i])));
        }
    }
}

} // namespace

class TestImage : public QObject {
    Q_OBJECT

private slots:
    void rgbDefaultNormalization();
    void greyReplicatedForRgbModel();
    void greyModelWithOwnStatistics();
    void loadNormalization();
    void loadNormalizationFlagsOff();
    void badInput_data();
    void badInput();
    void badPreprocessorConfig_data();
    void badPreprocessorConfig();
};

void TestImage::rgbDefaultNormalization()
{
    // 2x2 RGB, [y][x][c]. Default: x/255, then (v - 0.5) / 0.5 = 2v - 1.
    RawImage image { 2, 2, 3, { 0, 255, 51, /**/ 204, 102, 153, /**/ 255, 0, 0, /**/ 0, 0, 255 } };
    const auto pixels = imageToPixels(image, vitConfig(2, 3), ImageNormalization {}, "cat.png");
    QVERIFY2(pixels, pixels ? "" : pixels.error().message.c_str());
    // Planes [c][y][x]: R = 0,204,255,0  G = 255,102,0,0  B = 51,153,0,255.
    compareNear(*pixels, { -1.0, 0.6, 1.0, -1.0, /**/ 1.0, -0.2, -1.0, -1.0, /**/ -0.6, 0.2, -1.0, 1.0 });
}

void TestImage::greyReplicatedForRgbModel()
{
    RawImage image { 2, 1, 1, { 0, 255 } };
    ImageNormalization norm;
    norm.mean = { 0.485f, 0.456f, 0.406f };
    norm.std = { 0.229f, 0.224f, 0.225f };
    ModelConfig config = vitConfig(2, 3);
    // A 2x1 image is not square: must fail...
    QVERIFY(!imageToPixels(image, config, norm, "grey.png"));
    // ...while a square grey image feeds all three channels.
    image = RawImage { 1, 1, 1, { 255 } };
    config = vitConfig(1, 3);
    const auto pixels = imageToPixels(image, config, norm, "grey.png");
    QVERIFY(pixels);
    // (1 - mean) / std per channel.
    compareNear(*pixels, { 0.515 / 0.229, 0.544 / 0.224, 0.594 / 0.225 });
}

void TestImage::greyModelWithOwnStatistics()
{
    RawImage image { 2, 2, 1, { 0, 255, 128, 64 } };
    ImageNormalization norm;
    norm.mean = { 0.2860f };
    norm.std = { 0.3530f };
    const auto pixels = imageToPixels(image, vitConfig(2, 1), norm, "shoe.png");
    QVERIFY(pixels);
    compareNear(*pixels,
        { -0.2860 / 0.3530, 0.7140 / 0.3530, (128.0 / 255 - 0.2860) / 0.3530, (64.0 / 255 - 0.2860) / 0.3530 });

    // The ImageNet-standard default (three equal 0.5 values) serves a grey model too.
    const auto defaults = imageToPixels(image, vitConfig(2, 1), ImageNormalization {}, "shoe.png");
    QVERIFY(defaults);
    compareNear(*defaults, { -1.0, 1.0, 2.0 * 128 / 255 - 1, 2.0 * 64 / 255 - 1 });
}

void TestImage::loadNormalization()
{
    QTemporaryDir dir;
    // No preprocessor_config.json: ViTImageProcessor defaults.
    const auto defaults = loadImageNormalization(dir.path().toStdString());
    QVERIFY(defaults);
    QCOMPARE(defaults->mean, (std::vector<float> { 0.5f, 0.5f, 0.5f }));
    QCOMPARE(defaults->std, (std::vector<float> { 0.5f, 0.5f, 0.5f }));
    QCOMPARE(defaults->rescale, 1.0f / 255.0f);

    QVERIFY(writeText(dir.filePath("preprocessor_config.json"),
        R"({"do_normalize": true, "do_rescale": true, "image_mean": [0.485, 0.456, 0.406],
            "image_std": [0.229, 0.224, 0.225], "rescale_factor": 0.00392156862745098, "size": {"height": 224, "width": 224}})"));
    const auto loaded = loadImageNormalization(dir.path().toStdString());
    QVERIFY2(loaded, loaded ? "" : loaded.error().message.c_str());
    QCOMPARE(loaded->mean, (std::vector<float> { 0.485f, 0.456f, 0.406f }));
    QCOMPARE(loaded->std, (std::vector<float> { 0.229f, 0.224f, 0.225f }));
    QCOMPARE(loaded->rescale, 0.00392156862745098f);

    QVERIFY(writeText(dir.filePath("preprocessor_config.json"), R"({"image_mean": 0.1307, "image_std": 0.3081})"));
    const auto scalar = loadImageNormalization(dir.path().toStdString());
    QVERIFY(scalar);
    QCOMPARE(scalar->mean, (std::vector<float> { 0.1307f }));
    QCOMPARE(scalar->std, (std::vector<float> { 0.3081f }));
}

void TestImage::loadNormalizationFlagsOff()
{
    QTemporaryDir dir;
    QVERIFY(writeText(dir.filePath("preprocessor_config.json"),
        R"({"do_normalize": false, "do_rescale": false, "image_mean": [0.9], "image_std": [0.1]})"));
    const auto loaded = loadImageNormalization(dir.path().toStdString());
    QVERIFY(loaded);
    RawImage image { 1, 1, 3, { 10, 20, 30 } };
    const auto pixels = imageToPixels(image, vitConfig(1, 3), *loaded, "raw.png");
    QVERIFY(pixels);
    compareNear(*pixels, { 10.0, 20.0, 30.0 });
}

void TestImage::badInput_data()
{
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("imageChannels");
    QTest::addColumn<int>("byteCount");
    QTest::addColumn<int>("modelChannels");
    QTest::addColumn<QString>("field");

    QTest::newRow("wrong_size") << 3 << 4 << 3 << 36 << 3 << "image size 3x4";
    QTest::newRow("rgb_for_grey_model") << 4 << 4 << 3 << 48 << 1 << "image channels";
    QTest::newRow("bytes_mismatch") << 4 << 4 << 3 << 47 << 3 << "image bytes 47";
    QTest::newRow("two_channels") << 4 << 4 << 2 << 32 << 3 << "image channels 2";
    QTest::newRow("model_channels") << 4 << 4 << 3 << 48 << 4 << "num_channels 4";
}

void TestImage::badInput()
{
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, imageChannels);
    QFETCH(int, byteCount);
    QFETCH(int, modelChannels);
    QFETCH(QString, field);
    RawImage image { width, height, imageChannels, std::vector<std::uint8_t>(static_cast<std::size_t>(byteCount), 7) };
    const auto pixels = imageToPixels(image, vitConfig(4, modelChannels), ImageNormalization {}, "/pics/photo.png");
    QVERIFY(!pixels);
    const QString text = QString::fromStdString(pixels.error().message);
    QVERIFY2(text.startsWith("/pics/photo.png: "), qPrintable(text));
    QVERIFY2(text.contains(field), qPrintable(text));
    QVERIFY(!text.contains('\n'));
}

void TestImage::badPreprocessorConfig_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("field");
    QTest::newRow("broken_json") << QByteArray("{\"image_mean\": [0.5,") << "malformed JSON";
    QTest::newRow("not_object") << QByteArray("[]") << "not an object";
    QTest::newRow("zero_std") << QByteArray(R"({"image_std": [0.5, 0, 0.5]})") << "image_std";
    QTest::newRow("mean_not_number") << QByteArray(R"({"image_mean": ["a"]})") << "image_mean";
    QTest::newRow("mean_empty") << QByteArray(R"({"image_mean": []})") << "image_mean";
    QTest::newRow("rescale_negative") << QByteArray(R"({"rescale_factor": -1})") << "rescale_factor";
    QTest::newRow("flag_not_bool") << QByteArray(R"({"do_normalize": "yes"})") << "do_normalize";
}

void TestImage::badPreprocessorConfig()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, field);
    QTemporaryDir dir;
    const QString path = dir.filePath("preprocessor_config.json");
    QVERIFY(writeText(path, json));
    const auto loaded = loadImageNormalization(dir.path().toStdString());
    QVERIFY(!loaded);
    const QString text = QString::fromStdString(loaded.error().message);
    QVERIFY2(text.contains(path), qPrintable(text));
    QVERIFY2(text.contains(field), qPrintable(text));
    QVERIFY(!text.contains('\n'));
}

QTEST_APPLESS_MAIN(TestImage)
#include "tst_image.moc"
