// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Our GGUF export parsed by Hugging Face's @huggingface/gguf (npm, through scripts/gguf_reference.js)
// and by our independent test reader: same header, metadata (types and values) and tensor infos.
// Skipped when node or the package (scripts/fetch_gguf_js.sh) is missing.
#include "gguf_test_reader.h"

#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/export/gguf.h"
#include "optiscope/core/model.h"

#include <QTest>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <sys/wait.h>

using namespace optiscope::core;
namespace fs = std::filesystem;
namespace rd = optiscope::test::gguf;

namespace {

const fs::path kSamples = OPTISCOPE_SAMPLES_DIR;
const fs::path kOutput = fs::path(OPTISCOPE_TEST_OUTPUT_DIR) / "gguf";

std::shared_ptr<const CompressedModel> compress(const fs::path& recipePath)
{
    auto base = loadModel(kSamples / "tiny-gpt2");
    auto recipe = loadRecipe(recipePath);
    if (!base || !recipe) {
        qFatal("cannot load tiny-gpt2 or %s", recipePath.c_str());
    }
    auto model = applyRecipe(*base, *recipe);
    if (!model) {
        qFatal("%s", model.error().message.c_str());
    }
    return *model;
}

std::string runCommand(const std::string& command, int& status)
{
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        status = -1;
        return output;
    }
    std::array<char, 65536> chunk {};
    while (std::size_t n = std::fread(chunk.data(), 1, chunk.size(), pipe)) {
        output.append(chunk.data(), n);
    }
    status = pclose(pipe);
    return output;
}

} // namespace

class TstGgufReference : public QObject {
    Q_OBJECT

private slots:
    // Hugging Face's parser reads the same header, metadata and tensor infos as our reader.
    void matchesHuggingFaceGgufJs()
    {
        const fs::path script = kSamples.parent_path() / "scripts" / "gguf_reference.js";
        int status = 0;
        runCommand("node --version > /dev/null 2>&1", status);
        if (status != 0) {
            QSKIP("node not found");
        }
        const auto model = compress(kSamples / "recipes" / "nm24_int8.json");
        GgufOptions options;
        options.weightType = GgufTensorType::Q4_0;
        options.overwrite = true;
        const fs::path out = kOutput / "reference_js_q4_0.gguf";
        QVERIFY(writeGguf(*model, out, options).has_value());
        const std::string text
            = runCommand("node '" + script.string() + "' '" + out.string() + "' 2>/dev/null", status);
        if (status != 0 && WEXITSTATUS(status) == 2) {
            QSKIP("@huggingface/gguf not in third_party_cache/gguf_js (run scripts/fetch_gguf_js.sh)");
        }
        QCOMPARE(status, 0);
        const auto js = nlohmann::json::parse(text);
        const rd::File file = rd::read(out);
        QCOMPARE(js["version"].get<std::uint32_t>(), file.version);
        QCOMPARE(js["tensor_count"].get<std::size_t>(), file.tensors.size());
        QCOMPARE(js["kv_count"].get<std::size_t>(), file.kv.size());
        QVERIFY(js["littleEndian"].get<bool>());
        QCOMPARE(js["tensorDataOffset"].get<std::uint64_t>(), file.dataStart);
        const auto& metadata = js["metadata"];
        QCOMPARE(metadata.size(), file.kv.size());
        for (const auto& [key, value] : file.kv) {
            QVERIFY2(metadata.contains(key), key.c_str());
            const auto& entry = metadata[key];
            QCOMPARE(entry["type"].get<std::uint32_t>(), value.type);
            compareValue(key, entry["value"], value);
            if (QTest::currentTestFailed()) {
                return;
            }
        }
        const auto& tensors = js["tensors"];
        QCOMPARE(tensors.size(), file.tensors.size());
        for (std::size_t i = 0; i < file.tensors.size(); ++i) {
            QCOMPARE(tensors[i]["name"].get<std::string>(), file.tensors[i].name);
            QCOMPARE(tensors[i]["shape"].get<std::vector<std::uint64_t>>(), file.tensors[i].dims);
            QCOMPARE(tensors[i]["dtype"].get<std::uint32_t>(), file.tensors[i].type);
            QCOMPARE(tensors[i]["offset"].get<std::uint64_t>(), file.tensors[i].offset);
        }
    }

private:
    static void compareValue(const std::string& key, const nlohmann::json& js, const rd::Value& value)
    {
        switch (value.type) {
        case rd::kString:
            QCOMPARE(js.get<std::string>(), value.s);
            break;
        case rd::kU32:
        case rd::kU64:
            QCOMPARE(js.get<std::uint64_t>(), value.u);
            break;
        case rd::kI32:
            QCOMPARE(js.get<std::int64_t>(), value.i);
            break;
        case rd::kF32:
            QCOMPARE(js.get<double>(), value.f);
            break;
        case rd::kArray:
            QVERIFY2(js.is_array() && js.size() == value.items.size(), key.c_str());
            for (std::size_t i = 0; i < value.items.size(); ++i) {
                compareValue(key, js[i], value.items[i]);
                if (QTest::currentTestFailed()) {
                    return;
                }
            }
            break;
        default:
            QFAIL(qPrintable(QString("%1: unexpected type %2").arg(key.c_str()).arg(value.type)));
        }
    }
};

QTEST_APPLESS_MAIN(TstGgufReference)
#include "tst_gguf_reference.moc"
