// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "evaluation_panel.h"

#include "compression_panel.h"
#include "compression_runner.h"
#include "evaluation_runner.h"
#include "main_window.h"
#include "runner.h"
#include "sample_catalog.h"
#include "use_lite_panel.h"

#include "optiscope/core/compression/compressed_model.h"

#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace optiscope::gui {

namespace {
    enum Column { ModelColumn, MetricColumn, ValueColumn, SamplesColumn, TimeColumn, DataColumn, ColumnCount };

    // The compressed model the Compression dock built on the loaded model; null when there is none
    // (no steps, or a result left over from a previous model).
    std::shared_ptr<const core::Model> currentCompressed(MainWindow* window)
    {
        const auto& loaded = window->runner()->model();
        const auto& last = window->compressionPanel()->lastResult();
        if (!loaded || !last || !last->model || last->steps == 0 || last->model->base() != loaded->model) {
            return nullptr;
        }
        return last->model;
    }

    QTableWidgetItem* cell(const QString& text, bool number)
    {
        auto* item = new QTableWidgetItem(text);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        if (number) {
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        }
        return item;
    }
} // namespace

EvaluationPanel::EvaluationPanel(MainWindow* window, QWidget* parent)
    : QWidget(parent)
    , m_window(window)
    , m_runner(new EvaluationRunner(this))
{
    setObjectName(QStringLiteral("evaluationPanel"));
    m_target = new QLabel(this);
    m_target->setWordWrap(true);
    m_target->setObjectName(QStringLiteral("evaluationTarget"));
    m_note = new QLabel(this);
    m_note->setWordWrap(true);
    m_note->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_note->setObjectName(QStringLiteral("evaluationNote"));

    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("evaluationTable"));
    m_table->setHorizontalHeaderLabels({ tr("Model"), tr("Metric"), tr("Value"), tr("Samples"), tr("Time (s)"), tr("Data") });
    m_table->verticalHeader()->hide();
    // Numbers at their width, the data set's name takes the rest.
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(DataColumn, QHeaderView::Stretch);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);

    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_progress->setFormat(QStringLiteral("%p %"));
    m_evaluate = new QPushButton(tr("&Evaluate"), this);
    m_evaluate->setToolTip(tr("Held-out metric of the loaded model and of the compressed one (Ctrl+Shift+E)"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_evaluate);
    buttons->addWidget(m_progress, 1);
    buttons->addWidget(m_cancel);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_target);
    layout->addLayout(buttons);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_note);

    m_evaluateAction = new QAction(tr("E&valuate"), this);
    m_evaluateAction->setObjectName(QStringLiteral("evaluateAction"));
    m_evaluateAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    m_evaluateAction->setToolTip(m_evaluate->toolTip());
    connect(m_evaluateAction, &QAction::triggered, this, &EvaluationPanel::evaluate);
    connect(m_evaluate, &QPushButton::clicked, this, &EvaluationPanel::evaluate);
    connect(m_cancel, &QPushButton::clicked, this, &EvaluationPanel::cancel);

    connect(m_runner, &EvaluationRunner::busyChanged, this, [this](bool busy) {
        m_cancel->setEnabled(busy);
        if (busy) {
            m_progress->setValue(0);
        }
    });
    connect(m_runner, &EvaluationRunner::progressChanged, this,
        [this](double fraction) { m_progress->setValue(static_cast<int>(fraction * 1000)); });
    connect(m_runner, &EvaluationRunner::finished, this, &EvaluationPanel::showResult);
    connect(m_runner, &EvaluationRunner::cancelled, this, [this] {
        m_progress->setValue(0);
        m_note->setText(tr("Evaluation cancelled; the table shows the previous result."));
        emit evaluationCancelled();
    });
    connect(m_runner, &EvaluationRunner::failed, this, [this](const QString& message) {
        m_progress->setValue(0);
        showMessage(message);
        emit evaluationFailed(message);
    });
    // A newly loaded model makes the table stale and ends the USE Lite target.
    connect(window->runner(), &Runner::modelLoaded, this, [this] {
        m_useLite.clear();
        m_runner->cancel();
        m_table->setRowCount(0);
        m_note->clear();
        updateTarget();
    });
    updateTarget();
}

QString EvaluationPanel::targetText() const { return m_target->text(); }

void EvaluationPanel::updateTarget()
{
    if (!m_useLite.isEmpty()) {
        m_target->setText(tr("<b>Universal Sentence Encoder Lite</b> (%1): Evaluate trains the sentiment probe on its "
                             "embeddings and reports held-out accuracy (with the USE Lite dock's recipe: the compressed "
                             "encoder's too). USE Lite is a TF.js graph, not a Hugging Face folder: its attention and "
                             "recipe are in the USE Lite dock; the main attention, compression, weights and accelerator "
                             "views cannot show it and keep the previous model.")
                              .arg(QDir::toNativeSeparators(m_useLite)));
        return;
    }
    const auto& loaded = m_window->runner()->model();
    if (!loaded) {
        m_target->setText(tr("No model loaded: open one with File \u25b8 Open Sample."));
        return;
    }
    const bool lm = loaded->model->config().head == core::ModelHead::LanguageModel;
    m_target->setText(tr("<b>%1</b>: %2").arg(QFileInfo(loaded->folder).fileName(),
        lm ? tr("perplexity on the held-out last 10 % of Moby-Dick (data: moby-dick)")
           : tr("top-1 accuracy on the 10,000 Fashion-MNIST test images (data: fashion-mnist)")));
}

void EvaluationPanel::evaluate()
{
    if (auto* dock = qobject_cast<QDockWidget*>(parentWidget())) {
        dock->show();
        dock->raise();
    }
    m_note->clear();
    if (!m_useLite.isEmpty()) {
        const QString cache = findThirdPartyCache();
        const QString sentiment = qEnvironmentVariable("OPTISCOPE_SENTIMENT_DIR",
            cache + QStringLiteral("/sentiment/package/test/fixtures"));
        if (!QFileInfo(sentiment).isDir()) {
            showMessage(tr("%1: the sentiment data is not fetched; run scripts/fetch_sentiment.sh")
                            .arg(QDir::toNativeSeparators(sentiment)));
            return;
        }
        const auto* useLite = m_window->findChild<UseLitePanel*>();
        m_runner->evaluateUseLite(m_useLite, sentiment, useLite ? useLite->recipeFile() : QString());
        return;
    }
    const auto& loaded = m_window->runner()->model();
    if (!loaded) {
        showMessage(tr("No model is loaded: open one first (File \u25b8 Open Sample)."));
        return;
    }
    m_runner->evaluateModel(loaded->model, currentCompressed(m_window));
}

void EvaluationPanel::cancel() { m_runner->cancel(); }

void EvaluationPanel::setUseLiteTarget(const QString& distFolder)
{
    m_useLite = distFolder;
    m_runner->cancel();
    m_table->setRowCount(0);
    m_note->clear();
    updateTarget();
    if (auto* dock = qobject_cast<QDockWidget*>(parentWidget())) {
        dock->show();
        dock->raise();
    }
}

void EvaluationPanel::showResult(const std::shared_ptr<const EvaluationSnapshot>& snapshot)
{
    m_progress->setValue(1000);
    m_table->setRowCount(static_cast<int>(snapshot->rows.size()));
    for (int r = 0; r < static_cast<int>(snapshot->rows.size()); ++r) {
        const EvaluationRow& row = snapshot->rows[static_cast<std::size_t>(r)];
        const bool perplexity = row.metric == tr("perplexity");
        m_table->setItem(r, ModelColumn, cell(row.model, false));
        m_table->setItem(r, MetricColumn, cell(row.metric, false));
        auto* value = cell(perplexity ? QString::number(row.value, 'f', 4) : QStringLiteral("%1 %").arg(100 * row.value, 0, 'f', 2), true);
        value->setData(Qt::UserRole, row.value); // full precision, for tests and copying
        m_table->setItem(r, ValueColumn, value);
        m_table->setItem(r, SamplesColumn, cell(QLocale().toString(row.samples), true));
        m_table->setItem(r, TimeColumn, cell(QString::number(row.seconds, 'f', 2), true));
        m_table->setItem(r, DataColumn, cell(row.data, false));
    }
    m_note->setText(tr("Reproduce: %1").arg(snapshot->command));
    m_note->setToolTip(snapshot->command); // a long path may not fit the dock
    emit evaluated();
}

void EvaluationPanel::showMessage(const QString& message)
{
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Optiscope"), message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("errorMessageBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

EvaluationPanel* addEvaluationDock(MainWindow* window, QMenu* modelMenu)
{
    auto* dock = new QDockWidget(EvaluationPanel::tr("Evaluation"), window);
    dock->setObjectName(QStringLiteral("evaluationDock"));
    auto* panel = new EvaluationPanel(window, dock);
    dock->setWidget(panel);
    window->addDockWidget(Qt::RightDockWidgetArea, dock);
    if (auto* compression = window->findChild<QDockWidget*>(QStringLiteral("compressionDock"))) {
        window->tabifyDockWidget(compression, dock);
        compression->raise();
    }
    // USE Lite's own dock (attention, recipe), shown when File \u25b8 Open Sample picks it.
    auto* useLiteDock = new QDockWidget(EvaluationPanel::tr("USE Lite"), window);
    useLiteDock->setObjectName(QStringLiteral("useLiteDock"));
    auto* useLite = new UseLitePanel(useLiteDock);
    useLiteDock->setWidget(useLite);
    // A corrupt package (short shard, bad vocab.json): the loader's one line, in a dialog.
    QObject::connect(useLite, &UseLitePanel::failed, panel, &EvaluationPanel::showMessage);
    window->addDockWidget(Qt::RightDockWidgetArea, useLiteDock);
    window->tabifyDockWidget(dock, useLiteDock);
    useLiteDock->hide();
    modelMenu->addAction(panel->evaluateAction());
    modelMenu->addAction(EvaluationPanel::tr("Cancel E&valuation"), panel, &EvaluationPanel::cancel);
    return panel;
}

} // namespace optiscope::gui
