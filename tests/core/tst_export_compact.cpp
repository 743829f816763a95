// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Compact export of the trained sample under several recipes: readCompact gives back exactly the
// values the quantizer and pruner produced (the oracle is CompressedTensor::values, computed by the
// compression engine, not by the codec), each recipe lands in the encoding its mask calls for, the
// documented int4 nibble order holds when read by hand, and the bytes on disk are the metrics'.
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/export/compact.h"
#include "optiscope/core/safetensors.h"

#include <QTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace optiscope::core;

namespace {

namespace fs = std::filesystem;

const fs::path kSample = fs::path(OPTISCOPE_SAMPLES_DIR) / "tiny-gpt2";
const fs::path kOutput = fs::path(OPTISCOPE_TEST_OUTPUT_DIR) / "export_compact";

const char* kLinear = R"(["*.attn.c_attn.weight", "*.attn.c_proj.weight", "*.mlp.c_fc.weight", "*.mlp.c_proj.weight"])";

// Values are decoded with the quantizer's own arithmetic, so they come back bit for bit; the one
// allowed difference is the sign of zero (an int grid has a single zero code, the quantizer can
// round a tiny negative weight to -0).
bool sameValue(float a, float b)
{
    return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b) || (a == 0 && b == 0);
}

std::shared_ptr<const CompressedModel> compress(const std::shared_ptr<const Model>& base, const QString& steps)
{
    const std::string json = QStringLiteral(R"({"schema": 1, "steps": [%1]})").arg(steps).toStdString();
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

std::uint64_t headerBytes(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    unsigned char prefix[8] = {};
    in.read(reinterpret_cast<char*>(prefix), 8);
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i) {
        length = (length << 8) | prefix[i];
    }
    return 8 + length;
}

} // namespace

class TestExportCompact : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        auto model = loadModel(kSample);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        m_base = *model;
        fs::remove_all(kOutput);
        fs::create_directories(kOutput);
        auto ids = m_base->tokenizer()->encode("The cat sat on the mat and looked at the dog.");
        m_tokens.assign(ids.begin(), ids.end());
    }

    void roundTrip_data()
    {
        QTest::addColumn<QString>("steps");
        QTest::addColumn<QString>("encoding"); // of h.0.mlp.c_fc.weight
        QTest::addColumn<QString>("format");
        const QString lin(kLinear);
        QTest::newRow("unstructured50+int8 per channel")
            << QStringLiteral(R"({"type": "prune", "targets": %1, "ratio": 0.5},
                {"type": "quantize", "targets": %1, "bits": 8, "granularity": "per_channel"})")
                   .arg(lin)
            << "bitmap"
            << "int";
        QTest::newRow("unstructured98+int8 per channel asym")
            << QStringLiteral(R"({"type": "prune", "targets": %1, "ratio": 0.98},
                {"type": "quantize", "targets": %1, "bits": 8, "granularity": "per_channel", "symmetric": false})")
                   .arg(lin)
            << "csr"
            << "int";
        QTest::newRow("2:4+int4 group 32")
            << QStringLiteral(R"({"type": "prune", "targets": %1, "pattern": "n:m", "n": 2, "m": 4},
                {"type": "quantize", "targets": %1, "bits": 4, "granularity": "group", "group_size": 32})")
                   .arg(lin)
            << "nm"
            << "int";
        QTest::newRow("block 8x8+fp8") << QStringLiteral(
            R"({"type": "prune", "targets": %1, "pattern": "block", "block": [8, 8], "ratio": 0.5},
                {"type": "quantize", "targets": %1, "format": "fp8_e4m3"})")
                                              .arg(lin)
                                       << "bsr"
                                       << "fp8_e4m3";
        QTest::newRow("int4 asym per tensor, dense")
            << QStringLiteral(R"({"type": "quantize", "targets": %1, "bits": 4, "symmetric": false})").arg(lin)
            << "dense"
            << "int";
        QTest::newRow("heads+bfp+ternary") << QStringLiteral(R"({"type": "prune_heads", "heads": [[0, 1], [2, 3]]},
                {"type": "quantize", "targets": ["*.attn.*.weight"], "format": "bfp", "block_size": 16},
                {"type": "quantize", "targets": ["*.mlp.*.weight"], "format": "ternary", "granularity": "per_channel"})")
                                           << "dense"
                                           << "ternary";
        QTest::newRow("2:4+binary+bf16") << QStringLiteral(
            R"({"type": "prune", "targets": ["*.mlp.*.weight"], "pattern": "n:m", "n": 2, "m": 4},
                {"type": "quantize", "targets": ["*.mlp.*.weight"], "format": "binary", "granularity": "group", "group_size": 64},
                {"type": "quantize", "targets": ["*.attn.*.weight"], "format": "bf16"})")
                                         << "nm"
                                         << "binary";
        QTest::newRow("2:4+heads+int6 asym") // pruned heads leave N:M groups with 0 kept: zero-code padding
            << QStringLiteral(R"({"type": "prune", "targets": %1, "pattern": "n:m", "n": 2, "m": 4},
                {"type": "prune_heads", "heads": [[0, 0], [0, 2], [3, 1]]},
                {"type": "quantize", "targets": %1, "bits": 6, "symmetric": false, "granularity": "group", "group_size": 64})")
                   .arg(lin)
            << "nm"
            << "int";
        QTest::newRow("drop layer 0+int8") // block 0's matrices are all pruned: one empty BSR block each
            << QStringLiteral(R"({"type": "prune_layers", "layers": [0]},
                {"type": "quantize", "targets": %1, "bits": 8})")
                   .arg(lin)
            << "bsr"
            << "int";
    }

    void roundTrip()
    {
        QFETCH(QString, steps);
        QFETCH(QString, encoding);
        QFETCH(QString, format);
        const auto model = compress(m_base, steps);
        const fs::path file = kOutput / (std::string(QTest::currentDataTag()).substr(0, 12) + ".safetensors");
        fs::remove(file);
        auto written = exportCompact(*model, file);
        QVERIFY2(written, written ? "" : written.error().message.c_str());
        auto read = readCompact(file);
        QVERIFY2(read, read ? "" : read.error().message.c_str());
        QCOMPARE(read->schemaVersion, kCompactSchemaVersion);
        std::vector<int> skipped;
        for (int layer = 0; layer < m_base->config().layers; ++layer) {
            if (model->layerSkipped(layer)) {
                skipped.push_back(layer);
            }
        }
        QCOMPARE(read->skippedLayers, skipped);

        std::int64_t signedZeros = 0;
        for (const auto& [name, tensor] : model->compressedTensors()) {
            const auto it = read->tensors.find(name);
            QVERIFY2(it != read->tensors.end(), name.c_str());
            QCOMPARE(it->second.values.size(), tensor->values.size());
            QCOMPARE(it->second.encoding, std::string(compactEncodingName(compactLayout(*tensor).encoding)));
            for (std::size_t i = 0; i < tensor->values.size(); ++i) {
                if (!sameValue(it->second.values[i], tensor->values[i])) {
                    QFAIL(qPrintable(QStringLiteral("%1[%2]: read %3, in memory %4")
                                         .arg(QString::fromStdString(name))
                                         .arg(i)
                                         .arg(double(it->second.values[i]), 0, 'g', 9)
                                         .arg(double(tensor->values[i]), 0, 'g', 9)));
                }
                signedZeros += std::bit_cast<std::uint32_t>(it->second.values[i])
                    != std::bit_cast<std::uint32_t>(tensor->values[i]);
            }
        }
        // Unchanged tensors are the base checkpoint's.
        for (const TensorInfo& info : m_base->tensorInfos()) {
            if (model->compressedTensors().contains(info.name)) {
                continue;
            }
            const Weight* weight = m_base->weight(info.name);
            const auto& tensor = read->tensors.at(info.name);
            QCOMPARE(tensor.encoding, std::string("raw"));
            if (weight) {
                QVERIFY(std::memcmp(tensor.values.data(), weight->data, tensor.values.size() * 4) == 0);
            }
        }
        const auto& fc = read->tensors.at("transformer.h.0.mlp.c_fc.weight");
        QCOMPARE(QString::fromStdString(fc.encoding), encoding);
        QCOMPARE(QString::fromStdString(fc.format), format);

        // Bytes on disk = the metrics' compact size + the safetensors header.
        auto metrics = evaluateCompression(*model, m_tokens);
        QVERIFY(metrics);
        const auto fileBytes = static_cast<std::int64_t>(fs::file_size(file));
        const auto header = static_cast<std::int64_t>(headerBytes(file));
        QCOMPARE(fileBytes - header, metrics->bytesSparse);
        qInfo("%s: file %lld bytes (header %lld), metrics bytesSparse %lld, bytesDense %lld, base %lld; "
              "+0 for -0: %lld",
            QTest::currentDataTag(), static_cast<long long>(fileBytes), static_cast<long long>(header),
            static_cast<long long>(metrics->bytesSparse), static_cast<long long>(metrics->bytesDense),
            static_cast<long long>(metrics->baseBytes), static_cast<long long>(signedZeros));
    }

    // COMPACT_FORMAT.md read by hand: int4 codes two per byte, low nibble first, two's complement,
    // logical [out][in] order (c_attn is stored [in, out]); x = q · scale of the element's group.
    void int4NibbleOrderByHand()
    {
        const auto model = compress(m_base,
            QStringLiteral(
                R"({"type": "quantize", "targets": %1, "bits": 4, "granularity": "group", "group_size": 32})")
                .arg(kLinear));
        const fs::path file = kOutput / "int4_by_hand.safetensors";
        fs::remove(file);
        QVERIFY(exportCompact(*model, file));
        auto st = SafetensorsFile::open(file);
        QVERIFY(st);
        const std::string name = "transformer.h.1.attn.c_attn.weight";
        const TensorView* codes = st->find(name + ".codes");
        const TensorView* scales = st->find(name + ".scales");
        QVERIFY(codes && scales);
        const CompressedTensor* tensor = model->compressed(name);
        const std::int64_t in = tensor->matrix.inFeatures, out = tensor->matrix.outFeatures;
        QCOMPARE(static_cast<std::int64_t>(codes->bytes.size()), out * in / 2);
        float scale[4] = {};
        std::memcpy(scale, scales->bytes.data(), sizeof scale);
        for (std::int64_t i = 0; i < 64; ++i) { // row 0: groups 0 and 1
            const auto byte = static_cast<unsigned>(codes->bytes[i / 2]);
            int q = i % 2 == 0 ? byte & 0xF : byte >> 4;
            q = q >= 8 ? q - 16 : q;
            const float expected = tensor->values[in * 0 + i * out]; // stored [in, out]: (out 0, in i)
            QCOMPARE(static_cast<float>(static_cast<double>(q) * scale[i / 32]), expected);
        }
    }

    // COMPACT_FORMAT.md "nm" read by hand: per group of 4 inputs, two 2-bit offsets (LSB first) and
    // two int8 codes; value = code · scale of the output feature; the other two positions are 0.
    void nmLayoutByHand()
    {
        const auto model = compress(m_base,
            QStringLiteral(R"({"type": "prune", "targets": %1, "pattern": "n:m", "n": 2, "m": 4},
                {"type": "quantize", "targets": %1, "bits": 8, "granularity": "per_channel"})")
                .arg(kLinear));
        const fs::path file = kOutput / "nm_by_hand.safetensors";
        fs::remove(file);
        QVERIFY(exportCompact(*model, file));
        auto st = SafetensorsFile::open(file);
        QVERIFY(st);
        const std::string name = "transformer.h.3.mlp.c_proj.weight"; // stored [in 512, out 128]
        const TensorView* codes = st->find(name + ".codes");
        const TensorView* indices = st->find(name + ".nm_indices");
        const TensorView* scales = st->find(name + ".scales");
        QVERIFY(codes && indices && scales);
        QCOMPARE(codes->dtype, DType::I8);
        const CompressedTensor* tensor = model->compressed(name);
        const std::int64_t out = tensor->matrix.outFeatures;
        QCOMPARE(out, std::int64_t { 128 });
        for (std::int64_t o = 0; o < 2; ++o) {
            float scale = 0;
            std::memcpy(&scale, scales->bytes.data() + 4 * o, 4);
            for (std::int64_t g = 0; g < 512 / 4; ++g) {
                const std::int64_t slot = (o * (512 / 4) + g) * 2; // two slots per group, logical order
                const auto indexByte = static_cast<unsigned>(indices->bytes[slot * 2 / 8]);
                const int shift = static_cast<int>(slot * 2 % 8);
                const int first = (indexByte >> shift) & 3, second = (indexByte >> (shift + 2)) & 3;
                QVERIFY(first < second);
                for (int j = 0; j < 4; ++j) {
                    const float value = tensor->values[(g * 4 + j) * out + o];
                    if (j == first || j == second) {
                        const auto code = static_cast<std::int8_t>(codes->bytes[slot + (j == second ? 1 : 0)]);
                        QCOMPARE(static_cast<float>(static_cast<double>(code) * scale), value);
                    } else {
                        QCOMPARE(value, 0.0f);
                    }
                }
            }
        }
    }

    void existingTargetNeedsOverwrite()
    {
        const auto model
            = compress(m_base, QStringLiteral(R"({"type": "quantize", "targets": %1, "bits": 8})").arg(kLinear));
        const fs::path file = kOutput / "exists.safetensors";
        fs::remove(file);
        {
            std::ofstream(file) << "keep me";
        }
        auto refused = exportCompact(*model, file);
        QVERIFY(!refused);
        QVERIFY(refused.error().message.find("exists.safetensors") != std::string::npos);
        QCOMPARE(fs::file_size(file), std::uintmax_t { 7 });
        QVERIFY(exportCompact(*model, file, { .overwrite = true }));
        QVERIFY(readCompact(file));
        auto missing = exportCompact(*model, kOutput / "no-such-folder" / "x.safetensors");
        QVERIFY(!missing);
        QVERIFY(missing.error().message.find("no-such-folder") != std::string::npos);
        QVERIFY(!fs::exists(kOutput / "no-such-folder"));
    }

    // A file whose codes were cut short is refused with the tensor and field named.
    void truncatedCodesAreRejected()
    {
        const auto model
            = compress(m_base, QStringLiteral(R"({"type": "quantize", "targets": %1, "bits": 8})").arg(kLinear));
        const fs::path good = kOutput / "good.safetensors", bad = kOutput / "bad.safetensors";
        fs::remove(good);
        QVERIFY(exportCompact(*model, good));
        auto st = SafetensorsFile::open(good);
        QVERIFY(st);
        std::vector<TensorToWrite> tensors;
        const std::string victim = "transformer.h.2.mlp.c_proj.weight.codes";
        for (const TensorView& view : st->tensors()) {
            auto bytes = view.bytes;
            auto shape = view.shape;
            if (view.name == victim) {
                bytes = bytes.first(bytes.size() - 1);
                shape = { shape[0] - 1 };
            }
            tensors.push_back({ view.name, view.dtype, shape, bytes });
        }
        QVERIFY(writeSafetensors(bad, tensors, st->metadata()));
        auto read = readCompact(bad);
        QVERIFY(!read);
        qInfo("%s", read.error().message.c_str());
        QVERIFY(read.error().message.find("transformer.h.2.mlp.c_proj.weight") != std::string::npos);
        QVERIFY(read.error().message.find("codes") != std::string::npos);
    }

private:
    std::shared_ptr<const Model> m_base;
    std::vector<std::int32_t> m_tokens;
};

QTEST_APPLESS_MAIN(TestExportCompact)
#include "tst_export_compact.moc"
