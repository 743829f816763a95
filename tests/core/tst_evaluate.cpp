// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// core::evaluate's pieces: the held-out split counts code points like Python's str (the training
// script's split_text), IDX files read the same gzipped or plain, perplexity windows predict every
// token but the first exactly once with the right NLL (checked against an independent loop over
// core::run), and cancelling stops with ErrorCode::Cancelled.
#include "optiscope/core/evaluate.h"
#include "optiscope/core/inference.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace optiscope::core;

namespace {
// Same float32 logits summed in a different order (per window vs per token).
constexpr double kNllTolerance = 1e-9;
const std::filesystem::path kGpt2 = OPTISCOPE_SAMPLES_DIR "/tiny-gpt2";

bool writeBytes(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

QByteArray idx(std::initializer_list<int> header, const QByteArray& data)
{
    QByteArray out;
    for (int byte : header) {
        out.append(char(byte));
    }
    return out + data;
}
} // namespace

class TestEvaluate : public QObject {
    Q_OBJECT

private slots:
    void heldOutPartCountsCodePoints()
    {
        // 15 code points, 20 bytes. Python: cut = int(15 * 0.9) = 13, no "\n\n" at or after 13 -> "yz".
        // Counting bytes instead would cut at 18.
        const std::string text = "\u03b1\u03b2\u03b3\u03b4\u03b5\n\nabc\n\nxyz";
        QCOMPARE(heldOutPart(text), std::string("yz"));
        // cut = int(15 * 0.5) = 7, next "\n\n" at 10 -> "xyz".
        QCOMPARE(heldOutPart(text, 0.5), std::string("xyz"));
        // cut = int(15 * 0.7) = 10, exactly at a break -> after it.
        QCOMPARE(heldOutPart(text, 0.3), std::string("xyz"));
    }

    void idxReadsGzipAndPlainAlike()
    {
        QTemporaryDir dir;
        const QByteArray images = idx({ 0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3 }, QByteArray("abcdefghijkl"));
        const QByteArray labels = idx({ 0, 0, 8, 1, 0, 0, 0, 2 }, QByteArray("\x07\x01", 2));
        QVERIFY(writeBytes(dir.filePath("i"), images));
        QVERIFY(writeBytes(dir.filePath("l"), labels));
        QVERIFY(QProcess::execute("gzip", { "-k", dir.filePath("i"), dir.filePath("l") }) == 0);
        auto plain = loadIdxImages(dir.filePath("i").toStdString(), dir.filePath("l").toStdString());
        auto gz = loadIdxImages(dir.filePath("i.gz").toStdString(), dir.filePath("l.gz").toStdString());
        QVERIFY2(plain, plain ? "" : plain.error().message.c_str());
        QVERIFY2(gz, gz ? "" : gz.error().message.c_str());
        QCOMPARE(plain->width, 3);
        QCOMPARE(plain->height, 2);
        QCOMPARE(plain->count(), std::size_t(2));
        QCOMPARE(plain->labels, (std::vector<std::uint8_t> { 7, 1 }));
        QCOMPARE(gz->pixels, plain->pixels);
        QCOMPARE(gz->labels, plain->labels);
        // Wrong magic: an image file given as labels.
        auto swapped = loadIdxImages(dir.filePath("i").toStdString(), dir.filePath("i").toStdString());
        QVERIFY(!swapped);
        QVERIFY2(swapped.error().message.starts_with("i: magic"), swapped.error().message.c_str());
    }

    void perplexityWindowsMatchAnIndependentLoop()
    {
        auto model = loadModel(kGpt2);
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        // 300 tokens: windows [0,129), [128,257), [256,300) -> 128 + 128 + 43 = 299 predictions.
        std::vector<std::int32_t> tokens(300);
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            tokens[i] = static_cast<std::int32_t>((i * 37 + 11) % 4000);
        }
        EvalData data;
        data.name = "synthetic";
        data.tokens = tokens;
        auto result = evaluate(**model, nullptr, data);
        QVERIFY2(result, result ? "" : result.error().message.c_str());
        QCOMPARE(result->samples, 299);
        QCOMPARE(result->windows, 3);
        // Reference: every prediction recomputed from its own window's logits, in double.
        double total = 0;
        for (std::size_t start = 0; start + 1 < tokens.size(); start += 128) {
            const std::size_t length = std::min<std::size_t>(128, tokens.size() - 1 - start);
            auto input = idsInput(**model, std::vector<std::int32_t>(tokens.begin() + start, tokens.begin() + start + length));
            auto out = run(**model, *input);
            QVERIFY(out);
            for (std::size_t i = 0; i < length; ++i) {
                const float* row = out->logits.data() + i * out->logitCols;
                double max = row[0], sum = 0;
                for (int c = 0; c < out->logitCols; ++c) {
                    max = std::max(max, double(row[c]));
                }
                for (int c = 0; c < out->logitCols; ++c) {
                    sum += std::exp(row[c] - max);
                }
                total -= row[tokens[start + i + 1]] - max - std::log(sum);
            }
        }
        QVERIFY(std::abs(result->model.meanNll - total / 299) < kNllTolerance);
        QCOMPARE(result->model.value, std::exp(result->model.meanNll));
        // Against itself as the baseline: no divergence, full agreement.
        auto self = evaluate(**model, model->get(), data);
        QVERIFY(self);
        QCOMPARE(*self->klMean, 0.0);
        QCOMPARE(*self->top1Agreement, 1.0);
        QCOMPARE(self->baseline->value, result->model.value);
    }

    void cancelStops()
    {
        auto model = loadModel(kGpt2);
        QVERIFY(model);
        EvalData data;
        data.name = "synthetic";
        data.tokens.assign(2000, 5);
        CancelToken cancel;
        cancel.cancel();
        auto result = evaluate(**model, nullptr, data, {}, {}, &cancel);
        QVERIFY(!result);
        QCOMPARE(result.error().code, ErrorCode::Cancelled);
    }
};

QTEST_GUILESS_MAIN(TestEvaluate)
#include "tst_evaluate.moc"
