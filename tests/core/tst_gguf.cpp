// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// GGUF export checked by an independent reader (gguf_test_reader.h, written from the spec), by
// hand-encoded blocks and by error bounds derived from the Q8_0/Q4_0 formulas. Further oracles:
// tst_gguf_reference (Hugging Face's parser), tst_gguf_llama (llama.cpp itself).
#include "gguf_test_reader.h"
#include "random_gpt2.h"

#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/number_format.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/export/gguf.h"
#include "optiscope/core/model.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace optiscope::core;
namespace fs = std::filesystem;
namespace rd = optiscope::test::gguf;

namespace {

const fs::path kSamples = OPTISCOPE_SAMPLES_DIR;
const fs::path kTinyGpt2 = kSamples / "tiny-gpt2";
const fs::path kOutput = fs::path(OPTISCOPE_TEST_OUTPUT_DIR) / "gguf";

// fp16 rounding of a scale d: half an ulp, 2^-11 relative for normal values, 2^-25 absolute
// below the normal range (subnormal spacing 2^-24).
constexpr double kHalfUnitRoundoff = 1.0 / 2048.0;
constexpr double kHalfSubnormalHalfUlp = 1.0 / 33554432.0;
// The writer divides in float32; allow a few float ulps of the block maximum on top of the bounds.
constexpr double kFloatSlack = 1e-6;
// int8 per-channel values written on the recipe's own grid: only the fp16 rounding of the scale,
// at most |q|·2^-11·s ≤ 2^-11 of the block maximum (vs up to 1/254 with the reference rule).
constexpr double kRecipeGridRelativeError = kHalfUnitRoundoff * (1.0 + 1e-3);

double halfUlpBound(double d) { return std::max(std::fabs(d) * kHalfUnitRoundoff, kHalfSubnormalHalfUlp); }

struct Expected {
    std::string gguf;
    std::string hf; // canonical name
    bool transpose;
};

std::vector<Expected> expectedTensors(int layers)
{
    std::vector<Expected> list { { "token_embd.weight", "wte.weight", false },
        { "position_embd.weight", "wpe.weight", false } };
    for (int i = 0; i < layers; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        const std::string h = "h." + std::to_string(i) + ".";
        for (const char* s : { "weight", "bias" }) {
            list.push_back({ b + "attn_norm." + s, h + "ln_1." + s, false });
            list.push_back({ b + "attn_qkv." + s, h + "attn.c_attn." + s, std::string(s) == "weight" });
            list.push_back({ b + "attn_output." + s, h + "attn.c_proj." + s, std::string(s) == "weight" });
            list.push_back({ b + "ffn_norm." + s, h + "ln_2." + s, false });
            list.push_back({ b + "ffn_up." + s, h + "mlp.c_fc." + s, std::string(s) == "weight" });
            list.push_back({ b + "ffn_down." + s, h + "mlp.c_proj." + s, std::string(s) == "weight" });
        }
    }
    list.push_back({ "output_norm.weight", "ln_f.weight", false });
    list.push_back({ "output_norm.bias", "ln_f.bias", false });
    return list;
}

// The GGUF row-major view [dims[1]][dims[0]] of a weight, by a naive loop.
std::vector<float> sourceRows(const Weight& w, bool transpose)
{
    std::vector<float> rows(w.data, w.data + w.elementCount());
    if (transpose) {
        const auto in = w.shape[0];
        const auto out = w.shape[1];
        for (std::int64_t o = 0; o < out; ++o) {
            for (std::int64_t i = 0; i < in; ++i) {
                rows[o * in + i] = w.data[i * out + o];
            }
        }
    }
    return rows;
}

std::shared_ptr<const CompressedModel> compress(const std::shared_ptr<const Model>& base, const std::string& recipeJson)
{
    auto recipe = parseRecipe(recipeJson, "inline.json");
    if (!recipe) {
        qFatal("%s", recipe.error().message.c_str());
    }
    auto model = applyRecipe(base, *recipe);
    if (!model) {
        qFatal("%s", model.error().message.c_str());
    }
    return *model;
}

std::string readText(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// Per-element error bound of a Q8_0 / Q4_0 block from the spec's reference rule, whatever d the
// writer chose (its recipe-grid choice is only taken when at least as accurate).
std::vector<double> blockBounds(std::uint32_t type, const float* x)
{
    std::vector<double> bounds(32);
    double amax = 0;
    double signedMax = 0;
    for (int i = 0; i < 32; ++i) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            signedMax = x[i];
        }
    }
    if (type == 8) {
        const double d = amax / 127.0;
        std::ranges::fill(bounds, d / 2 + 127 * halfUlpBound(d) + kFloatSlack * amax);
        return bounds;
    }
    const double d = signedMax / -8.0;
    for (int i = 0; i < 32; ++i) {
        const bool clamped = d != 0 && x[i] / d > 7.5; // +8 steps is clamped to 15 (= +7)
        bounds[i] = (clamped ? std::fabs(d) : std::fabs(d) / 2) + 8 * halfUlpBound(d) + kFloatSlack * amax;
    }
    return bounds;
}

} // namespace

class TstGguf : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        fs::create_directories(kOutput);
        auto model = loadModel(kTinyGpt2);
        QVERIFY2(model.has_value(), model ? "" : model.error().message.c_str());
        m_base = *model;
    }

    // d = 127/127 = 1 (fp16 0x3C00), q = round(x) half away from zero.
    void q8_0HandBuiltBlock()
    {
        std::array<float, 32> x {};
        const float values[] = { 127.0f, -127.0f, 0.0f, 1.0f, -1.0f, 2.5f, -2.5f, 100.4f, -0.49f, 63.5f };
        std::copy(std::begin(values), std::end(values), x.begin());
        x[31] = -64.0f;
        const auto bytes = encodeGgufQ8_0Block(x);
        std::array<unsigned char, 34> expected {};
        expected[0] = 0x00;
        expected[1] = 0x3C;
        const unsigned char q[] = { 0x7F, 0x81, 0x00, 0x01, 0xFF, 0x03, 0xFD, 0x64, 0x00, 0x40 };
        std::copy(std::begin(q), std::end(q), expected.begin() + 2);
        expected[2 + 31] = 0xC0; // -64
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(static_cast<unsigned>(bytes[i]), static_cast<unsigned>(expected[i]));
        }
    }

    void q4_0HandBuiltBlocks()
    {
        // Largest magnitude first at -8 (its +8 twin loses the tie): d = -8 / -8 = 1 (0x3C00);
        // q = x + 8, 8 clamps to 15.
        std::array<float, 32> x {};
        for (int i = 0; i < 32; ++i) {
            x[i] = static_cast<float>(i % 16 - 8); // -8..7 twice
        }
        x[17] = 8.0f;
        auto bytes = encodeGgufQ4_0Block(x);
        QCOMPARE(static_cast<unsigned>(bytes[0]), 0x00u);
        QCOMPARE(static_cast<unsigned>(bytes[1]), 0x3Cu);
        // byte j = q[j] | q[j+16] << 4: q[j] = j except q[17] = 15 (clamped).
        for (unsigned j = 0; j < 16; ++j) {
            const unsigned high = j == 1 ? 15u : j;
            QCOMPARE(static_cast<unsigned>(bytes[2 + j]), j | (high << 4));
        }
        // Largest magnitude +16: d = 16 / -8 = -2 (fp16 0xC000); q = round(x / -2) + 8.
        std::array<float, 32> y {};
        y[0] = 16.0f; // -8 + 8 = 0
        y[1] = -14.0f; // 7 + 8 = 15
        y[2] = 3.0f; // round(-1.5) = -2 → 6
        y[3] = -3.0f; // round(1.5) = 2 → 10
        y[16] = 1.0f; // round(-0.5) = -1 → 7
        y[17] = -15.9f; // round(7.95) = 8 → 16, clamped to 15
        bytes = encodeGgufQ4_0Block(y);
        const unsigned char expected[18] = { 0x00, 0xC0, 0x7 << 4 | 0x0, 0xF << 4 | 0xF, 0x8 << 4 | 0x6, 0x8 << 4 | 0xA,
            0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88 };
        for (int i = 0; i < 18; ++i) {
            QCOMPARE(static_cast<unsigned>(bytes[i]), static_cast<unsigned>(expected[i]));
        }
        // All zeros: d = 0 / -8 = -0 (fp16 0x8000, as ggml's reference writes it), every q = 8.
        bytes = encodeGgufQ4_0Block(std::array<float, 32> {});
        QCOMPARE(static_cast<unsigned>(bytes[0]), 0x00u);
        QCOMPARE(static_cast<unsigned>(bytes[1]), 0x80u);
        for (int i = 2; i < 18; ++i) {
            QCOMPARE(static_cast<unsigned>(bytes[i]), 0x88u);
        }
    }

    void tinyGpt2Export_data()
    {
        QTest::addColumn<QString>("recipe");
        QTest::addColumn<QString>("type");
        for (const char* recipe : { "none", "magnitude50", "nm24_int8" }) {
            for (const char* type : { "f32", "f16", "q8_0", "q4_0" }) {
                QTest::addRow("%s_%s", recipe, type) << recipe << type;
            }
        }
    }

    void tinyGpt2Export()
    {
        QFETCH(QString, recipe);
        QFETCH(QString, type);
        const std::string recipeJson = recipe == "none"
            ? std::string(R"({"schema": 1, "steps": []})")
            : readText(kSamples / "recipes" / (recipe.toStdString() + ".json"));
        const auto model = compress(m_base, recipeJson);
        GgufOptions options;
        options.weightType = *parseGgufTensorType(type.toStdString());
        options.overwrite = true;
        const fs::path out = kOutput / ("tiny-gpt2_" + recipe.toStdString() + "_" + type.toStdString() + ".gguf");
        GgufExportReport report;
        auto written = writeGguf(*model, out, options, &report);
        QVERIFY2(written.has_value(), written ? "" : written.error().message.c_str());

        const rd::File file = rd::read(out);
        QCOMPARE(file.version, 3u);
        QCOMPARE(static_cast<std::uint64_t>(file.bytes.size()), report.fileBytes);
        checkMetadata(file);

        const auto expected = expectedTensors(4);
        QCOMPARE(file.tensors.size(), expected.size()); // tied head: no output.weight
        const std::uint32_t weightType = static_cast<std::uint32_t>(options.weightType);
        double maxError = 0; // all tensors
        double maxLinearError = 0; // attn_qkv, attn_output, ffn_up, ffn_down (what the recipes change)
        std::vector<std::pair<std::uint64_t, std::uint64_t>> extents; // [offset, end)
        for (const auto& e : expected) {
            const rd::TensorInfo* info = file.tensor(e.gguf);
            QVERIFY2(info != nullptr, e.gguf.c_str());
            const Weight* w = model->weight(e.hf);
            QVERIFY(w != nullptr);
            const std::vector<std::uint64_t> dims = w->shape.size() == 1
                ? std::vector<std::uint64_t> { static_cast<std::uint64_t>(w->shape[0]) }
                : e.transpose ? std::vector<std::uint64_t> { static_cast<std::uint64_t>(w->shape[0]),
                      static_cast<std::uint64_t>(w->shape[1]) }
                              : std::vector<std::uint64_t> { static_cast<std::uint64_t>(w->shape[1]),
                                    static_cast<std::uint64_t>(w->shape[0]) };
            QCOMPARE(info->dims, dims);
            QCOMPARE(info->type, w->shape.size() == 1 ? 0u : weightType);
            QCOMPARE(info->offset % file.alignment, 0u);
            extents.emplace_back(info->offset, info->offset + rd::byteSize(*info));
            const std::vector<float> x = sourceRows(*w, e.transpose);
            const std::vector<double> deq = rd::dequantize(file, *info);
            QCOMPARE(deq.size(), x.size());
            checkValues(file, *info, x, deq, e.gguf, e.transpose ? maxLinearError : maxError);
            if (QTest::currentTestFailed()) {
                return;
            }
        }
        std::ranges::sort(extents);
        for (std::size_t i = 1; i < extents.size(); ++i) {
            QVERIFY(extents[i].first >= extents[i - 1].second); // no overlap
        }
        QCOMPARE(file.dataStart % file.alignment, 0u);
        qInfo("tiny-gpt2 %s %s: %llu bytes, max |dequantized - compressed|: linear weights %.3g, all tensors %.3g",
            qPrintable(recipe), qPrintable(type), static_cast<unsigned long long>(file.bytes.size()), maxLinearError,
            std::max(maxError, maxLinearError));
    }

    // The int8 per-channel recipe's values survive Q8_0 up to fp16 rounding of the scale, and its
    // 2:4 zeros stay exactly zero.
    void recipeGridSurvivesQ8()
    {
        const auto model = compress(m_base, readText(kSamples / "recipes" / "nm24_int8.json"));
        GgufOptions options;
        options.weightType = GgufTensorType::Q8_0;
        options.overwrite = true;
        const fs::path out = kOutput / "grid_q8.gguf";
        GgufExportReport report;
        QVERIFY(writeGguf(*model, out, options, &report).has_value());
        const rd::File file = rd::read(out);
        for (const auto& e : expectedTensors(4)) {
            if (!e.transpose) {
                continue;
            }
            const std::vector<float> x = sourceRows(*model->weight(e.hf), true);
            const std::vector<double> deq = rd::dequantize(file, *file.tensor(e.gguf));
            for (std::size_t b = 0; b < x.size() / 32; ++b) {
                double amax = 0;
                for (int j = 0; j < 32; ++j) {
                    amax = std::max(amax, std::fabs(static_cast<double>(x[b * 32 + j])));
                }
                for (int j = 0; j < 32; ++j) {
                    const std::size_t k = b * 32 + j;
                    if (x[k] == 0.0f) {
                        QCOMPARE(deq[k], 0.0);
                    }
                    QVERIFY2(std::fabs(x[k] - deq[k]) <= kRecipeGridRelativeError * amax + kFloatSlack * 1e-3 * amax,
                        qPrintable(QString("%1[%2]: %3 vs %4").arg(e.gguf.c_str()).arg(k).arg(x[k]).arg(deq[k])));
                }
            }
        }
        const auto qkv
            = std::ranges::find(report.tensors, std::string("blk.0.attn_qkv.weight"), &GgufTensorReport::name);
        QVERIFY(qkv != report.tensors.end());
        QCOMPARE(qkv->blocksOnRecipeGrid, qkv->blocks);
        QCOMPARE(qkv->sourceName, std::string("transformer.h.0.attn.c_attn.weight"));
    }

    void recipeRepresentability_data()
    {
        QTest::addColumn<QString>("quant");
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("accepted");
        // Ternary with one scale per 16 inputs: two scales per 32-block, Q4_0's asymmetric grid
        // loses 1/8 of the side opposite the block maximum.
        QTest::newRow("ternary_g16_q4_0") << R"("format": "ternary", "granularity": "group", "group_size": 16)"
                                          << "q4_0" << false;
        // One scale per output row: on the grid, q in {7, 8, 9}.
        QTest::newRow("ternary_channel_q4_0") << R"("format": "ternary", "granularity": "per_channel")"
                                              << "q4_0" << true;
        QTest::newRow("int4_asym_q4_0") << R"("bits": 4, "symmetric": false, "granularity": "per_channel")"
                                        << "q4_0" << false;
        QTest::newRow("int4_asym_q8_0") << R"("bits": 4, "symmetric": false, "granularity": "per_channel")"
                                        << "q8_0" << true;
        QTest::newRow("int4_group32_q4_0") << R"("bits": 4, "granularity": "group", "group_size": 32)"
                                           << "q4_0" << true;
        // Finer than the target: requantized, allowed.
        QTest::newRow("int8_q4_0") << R"("bits": 8, "granularity": "per_channel")"
                                   << "q4_0" << true;
    }

    void recipeRepresentability()
    {
        QFETCH(QString, quant);
        QFETCH(QString, type);
        QFETCH(bool, accepted);
        const std::string recipe = R"({"schema": 1, "steps": [{"type": "quantize", "targets": "*.attn.c_attn.weight", )"
            + quant.toStdString() + "}]}";
        const auto model = compress(m_base, recipe);
        GgufOptions options;
        options.weightType = *parseGgufTensorType(type.toStdString());
        const fs::path out = kOutput / ("representability_" + std::string(QTest::currentDataTag()) + ".gguf");
        fs::remove(out);
        auto written = writeGguf(*model, out, options);
        QCOMPARE(written.has_value(), accepted);
        QCOMPARE(fs::exists(out), accepted);
        if (!accepted) {
            const std::string& message = written.error().message;
            QVERIFY2(message.find("transformer.h.0.attn.c_attn.weight") != std::string::npos, message.c_str());
            QVERIFY(message.find('\n') == std::string::npos);
            qInfo("%s", message.c_str());
            options.allowLossyRequantization = true;
            QVERIFY(writeGguf(*model, out, options).has_value());
            QVERIFY(fs::exists(out));
        }
    }

    void existingTargetNeedsOverwrite()
    {
        const auto model = compress(m_base, R"({"schema": 1, "steps": []})");
        const fs::path out = kOutput / "exists.gguf";
        fs::remove(out);
        GgufOptions options;
        options.weightType = GgufTensorType::Q4_0;
        QVERIFY(writeGguf(*model, out, options).has_value());
        const std::string before = readText(out);
        options.weightType = GgufTensorType::F32;
        auto again = writeGguf(*model, out, options);
        QVERIFY(!again.has_value());
        QVERIFY2(again.error().message.find("exists") != std::string::npos, again.error().message.c_str());
        QCOMPARE(readText(out), before);
        options.overwrite = true;
        QVERIFY(writeGguf(*model, out, options).has_value());
        QVERIFY(readText(out).size() > before.size());
        for (const auto& entry : fs::directory_iterator(kOutput)) { // no temporary (".tmp-…") left behind
            QVERIFY2(entry.path().filename().string().find(".tmp-") == std::string::npos, entry.path().c_str());
        }
    }

    void nonGpt2IsRefused()
    {
        auto bert = loadModel(fs::path(OPTISCOPE_FIXTURES_DIR) / "bert");
        QVERIFY(bert.has_value());
        const auto model = std::make_shared<CompressedModel>(*bert);
        const fs::path out = kOutput / "bert.gguf";
        fs::remove(out);
        auto written = writeGguf(*model, out, {});
        QVERIFY(!written.has_value());
        QVERIFY2(written.error().message.find("GPT-2 only") != std::string::npos, written.error().message.c_str());
        QVERIFY(!fs::exists(out));
    }

    // Rows of 48 inputs cannot be cut into blocks of 32: those tensors become F16; rows of 64 stay Q8_0.
    void rowsNotMultipleOf32FallBackToF16()
    {
        const fs::path folder = kOutput / "gpt2_embd48";
        fs::create_directories(folder);
        optiscope::test::writeRandomGpt2(folder, 4096, 48, 64, 16);
        std::ofstream(folder / "config.json") << R"({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
            "activation_function": "gelu_new", "n_embd": 48, "n_head": 4, "n_inner": 64, "n_layer": 1,
            "n_positions": 16, "vocab_size": 4096, "layer_norm_epsilon": 1e-5, "bos_token_id": 4095,
            "eos_token_id": 4095})";
        for (const char* name : { "vocab.json", "merges.txt" }) {
            fs::copy_file(kTinyGpt2 / name, folder / name, fs::copy_options::overwrite_existing);
        }
        auto base = loadModel(folder);
        QVERIFY2(base.has_value(), base ? "" : base.error().message.c_str());
        const auto model = std::make_shared<CompressedModel>(*base);
        GgufOptions options;
        options.weightType = GgufTensorType::Q8_0;
        options.overwrite = true;
        const fs::path out = kOutput / "embd48_q8_0.gguf";
        GgufExportReport report;
        auto written = writeGguf(*model, out, options, &report);
        QVERIFY2(written.has_value(), written ? "" : written.error().message.c_str());
        const rd::File file = rd::read(out);
        QCOMPARE(file.tensor("token_embd.weight")->type, 1u);
        QCOMPARE(file.tensor("blk.0.attn_qkv.weight")->type, 1u);
        QCOMPARE(file.tensor("blk.0.ffn_down.weight")->type, 8u);
        QCOMPARE(file.tensor("blk.0.attn_norm.weight")->type, 0u);
        const auto fellBack = std::ranges::count_if(report.tensors, &GgufTensorReport::fellBack);
        QCOMPARE(fellBack, 5); // token_embd, position_embd, attn_qkv, attn_output, ffn_up
    }

    void customAlignment()
    {
        const auto model = compress(m_base, R"({"schema": 1, "steps": []})");
        GgufOptions options;
        options.weightType = GgufTensorType::Q4_0;
        options.alignment = 64;
        options.overwrite = true;
        const fs::path out = kOutput / "align64.gguf";
        QVERIFY(writeGguf(*model, out, options).has_value());
        const rd::File file = rd::read(out);
        QCOMPARE(file.kv.at("general.alignment").type, static_cast<std::uint32_t>(rd::kU32));
        QCOMPARE(file.alignment, 64u);
        QCOMPARE(file.dataStart % 64, 0u);
        for (const auto& t : file.tensors) {
            QCOMPARE(t.offset % 64, 0u);
        }
        options.alignment = 12;
        auto bad = writeGguf(*model, kOutput / "align12.gguf", options);
        QVERIFY(!bad.has_value());
        QVERIFY2(bad.error().message.find("general.alignment") != std::string::npos, bad.error().message.c_str());
        QVERIFY(!fs::exists(kOutput / "align12.gguf"));
        QVERIFY(!parseGgufTensorType("q5_0").has_value());
    }

private:
    void checkMetadata(const rd::File& file)
    {
        // uint32 keys as llama.cpp's gguf-py writes them (its loader checks the type); a wrong type
        // reads as a value no key has.
        const auto u32 = [&](const char* key) {
            const auto& v = file.kv.at(key);
            return v.type == rd::kU32 ? v.u : ~std::uint64_t { 0 };
        };
        QCOMPARE(file.kv.at("general.architecture").s, std::string("gpt2"));
        QCOMPARE(u32("gpt2.context_length"), 128u);
        QCOMPARE(u32("gpt2.embedding_length"), 128u);
        QCOMPARE(u32("gpt2.feed_forward_length"), 512u);
        QCOMPARE(u32("gpt2.block_count"), 4u);
        QCOMPARE(u32("gpt2.attention.head_count"), 4u);
        QCOMPARE(file.kv.at("gpt2.attention.layer_norm_epsilon").type, static_cast<std::uint32_t>(rd::kF32));
        QCOMPARE(file.kv.at("gpt2.attention.layer_norm_epsilon").f, static_cast<double>(1e-5f));
        QCOMPARE(file.kv.at("tokenizer.ggml.model").s, std::string("gpt2"));
        QCOMPARE(u32("tokenizer.ggml.bos_token_id"), 4095u);
        QCOMPARE(u32("tokenizer.ggml.eos_token_id"), 4095u);

        // Tokens against vocab.json inverted, merges against merges.txt, both read here.
        const auto vocab = nlohmann::json::parse(readText(kTinyGpt2 / "vocab.json"));
        const auto& tokens = file.kv.at("tokenizer.ggml.tokens");
        QCOMPARE(tokens.itemType, static_cast<std::uint32_t>(rd::kString));
        QCOMPARE(tokens.items.size(), std::size_t { 4096 });
        for (const auto& [token, id] : vocab.items()) {
            QCOMPARE(tokens.items.at(id.get<std::size_t>()).s, token);
        }
        const auto& types = file.kv.at("tokenizer.ggml.token_type");
        QCOMPARE(types.itemType, static_cast<std::uint32_t>(rd::kI32));
        QCOMPARE(types.items.size(), std::size_t { 4096 });
        for (std::size_t i = 0; i < types.items.size(); ++i) {
            QCOMPARE(types.items[i].i, i == 4095 ? 3 : 1); // <|endoftext|> is a control token
        }
        std::vector<std::string> merges;
        std::istringstream lines(readText(kTinyGpt2 / "merges.txt"));
        for (std::string line; std::getline(lines, line);) {
            if (!line.empty() && !line.starts_with("#version")) {
                merges.push_back(line);
            }
        }
        const auto& stored = file.kv.at("tokenizer.ggml.merges");
        QCOMPARE(stored.items.size(), merges.size());
        for (std::size_t i = 0; i < merges.size(); ++i) {
            QCOMPARE(stored.items[i].s, merges[i]);
        }
    }

    // worst: raised to the largest |dequantized - source|.
    void checkValues(const rd::File& file, const rd::TensorInfo& info, const std::vector<float>& x,
        const std::vector<double>& deq, const std::string& name, double& worst)
    {
        for (std::size_t k = 0; k < x.size(); ++k) {
            worst = std::max(worst, std::fabs(x[k] - deq[k]));
            if (x[k] == 0.0f && deq[k] != 0.0) {
                QFAIL(qPrintable(QString("%1[%2]: pruned zero became %3").arg(name.c_str()).arg(k).arg(deq[k])));
            }
        }
        if (info.type == 0) {
            for (std::size_t k = 0; k < x.size(); ++k) {
                if (deq[k] != static_cast<double>(x[k])) {
                    QFAIL(qPrintable(QString("%1[%2]: F32 not exact").arg(name.c_str()).arg(k)));
                }
            }
        } else if (info.type == 1) {
            const unsigned char* p = rd::data(file, info);
            for (std::size_t k = 0; k < x.size(); ++k) {
                if (rd::u16At(p + 2 * k) != encodeFp16(x[k])) {
                    QFAIL(qPrintable(QString("%1[%2]: F16 bits differ from encodeFp16").arg(name.c_str()).arg(k)));
                }
            }
        } else {
            for (std::size_t b = 0; b < x.size() / 32; ++b) {
                const auto bounds = blockBounds(info.type, x.data() + b * 32);
                for (int j = 0; j < 32; ++j) {
                    const std::size_t k = b * 32 + j;
                    if (std::fabs(x[k] - deq[k]) > bounds[j]) {
                        QFAIL(qPrintable(QString("%1[%2]: |%3 - %4| > %5 (d = %6)")
                                             .arg(name.c_str())
                                             .arg(k)
                                             .arg(x[k])
                                             .arg(deq[k])
                                             .arg(bounds[j])
                                             .arg(rd::blockScale(file, info, b))));
                    }
                }
            }
        }
    }

    std::shared_ptr<const Model> m_base;
};

QTEST_APPLESS_MAIN(TstGguf)
#include "tst_gguf.moc"
