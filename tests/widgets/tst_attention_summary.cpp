// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Head entropy and attention rollout against a PyTorch computation of the same 2-layer, 2-head,
// 3-token example (values below; the script is in the comment), and the head view's lines.
//   A = torch.tensor(<the matrices below>, dtype=torch.float64)
//   entropy[l][h] = mean_q -sum_k A[l,h,q,k] * log2 A[l,h,q,k]  (zeros skipped)
//   R = I; for l: M = 0.5*A[l].mean(0) + 0.5*I; M /= M.sum(1, keepdim=True); R = M @ R
#include "attention_lines_view.h"
#include "attention_summary.h"
#include "head_value_grid_view.h"

#include <QDir>
#include <QSignalSpy>
#include <QTest>

#include <array>
#include <cmath>

using namespace optiscope::widgets;

namespace {
// float inputs, double reference: the float rounding of 1/3, 0.1, ... bounds the agreement.
constexpr double kTolerance = 1e-6;

AttentionDataPtr example()
{
    auto data = std::make_shared<AttentionData>();
    data->layers = 2;
    data->heads = 2;
    data->tokens = 3;
    const float third = 1.0f / 3.0f;
    data->values = {
        1, 0, 0, 0.5f, 0.5f, 0, 0.25f, 0.25f, 0.5f, // L0 H0
        1, 0, 0, 0.9f, 0.1f, 0, 0.1f, 0.2f, 0.7f, // L0 H1
        1, 0, 0, 0, 1, 0, third, third, third, // L1 H0
        1, 0, 0, 0.2f, 0.8f, 0, 0.6f, 0.3f, 0.1f, // L1 H1
    };
    data->tokenLabels = { QStringLiteral("The"), QStringLiteral(" whale"), QStringLiteral(" swam") };
    return data;
}

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}
} // namespace

class TestAttentionSummary : public QObject {
    Q_OBJECT

private slots:
    void entropyMatchesTorch()
    {
        const auto entropy = headEntropies(*example());
        const std::array<double, 4> expected { 0.8333333333, 0.5419250810, 0.5283208336, 0.6724633130 };
        QCOMPARE(entropy.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            QVERIFY2(std::abs(entropy[i] - expected[i]) < kTolerance, qPrintable(QString::number(entropy[i], 'f', 9)));
        }
        // Causal rows: a uniform head would have (log2 1 + log2 2 + log2 3) / 3 bits.
        QVERIFY(std::abs(maximumMeanEntropy(*example()) - 0.861654166907052) < kTolerance);
    }

    void prunedRowsAreSkipped()
    {
        auto data = std::make_shared<AttentionData>(*example());
        // A row token pruning removed is all zero; the mean runs over the rows the layer computed.
        std::fill_n(data->values.begin() + 3, 3, 0.0f); // L0 H0 row 1
        const auto entropy = headEntropies(*data);
        QVERIFY(std::abs(entropy[0] - 0.75) < kTolerance); // (0 + 1.5) / 2
    }

    void rolloutMatchesTorch()
    {
        const auto rollout = attentionRollout(*example());
        QVERIFY(rollout);
        QCOMPARE(rollout->layers, 2);
        QCOMPARE(rollout->heads, 1);
        const std::array<double, 9> layer0 { 1, 0, 0, 0.35, 0.65, 0, 0.0875, 0.1125, 0.8 };
        const std::array<double, 9> layer1 { 1, 0, 0, 0.3825, 0.6175, 0, 0.3419791667, 0.1713541667, 0.4866666667 };
        for (int i = 0; i < 9; ++i) {
            QVERIFY2(std::abs(rollout->matrix(0, 0)[i] - layer0[i]) < kTolerance, qPrintable(QString::number(i)));
            QVERIFY2(std::abs(rollout->matrix(1, 0)[i] - layer1[i]) < kTolerance, qPrintable(QString::number(i)));
        }
        // Rows stay distributions.
        for (int q = 0; q < 3; ++q) {
            double sum = 0;
            for (int k = 0; k < 3; ++k) {
                sum += rollout->at(1, 0, q, k);
            }
            QVERIFY(std::abs(sum - 1.0) < kTolerance);
        }
    }

    void differencesAreNotSummarised()
    {
        auto data = std::make_shared<AttentionData>(*example());
        data->signedValues = true;
        QVERIFY(headEntropies(*data).empty());
        QVERIFY(!attentionRollout(*data));
    }

    void linesFollowTheMatrix()
    {
        AttentionLinesView view;
        view.resize(520, 360);
        view.setData(example());
        view.setSelection(0, 1);
        QImage image(view.size(), QImage::Format_ARGB32);
        view.render(&image);
        // L0 H1 has 6 nonzero entries, the largest 1.0; 0.1 is 10 % of it, above the 2 % floor.
        QCOMPARE(view.drawnLineCount(), 6);
        view.setFocusToken(2, true); // only query 2's three keys
        view.render(&image);
        QCOMPARE(view.drawnLineCount(), 3);
        view.setFocusToken(0, false); // every query looks at key 0
        view.render(&image);
        QCOMPARE(view.drawnLineCount(), 3);
        view.setFocusToken(-1, true);
        view.setAllHeads(true); // L0: 6 + 6
        view.render(&image);
        QCOMPARE(view.drawnLineCount(), 12);
        // A line runs from the query's anchor to the key's: query 2 → key 2 of head 1 (p = 0.7) is coloured.
        const QPointF middle = (view.queryAnchor(2) + view.keyAnchor(2)) / 2;
        const QRgb pixel = image.pixel(middle.toPoint());
        QVERIFY2(qRed(pixel) != qGreen(pixel) || qGreen(pixel) != qBlue(pixel), "no coloured line at the midpoint");
        QVERIFY(image.save(outputPath(QStringLiteral("attention_head_view.png"))));
    }

    void entropyGridSelectsHeads()
    {
        HeadValueGridView view;
        view.resize(420, 320);
        view.setValues(2, 2, headEntropies(*example()), maximumMeanEntropy(*example()), QStringLiteral("bits"));
        view.setTitle(QStringLiteral("Mean attention entropy per head"));
        QSignalSpy spy(&view, &HeadValueGridView::headSelected);
        QTest::mouseClick(&view, Qt::LeftButton, {}, view.cellRect(1, 0).center().toPoint());
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toInt(), 1);
        QCOMPARE(spy.at(0).at(1).toInt(), 0);
        QVERIFY(std::abs(view.value(1, 1) - 0.6724633130) < kTolerance);
        QImage image(view.size(), QImage::Format_ARGB32);
        view.render(&image);
        QVERIFY(image.save(outputPath(QStringLiteral("attention_entropy_grid.png"))));
    }
};

QTEST_MAIN(TestAttentionSummary)
#include "tst_attention_summary.moc"
