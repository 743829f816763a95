// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "lessons.h"

#include "accelerator_panel.h"
#include "compression_panel.h"
#include "main_window.h"
#include "tensor_inspector.h"

#include "optiscope/accelsim/stepper.h"
#include "optiscope/core/compression/compressed_model.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSpinBox>

namespace optiscope::gui {

namespace {

    const QString kNoRun = QStringLiteral("!Run some text first (Ctrl+Return): this step points at what the run shows.");

    widgets::AttentionDataPtr currentAttention(const MainWindow& window)
    {
        const auto& run = window.lastRun();
        return run && run->attention && run->attention->isValid() ? run->attention : nullptr;
    }

    // Scores every head with score(matrix, T) and returns the best.
    template <typename Score> HeadPick bestHead(const MainWindow& window, Score score)
    {
        HeadPick best;
        const auto attention = currentAttention(window);
        if (!attention || attention->tokens < 2) {
            return best;
        }
        for (int layer = 0; layer < attention->layers; ++layer) {
            for (int head = 0; head < attention->heads; ++head) {
                const double value = score(attention->matrix(layer, head), attention->tokens);
                if (best.layer < 0 || value > best.score) {
                    best = { layer, head, value };
                }
            }
        }
        return best;
    }

    QDockWidget* raiseDock(MainWindow& window, const char* objectName)
    {
        auto* dock = window.findChild<QDockWidget*>(QString::fromLatin1(objectName));
        if (dock) {
            dock->show();
            dock->raise();
        }
        return dock;
    }

    void showCurrentAttention(MainWindow& window, bool unitScale)
    {
        window.attentionSourceCombo()->setCurrentIndex(0);
        if (auto* unit = window.findChild<QCheckBox*>(QStringLiteral("unitScaleCheck"))) {
            unit->setChecked(unitScale);
        }
    }

    // Opens the picked head in the heatmap and says how much of each row it puts on `target`.
    QString showHead(MainWindow& window, const HeadPick& pick, const QString& target)
    {
        if (pick.layer < 0) {
            return kNoRun;
        }
        showCurrentAttention(window, true);
        window.selectHead(pick.layer, pick.head);
        return QObject::tr("On this input: layer %1, head %2 puts %3 % of each row on %4.")
            .arg(pick.layer)
            .arg(pick.head)
            .arg(100 * pick.score, 0, 'f', 1)
            .arg(target);
    }

    std::shared_ptr<const core::Model> baseModel(const MainWindow& window)
    {
        const auto& last = window.compressionPanel()->lastResult();
        return last && last->model ? last->model->base() : nullptr;
    }

    // The first FFN up-projection of the model: the matrix the pruning lesson shows.
    struct FfnTarget {
        QString pattern; // recipe target
        QString tensor; // the stored name of layer 0's matrix
    };
    std::optional<FfnTarget> ffnTarget(const MainWindow& window)
    {
        const auto model = baseModel(window);
        if (!model) {
            return std::nullopt;
        }
        const bool gpt2 = model->config().architecture == core::Architecture::Gpt2;
        const QString pattern = gpt2 ? QStringLiteral("*.mlp.c_fc.weight") : QStringLiteral("*.intermediate.dense.weight");
        static const QRegularExpression layer0(QStringLiteral("(^|\\.)(h|layer)\\.0\\."));
        const QString suffix = pattern.mid(1);
        for (const core::TensorInfo& info : model->tensorInfos()) {
            const QString name = QString::fromStdString(info.name);
            if (name.endsWith(suffix) && layer0.match(name).hasMatch()) {
                return FfnTarget { pattern, name };
            }
        }
        return std::nullopt;
    }

    QString applyPruning(MainWindow& window, QJsonObject step, const QString& label)
    {
        const auto target = ffnTarget(window);
        if (!target) {
            return QStringLiteral("!Open a GPT-2, BERT or ViT model first: this lesson prunes its FFN matrices.");
        }
        step.insert(QStringLiteral("type"), QStringLiteral("prune"));
        step.insert(QStringLiteral("targets"), QJsonArray { target->pattern });
        window.compressionPanel()->replaceRecipe({ step }, label);
        raiseDock(window, "tensorDock");
        window.tensorInspector()->selectTensor(target->tensor);
        return QObject::tr("Applied to %1 (undo with Ctrl+Z). Showing %2.").arg(target->pattern, target->tensor);
    }

    // The array lesson's small weight-stationary array: small enough to see every PE.
    constexpr int kLessonArray = 8;

    QString seekPhase(MainWindow& window, accelsim::PeState state, const QString& what)
    {
        AcceleratorPanel* panel = window.acceleratorPanel();
        raiseDock(window, "acceleratorDock");
        if (!panel->hasResult()) {
            return kNoRun;
        }
        panel->setPlaying(false);
        const auto found = panel->findCycle(0, state);
        if (!found) {
            return QObject::tr("!No PE is %1 in this run's first matrix products.").arg(what);
        }
        panel->seekCycle(*found);
        return QObject::tr("Cycle %1: the first cycle with a PE %2.").arg(*found).arg(what);
    }

    Lesson attentionLesson()
    {
        Lesson lesson { QObject::tr("1. How attention works on this input"), {} };
        lesson.steps.append({ QObject::tr("Queries, keys and a softmax"),
            QObject::tr("<p>Every token builds a <b>query</b> and compares it with the <b>keys</b> of the tokens it may see "
                        "(dot products, scaled by 1/\u221ad). A softmax turns each row of scores into probabilities: "
                        "the heatmap's row <i>i</i> is how token <i>i</i> splits its attention, and every row sums to 1. "
                        "GPT-2 is causal: a token never sees later tokens, so the upper triangle is empty.</p>"
                        "<p>Survey \u00a7II-A (the transformer block).</p>"),
            [](MainWindow& window) {
                if (!currentAttention(window)) {
                    return kNoRun;
                }
                showCurrentAttention(window, true);
                window.selectHead(0, 0);
                const auto attention = currentAttention(window);
                const int last = attention->tokens - 1;
                double sum = 0;
                for (int key = 0; key < attention->tokens; ++key) {
                    sum += attention->at(0, 0, last, key);
                }
                return QObject::tr("Layer 0, head 0 on %1 tokens; the last row sums to %2.")
                    .arg(attention->tokens)
                    .arg(sum, 0, 'f', 6);
            } });
        lesson.steps.append({ QObject::tr("A previous-token head"),
            QObject::tr("<p>Heads specialise. A <b>previous-token head</b> puts most of each row on the token just before "
                        "it: the bright line below the diagonal. Such heads let later layers copy what came before "
                        "(induction heads build on them).</p>"),
            [](MainWindow& window) {
                return showHead(window, previousTokenHead(window), QObject::tr("the previous token"));
            } });
        lesson.steps.append({ QObject::tr("The first token"),
            QObject::tr("<p>Some heads park attention on the first token when nothing else matters (an \u201cattention "
                        "sink\u201d): the bright first column. Token pruning must keep such tokens, and quantization "
                        "must keep their large scores.</p>"),
            [](MainWindow& window) {
                return showHead(window, firstTokenHead(window), QObject::tr("the first token"));
            } });
        lesson.steps.append({ QObject::tr("All heads at once"),
            QObject::tr("<p>The grid shows every layer (rows) and head (columns) for this input, each on its own colour "
                        "scale. Click one to open it in the heatmap. Heads that look alike are candidates for head "
                        "pruning (survey \u00a7V-C).</p>"),
            [](MainWindow& window) {
                showCurrentAttention(window, false);
                raiseDock(window, "headsDock");
                return QString();
            } });
        lesson.steps.append({ QObject::tr("In 3D"),
            QObject::tr("<p>The 3D view stands one layer's attention up as bars (query \u00d7 key, height = probability). "
                        "Drag to rotate, wheel to zoom.</p>"),
            [](MainWindow& window) {
                raiseDock(window, "barsDock");
                return QString();
            } });
        return lesson;
    }

    Lesson pruningLesson()
    {
        Lesson lesson { QObject::tr("2. Pruning patterns and hardware"), {} };
        lesson.steps.append({ QObject::tr("Unstructured: half the weights"),
            QObject::tr("<p><b>Magnitude pruning</b> zeroes the 50 % smallest |w| of each FFN matrix. The Weights dock "
                        "shows the mask: zeros are scattered everywhere. Accuracy suffers least, but a dense array still "
                        "multiplies every zero, and finding the nonzeros needs an index per weight (survey \u00a7V-A).</p>"),
            [](MainWindow& window) {
                return applyPruning(window, { { QStringLiteral("ratio"), 0.5 } }, QObject::tr("lesson: 50 % unstructured"));
            } });
        lesson.steps.append({ QObject::tr("N:M: two of every four"),
            QObject::tr("<p><b>2:4 sparsity</b> keeps the two largest of every four consecutive input weights. Every group "
                        "is outlined: each keeps exactly two. The hardware stores two values and two 2-bit indices per "
                        "group and skips the zeros at a fixed rate: NVIDIA's sparse tensor cores double throughput this "
                        "way (survey \u00a7V-B, N:M). Compare perplexity and KL with the previous step in the Compression "
                        "dock.</p>"),
            [](MainWindow& window) {
                return applyPruning(window,
                    { { QStringLiteral("pattern"), QStringLiteral("n:m") }, { QStringLiteral("n"), 2 },
                        { QStringLiteral("m"), 4 } },
                    QObject::tr("lesson: 2:4"));
            } });
        lesson.steps.append({ QObject::tr("Blocks"),
            QObject::tr("<p><b>Block pruning</b> zeroes whole 16\u00d716 tiles with the smallest L2 norm. An array skips a "
                        "zero tile entirely, with one index per tile; the price is accuracy, since good weights go with "
                        "their block (survey \u00a7V-B, HMC-Tran).</p>"),
            [](MainWindow& window) {
                return applyPruning(window,
                    { { QStringLiteral("pattern"), QStringLiteral("block") }, { QStringLiteral("ratio"), 0.5 },
                        { QStringLiteral("block"), QJsonArray { 16, 16 } } },
                    QObject::tr("lesson: 16\u00d716 blocks"));
            } });
        lesson.steps.append({ QObject::tr("What it costs on the array"),
            QObject::tr("<p>Back to 2:4, now on the accelerator: tick <b>Skip N:M zeros</b> to give the PEs Fang et "
                        "al.'s sparse weight path (only nonzero weights are loaded, with their indices) and watch the "
                        "cycles and DRAM traffic of the FFN layers drop in the table. Ctrl+Z walks back through the "
                        "recipes of this lesson.</p>"),
            [](MainWindow& window) {
                const QString result = applyPruning(window,
                    { { QStringLiteral("pattern"), QStringLiteral("n:m") }, { QStringLiteral("n"), 2 },
                        { QStringLiteral("m"), 4 } },
                    QObject::tr("lesson: 2:4 on the array"));
                raiseDock(window, "acceleratorDock");
                return result;
            } });
        return lesson;
    }

    Lesson arrayLesson()
    {
        Lesson lesson { QObject::tr("3. A weight-stationary array, cycle by cycle"), {} };
        lesson.steps.append({ QObject::tr("The array and the mapping"),
            QObject::tr("<p>An %1\u00d7%1 grid of multiply-accumulate PEs. In the <b>weight-stationary</b> dataflow a GEMM "
                        "A[M\u00d7K]\u00b7B[K\u00d7N] maps K onto the rows and N onto the columns: each PE holds one weight "
                        "while M input rows stream past. A matrix larger than the array is cut into "
                        "\u2308K/%1\u2309\u00b7\u2308N/%1\u2309 <b>folds</b>, run one after the other (SCALE-Sim's "
                        "convention; survey \u00a7IX).</p>")
                .arg(kLessonArray),
            [](MainWindow& window) {
                AcceleratorPanel* panel = window.acceleratorPanel();
                raiseDock(window, "acceleratorDock");
                const QString error = panel->setConfigJson(
                    QStringLiteral(R"({"rows": %1, "cols": %1, "dataflow": "ws", "scaleSimCompatible": true})")
                        .arg(kLessonArray)
                        .toUtf8(),
                    QObject::tr("lesson"));
                if (!error.isEmpty()) {
                    return QLatin1Char('!') + error;
                }
                if (!panel->hasResult()) {
                    return kNoRun;
                }
                panel->setPlaying(false);
                panel->seekLayer(0);
                const auto& layer = panel->result().layers.front();
                return QObject::tr("First matrix product: %1 cycles on the %2\u00d7%2 array.")
                    .arg(layer.totalCycles)
                    .arg(kLessonArray);
            } });
        lesson.steps.append({ QObject::tr("Loading the weights"),
            QObject::tr("<p>Each fold starts by shifting its weights down the columns, one row per cycle: the PEs are "
                        "<span style='color:#4c78a8'><b>loading</b></span>. This costs R cycles per fold, which is why "
                        "small matrices waste a large array.</p>"),
            [](MainWindow& window) {
                return seekPhase(window, accelsim::PeState::Loading, QObject::tr("loading"));
            } });
        lesson.steps.append({ QObject::tr("The wavefront"),
            QObject::tr("<p>Inputs enter from the left edge, skewed by one cycle per row, and partial sums flow down: the "
                        "<span style='color:#54a24b'><b>MAC</b></span> region grows as a diagonal wavefront. Press F10 to "
                        "step one cycle, Shift+F10 to step back, F5 to play.</p>"),
            [](MainWindow& window) {
                return seekPhase(window, accelsim::PeState::Mac, QObject::tr("computing"));
            } });
        lesson.steps.append({ QObject::tr("Draining"),
            QObject::tr("<p>When the last input row has entered, the wavefront leaves the array: the "
                        "<span style='color:#f58518'><b>draining</b></span> PEs pass their last sums out of the bottom "
                        "edge. Per fold: 2R + C + T \u2212 2 cycles (T = M, the streamed rows), so utilization is high "
                        "only when T is long compared with the array.</p>"),
            [](MainWindow& window) {
                return seekPhase(window, accelsim::PeState::Draining, QObject::tr("draining"));
            } });
        lesson.steps.append({ QObject::tr("The whole model"),
            QObject::tr("<p>The table lists every matrix product of this run with its cycles, utilization, memory "
                        "traffic and energy. Prune or quantize in the Compression dock and the table follows: token "
                        "pruning shortens T, N:M with <b>Skip N:M zeros</b> shortens K, lower bit widths shrink the "
                        "traffic.</p>"),
            [](MainWindow& window) {
                raiseDock(window, "acceleratorDock");
                AcceleratorPanel* panel = window.acceleratorPanel();
                if (!panel->hasResult()) {
                    return kNoRun;
                }
                return QObject::tr("%1 matrix products, %2 cycles in total.")
                    .arg(panel->result().layers.size())
                    .arg(panel->totalCycles());
            } });
        return lesson;
    }

} // namespace

HeadPick previousTokenHead(const MainWindow& window)
{
    return bestHead(window, [](const float* matrix, int tokens) {
        double sum = 0;
        for (int query = 1; query < tokens; ++query) {
            sum += matrix[query * tokens + query - 1];
        }
        return sum / (tokens - 1);
    });
}

HeadPick firstTokenHead(const MainWindow& window)
{
    return bestHead(window, [](const float* matrix, int tokens) {
        double sum = 0;
        for (int query = 1; query < tokens; ++query) { // query 0 can only see itself
            sum += matrix[query * tokens];
        }
        return sum / (tokens - 1);
    });
}

QList<Lesson> builtInLessons() { return { attentionLesson(), pruningLesson(), arrayLesson() }; }

} // namespace optiscope::gui
