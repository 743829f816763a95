// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The main window's menu bar: File, Edit, Model, Simulator, View (docks, theme), Help.
#include "main_window.h"
#include "accelerator_panel.h"
#include "attention_bars_view.h"
#include "attention_heatmap_view.h"
#include "compression_panel.h"
#include "evaluation_panel.h"
#include "head_grid_view.h"
#include "input_panel.h"
#include "lesson_panel.h"
#include "model_export.h"
#include "model_stats.h"
#include "recent_folders.h"
#include "report_export.h"
#include "runner.h"
#include "sample_picker.h"
#include "sensitivity_panel.h"
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

namespace optiscope::gui {

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(style()->standardIcon(QStyle::SP_DirOpenIcon), tr("&Open Model Folder\u2026"),
        this, &MainWindow::chooseModelFolder);
    open->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    rebuildRecentMenu();
    addSampleMenu(this, file); // File \u25b8 Open Sample: bundled and fetched models
    file->addSeparator();
    QAction* openSessionAction = file->addAction(tr("Open &Session\u2026"), this, &MainWindow::chooseAndOpenSession);
    openSessionAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    QAction* saveSessionAction = file->addAction(tr("Save Sessio&n"), this, &MainWindow::saveSessionOrAsk);
    saveSessionAction->setShortcut(QKeySequence::Save);
    QAction* saveSessionAs = file->addAction(tr("Save Session &As\u2026"), this, &MainWindow::chooseAndSaveSession);
    saveSessionAs->setShortcut(QKeySequence::SaveAs);
    file->addSeparator();
    file->addAction(tr("Open Re&cipe\u2026"), m_compression, &CompressionPanel::chooseAndOpenRecipe);
    file->addAction(tr("&Save Recipe\u2026"), m_compression, &CompressionPanel::chooseAndSaveRecipe);
    file->addAction(tr("Open &Array Config\u2026"), m_accelerator, &AcceleratorPanel::chooseAndLoadConfig);
    QAction* exportModelAction = file->addAction(tr("Export &Model\u2026"), this, [this] {
        const auto& last = m_compression->lastResult();
        exportModel(this, last ? last->model : nullptr);
    });
    exportModelAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportModelAction->setToolTip(tr("The compressed model as a Hugging Face folder, compact safetensors or GGUF"));
    file->addAction(tr("&Export Simulation Reports\u2026"), this, &MainWindow::exportSimulationReports);
    file->addAction(tr("Export Session &Report\u2026"), this, [this] {
        if (const auto state = captureSession()) {
            exportSessionReport(this, *state, m_sessionPath);
        } else {
            showError(tr("No model is loaded: open a model folder first (File \u25b8 Open)."));
        }
    });
    addSweepDock(this, file, m_compression); // the Sweep dock and File \u25b8 Open Sweep Results\u2026
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_compression->undoAction());
    edit->addAction(m_compression->redoAction());

    QMenu* model = menuBar()->addMenu(tr("&Model"));
    QAction* run = model->addAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Run"), this,
        &MainWindow::runRequestedByUser);
    run->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter) });
    QAction* cancel = model->addAction(tr("&Cancel"), m_runner, &Runner::cancel);
    cancel->setShortcut(Qt::Key_Escape);
    model->addSeparator();
    addEvaluationDock(this, model); // Model \u25b8 Evaluate and the Evaluation dock

    QMenu* simulator = menuBar()->addMenu(tr("&Simulator"));
    simulator->addAction(tr("&Play / Pause"), QKeySequence(Qt::Key_F5), m_accelerator, &AcceleratorPanel::togglePlaying);
    simulator->addAction(tr("Step &Forward"), QKeySequence(Qt::Key_F10), m_accelerator, &AcceleratorPanel::stepForward);
    simulator->addAction(tr("Step &Back"), QKeySequence(Qt::SHIFT | Qt::Key_F10), m_accelerator, &AcceleratorPanel::stepBack);
    simulator->addAction(tr("&First Cycle"), QKeySequence(Qt::CTRL | Qt::Key_F10), m_accelerator,
        [this] { m_accelerator->seekCycle(0); });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : findChildren<QDockWidget*>()) {
        view->addAction(dock->toggleViewAction());
    }
    view->addSeparator();
    QMenu* themes = view->addMenu(tr("&Theme"));
    auto* themeGroup = new QActionGroup(this);
    const Theme current = savedTheme();
    for (auto [theme, label] : { std::pair { Theme::System, tr("&System") }, std::pair { Theme::Light, tr("&Light") },
             std::pair { Theme::Dark, tr("&Dark") } }) {
        QAction* action = themes->addAction(label, this, [theme] { applyTheme(theme); });
        action->setCheckable(true);
        action->setChecked(theme == current);
        action->setObjectName(QStringLiteral("theme_") + themeName(theme));
        themeGroup->addAction(action);
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* lessons = help->addAction(tr("&Lessons (Teaching Mode)"), this, &MainWindow::showLessons);
    lessons->setShortcut(QKeySequence::HelpContents);
    help->addSeparator();
    QAction* about = help->addAction(tr("&About Optiscope"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

} // namespace optiscope::gui
