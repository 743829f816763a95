// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The main window's docks beyond the attention views (createDocks in main_window.cpp): compression,
// attention summaries, accelerator, weights, sensitivity and lessons, and how they are wired to the window.
#include "main_window.h"

#include "accelerator_panel.h"
#include "attention_summary_panel.h"
#include "compression_panel.h"
#include "lesson_panel.h"
#include "metrics_table.h"
#include "runner.h"
#include "sensitivity_panel.h"
#include "tensor_inspector.h"

#include <QDockWidget>

#include <limits>

namespace optiscope::gui {

void MainWindow::createCompressionDock()
{
    auto* dock = new QDockWidget(tr("Compression"), this);
    dock->setObjectName(QStringLiteral("compressionDock"));
    m_compression = new CompressionPanel(dock);
    m_compression->setTokenSource([this] { return currentTokens(); });
    dock->setWidget(m_compression);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    // Sharing the right column with the 3D view leaves neither enough height: tabs instead.
    if (auto* bars = findChild<QDockWidget*>(QStringLiteral("barsDock"))) {
        tabifyDockWidget(bars, dock);
        dock->raise();
    }
    connect(m_compression, &CompressionPanel::errorOccurred, this, &MainWindow::showError);
    // The attention views follow the compressed model: re-run the shown input on it.
    connect(m_compression, &CompressionPanel::compressedModelReady, this,
        [this](const std::shared_ptr<const core::Model>& model) {
            m_runner->setRunModel(model);
            // Re-run what is shown, or what is being run: a run started before this model was
            // ready (a session restoring, a first run) would otherwise show the previous model.
            // Not while a model loads: the run would supersede the load (a compressed model of
            // the previous model finishing after File \u25b8 Open Sample).
            if (!m_runner->isLoading() && (m_lastRun || m_runner->isBusy())) {
                runCurrentInput();
            }
        });
}

// Tabbed with the layers × heads grid: both answer "which head does what".
void MainWindow::createAttentionSummaryDock()
{
    auto* dock = new QDockWidget(tr("Attention summaries"), this);
    dock->setObjectName(QStringLiteral("summaryDock"));
    m_summaries = new AttentionSummaryPanel(dock);
    dock->setWidget(m_summaries);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    if (auto* heads = findChild<QDockWidget*>(QStringLiteral("headsDock"))) {
        tabifyDockWidget(heads, dock);
        heads->raise();
    }
    connect(m_summaries, &AttentionSummaryPanel::headSelected, this, &MainWindow::selectHead);
}

void MainWindow::createAcceleratorDock()
{
    auto* dock = new QDockWidget(tr("Accelerator"), this);
    dock->setObjectName(QStringLiteral("acceleratorDock"));
    m_accelerator = new AcceleratorPanel(dock);
    dock->setWidget(m_accelerator);
    // The metrics' simulated rows: this run on the dock's array, and the uncompressed model's run with it.
    connect(m_accelerator, &AcceleratorPanel::simulated, this, [this] {
        constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
        const auto base = m_accelerator->baselineTotals();
        const auto now = m_accelerator->currentTotals();
        m_compression->metricsTable()->setSimulated(base ? double(base->cycles) : kUnknown,
            now ? double(now->cycles) : kUnknown, base ? base->energyPj : kUnknown, now ? now->energyPj : kUnknown,
            tr("The last run's matrix products on the Accelerator dock's array"));
    });
    addDockWidget(Qt::RightDockWidgetArea, dock);
    if (auto* bars = findChild<QDockWidget*>(QStringLiteral("barsDock"))) {
        tabifyDockWidget(bars, dock);
    }
}

void MainWindow::createTensorDock()
{
    auto* dock = new QDockWidget(tr("Weights"), this);
    dock->setObjectName(QStringLiteral("tensorDock"));
    m_tensors = new TensorInspector(dock);
    dock->setWidget(m_tensors);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    if (auto* bars = findChild<QDockWidget*>(QStringLiteral("barsDock"))) {
        tabifyDockWidget(bars, dock);
    }
    connect(m_compression, &CompressionPanel::compressedModelReady, m_tensors, &TensorInspector::setModel);
}

void MainWindow::createSensitivityDock()
{
    auto* dock = new QDockWidget(tr("Sensitivity"), this);
    dock->setObjectName(QStringLiteral("sensitivityDock"));
    m_sensitivity = new SensitivityPanel(m_compression, dock);
    dock->setWidget(m_sensitivity);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    if (auto* bars = findChild<QDockWidget*>(QStringLiteral("barsDock"))) {
        tabifyDockWidget(bars, dock);
    }
    connect(m_sensitivity, &SensitivityPanel::errorOccurred, this, &MainWindow::showError);
}

void MainWindow::createLessonDock()
{
    // Its own dock on the left, below the input: the lessons raise the right-hand docks and must
    // stay visible while they do. Hidden until Help ▸ Lessons.
    auto* dock = new QDockWidget(tr("Lessons"), this);
    dock->setObjectName(QStringLiteral("lessonDock"));
    m_lessons = new LessonPanel(this, dock);
    dock->setWidget(m_lessons);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    dock->hide();
}

} // namespace optiscope::gui
