// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Frame time of the two views that must stay fluid (issue 5, target 60 fps = 16.7 ms per frame): the PE grid
// at 128 x 128 stepped through the FFN up-projection of a BERT-base layer, and the sparsity view on a
// 3072 x 768 mask (2:4 pattern, every 16th row pruned) through a script of wheel zooms and drags. A frame is
// one change and a synchronous repaint of a shown widget (run under Xvfb, or -platform offscreen).
// Prints ms per frame, frames per second and the ratio 16.7 ms / measured (>= 1 meets the target).
#include "mask_pyramid.h"
#include "pe_grid_view.h"
#include "sparsity_view.h"

#include "optiscope/accelsim/stepper.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QMouseEvent>
#include <QWheelEvent>
#include <QWindow>

#include <cstdio>
#include <cstring>
#include <memory>

using namespace optiscope;

namespace {
constexpr double kTargetMs = 1000.0 / 60.0;

// Counts paint events: a frame that was not painted (a widget not yet exposed) must not count as fast.
struct PaintCounter : QObject {
    int paints = 0;
    bool eventFilter(QObject*, QEvent* event) override
    {
        paints += event->type() == QEvent::Paint;
        return false;
    }
};
PaintCounter* g_paints = nullptr;

void showExposed(QWidget& widget, QSize size)
{
    widget.resize(size);
    widget.show();
    widget.installEventFilter(g_paints);
    QElapsedTimer wait;
    wait.start();
    while ((!widget.windowHandle() || !widget.windowHandle()->isExposed()) && wait.elapsed() < 5000) {
        QApplication::processEvents(QEventLoop::AllEvents, 50);
    }
    QApplication::processEvents();
}

void report(const char* what, int frames, double elapsedMs)
{
    if (g_paints->paints < frames) {
        std::fprintf(stderr, "bench_view_frames: %s: only %d of %d frames were painted\n", what, g_paints->paints, frames);
        std::exit(1);
    }
    g_paints->paints = 0;
    const double ms = elapsedMs / frames;
    std::printf("%-44s %5d frames  %7.3f ms/frame  %8.1f fps  target/measured %6.2f  %s\n", what, frames, ms,
        1000.0 / ms, kTargetMs / ms, ms <= kTargetMs ? "meets 60 fps" : "BELOW 60 fps");
}

QStringList stateNames() { return { "Idle", "Loading", "MAC", "Draining", "Stalled" }; }
std::vector<QColor> stateColors()
{
    return { QColor(0xdd, 0xdd, 0xdd), QColor(0x4e, 0x79, 0xa7), QColor(0x59, 0xa1, 0x4f), QColor(0xf2, 0x8e, 0x2b),
        QColor(0xe1, 0x57, 0x59) };
}

void benchPeGrid(int frames, QSize size)
{
    accelsim::ArrayParams params;
    params.rows = params.cols = 128;
    params.dataflow = accelsim::Dataflow::WeightStationary;
    auto config = accelsim::ArrayConfig::create(params);
    accelsim::Workload workload;
    workload.name = "bert-base ffn.up";
    workload.layers.push_back(*accelsim::layerFromGemm("ffn.up", 128, 3072, 768, "bench"));
    auto stepper = accelsim::Stepper::create(workload, *config);
    if (!config || !stepper) {
        std::fprintf(stderr, "bench_view_frames: cannot build the 128x128 stepper\n");
        std::exit(1);
    }
    widgets::PeGridView grid;
    grid.setStateLegend(stateNames(), stateColors());
    showExposed(grid, size);
    std::vector<accelsim::PeState> states;
    auto show = [&] {
        stepper->peStates(states);
        grid.setStates(128, 128,
            std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(states.data()), states.size()));
        grid.repaint();
    };
    stepper->seek(300); // into the MAC phase: every state on screen
    show();
    g_paints->paints = 0;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < frames; ++i) {
        stepper->step();
        show();
    }
    report("PE grid 128x128 (step + states + repaint)", frames, double(timer.nsecsElapsed()) / 1e6);
    // Paint alone: the same states again (what a resize or an expose costs).
    timer.restart();
    for (int i = 0; i < frames; ++i) {
        grid.repaint();
    }
    report("PE grid 128x128 (repaint only)", frames, double(timer.nsecsElapsed()) / 1e6);
}

void benchSparsity(int frames, QSize size)
{
    constexpr int kRows = 3072, kCols = 768;
    std::vector<widgets::MaskCell> cells(std::size_t(kRows) * kCols);
    for (int r = 0; r < kRows; ++r) {
        for (int c = 0; c < kCols; ++c) {
            // 2:4 along the input (two of every four pruned), every 16th output row pruned whole.
            cells[std::size_t(r) * kCols + c] = r % 16 == 5 ? widgets::MaskCell::PrunedRow
                : ((c + r) % 4) < 2                         ? widgets::MaskCell::Pruned
                                                            : widgets::MaskCell::Kept;
        }
    }
    QElapsedTimer timer;
    timer.start();
    auto pyramid = std::make_shared<const widgets::MaskPyramid>(kRows, kCols, cells);
    std::printf("sparsity 3072x768: pyramid built in %.1f ms\n", double(timer.nsecsElapsed()) / 1e6);
    widgets::SparsityView view;
    showExposed(view, size);
    view.setMask(pyramid, "ffn.up mask (2:4, rows pruned)", widgets::MaskPattern { 4, 0, 0 });
    QApplication::processEvents();
    g_paints->paints = 0;
    const QPointF centre = view.matrixRect().center();
    timer.restart();
    for (int i = 0; i < frames; ++i) {
        const int phase = i % 40;
        if (phase < 12 || (phase >= 28)) {
            // Wheel: 12 steps in at a moving anchor, later 12 out.
            const QPointF at = centre + QPointF((i % 7) * 9 - 27, (i % 5) * 11 - 22);
            QWheelEvent wheel(at, view.mapToGlobal(at), {}, QPoint(0, phase < 12 ? 120 : -120), Qt::NoButton,
                Qt::NoModifier, Qt::NoScrollPhase, false);
            QApplication::sendEvent(&view, &wheel);
        } else {
            // Drag: press at the centre on the first pan frame, then move 6 px a frame.
            const QPointF at = centre + QPointF((phase - 12) * 6.0, (phase - 12) * 3.0);
            const auto type = phase == 12 ? QEvent::MouseButtonPress
                : phase == 27             ? QEvent::MouseButtonRelease
                                          : QEvent::MouseMove;
            QMouseEvent mouse(type, at, view.mapToGlobal(at), Qt::LeftButton,
                type == QEvent::MouseButtonRelease ? Qt::NoButton : Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(&view, &mouse);
        }
        view.repaint();
    }
    report("sparsity 3072x768 (wheel zoom / drag + repaint)", frames, double(timer.nsecsElapsed()) / 1e6);
    timer.restart();
    view.fitToView();
    for (int i = 0; i < frames; ++i) {
        view.repaint();
    }
    report("sparsity 3072x768 (whole mask, repaint only)", frames, double(timer.nsecsElapsed()) / 1e6);
}
} // namespace

int main(int argc, char** argv)
{
    int frames = 600;
    QSize size(1000, 800);
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--frames") == 0 && i + 1 < argc) {
            frames = std::max(1, std::atoi(argv[++i]));
        } else if (std::strcmp(argv[i], "--size") == 0 && i + 2 < argc) {
            size = QSize(std::atoi(argv[i + 1]), std::atoi(argv[i + 2]));
            i += 2;
        }
    }
    QApplication app(argc, argv);
    PaintCounter paints;
    g_paints = &paints;
    std::printf("Qt platform %s, views %dx%d px, %d frames each\n", qPrintable(QApplication::platformName()),
        size.width(), size.height(), frames);
    benchPeGrid(frames, size);
    benchSparsity(frames, size);
    return 0;
}
