// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "main_window.h"

#include "accelerator_panel.h"
#include "attention_summary_panel.h"
#include "attention_bars_view.h"
#include "attention_heatmap_view.h"
#include "attention_volume_view.h"
#include "compression_panel.h"
#include "head_grid_view.h"
#include "input_panel.h"
#include "model_export.h"
#include "model_stats.h"
#include "recent_folders.h"
#include "report_export.h"
#include "runner.h"
#include "session.h"
#include "sweep_panel.h"
#include "tensor_inspector.h"
#include "theme.h"
#include "view_export.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QPlainTextEdit>
#include <QSettings>

#include <utility>
#include <QSpinBox>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QVBoxLayout>

// Resources of a static library are registered by hand, outside any namespace.
static void initResources()
{
    Q_INIT_RESOURCE(optiscope);
}

namespace optiscope::gui {
namespace {
    constexpr int kAutosaveMs = 3 * 60 * 1000; // recovery file every three minutes
    constexpr int kStateVersion = 6; // 2: Compression dock tabbed with the 3D view; 3: Accelerator dock; 4: Weights dock;
                                     // 5: Sensitivity, Lessons and Sweep docks; 6: Attention summaries, Evaluation, USE Lite

    QString droppedFolder(const QMimeData* mime)
    {
        if (!mime || !mime->hasUrls() || mime->urls().isEmpty()) {
            return {};
        }
        const QString path = mime->urls().first().toLocalFile();
        return QFileInfo(path).isDir() ? path : QString();
    }
}

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_runner(new Runner(this))
{
    initResources();
    setWindowTitle(QStringLiteral("Optiscope"));
    setWindowIcon(QIcon(QStringLiteral(":/optiscope/optiscope.svg")));
    setAcceptDrops(true);
    setDockOptions(AnimatedDocks | AllowTabbedDocks | AllowNestedDocks);

    m_heatmap = new widgets::AttentionHeatmapView(this);
    widgets::installViewExport(m_heatmap, QStringLiteral("attention-heatmap"));
    setCentralWidget(m_heatmap);
    createDocks();
    createAttentionSummaryDock();
    createCompressionDock();
    createAcceleratorDock();
    createTensorDock();
    createSensitivityDock();
    createLessonDock();
    if (auto* compressionDock = findChild<QDockWidget*>(QStringLiteral("compressionDock"))) {
        compressionDock->raise(); // the tab a first start shows; restoreState() may pick another
    }
    createMenus();
    createStatusBar();

    connect(m_runner, &Runner::busyChanged, this, &MainWindow::onBusyChanged);
    connect(m_runner, &Runner::progressChanged, this, [this](double fraction) {
        if (fraction < 0) {
            m_progress->setRange(0, 0);
        } else {
            m_progress->setRange(0, 1000);
            m_progress->setValue(static_cast<int>(fraction * 1000));
        }
    });
    connect(m_runner, &Runner::modelLoaded, this, &MainWindow::onModelLoaded);
    connect(m_runner, &Runner::runFinished, this, &MainWindow::onRunFinished);
    connect(m_runner, &Runner::failed, this, &MainWindow::showError);
    connect(m_runner, &Runner::cancelled, this, [this] { statusBar()->showMessage(tr("Cancelled."), 4000); });
    connect(m_input, &InputPanel::runRequested, this, &MainWindow::runRequestedByUser);

    m_autosave = new QTimer(this);
    m_autosave->setInterval(kAutosaveMs);
    connect(m_autosave, &QTimer::timeout, this, &MainWindow::writeRecoveryFile);
    m_autosave->start();

    resize(1400, 900);
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray());
    if (!restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray(), kStateVersion)) {
        resizeDocks({ findChild<QDockWidget*>(QStringLiteral("inputDock")),
                        findChild<QDockWidget*>(QStringLiteral("barsDock")) },
            { 350, 440 }, Qt::Horizontal);
        resizeDocks({ findChild<QDockWidget*>(QStringLiteral("inputDock")),
                        findChild<QDockWidget*>(QStringLiteral("headsDock")) },
            { 300, 560 }, Qt::Vertical);
    }
}

MainWindow::~MainWindow() = default;

void MainWindow::createDocks()
{
    auto* inputDock = new QDockWidget(tr("Input"), this);
    inputDock->setObjectName(QStringLiteral("inputDock"));
    m_input = new InputPanel(inputDock);
    inputDock->setWidget(m_input);
    addDockWidget(Qt::LeftDockWidgetArea, inputDock);

    auto* headsDock = new QDockWidget(tr("Layers and heads"), this);
    headsDock->setObjectName(QStringLiteral("headsDock"));
    auto* headsPanel = new QWidget(headsDock);
    auto* headsLayout = new QVBoxLayout(headsPanel);
    auto* selectors = new QHBoxLayout;
    m_layerSpin = new QSpinBox(headsPanel);
    m_layerSpin->setPrefix(tr("Layer "));
    m_headSpin = new QSpinBox(headsPanel);
    m_headSpin->setPrefix(tr("Head "));
    m_layerSpin->setRange(0, 0);
    m_headSpin->setRange(0, 0);
    selectors->addWidget(m_layerSpin);
    selectors->addWidget(m_headSpin);
    m_unitScale = new QCheckBox(tr("Colour scale 0\u20131"), headsPanel);
    m_unitScale->setObjectName(QStringLiteral("unitScaleCheck"));
    m_unitScale->setToolTip(tr("Off: each map is scaled to its own maximum."));
    selectors->addWidget(m_unitScale);
    selectors->addStretch(1);
    headsLayout->addLayout(selectors);
    m_attentionSource = new QComboBox(headsPanel);
    m_attentionSource->addItem(tr("Current model"));
    m_attentionSource->addItem(tr("Baseline (uncompressed)"));
    m_attentionSource->addItem(tr("Difference: current \u2212 baseline"));
    m_attentionSource->setToolTip(tr("With a recipe applied, compare the compressed model's attention with the "
                                     "uncompressed model's on the same input"));
    headsLayout->addWidget(m_attentionSource);
    m_grid = new widgets::HeadGridView(headsPanel);
    widgets::installViewExport(m_grid, QStringLiteral("attention-heads"));
    headsLayout->addWidget(m_grid, 1);
    headsDock->setWidget(headsPanel);
    addDockWidget(Qt::LeftDockWidgetArea, headsDock);
    splitDockWidget(inputDock, headsDock, Qt::Vertical);

    auto* barsDock = new QDockWidget(tr("3D attention"), this);
    barsDock->setObjectName(QStringLiteral("barsDock"));
    auto* barsPanel = new QWidget(barsDock);
    auto* barsLayout = new QVBoxLayout(barsPanel);
    barsLayout->setContentsMargins(0, 0, 0, 0);
    m_barsMode = new QComboBox(barsPanel);
    m_barsMode->addItem(tr("All heads of the layer"));
    m_barsMode->addItem(tr("Selected head only"));
    m_barsMode->addItem(tr("Volume: heads of the layer (head \u00d7 query \u00d7 key)"));
    m_barsMode->addItem(tr("Volume: layers of the head (layer \u00d7 query \u00d7 key)"));
    barsLayout->addWidget(m_barsMode);
    m_bars = new widgets::AttentionBarsView(barsPanel);
    widgets::installViewExport(m_bars, QStringLiteral("attention-3d"), widgets::ExportFormats::PngOnly,
        [view = m_bars] { return view->grabImage(); });
    barsLayout->addWidget(m_bars, 1);
    m_volume = new widgets::AttentionVolumeView(barsPanel);
    widgets::installViewExport(m_volume, QStringLiteral("attention-volume"), widgets::ExportFormats::PngOnly,
        [view = m_volume] { return view->grabImage(); });
    barsLayout->addWidget(m_volume, 1);
    m_volume->hide();
    barsDock->setWidget(barsPanel);
    addDockWidget(Qt::RightDockWidgetArea, barsDock);

    auto onSpin = [this] { selectHead(m_layerSpin->value(), m_headSpin->value()); };
    connect(m_layerSpin, &QSpinBox::valueChanged, this, onSpin);
    connect(m_headSpin, &QSpinBox::valueChanged, this, onSpin);
    connect(m_grid, &widgets::HeadGridView::headSelected, this, &MainWindow::selectHead);
    connect(m_attentionSource, &QComboBox::currentIndexChanged, this, &MainWindow::showAttention);
    connect(m_unitScale, &QCheckBox::toggled, this, [this](bool unit) {
        m_heatmap->setScaleMode(unit ? widgets::AttentionHeatmapView::ScaleMode::UnitInterval
                                     : widgets::AttentionHeatmapView::ScaleMode::HeadMaximum);
    });
    connect(m_barsMode, &QComboBox::currentIndexChanged, this, [this](int index) {
        const bool volume = index >= 2; // 0, 1: bar fields; 2, 3: stacked slices
        m_bars->setVisible(!volume);
        m_volume->setVisible(volume);
        if (volume) {
            m_volume->setStack(index == 2 ? widgets::AttentionStack::HeadsOfLayer : widgets::AttentionStack::LayersOfHead);
        } else {
            m_bars->setMode(index == 0 ? widgets::AttentionBarsView::Mode::AllHeadsOfLayer
                                       : widgets::AttentionBarsView::Mode::SelectedHead);
        }
    });
}

void MainWindow::showLessons()
{
    auto* lessons = findChild<QDockWidget*>(QStringLiteral("lessonDock"));
    auto* input = findChild<QDockWidget*>(QStringLiteral("inputDock"));
    lessons->show();
    lessons->raise();
    // The explanation needs room: take it from the input box, which needs a few lines only.
    if (input && dockWidgetArea(input) == dockWidgetArea(lessons)) {
        resizeDocks({ input, lessons }, { 160, 420 }, Qt::Vertical);
    }
}

void MainWindow::exportSimulationReports()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Export Simulation Reports Into"));
    if (folder.isEmpty()) {
        return;
    }
    if (const QString error = m_accelerator->writeReports(folder); !error.isEmpty()) {
        showError(error);
        return;
    }
    statusBar()->showMessage(tr("Wrote COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv and "
                                "summary.json into %1")
                                 .arg(folder),
        6000);
}

std::vector<std::int32_t> MainWindow::currentTokens() const
{
    const auto& loaded = m_runner->model();
    auto request = m_input->request();
    if (!loaded || !request) {
        return {};
    }
    if (request->kind == RunRequest::Kind::TokenIds) {
        return request->tokenIds;
    }
    if (request->kind == RunRequest::Kind::Text) {
        auto input = core::textInput(*loaded->model, request->text.toStdString());
        return input ? input->tokenIds : std::vector<std::int32_t> {};
    }
    return {};
}

void MainWindow::createStatusBar()
{
    m_modelLabel = new QLabel(tr("No model"), this);
    m_runLabel = new QLabel(this);
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(180);
    m_progress->setTextVisible(false);
    m_progress->hide();
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, m_runner, &Runner::cancel);
    statusBar()->addPermanentWidget(m_modelLabel);
    statusBar()->addPermanentWidget(m_runLabel);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    QSettings settings;
    const QStringList folders = recentFolders(settings);
    for (const QString& folder : folders) {
        m_recentMenu->addAction(folder, this, [this, folder] { openModelFolder(folder); });
    }
    if (folders.isEmpty()) {
        m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
        return;
    }
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("Clear List"), this, [] {
        QSettings s;
        clearRecentFolders(s);
    });
}

void MainWindow::chooseModelFolder()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Open a Hugging Face model folder"));
    if (!folder.isEmpty()) {
        openModelFolder(folder);
    }
}

void MainWindow::openModelFolder(const QString& folder)
{
    statusBar()->showMessage(tr("Loading %1\u2026").arg(folder));
    m_runner->loadModel(folder);
}

void MainWindow::runCurrentInput()
{
    if (!m_runner->model()) {
        showError(tr("No model is loaded: open a model folder first (File \u25b8 Open)."));
        return;
    }
    auto request = m_input->request();
    if (!request) {
        showError(QString::fromStdString(request.error().message));
        return;
    }
    m_runner->run(std::move(*request));
}

void MainWindow::runRequestedByUser()
{
    runCurrentInput();
    // A new input changes the metrics too (perplexity and KL are measured on it). Only here: the
    // re-run that follows a compression result must not start another apply.
    m_compression->reapplyIfInputChanged();
}

void MainWindow::selectHead(int layer, int head)
{
    // Keep the spin boxes, the grid and both views on the same layer/head.
    const QSignalBlocker blockLayer(m_layerSpin);
    const QSignalBlocker blockHead(m_headSpin);
    m_layerSpin->setValue(layer);
    m_headSpin->setValue(head);
    m_grid->setCurrent(layer, head);
    m_heatmap->setSelection(layer, head);
    m_bars->setSelection(layer, head);
    m_volume->setSelection(layer, head);
    m_summaries->setSelection(layer, head);
}

void MainWindow::showError(const QString& message)
{
    statusBar()->showMessage(message, 8000);
    // Window-modal but not blocking: the event loop (and any running job) keeps going.
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Optiscope"), message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("errorMessageBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Optiscope"),
        tr("<h3>Optiscope %1</h3>"
           "<p>A desktop explorer for transformer inference optimization: load a GPT-2, BERT or ViT model "
           "in Hugging Face layout, run it, and watch its attention layer by layer and head by head.</p>"
           "<p>Built with Qt %2 and VTK. Apache-2.0.</p>")
            .arg(QStringLiteral(OPTISCOPE_VERSION), QString::fromLatin1(qVersion())));
}

QString MainWindow::modelStatsText() const
{
    return m_modelLabel->text();
}

void MainWindow::onBusyChanged(bool busy, const QString& what)
{
    m_progress->setVisible(busy);
    m_cancel->setVisible(busy);
    m_input->setRunEnabled(!busy);
    if (busy) {
        statusBar()->showMessage(what);
    } else {
        statusBar()->clearMessage();
    }
}

void MainWindow::onModelLoaded(const std::shared_ptr<const ModelSnapshot>& model)
{
    m_lastRun.reset();
    m_heatmap->setData(nullptr);
    m_grid->setData(nullptr);
    m_bars->setData(nullptr);
    m_volume->setData(nullptr);
    m_summaries->setData(nullptr, nullptr);
    const core::ModelConfig& config = model->model->config();
    m_layerSpin->setRange(0, std::max(0, config.layers - 1));
    m_headSpin->setRange(0, std::max(0, config.heads - 1));
    selectHead(0, 0);
    m_input->setModel(model->model.get());
    m_compression->setModel(model->model);
    m_tensors->setModel(model->model);
    m_modelLabel->setText(formatModelStats(*model->model, model->fileBytes));
    m_runLabel->clear();
    setWindowTitle(QStringLiteral("%1 \u2014 Optiscope").arg(QFileInfo(model->folder).fileName()));
    QSettings settings;
    addRecentFolder(settings, model->folder);
    statusBar()->showMessage(tr("Loaded %1 in %2 ms").arg(model->folder).arg(model->loadMs, 0, 'f', 0), 5000);
    if (!m_startupText.isEmpty() && model->model->tokenizer() && m_input->textEdit()->toPlainText().isEmpty()) {
        m_input->textEdit()->setPlainText(std::exchange(m_startupText, QString()));
        runCurrentInput();
        m_compression->reapply(); // baseline metrics for the new input, as the Run button does
    }
    if (m_pendingSession && QFileInfo(m_pendingSession->modelFolder) == QFileInfo(model->folder)) {
        applyPendingSession();
    }
}

void MainWindow::onRunFinished(const std::shared_ptr<const RunSnapshot>& snapshot)
{
    m_lastRun = snapshot;
    m_difference = snapshot->baselineAttention
        ? widgets::attentionDifference(*snapshot->attention, *snapshot->baselineAttention)
        : nullptr;
    showAttention();
    m_tensors->setRun(snapshot);
    m_accelerator->setOpTrace(snapshot->result.opTrace,
        QFileInfo(m_runner->model() ? m_runner->model()->folder : QString()).fileName(),
        snapshot->baselineOpTrace ? &*snapshot->baselineOpTrace : nullptr);
    selectHead(m_layerSpin->value(), m_headSpin->value());
    m_runLabel->setText(tr("Last run: %1 tokens, %2 ms")
                            .arg(snapshot->result.tokens)
                            .arg(snapshot->result.elapsedMs, 0, 'f', 1));
    if (m_runner->model() && snapshot->model != m_runner->model()->model) {
        m_runLabel->setText(m_runLabel->text() + tr(" \u00b7 compressed model"));
    }
    emit runDisplayed();
}

widgets::AttentionDataPtr MainWindow::shownAttention() const
{
    if (!m_lastRun) {
        return nullptr;
    }
    switch (static_cast<AttentionSource>(m_attentionSource->currentIndex())) {
    case AttentionSource::Baseline:
        return m_lastRun->baselineAttention ? m_lastRun->baselineAttention : m_lastRun->attention;
    case AttentionSource::Difference:
        return m_difference;
    case AttentionSource::Current:
        break;
    }
    return m_lastRun->attention;
}

// The 2D views follow the source choice; the 3D bars show probabilities only (current or baseline).
void MainWindow::showAttention()
{
    widgets::AttentionDataPtr data = shownAttention();
    if (!data && m_lastRun) {
        // Difference without a recipe applied: nothing to compare, so the current model it is.
        data = m_lastRun->attention;
        statusBar()->showMessage(tr("No recipe is applied: baseline and current model are the same."), 4000);
    }
    m_heatmap->setData(data);
    m_grid->setData(data);
    const widgets::AttentionDataPtr probabilities = data && data->signedValues ? m_lastRun->attention : data;
    m_bars->setData(probabilities);
    m_volume->setData(probabilities);
    m_summaries->setData(data, probabilities);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState(kStateVersion));
    QFile::remove(recoveryPath()); // a normal close: nothing to recover next time
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!droppedFolder(event->mimeData()).isEmpty()) {
        event->acceptProposedAction();
    }
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QString folder = droppedFolder(event->mimeData());
    if (!folder.isEmpty()) {
        event->acceptProposedAction();
        openModelFolder(folder);
    }
}

} // namespace optiscope::gui
